"""The assignment tooling end to end: release a student copy, grade it (0 points, "not
implemented: <task> in <function>" everywhere), grade the reference (full marks), plant
realistic bugs in a clean copy (each loses exactly the points of the function that has it),
and make sure the grader survives broken, hanging and crashing code.

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
from minigrad.assign.checks import list_checks
from minigrad.assign.grade import grade
from minigrad.assign.release import MANIFEST, STUDENT_README, ReleaseError, find_blocks, list_files, release
from minigrad.assign.report import format_table, gradescope, write_json

ROOT = Path(__file__).resolve().parents[2]
SMALL = (1, 2)
SMALL_TASKS = {t.tag for n in SMALL for t in catalog.BY_NUMBER[n].tasks}


@pytest.fixture(scope='module')
def student(tmp_path_factory):
    out = tmp_path_factory.mktemp('release') / 'student'
    release(ROOT, out, assignments=SMALL)
    return out


@pytest.fixture(scope='module')
def clean(tmp_path_factory):
    """A copy with every solution in place and the markers removed."""
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
    assert not (student / 'tests' / 'assignments' / 'hidden').exists(), "hidden checks are out by default"
    assert (student / 'tests' / 'assignments' / 'graded' / 'a1_autograd.py').is_file()
    assert (student / 'tests' / 'assignments' / 'graded' / 'practice' / 'a2.bin').is_file()
    readme = (student / STUDENT_README).read_text()
    assert 'pip install numpy pytest' in readme and 'python -m pytest tests/assignments/test_a1_autograd.py' in readme
    assert 'python -m minigrad.assign grade --assignments 1' in readme
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
    release(ROOT, again, assignments=SMALL)
    first = sorted(p.relative_to(student).as_posix() for p in student.rglob('*') if p.is_file())
    second = sorted(p.relative_to(again).as_posix() for p in again.rglob('*') if p.is_file())
    assert first == second
    for rel in first:
        assert (student / rel).read_bytes() == (again / rel).read_bytes(), rel


def test_release_refuses_unsafe_output(tmp_path):
    with pytest.raises(ReleaseError, match='source tree'):
        release(ROOT, ROOT, assignments=SMALL)
    with pytest.raises(ReleaseError, match='inside the source tree'):
        release(ROOT, ROOT / 'out' / 'student', assignments=SMALL)
    busy = tmp_path / 'busy'
    busy.mkdir()
    (busy / 'notes.txt').write_text('mine')
    with pytest.raises(ReleaseError, match='not empty'):
        release(ROOT, busy, assignments=SMALL)
    with pytest.raises(ValueError, match='no assignment'):
        release(ROOT, tmp_path / 'x', assignments=[99])
    assert not (ROOT / 'out' / 'student').exists()


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
        "    R.conv2d_forward(x.array, w.array)\n"
        "except NotImplementedError as e:\n"
        "    assert str(e).startswith('a2_conv_forward: '), e\n"
        "else:\n"
        "    raise SystemExit('the stub did not raise')\n"
        "print('ok')\n")
    env = dict(os.environ, PYTHONPATH=str(student), PYTHONDONTWRITEBYTECODE='1')
    done = subprocess.run([sys.executable, '-c', code], cwd=student, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and 'ok' in done.stdout, done.stderr


def test_student_copy_leaves_out_the_tuned_twins_that_solve_its_tasks(tmp_path):
    """Assignment 3 asks for the GEMMs of the convolution: the CPU-tuned twin (ops/fast/conv.py)
    computes them outside any solution block, so a copy of assignment 3 leaves it out and the
    convolution runs the student's plain kernels (stubs until solved), fast kernels on or off."""
    out = tmp_path / 'a3'
    release(ROOT, out, assignments=[3], practice=False)
    assert catalog.BY_NUMBER[3].solved_elsewhere
    for rel in catalog.BY_NUMBER[3].solved_elsewhere:
        assert (ROOT / rel).is_file() and not (out / rel).exists(), rel
    assert (out / 'minigrad' / 'ops' / 'fast' / 'pool.py').is_file()    # not an answer to assignment 3
    code = ("import numpy as np, minigrad as mg, minigrad.functional as F\n"
            "x, w = mg.ones(1, 1, 4, 4), mg.ones(2, 1, 3, 3)\n"
            "assert mg.backend.fast_kernels_for(np)\n"
            "try:\n"
            "    F.conv2d(x, w)\n"
            "except NotImplementedError as e:\n"
            "    print(str(e).split(':')[0])\n"
            "p = mg.ones(3, requires_grad=True)\n"
            "opt = mg.optim.Adam([p], lr=0.5)\n"
            "p.sum().backward()\n"
            "opt.step()\n"                                    # the fast Adam needs fast/columns: plain runs
            "assert np.allclose(p.numpy(), 0.5), p\n")
    env = dict(os.environ, PYTHONPATH=str(out), PYTHONDONTWRITEBYTECODE='1', MINIGRAD_FAST='1')
    done = subprocess.run([sys.executable, '-c', code], cwd=out, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.strip() in ('a3_im2col', 'a3_conv_gemm'), done.stderr


# ------------------------------------------------------------------------ grade
def test_grading_the_student_copy_gives_zero_and_names_the_function(student):
    report = grade(student, reference=ROOT, test_timeout=30)    # the manifest says which assignments
    assert [a.number for a in report.assignments] == list(SMALL)
    assert report.max_score >= 20 and report.score == 0
    for t in report.tests():
        assert t.feedback.startswith(f'not implemented: {t.task} in '), (t.name, t.feedback)
    assert {t.task for t in report.tests()} == SMALL_TASKS
    feedback = {t.name: t.feedback for t in report.tests()}
    assert feedback['conv_backward_input'].startswith(
        'not implemented: a2_conv_backward in conv2d_backward (minigrad/ops/reference.py:')
    assert 'in Mul.backward (minigrad/ops/elementwise.py:' in feedback['mul_backward']
    assert 'Total  0/' in format_table(report)


def test_practice_grade_in_the_student_copy(student, clean, tmp_path):
    """In a student copy the grader compares with the shipped practice values: 0 untouched, full when solved."""
    report = grade(student, reference=student, test_timeout=30)
    assert report.practice and report.score == 0 and report.max_score > 0
    solved = _copy(student, tmp_path, 'solved')
    for rel in ('minigrad/ops/reference.py', 'minigrad/ops/elementwise.py', 'minigrad/ops/matmul.py',
                'minigrad/ops/reduce.py', 'minigrad/ops/activation.py', 'minigrad/function.py'):
        shutil.copyfile(clean / rel, solved / rel)
    report = grade(solved, reference=student, test_timeout=30)
    assert report.score == report.max_score > 0, format_table(report)


def test_grading_the_reference_gives_full_marks(tmp_path):
    report = grade(ROOT, test_timeout=60)
    assert [a.number for a in report.assignments] == [a.number for a in catalog.ASSIGNMENTS]
    assert report.score == report.max_score > 0, format_table(report)
    assert all(t.status == 'passed' for t in report.tests())
    hidden = [t for t in report.tests() if t.hidden]
    assert hidden, "the reference run includes the hidden checks"
    results = gradescope(report)
    assert results['score'] == results['max_score'] == report.max_score
    assert results['execution_time'] > 0
    assert sum(t['max_score'] for t in results['tests']) == report.max_score
    assert sum('visibility' in t for t in results['tests']) == len(hidden)
    write_json(report, tmp_path / 'results.json')
    assert json.loads((tmp_path / 'results.json').read_text()) == results


# Realistic mistakes, each in one function: (assignments, file, correct line, wrong line, its task).
PLANTED = {
    'flipped kernel': ('2', 'minigrad/ops/reference.py',
                       'y[:, outs, oh, ow] += pixel @ weight[outs, :, i, j].T',
                       'y[:, outs, oh, ow] += pixel @ weight[outs, :, kh - 1 - i, kw - 1 - j].T', 'a2_conv_forward'),
    'off-by-one column': ('2', 'minigrad/ops/reference.py',
                          'dweight[outs, :, i, j] += g_pixel.T @ xpad[:, ins, r, q]',
                          'dweight[outs, :, i, j] += g_pixel.T @ xpad[:, ins, r, q - 1]', 'a2_conv_backward'),
    '= instead of += in col2im': ('3', 'minigrad/ops/im2col.py', 'out[:, :, rows, cols] += dcols[:, i, j]',
                                  'out[:, :, rows, cols] = dcols[:, i, j]', 'a3_col2im'),
    'transposed weight gradient': ('3', 'minigrad/ops/conv.py',
                                   'return xp.matmul(g_mat, cols.transpose(0, 2, 1))',
                                   'return xp.matmul(cols, g_mat.transpose(0, 2, 1))', 'a3_conv_gemm'),
    'wrong unpool index': ('4', 'minigrad/ops/reference_pool.py', 'dx[b, ch, i, j] = flat[b, ch, idx[b, ch, i, j]]',
                           'dx[b, ch, i, j] = flat[b, ch, idx[b, ch, i, j] - 1]', 'a4_max_unpool_backward'),
    'ignored output_padding': ('4', 'minigrad/ops/reference.py', 'y = yfull[:, :, ph:hf - ph, pw:wf - pw]',
                               'y = yfull[:, :, ph:hf - ph - opad[0], pw:wf - pw - opad[1]]', 'a4_conv_transpose'),
    'unbroadcast keeps one copy': ('1', 'minigrad/function.py', 'grad = grad.sum(axis=tuple(range(extra)))',
                                   'grad = grad[(0,) * extra]', 'a1_unbroadcast'),
}


@pytest.mark.parametrize('bug', sorted(PLANTED))
def test_planted_bug_loses_only_its_functions_points(bug, clean, tmp_path):
    numbers, rel, good, bad, task = PLANTED[bug]
    repo = _copy(clean, tmp_path)
    _plant(repo, rel, good, bad)
    report = grade(repo, assignments=numbers, reference=ROOT, test_timeout=60)
    failed = [t for t in report.tests() if t.status != 'passed']
    assert failed, f"{bug}: no check noticed"
    assert {t.task for t in failed} == {task}, format_table(report)
    assert report.max_score - report.score == sum(t.points for t in failed)
    for t in failed:     # the feedback names the output, and where and how it differs
        assert ' elements differ; the worst at index (' in t.feedback or ': shape (' in t.feedback, t.feedback


def test_grader_survives_a_syntax_error(clean, tmp_path):
    broken = _copy(clean, tmp_path, 'syntax')
    _plant(broken, 'minigrad/ops/reference.py', 'def conv2d_backward(', 'def conv2d_backward(:')
    report = grade(broken, assignments='2', reference=ROOT)
    assert report.score == 0
    for t in report.tests():
        assert t.feedback.startswith('SyntaxError: invalid syntax (minigrad/ops/reference.py, line '), t.feedback
        assert 'def conv2d_backward(:' in t.feedback


def test_grader_times_out_an_infinite_loop(clean, tmp_path):
    hang = _copy(clean, tmp_path, 'hang')
    _plant(hang, 'minigrad/ops/reference.py', '    ho, wo = grad.shape[2:]\n',
           '    ho, wo = grad.shape[2:]\n    while True:\n        pass\n')
    report = grade(hang, assignments='2', reference=ROOT, test_timeout=0.5)
    tests = _by_name(report)
    assert tests['conv_forward_stride_padding'].status == 'passed'
    assert tests['conv_backward_input'].feedback.startswith('timed out after 0.5 s')
    assert report.score == sum(t.points for t in report.tests() if t.task == 'a2_conv_forward')

    report = grade(hang, assignments='2', reference=ROOT, test_timeout=0, timeout=4)   # the assignment's limit
    tests = _by_name(report)
    assert tests['conv_forward_stride_padding'].status == 'passed'
    assert "time limit (4 s) ran out during this test" in tests['conv_backward_input'].feedback
    assert tests['conv_backward_weight'].feedback.startswith('not run: ')


def test_grader_survives_a_crashing_test_process(clean, tmp_path):
    crash = _copy(clean, tmp_path, 'crash')
    _plant(crash, 'minigrad/ops/reference.py', '    ho, wo = grad.shape[2:]\n',
           '    ho, wo = grad.shape[2:]\n    import os; os._exit(3)\n')
    report = grade(crash, assignments='2', reference=ROOT)
    tests = _by_name(report)
    assert 'died (exit code 3) during this test' in tests['conv_backward_input'].feedback
    assert tests['conv_forward_stride_padding'].status == 'passed'
    assert report.score == sum(t.points for t in report.tests() if t.task == 'a2_conv_forward')


# ------------------------------------------------------------------------ consistency
def test_catalog_markers_checks_and_handouts_agree():
    """Every task has a solution block, graded checks and a handout; every tag used is in the catalog."""
    blocks = find_blocks(ROOT)
    marked = {b.tag for bs in blocks.values() for b in bs}
    assert marked <= set(catalog.TASKS), f"tags missing from the catalog: {marked - set(catalog.TASKS)}"
    for a in catalog.ASSIGNMENTS:
        assert (ROOT / a.handout).is_file(), f"missing handout {a.handout}"
        specs = list_checks(ROOT / 'tests' / 'assignments', a.number)
        assert not [s.problem for s in specs if s.problem]
        for t in a.tasks:
            assert t.tag in marked, f"task {t.tag} has no solution block"
            assert any(s.task == t.tag for s in specs), f"task {t.tag} has no graded check"
        assert all(set(s.needs) <= set(catalog.TASKS) for s in specs)
