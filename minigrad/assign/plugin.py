"""The pytest plugin the grader runs the graded tests with.

The grader copies this file next to the graded tests as
``_minigrad_grader_plugin.py`` and starts ``python -m pytest -p
_minigrad_grader_plugin …`` in a subprocess.  The plugin appends one JSON
record per line to ``$MINIGRAD_GRADER_RESULTS`` as the run goes, so whatever
finished before a crash or a time-out is kept:

* ``session``: where ``minigrad`` was imported from, or why it does not import;
* ``start``: a test is about to run (the last one without an ``item`` is the
  one that hung or crashed);
* ``item``: outcome, task, points and the feedback a student can act on;
* ``collect_error``: a test file could not be loaded.

Standard library and pytest only, and minigrad is imported inside a
``try`` — the code under test may be broken in any way.
"""
import json
import os
import re
import signal
import threading
import time
import traceback

import pytest

RESULTS = os.environ.get('MINIGRAD_GRADER_RESULTS')
CODE_ROOT = os.path.realpath(os.environ.get('MINIGRAD_GRADER_CODE', os.getcwd()))
TESTS_ROOT = os.path.realpath(os.environ.get('MINIGRAD_GRADER_TESTS', os.getcwd()))
TEST_TIMEOUT = float(os.environ.get('MINIGRAD_GRADER_TEST_TIMEOUT', '0') or 0)
TAG = re.compile(r'^a[1-9][0-9]*_[a-z0-9_]+$')
MAX_LINES = 14


class GraderTimeout(BaseException):
    """Raised by the per-test alarm; a BaseException so ``except Exception`` cannot swallow it."""


def _write(record):
    if RESULTS:
        with open(RESULTS, 'a', encoding='utf-8') as f:
            f.write(json.dumps(record) + '\n')


def _short(path):
    """A path relative to the graded repository when inside it."""
    real = os.path.realpath(path)
    return os.path.relpath(real, CODE_ROOT) if real.startswith(CODE_ROOT + os.sep) else path


def _student_frame(tb_frames, test_file=None):
    """The deepest frame in the graded repository's code (not the tests, not libraries)."""
    for frame in reversed(tb_frames):
        real = os.path.realpath(frame.filename)
        if real.startswith(CODE_ROOT + os.sep) and (test_file is None or real != test_file) \
                and '/tests/' not in real[len(CODE_ROOT):].replace(os.sep, '/') + '/':
            return frame
    return None


def describe_exception(exc, test_file=None):
    """One or two lines: the error and where in the student's code it was raised."""
    if isinstance(exc, SyntaxError):
        where = f"{_short(exc.filename or '?')}, line {exc.lineno}"
        text = f"\n    {exc.text.strip()}" if exc.text else ''
        return f"{type(exc).__name__}: {exc.msg} ({where}){text}"
    head = f"{type(exc).__name__}: {exc}".strip()
    frames = traceback.extract_tb(exc.__traceback__)
    frame = _student_frame(frames, test_file)
    if frame is not None:
        head += f"\n    raised at {_short(frame.filename)}:{frame.lineno} in {frame.name}: {(frame.line or '').strip()}"
    return head


