"""The process that runs graded checks: the only place a submission's code executes.

The grader copies this file (as ``_minigrad_grader_worker.py``) and
:mod:`minigrad.assign.values` (as ``_minigrad_grader_values.py``) into a job
folder and starts ``python -I -B _minigrad_grader_worker.py JOB.json FD``.
``JOB.json`` names the code to import ``minigrad`` from, the check files and
which checks to run; ``FD`` is the write end of a pipe the grader reads.
Everything goes back through that pipe as records (:mod:`values`):

* mode ``reference`` (the teacher's code, not sandboxed): for each check, its
  ``inputs`` record (drawn from ``numpy.random.default_rng([seed, crc32(name)])``)
  and its ``values`` record — the expected outputs;
* mode ``student`` (inside the sandbox): ``ready`` once ``minigrad`` imported
  (or ``import_error``), then for each check ``start``, and from a process
  forked for that check alone, ``values`` or ``error``.  The inputs come from
  a file the grader wrote; expected values never come here.

A check's process is forked after the import, so one crash, hang or
``os._exit`` costs one check; the grader kills everything when the job ends.
Standard library and NumPy only.
"""
import importlib.util
import json
import os
import sys
import traceback
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _minigrad_grader_values as values  # noqa: E402  (copied next to this file)


def send(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def load(path, cache={}):   # noqa: B006 — one module per check file for the whole run
    if path not in cache:
        name = '_graded_' + os.path.splitext(os.path.basename(path))[0] + f'_{len(cache)}'
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        cache[path] = module
    return cache[path]


def _inside(path, root):
    real = os.path.realpath(path)
    return real.startswith(root + os.sep)


def describe(exc, code_root, check_file):
    """(kind, text, function) for an exception: not-implemented stubs and errors, with where they happened."""
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if _inside(f.filename, code_root)]
    check = [f for f in frames if os.path.realpath(f.filename) == os.path.realpath(check_file)]
    where = ''
    if check:
        where = f"in the check (line {check[-1].lineno}): {(check[-1].line or '').strip()}"
    chain, e = [], exc
    while e is not None and len(chain) < 5:
        chain.append(e)
        e = e.__cause__ or e.__context__
    for e in chain:
        if isinstance(e, NotImplementedError):
            tb = traceback.extract_tb(e.__traceback__)
            last = tb[-1] if tb else None
            function = ''
            if last is not None and _inside(last.filename, code_root):
                code = _code_of(e)
                qual = getattr(code, 'co_qualname', last.name) if code is not None else last.name
                function = f"{qual} ({os.path.relpath(os.path.realpath(last.filename), code_root)}:{last.lineno})"
            return 'not_implemented', str(e)[:values.MAX_TEXT], function, where
    text = f"{type(exc).__name__}: {exc}"[:2000]
    if isinstance(exc, SyntaxError):
        name = exc.filename or '?'
        name = os.path.relpath(os.path.realpath(name), code_root) if _inside(name, code_root) else name
        text = f"{type(exc).__name__}: {exc.msg} ({name}, line {exc.lineno})\n    {(exc.text or '').strip()}"
    elif mine:
        f = mine[-1]
        text += (f"\n    raised at {os.path.relpath(os.path.realpath(f.filename), code_root)}:{f.lineno} in {f.name}: "
                 f"{(f.line or '').strip()}")
    return 'exception', text, '', where


def _code_of(exc):
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code if tb is not None else None


def run_check(job, index, inputs, fd):
    """Run one check on ``inputs``; send its outputs (or why it failed)."""
    import numpy as np
    path, name = job['checks'][index]
    try:
        fn = getattr(load(path), name)
        result = fn(**{k: (np.array(v) if v is not None else None) for k, v in inputs.items()})
        if not isinstance(result, dict):
            raise TypeError(f"check {name} returned {type(result).__name__}, not a dict of arrays")
        send(fd, values.encode('values', result, index=index))
    except BaseException as exc:   # noqa: B902 — the code under test may raise anything
        kind, text, function, where = describe(exc, job['code'], path)
        send(fd, values.encode('error', index=index, kind=kind, text=text, function=function, where=where))


def reference(job, fd):
    import numpy as np
    for index, (path, name) in enumerate(job['checks']):
        try:
            make = getattr(load(path), name).graded['inputs']
            inputs = make(np.random.default_rng([job['seed'], zlib.crc32(name.encode())]))
            inputs = {k: values._as_plain_array(v) for k, v in inputs.items()}   # exactly what the student gets
            send(fd, values.encode('inputs', inputs, index=index))
        except BaseException as exc:   # noqa: B902
            kind, text, function, where = describe(exc, job['code'], path)
            send(fd, values.encode('error', index=index, kind=kind, text=text, function=function, where=where))
            continue
        run_check(job, index, inputs, fd)


def student(job, fd):
    inputs = {h['index']: arrays for h, arrays in values.read_file(job['inputs']) if h['type'] == 'inputs'}
    if not os.path.isfile(os.path.join(job['code'], 'minigrad', '__init__.py')):
        send(fd, values.encode('import_error', text="the submission has no minigrad/__init__.py"))
        return
    try:
        import minigrad
        where = os.path.realpath(getattr(minigrad, '__file__', '') or '')
        if not _inside(where, job['code']):
            raise ImportError(f"minigrad was imported from {where}, not from the submission")
    except BaseException as exc:   # noqa: B902
        send(fd, values.encode('import_error', text=describe(exc, job['code'], '')[1]))
        return
    send(fd, values.encode('ready', minigrad=where))
    for index in job['todo']:
        send(fd, values.encode('start', index=index))
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            try:
                os.setpgid(0, 0)
                run_check(job, index, inputs.get(index, {}), fd)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        if status:
            code = os.waitstatus_to_exitcode(status)
            text = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
            send(fd, values.encode('error', index=index, kind='died', text=text))


def main(argv):
    with open(argv[1], encoding='utf-8') as f:
        job = json.load(f)
    fd = int(argv[2])
    sys.path.insert(1, job['code'])
    (reference if job['mode'] == 'reference' else student)(job, fd)
    sys.stdout.flush()
    os._exit(0)


if __name__ == '__main__':
    main(sys.argv)
