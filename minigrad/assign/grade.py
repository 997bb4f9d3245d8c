"""The autograder: every score is computed here, from values, outside the submission's code.

For each assignment:

1. the *reference* run (the teacher's minigrad, a trusted process) draws each
   graded check's inputs from a fresh seed and computes the expected outputs;
2. the *submission* run gets the inputs only and runs the same checks with the
   submission's minigrad, in a :class:`~minigrad.assign.sandbox.Sandbox`
   (another user when the grader is root, hidden reference, limits, one
   forked process per check, everything killed at the end);
3. here, :func:`~minigrad.assign.judge.compare` holds the two sets of values
   side by side and the points come from the check table, read from the check
   files' syntax (:mod:`minigrad.assign.checks`).

Nothing the submission writes on disk is read; what it sends is a stream of
named numeric arrays, strictly validated (:mod:`minigrad.assign.values`).  It
can lose its own points (wrong, slow, crashing, silent), never gain points it
did not earn, and never reach the reference or the grader's results.

In a student copy (no reference solution) the expected values come from the
*practice* file the release wrote for fixed inputs: a self-check, not a grade.
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import BY_NUMBER, parse_numbers
from .checks import list_checks
from .jobs import install_worker, run_job, write_job
from .judge import clip, compare
from .release import MANIFEST, PRACTICE_DIR as _PRACTICE
from .sandbox import Sandbox, Unconfined
from .values import encode, read_file

PRACTICE_DIR = _PRACTICE[len('tests/assignments/'):]    # a release's expected values for fixed inputs
PRACTICE_SEED = 20240917
CODE_LIMIT = 64 * 2 ** 20             # bytes of a submission's minigrad/ the grader copies


class GradeError(RuntimeError):
    """Grading could not start (bad path or options) — never raised for a student's mistakes."""


@dataclass
class GradedTest:
    assignment: int
    file: str                # relative to tests/assignments, e.g. 'graded/a1_autograd.py'
    name: str
    task: str
    points: float
    doc: str = ''
    hidden: bool = False
    needs: tuple = ()
    score: float = 0.0
    status: str = 'not run'  # passed | failed | not run
    feedback: str = ''


@dataclass
class AssignmentResult:
    number: int
    title: str
    tests: list = field(default_factory=list)
    note: str = ''
    seconds: float = 0.0

    score = property(lambda self: sum(t.score for t in self.tests))
    max_score = property(lambda self: sum(t.points for t in self.tests))


@dataclass
class GradeReport:
    path: str
    assignments: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    seconds: float = 0.0
    practice: bool = False

    score = property(lambda self: sum(a.score for a in self.assignments))
    max_score = property(lambda self: sum(a.max_score for a in self.assignments))

    def tests(self):
        return [t for a in self.assignments for t in a.tests]


# ------------------------------------------------------------------ set-up
def _this_repository():
    return Path(__file__).resolve().parents[2]


def _stubbed(tree):
    """Assignments a release manifest in ``tree`` says are stubbed there (a student copy)."""
    try:
        manifest = json.loads((Path(tree) / MANIFEST).read_text(encoding='utf-8'))
    except (OSError, ValueError):
        return set()
    return set(manifest.get('assignments') or []) if manifest.get('tasks') else set()


def _copy_code(source, target):
    """Copy a submission's minigrad/ package: regular files only (no links), at most CODE_LIMIT bytes."""
    total = 0
    for folder, dirs, files in os.walk(source / 'minigrad', followlinks=False):
        dirs[:] = sorted(d for d in dirs if d != '__pycache__' and not os.path.islink(os.path.join(folder, d)))
        out = target / Path(folder).relative_to(source)
        out.mkdir(parents=True, exist_ok=True)
        out.chmod(0o755)
        for name in sorted(files):
            path = os.path.join(folder, name)
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode) or name.endswith(('.pyc', '.pyo')):
                continue
            total += info.st_size
            if total > CODE_LIMIT:
                raise GradeError(f"grade: {source / 'minigrad'} holds more than {CODE_LIMIT >> 20} MiB")
            shutil.copyfile(path, out / name, follow_symlinks=False)
            (out / name).chmod(0o644)


def _importable_minigrad(python):
    """The minigrad package a plain ``python -I`` would import on this machine (to hide it), or None."""
    try:
        done = subprocess.run([python, '-I', '-c', "import importlib.util as u; s = u.find_spec('minigrad'); "
                               "print(s.origin if s and s.origin else '')"], cwd='/', capture_output=True,
                              text=True, timeout=60)
        origin = done.stdout.strip()
        return str(Path(origin).parent) if origin else None
    except (OSError, subprocess.SubprocessError):
        return None


