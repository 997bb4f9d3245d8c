"""The autograder: run each assignment's graded tests in a subprocess and score them.

For assignment N the graded tests are ``tests/assignments/test_aN_*.py`` and,
when present, ``tests/assignments/hidden/test_aN_*.py``.  Each test function
carries its task (``@pytest.mark.aN_<what>``) and its worth
(``@pytest.mark.points(n)``, default 1).  A parametrized test is one graded
test whose points are shared evenly among its cases.

The list of tests and their points is read from the test files' syntax
(:mod:`ast`), not by importing them, so the maximum score is known even when
the student's code does not import.  The tests are copied to a temporary
folder and run with ``python -m pytest`` inside the graded repository (its
``minigrad`` is the one imported), one subprocess per assignment with a time
limit, and a per-test alarm; see :mod:`minigrad.assign.plugin` for how
results and feedback come back.  The graded repository is never written to.
"""
import ast
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import BY_NUMBER, TAG_RE, TASKS, parse_numbers
from .release import MANIFEST

PLUGIN_NAME = '_minigrad_grader_plugin'


class GradeError(RuntimeError):
    """Grading could not start (bad path or options) — never raised for a student's mistakes."""


@dataclass
class GradedTest:
    assignment: int
    file: str                # relative to the tests folder, e.g. 'assignments/test_a1_autograd.py'
    name: str                # 'test_mul_backward' or 'TestClass::test_x'
    task: str
    points: float
    doc: str = ''
    hidden: bool = False
    score: float = 0.0
    status: str = 'not run'  # passed | failed | partial | not run
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

    score = property(lambda self: sum(a.score for a in self.assignments))
    max_score = property(lambda self: sum(a.max_score for a in self.assignments))

    def tests(self):
        return [t for a in self.assignments for t in a.tests]


# ------------------------------------------------------------------ static scan
def _mark(node):
    """('name', args) for ``pytest.mark.name`` / ``pytest.mark.name(args)`` / ``mark.name``, else None."""
    args = []
    if isinstance(node, ast.Call):
        node, args = node.func, node.args
    if isinstance(node, ast.Attribute) and (
            isinstance(node.value, ast.Attribute) and node.value.attr == 'mark'
            or isinstance(node.value, ast.Name) and node.value.id == 'mark'):
        return node.attr, args
    return None


def _marks(nodes):
    found = [_mark(n) for n in nodes]
    return [m for m in found if m]


def _module_marks(tree):
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == 'pytestmark'
                                                for t in node.targets):
            value = node.value
            return _marks(value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value])
    return []


def _points(marks):
    for name, args in marks:
        if name == 'points' and args:
            try:
                return float(ast.literal_eval(args[0]))
            except (ValueError, TypeError, SyntaxError):
                return None
    return None


def scan_tests(path, rel, number):
    """The graded tests of one file, from its syntax: [GradedTest] with task and points."""
    hidden = rel.startswith('assignments/hidden/')
    try:
        tree = ast.parse(Path(path).read_text(encoding='utf-8'), filename=str(path))
    except (SyntaxError, UnicodeDecodeError) as exc:
        return [GradedTest(number, rel, '<file>', f'a{number}', 1.0, hidden=hidden,
                           feedback=f"the test file does not parse: {exc}")]
    module = _module_marks(tree)
    found = []

    def add(func, class_name, class_marks):
        layers = [_marks(func.decorator_list), class_marks, module]
        task = next((n for layer in layers for n, _ in layer if TAG_RE.match(n)), f'a{number}')
        points = next((p for layer in layers if (p := _points(layer)) is not None), 1.0)
        doc = (ast.get_docstring(func) or '').strip().splitlines()
        name = f'{class_name}::{func.name}' if class_name else func.name
        found.append(GradedTest(number, rel, name, task, points, doc[0] if doc else '', hidden))

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith('test'):
            add(node, None, [])
        elif isinstance(node, ast.ClassDef) and node.name.startswith('Test'):
            for sub in node.body:
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)) and sub.name.startswith('test'):
                    add(sub, node.name, _marks(node.decorator_list))
    return found