def _chain(exc):
    seen = []
    while exc is not None and not any(exc is s for s in seen):
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def _test_line(exc, test_file):
    """The test's own source line where the failure surfaced."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if os.path.realpath(frame.filename) == test_file and frame.line:
            return f"\n    in the test (line {frame.lineno}): {frame.line.strip()}"
    return ''


def _clip(text):
    lines = text.rstrip().splitlines()
    return '\n'.join(lines[:MAX_LINES] + (['    …'] if len(lines) > MAX_LINES else []))


def feedback(item, excinfo):
    """What went wrong, in words a student can act on."""
    exc, task = excinfo.value, _task(item)
    test_file = os.path.realpath(str(item.path))
    chain = _chain(exc)
    for e in chain:
        if isinstance(e, GraderTimeout):
            return f"timed out after {TEST_TIMEOUT:g} s (an infinite loop, or a loop far too slow?)" + \
                _test_line(e, test_file)
    for e in chain:
        if isinstance(e, NotImplementedError):
            message = str(e)
            tag = message.split(':', 1)[0].strip()
            if TAG.match(tag):
                text = f"not implemented: {tag}"
                if task and tag != task:
                    text += f" (this test checks {task} and needs {tag} too)"
                return text
            return f"not implemented: {task or item.name}" + (f" ({message})" if message else '')
    for e in chain:
        worst = getattr(e, 'worst', None)
        if isinstance(worst, dict) and {'input', 'index', 'analytic', 'numeric'} <= set(worst):
            rel = worst.get('rel_error')
            text = (f"wrong gradient: input {worst['input']} at index {tuple(worst['index'])}: "
                    f"analytic {worst['analytic']:.6g} vs numeric {worst['numeric']:.6g}")
            if rel is not None:
                text += f" (relative error {rel:.3g})"
            return text + _test_line(e, test_file)
    if isinstance(exc, AssertionError):
        lines = [ln for ln in excinfo.exconly().splitlines() if ln.strip()]
        if len(lines) > 1 and lines[0].rstrip().endswith(':') and len(lines[0]) < 30:
            lines = [f"{lines[0].strip()} {lines[1].strip()}"] + lines[2:]   # 'AssertionError:' + its message
        return _clip('\n'.join(lines)) + _test_line(exc, test_file)
    return _clip(describe_exception(exc, test_file) + _test_line(exc, test_file))


def _task(item):
    for mark in item.iter_markers():
        if TAG.match(mark.name):
            return mark.name
    return None


def _points(item):
    mark = item.get_closest_marker('points')
    if mark is None or not mark.args:
        return 1.0
    try:
        return float(mark.args[0])
    except (TypeError, ValueError):
        return 1.0


def _relative(path):
    """A test file's path relative to the tests' root, with '/' (as the grader's scan names it)."""
    return os.path.relpath(os.path.realpath(str(path)), TESTS_ROOT).replace(os.sep, '/')


def _split(item):
    """(file, 'Class::function' without parameters, parameter id) of a test item."""
    parts = item.nodeid.split('::')
    last = parts[-1]
    param = ''
    if '[' in last and last.endswith(']'):
        last, param = last[:last.index('[')], last[last.index('[') + 1:-1]
    return _relative(item.path), '::'.join(parts[1:-1] + [last]), param


# ------------------------------------------------------------------------ hooks
def pytest_load_initial_conftests(early_config, parser, args):
    """Import minigrad before any conftest does, to report *why* it fails, if it does."""
    try:
        import minigrad
        _write({'type': 'session', 'minigrad': os.path.realpath(getattr(minigrad, '__file__', '') or '')})
    except BaseException as exc:   # noqa: B902 — the student's code may raise anything
        _write({'type': 'session', 'minigrad': None, 'import_error': _clip(describe_exception(exc))})


def pytest_configure(config):
    config.addinivalue_line('markers', 'points(n): points the test is worth (default 1)')


_state = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    file, name, param = _split(item)
    _write({'type': 'start', 'nodeid': item.nodeid, 'file': file, 'name': name})
    start = time.perf_counter()
    yield
    state = _state.pop(item.nodeid, {'outcome': 'passed', 'feedback': ''})
    _write({'type': 'item', 'nodeid': item.nodeid, 'file': file, 'name': name, 'param': param,
            'task': _task(item), 'points': _points(item), 'outcome': state['outcome'],
            'feedback': state['feedback'], 'duration': round(time.perf_counter() - start, 3)})


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    state = _state.setdefault(item.nodeid, {'outcome': 'passed', 'feedback': ''})
    if state['outcome'] != 'passed':
        return   # keep the first problem (a teardown error after a failure adds nothing)
    if report.failed:
        state['outcome'] = 'failed' if report.when == 'call' else 'error'
        try:
            text = feedback(item, call.excinfo) if call.excinfo else str(report.longrepr)
        except Exception as exc:  # never let the feedback writer break the run
            text = f"{type(exc).__name__} while describing the failure: {exc}"
        state['feedback'] = text if report.when == 'call' else f"error in test {report.when}: {text}"
    elif report.skipped:
        state['outcome'] = 'skipped'
        reason = getattr(report, 'wasxfail', None) or (report.longrepr[2] if isinstance(report.longrepr, tuple)
                                                         else str(report.longrepr))
        state['feedback'] = f"skipped: {reason} (graded tests must run)"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    use_alarm = TEST_TIMEOUT > 0 and hasattr(signal, 'setitimer') \
        and threading.current_thread() is threading.main_thread()
    if not use_alarm:
        yield
        return
    active = [True]

    def on_alarm(signum, frame):
        if active[0]:
            raise GraderTimeout(f"test exceeded {TEST_TIMEOUT:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, TEST_TIMEOUT)
    try:
        yield
    finally:
        active[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    report = outcome.get_result()
    if report.failed and getattr(collector, 'path', None) is not None:
        lines = [ln for ln in str(report.longrepr).splitlines() if ln.strip()]
        errors = [ln[1:].strip() for ln in lines if ln.startswith('E ')]
        _write({'type': 'collect_error', 'file': _relative(collector.path),
                'feedback': _clip('\n'.join(errors[-6:] or lines[-6:]))})