def _hideable(paths, keep):
    """Paths to hide, replacing one that holds a path the submission needs (``keep``) by its other children."""
    keep = [os.path.realpath(k) for k in keep]
    out = []
    for p in {os.path.realpath(p) for p in paths if p}:
        inside = [k for k in keep if k == p or k.startswith(p + os.sep)]
        if not inside:
            out.append(p)
        elif all(k != p for k in inside) and os.path.isdir(p):
            out += [os.path.join(p, c) for c in sorted(os.listdir(p)) if os.path.isdir(os.path.join(p, c))
                    and not any(k == os.path.join(p, c) or k.startswith(os.path.join(p, c) + os.sep) for k in keep)]
    return sorted(set(out))


# ------------------------------------------------------------------ one assignment
def _reference_values(checks, job_dir, worker, reference, seed, timeout, python):
    """{index: (inputs, expected)} and {index: why the reference failed}, from the trusted reference run."""
    job = job_dir / 'reference.json'
    write_job(job, mode='reference', code=str(reference), checks=checks, seed=seed)
    run = run_job(Unconfined(), worker, job, job_dir, 0, timeout, python)
    inputs, expected, broken = {}, {}, {}
    for header, arrays in run.records:
        i = header['index']
        if header['type'] == 'inputs':
            inputs[i] = arrays
        elif header['type'] == 'values':
            expected[i] = arrays
        elif header['type'] == 'error':
            broken[i] = header.get('text', '')
    for i in range(len(checks)):
        if i not in expected and i not in broken:
            broken[i] = run.stopped or 'the reference run ended early'
    return {i: (inputs[i], expected[i]) for i in expected}, broken


def _practice_values(path, count):
    records = read_file(path)
    inputs = {h['index']: a for h, a in records if h['type'] == 'inputs'}
    expected = {h['index']: a for h, a in records if h['type'] == 'values'}
    return {i: (inputs[i], expected[i]) for i in expected if i in inputs and i < count}


def _student_results(checks, todo, job_dir, worker, code, sandbox, timeout, test_timeout, python, number):
    """{index: ('values', arrays) | ('error', header) | ('lost', text)}, the import error, printed output."""
    results, printed, started = {}, {}, time.monotonic()
    while todo:
        left = timeout - (time.monotonic() - started)
        if left <= 0:
            for i in todo:
                results[i] = ('lost', f"not run: assignment {number}'s time limit ({timeout:g} s) ran out first")
            break
        job = job_dir / 'student.json'
        write_job(job, mode='student', code=str(code), checks=checks, inputs=str(job_dir / 'inputs.bin'), todo=todo)
        run = run_job(sandbox, worker, job, job_dir / 'home', test_timeout, left, python)
        running = None
        for header, arrays in run.records:
            i = header['index']
            if header['type'] == 'import_error':
                return results, "minigrad does not import: " + header.get('text', ''), printed
            if header['type'] == 'start':
                if running is not None and running not in results:   # its process ended without a word
                    results[running] = ('lost', "the test process ended during this test without a result")
                running = i if i in todo else None
            if header['type'] in ('values', 'error') and i in todo and i not in results:
                results[i] = ('values', arrays) if header['type'] == 'values' else ('error', header)
        printed.update({i: text for i, text in run.output.items() if i is not None})
        if run.current is not None and run.current in todo and run.current not in results:
            results[run.current] = ('lost', {
                'check timeout': f"timed out after {test_timeout:g} s (an infinite loop, or a loop far too slow?)",
                'job timeout': f"timed out: assignment {number}'s time limit ({timeout:g} s) ran out during this test",
                'too much output': "stopped: the code printed more than 16 MiB",
            }.get(run.stopped, "the test process died during this test" if run.stopped in ('', 'ended')
                  else f"stopped: the test process broke the grader's protocol ({run.stopped})"))
        remaining = [i for i in todo if i not in results]
        if len(remaining) == len(todo):     # no progress: the worker dies before running anything
            for i in remaining:
                results[i] = ('lost', "not run: the test process ended before this check started"
                              + (f" ({run.stopped})" if run.stopped else ''))
            break
        todo = remaining
    return results, None, printed


def _feedback(spec, outcome, printed):
    """(passed, feedback) for one check from what the submission's run sent back."""
    kind, payload = outcome
    if kind == 'lost':
        return False, payload
    if kind == 'error':
        if payload.get('kind') == 'not_implemented':
            tag = (payload.get('text') or '').split(':', 1)[0].strip()
            tag = tag if tag.startswith('a') and ' ' not in tag and len(tag) < 60 else spec.task
            text = f"not implemented: {tag}"
            if payload.get('function'):
                text += f" in {payload['function']}"
            if tag != spec.task:
                text += f" (this test checks {spec.task} and needs {tag} too)"
        elif payload.get('kind') == 'died':
            text = f"the test process died ({payload.get('text', '')}) during this test"
        else:
            text = payload.get('text', '') + (f"\n    {payload['where']}" if payload.get('where') else '')
    else:
        return True, ''
    if printed and printed.strip():
        text += "\n    your code printed: " + printed.strip()[-300:].replace('\n', '\n      ')
    return False, text