def graded_test_files(tests_root, number, hidden=True):
    """Relative paths (to ``tests_root``) of assignment ``number``'s graded test files."""
    root = Path(tests_root)
    pattern = f'test_a{number}_*.py'
    found = sorted(p.relative_to(root).as_posix() for p in (root / 'assignments').glob(pattern))
    if hidden:
        found += sorted(p.relative_to(root).as_posix() for p in (root / 'assignments' / 'hidden').glob(pattern))
    return found


# ------------------------------------------------------------------ running
def _tests_root(path, tests):
    root = Path(tests) if tests else Path(path) / 'tests'
    if (root / 'tests' / 'assignments').is_dir():
        root = root / 'tests'
    if not (root / 'assignments').is_dir():
        raise GradeError(f"grade: no graded tests in {root} (expected a folder {root / 'assignments'})")
    return root


def _prepare(tests_root, work, hidden):
    """Copy the tests (and the plugin and a pytest.ini) into ``work``; the graded tree stays untouched."""
    tests = work / 'tests'
    ignore = shutil.ignore_patterns('__pycache__', '*.pyc', *(() if hidden else ('hidden',)))
    shutil.copytree(tests_root / 'assignments', tests / 'assignments', ignore=ignore)
    if (tests_root / 'conftest.py').is_file():
        shutil.copyfile(tests_root / 'conftest.py', tests / 'conftest.py')
    plugin_dir = work / 'plugin'
    plugin_dir.mkdir()
    shutil.copyfile(Path(__file__).with_name('plugin.py'), plugin_dir / f'{PLUGIN_NAME}.py')
    markers = ''.join(f'    {tag}: assignment task {tag}\n' for tag in sorted(TASKS))
    (work / 'pytest.ini').write_text('[pytest]\naddopts =\nmarkers =\n    points(n): points of a graded test\n'
                                     + markers, encoding='utf-8')
    return plugin_dir


def _run_pytest(files, code, work, plugin_dir, results, timeout, test_timeout, python):
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join([str(plugin_dir), str(code)] +
                                        ([env['PYTHONPATH']] if env.get('PYTHONPATH') else []))
    env.update(PYTHONDONTWRITEBYTECODE='1', PYTEST_DISABLE_PLUGIN_AUTOLOAD='1',
               MINIGRAD_GRADER_RESULTS=str(results), MINIGRAD_GRADER_CODE=str(code),
               MINIGRAD_GRADER_TESTS=str(work / 'tests'),
               MINIGRAD_GRADER_TEST_TIMEOUT=str(test_timeout or 0))
    cmd = [python, '-m', 'pytest', '-c', str(work / 'pytest.ini'), '--rootdir', str(work),
           '-p', PLUGIN_NAME, '-p', 'no:cacheprovider', '--import-mode=importlib', '-q', '--tb=short',
           *[str(work / 'tests' / f) for f in files]]
    log = work / (results.stem + '.log')
    with open(log, 'wb') as out:
        proc = subprocess.Popen(cmd, cwd=code, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=(os.name == 'posix'))
        try:
            code_ = proc.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            if os.name == 'posix':
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
            proc.wait()
            code_, timed_out = None, True
    return code_, timed_out, log.read_text(encoding='utf-8', errors='replace')


def _read_records(path):
    records = []
    if path.exists():
        for line in path.read_text(encoding='utf-8', errors='replace').splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                pass   # a line cut short by a crash
    return records


