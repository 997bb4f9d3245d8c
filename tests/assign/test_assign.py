"""The assignment tooling end to end, on assignments 1 and 2: release a student copy,
grade it (0 points, "not implemented" everywhere), grade the reference (full marks),
plant bugs in a clean copy (exactly the tests that should catch them lose points,
with feedback naming the wrong gradient), and make sure the grader survives broken,
hanging and crashing code.

This folder is teacher-only: it quotes solution lines, so releases leave it out.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from minigrad.assign import catalog
from minigrad.assign.grade import grade
from minigrad.assign.release import MANIFEST, ReleaseError, find_blocks, list_files, release
from minigrad.assign.report import format_table, gradescope, write_json

ROOT = Path(__file__).resolve().parents[2]
SMALL = (1, 2)
SMALL_TASKS = {t.tag for n in SMALL for t in catalog.BY_NUMBER[n].tasks}


@pytest.fixture(scope='module')
def student(tmp_path_factory):
    out = tmp_path_factory.mktemp('release') / 'student'
    release(ROOT, out, assignments=SMALL, hidden_tests=False)
    return out


@pytest.fixture(scope='module')
def clean(tmp_path_factory):
    """A copy with every solution in place and the markers removed (hidden tests kept)."""
    out = tmp_path_factory.mktemp('release') / 'clean'
    release(ROOT, out, solutions=True)
    return out


def _copy(clean, tmp_path, name='copy'):
    target = tmp_path / name
    shutil.copytree(clean, target)
    return target


def _plant(repo, rel, old, new):
    path = repo / rel
    text = path.read_text(encoding='utf-8')
    assert text.count(old) == 1, f"the line to plant a bug in changed in {rel}: {old!r}"
    path.write_text(text.replace(old, new), encoding='utf-8')


def _by_name(report):
    return {t.name: t for t in report.tests()}


# ------------------------------------------------------------------------ release
def test_student_copy_is_stubbed_and_leaves_teacher_files_out(student):
    assert not (student / 'tests' / 'assign').exists(), "the tooling's tests quote solutions"
    assert not (student / 'tests' / 'assignments' / 'hidden').exists()
    assert (student / 'tests' / 'assignments' / 'test_a1_autograd.py').is_file()
    manifest = json.loads((student / MANIFEST).read_text())
    assert manifest['assignments'] == list(SMALL) and set(manifest['tasks']) == SMALL_TASKS
    assert manifest['tasks']['a2_conv_backward'] == ['minigrad/ops/reference.py']
    text = '\n'.join(p.read_text(encoding='utf-8') for p in (student / 'minigrad').rglob('*.py'))
    for tag in SMALL_TASKS:
        assert f'raise NotImplementedError("{tag}: ' in text
    assert find_blocks(student) == {}, "marker lines left in the student copy"


def test_student_copy_has_no_solution_text(student):
    """Every solution line that exists only inside a released block is gone from every file."""
    files = list_files(ROOT)
    blocks = find_blocks(ROOT, files)
    inside, outside = set(), set()
    for rel in files:
        try:
            lines = (ROOT / rel).read_text(encoding='utf-8').splitlines()
        except UnicodeDecodeError:
            continue
        covered = set()
        for b in blocks.get(rel, []):
            if b.assignment in SMALL:
                covered.update(range(b.begin, b.end + 1))
                inside.update(line.strip() for line in b.code_lines(lines))
        outside.update(line.strip() for i, line in enumerate(lines, 1) if i not in covered)
    secret = {line for line in inside - outside if line and not line.startswith('#')}
    assert 'dxpad = xp.zeros_like(xpad)' in secret and len(secret) >= 15, "the check would prove nothing"
    for path in student.rglob('*'):
        if path.is_file():
            try:
                released = {line.strip() for line in path.read_text(encoding='utf-8').splitlines()}
            except UnicodeDecodeError:
                continue
            leaked = released & secret
            assert not leaked, f"{path.relative_to(student)} contains solution lines {sorted(leaked)[:3]}"


def test_release_is_deterministic(student, tmp_path):
    again = tmp_path / 'again'
    release(ROOT, again, assignments=SMALL, hidden_tests=False)
    first = sorted(p.relative_to(student).as_posix() for p in student.rglob('*') if p.is_file())
    second = sorted(p.relative_to(again).as_posix() for p in again.rglob('*') if p.is_file())
    assert first == second
    for rel in first:
        assert (student / rel).read_bytes() == (again / rel).read_bytes(), rel


def test_release_refuses_unsafe_output(tmp_path):
    with pytest.raises(ReleaseError, match='source tree'):
        release(ROOT, ROOT, assignments=SMALL)
    busy = tmp_path / 'busy'
    busy.mkdir()
    (busy / 'notes.txt').write_text('mine')
    with pytest.raises(ReleaseError, match='not empty'):
        release(ROOT, busy, assignments=SMALL)
    with pytest.raises(ValueError, match='no assignment'):
        release(ROOT, tmp_path / 'x', assignments=[99])


def test_student_copy_imports_and_untouched_code_runs(student):
    """The stubs sit inside functions: everything imports, forward passes work, stubs raise."""
    code = (
        "import numpy as np, minigrad as mg, minigrad.functional as F\n"
        "from minigrad.ops import reference as R\n"
        "x = mg.tensor(np.ones((1, 1, 4, 4), dtype=np.float32))\n"
        "w = mg.tensor(np.ones((2, 1, 3, 3), dtype=np.float32))\n"
        "assert F.conv2d(x, w, padding=1).shape == (1, 2, 4, 4)\n"
        "assert float(((x * 2).relu() @ x).sum().item()) == 128.0\n"
        "try:\n"
        "    R.conv2d_forward(x.data, w.data)\n"
        "except NotImplementedError as e:\n"
        "    assert str(e).startswith('a2_conv_forward: '), e\n"
        "else:\n"
        "    raise SystemExit('the stub did not raise')\n"
        "print('ok')\n")
    env = dict(os.environ, PYTHONPATH=str(student), PYTHONDONTWRITEBYTECODE='1')
    done = subprocess.run([sys.executable, '-c', code], cwd=student, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and 'ok' in done.stdout, done.stderr


# ------------------------------------------------------------------------ grade
def test_grading_the_student_copy_gives_zero_and_not_implemented(student):
    report = grade(student, test_timeout=30)           # the manifest says which assignments
    assert [a.number for a in report.assignments] == list(SMALL)
    assert report.max_score >= 20 and report.score == 0
    seen = set()
    for t in report.tests():
        assert t.feedback.startswith('not implemented: '), (t.name, t.feedback)
        stub = t.feedback.split()[2]
        seen.add(stub)
        # the first stub a test reaches may be another task's (a forward before a backward)
        assert stub == t.task or f'(this test checks {t.task} and needs {stub} too)' in t.feedback
    assert {t.task for t in report.tests()} == SMALL_TASKS
    assert seen <= SMALL_TASKS and 'a2_conv_forward' in seen
    table = format_table(report)
    assert 'Total  0/' in table and 'not implemented: a1_relu_backward' in table


def test_grading_the_reference_gives_full_marks(tmp_path):
    report = grade(ROOT, assignments=SMALL, test_timeout=60)
    assert report.score == report.max_score > 0, format_table(report)
    assert all(t.status == 'passed' for t in report.tests())
    hidden = [t for t in report.tests() if t.hidden]
    assert hidden, "the reference run includes the hidden tests"
    results = gradescope(report)
    assert results['score'] == results['max_score'] == report.max_score
    assert sum(t['max_score'] for t in results['tests']) == report.max_score
    assert sum('visibility' in t for t in results['tests']) == len(hidden)
    write_json(report, tmp_path / 'results.json')
    assert json.loads((tmp_path / 'results.json').read_text()) == results


def test_planted_conv_backward_bug_loses_exactly_the_weight_tests(clean, tmp_path):
    repo = _copy(clean, tmp_path)
    _plant(repo, 'minigrad/ops/reference.py', 'dweight[outs, :, i, j] += g_pixel.T @ xpad[:, ins, r, q]',
           'dweight[outs, :, i, j] += g_pixel.T @ xpad[:, ins, r, q - 1]')   # off by one column
    report = grade(repo, assignments='2')
    tests = _by_name(report)
    failed = {name for name, t in tests.items() if t.status != 'passed'}
    assert failed == {'test_conv_backward_weight', 'test_conv_backward_groups',
                      'test_conv_backward_stride_beyond_kernel'}, format_table(report)
    lost = report.max_score - report.score
    assert lost == sum(tests[n].points for n in failed) == 4
    assert tests['test_conv_backward_weight'].feedback.startswith('wrong gradient: input 1 at index (')
    assert 'analytic' in tests['test_conv_backward_weight'].feedback
    assert 'relative error' in tests['test_conv_backward_weight'].feedback
    assert 'in the test (line' in tests['test_conv_backward_weight'].feedback


def test_planted_broadcast_bug_loses_exactly_the_broadcasting_tests(clean, tmp_path):
    repo = _copy(clean, tmp_path)
    _plant(repo, 'minigrad/function.py', 'grad = grad.sum(axis=tuple(range(extra)))',
           'grad = grad[(0,) * extra]')   # keeps one copy instead of summing over prepended axes
    report = grade(repo, assignments='1')
    tests = _by_name(report)
    failed = {name for name, t in tests.items() if t.status != 'passed'}
    assert failed == {'test_unbroadcast_shapes', 'test_broadcast_add_backward',
                      'test_broadcast_matmul_backward'}, format_table(report)
    assert report.max_score - report.score == 4
    assert tests['test_broadcast_add_backward'].feedback.startswith('wrong gradient: input 1 at index (')
    assert tests['test_broadcast_matmul_backward'].feedback.startswith('wrong gradient: input 1 at index (')


def test_grader_survives_a_syntax_error(clean, tmp_path):
    broken = _copy(clean, tmp_path, 'syntax')
    _plant(broken, 'minigrad/ops/reference.py', 'def conv2d_backward(', 'def conv2d_backward(:')
    report = grade(broken, assignments='1,2')
    a1, a2 = report.assignments
    assert a1.score == a1.max_score                  # assignment 1 does not need reference.py
    assert a2.score == 0 and all('SyntaxError' in t.feedback for t in a2.tests), format_table(report)


def test_grader_times_out_an_infinite_loop(clean, tmp_path):
    hang = _copy(clean, tmp_path, 'hang')
    _plant(hang, 'minigrad/ops/reference.py', '    ho, wo = grad.shape[2:]\n',
           '    ho, wo = grad.shape[2:]\n    while True:\n        pass\n')
    report = grade(hang, assignments='2', test_timeout=0.5)
    tests = _by_name(report)
    assert tests['test_conv_forward_values'].status == 'passed'
    assert tests['test_conv_backward_input'].feedback.startswith('timed out after 0.5 s')
    assert report.score == sum(t.points for t in report.tests() if 'forward' in t.name)

    report = grade(hang, assignments='2', test_timeout=0, timeout=5)   # only the assignment's limit
    tests = _by_name(report)
    assert tests['test_conv_forward_values'].status == 'passed'
    assert "time limit (5 s) ran out during this test" in tests['test_conv_backward_input'].feedback
    assert tests['test_conv_backward_weight'].feedback.startswith('not run: ')


def test_grader_survives_a_crashing_test_process(clean, tmp_path):
    crash = _copy(clean, tmp_path, 'crash')
    _plant(crash, 'minigrad/ops/reference.py', '    ho, wo = grad.shape[2:]\n',
           '    ho, wo = grad.shape[2:]\n    import os; os._exit(3)\n')
    report = grade(crash, assignments='2')
    tests = _by_name(report)
    assert 'died (exit code 3) during this test' in tests['test_conv_backward_input'].feedback
    assert tests['test_conv_forward_values'].status == 'passed'


# ------------------------------------------------------------------------ consistency
def test_catalog_markers_tests_and_handouts_agree():
    """Every task has a solution block, graded tests and a handout; every tag used is in the catalog."""
    from minigrad.assign.grade import graded_test_files, scan_tests
    blocks = find_blocks(ROOT)
    marked = {b.tag for bs in blocks.values() for b in bs}
    assert marked <= set(catalog.TASKS), f"tags missing from the catalog: {marked - set(catalog.TASKS)}"
    tests_root = ROOT / 'tests'
    for a in catalog.ASSIGNMENTS:
        assert (ROOT / a.handout).is_file(), f"missing handout {a.handout}"
        specs = [s for f in graded_test_files(tests_root, a.number) for s in scan_tests(tests_root / f, f, a.number)]
        for t in a.tasks:
            assert t.tag in marked, f"task {t.tag} has no solution block"
            assert any(s.task == t.tag for s in specs), f"task {t.tag} has no graded test"
        assert all(s.task in catalog.TASKS for s in specs), [s.name for s in specs if s.task not in catalog.TASKS]


def test_gradescope_autograder_grades_only_the_task_files(clean, tmp_path):
    """The autograder folder, run as Gradescope would (paths moved into tmp_path): a submission's
    solved task file earns full marks, and its tampered gradcheck.py is ignored."""
    from minigrad.assign.gradescope import write_autograder
    root = tmp_path / 'autograder'
    write_autograder(ROOT, root / 'source', '2')
    assert (root / 'source' / 'tests' / 'assignments' / 'hidden').is_dir()
    assert not (root / 'source' / 'student' / 'tests' / 'assignments' / 'hidden').exists()
    upload = root / 'submission' / 'my-repo' / 'minigrad'
    (upload / 'ops').mkdir(parents=True)
    shutil.copyfile(clean / 'minigrad' / 'ops' / 'reference.py', upload / 'ops' / 'reference.py')
    (upload / 'gradcheck.py').write_text('def gradcheck(*a, **k):\n    return True\n')
    script = (root / 'source' / 'run_autograder').read_text().replace('/autograder', str(root))
    done = subprocess.run(['bash', '-c', script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / 'results' / 'results.json').read_text())
    assert results['score'] == results['max_score'] == 12, done.stdout
    assert 'def gradcheck(*a' not in (root / 'work' / 'minigrad' / 'gradcheck.py').read_text()