def _expected(numbers, specs, ctx):
    """{number: ({index: (inputs, expected)}, {index: why not})}: one reference run for every assignment."""
    if ctx['practice']:
        found = {}
        for n in numbers:
            practice = ctx['checks'] / PRACTICE_DIR / f'a{n}.bin'
            known = _practice_values(practice, len(specs[n])) if practice.is_file() else {}
            found[n] = (known, {i: "no practice values for this check in this copy (grade with your teacher's "
                                   "grader)" for i in range(len(specs[n])) if i not in known})
        return found
    order = [(n, i) for n in numbers for i in range(len(specs[n]))]
    checks = [[str(ctx['checks'] / specs[n][i].file), specs[n][i].name] for n, i in order]
    job_dir = ctx['work'] / 'jobs' / 'reference'
    job_dir.mkdir(parents=True)
    known, broken = _reference_values(checks, job_dir, ctx['worker'], ctx['reference'], ctx['seed'],
                                      ctx['timeout'] * max(1, len(numbers)), ctx['python'])
    found = {n: ({}, {}) for n in numbers}
    for k, (n, i) in enumerate(order):
        if k in known:
            found[n][0][i] = known[k]
        else:
            found[n][1][i] = broken.get(k, 'the reference run ended early')
    return found


def _grade_one(number, specs, known, broken, ctx):
    """AssignmentResult of one assignment (see the module docstring)."""
    result = AssignmentResult(number, BY_NUMBER[number].title)
    started = time.perf_counter()
    tests = [GradedTest(number, s.file, s.name, s.task, s.points, s.doc, s.hidden, s.needs) for s in specs]
    result.tests = tests
    job_dir = ctx['work'] / 'jobs' / f'a{number}'
    (job_dir / 'home').mkdir(parents=True)
    job_dir.chmod(0o755)
    (job_dir / 'home').chmod(0o700)
    ctx['sandbox'].give(job_dir / 'home')
    checks = [[str(ctx['checks'] / s.file), s.name] for s in specs]
    for i, s in enumerate(specs):
        if s.problem:
            known.pop(i, None)
            broken[i] = s.problem
    with open(job_dir / 'inputs.bin', 'wb') as f:
        for i, (inputs, _) in sorted(known.items()):
            f.write(encode('inputs', inputs, index=i))
    (job_dir / 'inputs.bin').chmod(0o644)
    results, import_error, printed = _student_results(
        checks, sorted(known), job_dir, ctx['worker'], ctx['code'], ctx['sandbox'], ctx['timeout'],
        ctx['test_timeout'], ctx['python'], number)
    for i, (spec, test) in enumerate(zip(specs, tests)):
        if i in broken:
            test.feedback = clip(f"the grader cannot run this check: {broken[i]}")
            if not ctx['practice']:
                ctx['warnings'].append(f"{spec.name}: the reference solution fails this check: {broken[i][:300]}")
            continue
        if import_error:
            test.status, test.feedback = 'failed', clip(import_error)
            continue
        outcome = results.get(i, ('lost', 'not run'))
        passed, text = _feedback(spec, outcome, printed.get(i, ''))
        if passed:
            text = compare(known[i][1], outcome[1], spec.rtol, spec.atol)
            passed = not text
        test.status = 'passed' if passed else ('not run' if text.startswith('not run') else 'failed')
        test.score = spec.points if passed else 0.0
        test.feedback = 'passed' if passed else clip(text)
    result.seconds = time.perf_counter() - started
    return result


def _name_failed_needs(report):
    failing = {t.task for t in report.tests() if t.status != 'passed'}
    for t in report.tests():
        if t.status != 'passed':
            for tag in t.needs:
                if tag in failing and tag != t.task and tag not in t.feedback:
                    t.feedback += f"\n    this test also needs {tag}, which fails"