def _merge(result, specs, records, rc, timed_out, log, timeout, code):
    session = next((r for r in records if r['type'] == 'session'), {})
    items, collect_errors = {}, {}
    for r in records:
        if r['type'] == 'item':
            items.setdefault((r['file'], r['name']), []).append(r)
        elif r['type'] == 'collect_error':
            collect_errors[r['file']] = r['feedback']
    finished = {r['nodeid'] for r in records if r['type'] == 'item'}
    running = [r for r in records if r['type'] == 'start' and r['nodeid'] not in finished]
    running = running[-1] if running else None
    if session.get('minigrad') and not session['minigrad'].startswith(str(Path(code).resolve()) + os.sep):
        result.note = f"warning: the tests imported minigrad from {session['minigrad']}, not from {code}"
    known = set()
    for spec in specs:
        key = (spec.file, spec.name)
        known.add(key)
        runs = items.get(key)
        if runs:
            passed = [r for r in runs if r['outcome'] == 'passed']
            spec.score = spec.points * len(passed) / len(runs)
            spec.status = 'passed' if len(passed) == len(runs) else 'partial' if passed else 'failed'
            bad = [r for r in runs if r['outcome'] != 'passed']
            spec.feedback = '\n'.join((f"[{r['param']}] " if r['param'] and len(runs) > 1 else '') + r['feedback']
                                      for r in bad) or 'passed'
            continue
        if spec.feedback:           # set by the scan (test file does not parse)
            continue
        if session.get('import_error'):
            spec.feedback = "minigrad does not import: " + session['import_error']
        elif spec.file in collect_errors:
            spec.feedback = "the test file could not be loaded: " + collect_errors[spec.file]
        elif running and (running.get('file'), running.get('name')) == key:
            spec.feedback = (f"timed out: assignment {spec.assignment}'s time limit ({timeout:g} s) ran out "
                             "during this test" if timed_out else
                             f"the test process died (exit code {rc}) during this test")
        elif timed_out:
            spec.feedback = f"not run: assignment {spec.assignment}'s time limit ({timeout:g} s) ran out first"
        elif running:
            spec.feedback = f"not run: the test process died (exit code {rc}) during {running.get('name')}"
        else:
            tail = '\n'.join(log.strip().splitlines()[-8:])
            spec.feedback = f"not run (pytest exit code {rc}):\n{tail}"
    result.tests = list(specs)
    for (file, name), runs in items.items():      # tests the scan could not see (generated ones)
        if (file, name) not in known:
            passed = sum(r['outcome'] == 'passed' for r in runs)
            t = GradedTest(result.number, file, name, runs[0]['task'] or f'a{result.number}', runs[0]['points'])
            t.score = t.points * passed / len(runs)
            t.status = 'passed' if passed == len(runs) else 'partial' if passed else 'failed'
            t.feedback = '\n'.join(r['feedback'] for r in runs if r['outcome'] != 'passed') or 'passed'
            result.tests.append(t)


def default_assignments(path, tests_root):
    """Released assignments (from the release manifest) or every assignment with graded tests."""
    manifest = Path(path) / MANIFEST
    if manifest.is_file():
        try:
            numbers = json.loads(manifest.read_text(encoding='utf-8')).get('assignments') or []
            if numbers:
                return tuple(n for n in numbers if n in BY_NUMBER)
        except ValueError:
            pass
    return tuple(n for n in sorted(BY_NUMBER) if graded_test_files(tests_root, n))


def grade(path='.', assignments=None, tests=None, hidden=True, timeout=300, test_timeout=60,
          python=None, keep=False):
    """Grade the repository at ``path``; returns a :class:`GradeReport`.

    ``assignments``: '1,2' / numbers / None (released ones, else all with tests);
    ``tests``: take the graded tests from another tree (a teacher's copy with
    hidden tests) instead of ``path``'s own; ``timeout``: seconds per
    assignment; ``test_timeout``: seconds per test (0 = none).
    """
    code = Path(path).resolve()
    if not (code / 'minigrad').is_dir():
        raise GradeError(f"grade: {code} has no minigrad/ folder; pass --path to the repository to grade")
    tests_root = _tests_root(code, tests).resolve()
    if assignments is None:
        numbers = default_assignments(code, tests_root)
    elif isinstance(assignments, str):
        numbers = parse_numbers(assignments)
    else:
        numbers = parse_numbers(','.join(map(str, assignments)))
    report = GradeReport(str(code))
    work = Path(tempfile.mkdtemp(prefix='minigrad-grade-'))
    try:
        plugin_dir = _prepare(tests_root, work, hidden)
        for n in numbers:
            result = AssignmentResult(n, BY_NUMBER[n].title)
            report.assignments.append(result)
            files = graded_test_files(work / 'tests', n, hidden)
            if not files:
                result.note = f"no graded tests for assignment {n} in {tests_root / 'assignments'}"
                continue
            specs = [s for f in files for s in scan_tests(work / 'tests' / f, f, n)]
            results = work / f'results_a{n}.jsonl'
            start = time.perf_counter()
            rc, timed_out, log = _run_pytest(files, code, work, plugin_dir, results, timeout, test_timeout,
                                             python or sys.executable)
            result.seconds = time.perf_counter() - start
            _merge(result, specs, _read_records(results), rc, timed_out, log, timeout, code)
            if result.note:
                report.warnings.append(result.note)
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    return report