# ------------------------------------------------------------------ entry point
def grade(path='.', assignments=None, reference=None, hidden=True, timeout=300, test_timeout=60,
          python=None, keep=False, seed=None, user=None):
    """Grade the repository at ``path``; returns a :class:`GradeReport`.

    ``reference``: the teacher's repository (its minigrad is the reference
    solution, its ``tests/assignments/graded`` and ``hidden`` the checks);
    default: the repository this grader comes from — in a student copy that
    means practice mode.  ``assignments``: '1,2' / numbers / None (the
    released ones, else all with checks); ``timeout``: seconds per
    assignment; ``test_timeout``: seconds per check (0 = none); ``seed``: the
    inputs' seed (default: fresh); ``user``: the user id the submission runs
    as when the grader is root (default: a free one).
    """
    started = time.perf_counter()
    code = Path(path).resolve()
    if not (code / 'minigrad').is_dir():
        raise GradeError(f"grade: {code} has no minigrad/ folder; pass --path to the repository to grade")
    reference = Path(reference).resolve() if reference else _this_repository()
    checks_root = reference / 'tests' / 'assignments'
    if not (checks_root / 'graded').is_dir():
        raise GradeError(f"grade: no graded checks in {checks_root / 'graded'}")
    stubbed = _stubbed(reference)
    if assignments is None:
        numbers = tuple(sorted(_stubbed(code))) or tuple(n for n in sorted(BY_NUMBER)
                                                          if list_checks(checks_root, n, hidden))
    else:
        numbers = parse_numbers(assignments if isinstance(assignments, str) else ','.join(map(str, assignments)))
    practice = bool(stubbed & set(numbers))
    python = python or sys.executable
    report = GradeReport(str(code), practice=practice)
    work = Path(tempfile.mkdtemp(prefix='minigrad-grade-'))
    work.chmod(0o755)
    try:
        _copy_code(code, work / 'code')
        checks = work / 'checks'
        shutil.copytree(checks_root, checks, ignore=shutil.ignore_patterns('__pycache__', '*.pyc', 'test_*',
                                                                          *(() if hidden else ('hidden',))))
        for folder, dirs, files in os.walk(checks):
            os.chmod(folder, 0o755)
            for name in files:
                os.chmod(os.path.join(folder, name), 0o644)
        needed = [work, sys.prefix, sys.base_prefix, os.path.realpath(python)] + \
            [p for p in sys.path if 'site-packages' in p or 'dist-packages' in p]
        hide = _hideable([reference, _importable_minigrad(python), _this_repository() / 'minigrad', code], needed)
        (work / 'stage').mkdir(mode=0o700)
        sandbox = Sandbox(hide=hide, need=[sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(python))],
                          stage=str(work / 'stage'), user=user)
        if sandbox.problem:
            report.warnings.append(sandbox.problem)
        if sandbox.uid is None:
            report.warnings.append("not running as root: the submission runs as your own user and could read "
                                   "and write what you can (see docs/assignments.md)")
        ctx = dict(work=work, code=work / 'code', checks=checks, worker=install_worker(work / 'worker'),
                   reference=reference, seed=seed if seed is not None else int.from_bytes(os.urandom(4), 'little'),
                   practice=practice, sandbox=sandbox, timeout=timeout, test_timeout=test_timeout,
                   python=python, warnings=report.warnings)
        if practice:
            ctx['seed'] = PRACTICE_SEED
            report.warnings.append("practice run: your results against the values shipped with this copy "
                                   "(fixed inputs, visible checks only); your teacher's grader uses fresh inputs")
        specs = {n: list_checks(checks, n, hidden) for n in numbers}
        expected = _expected([n for n in numbers if specs[n]], specs, ctx)
        for n in numbers:
            if not specs[n]:
                result = AssignmentResult(n, BY_NUMBER[n].title, note=f"no graded checks for assignment {n}")
                report.warnings.append(result.note)
            else:
                result = _grade_one(n, specs[n], *expected[n], ctx)
            report.assignments.append(result)
        _name_failed_needs(report)
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    report.seconds = time.perf_counter() - started
    return report


def practice_values(source, out_dir, numbers, python=None, timeout=600):
    """Write ``out_dir/aN.bin``: inputs and the reference's outputs of the visible checks (for a release)."""
    source, out_dir = Path(source).resolve(), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix='minigrad-practice-'))
    try:
        worker = install_worker(work / 'worker')
        for n in numbers:
            specs = [s for s in list_checks(source / 'tests' / 'assignments', n, hidden=False) if not s.problem]
            if not specs:
                continue
            checks = [[str(source / 'tests' / 'assignments' / s.file), s.name] for s in specs]
            known, broken = _reference_values(checks, work, worker, source, PRACTICE_SEED, timeout,
                                              python or sys.executable)
            if broken:
                raise GradeError(f"practice values: the reference fails {sorted(specs[i].name for i in broken)}")
            with open(out_dir / f'a{n}.bin', 'wb') as f:
                for i, (inputs, expected) in sorted(known.items()):
                    f.write(encode('inputs', inputs, index=i) + encode('values', expected, index=i))
    finally:
        shutil.rmtree(work, ignore_errors=True)
