"""Attacks on the grader, submitted as a student would: each is code appended to a task file of an
otherwise untouched student copy of assignment 1, so the honest score is 0.

For every attack, through the local flow (``grade --path SUBMISSION --reference TEACHER``) and,
for a few, the simulated Gradescope flow: the score stays 0, the teacher's tree is byte-identical
afterwards, no process of the submission is left, and the visible output holds no hidden check's
source.  The privilege separation needs root: without it these tests skip.
"""
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from minigrad.assign.grade import grade
from minigrad.assign.gradescope import write_autograder
from minigrad.assign.release import release
from minigrad.assign.report import format_table, gradescope, write_json
from minigrad.assign.sandbox import FIRST_UID, LAST_UID, free_uid, processes_of
from minigrad.assign.values import ChannelError, RecordReader, encode

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(os.name != 'posix' or os.geteuid() != 0,
                                reason="the grader's privilege separation needs root")


def _digest(tree):
    h = hashlib.sha256()
    for path in sorted(Path(tree).rglob('*')):
        if path.is_file() and '__pycache__' not in path.parts:
            h.update(path.relative_to(tree).as_posix().encode() + b'\0' + path.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope='module')
def teacher():
    """A teacher's repository in a world-readable place (as a real checkout is): solutions and hidden checks."""
    base = Path(tempfile.mkdtemp(prefix='teacher-'))
    base.chmod(0o755)
    release(ROOT, base / 'repo', solutions=True, hidden_tests=True, practice=False)
    for folder, _, files in os.walk(base):
        os.chmod(folder, 0o755)
        for f in files:
            os.chmod(os.path.join(folder, f), 0o644)
    yield base / 'repo'
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope='module')
def student(tmp_path_factory):
    out = tmp_path_factory.mktemp('integrity') / 'student'
    release(ROOT, out, assignments='1', practice=False)
    return out


def _submit(student, tmp_path, attack, rel='minigrad/ops/activation.py'):
    repo = tmp_path / 'submission'
    shutil.copytree(student, repo)
    with open(repo / rel, 'a', encoding='utf-8') as f:
        f.write('\n' + textwrap.dedent(attack))
    return repo


def _grade_and_check(teacher, repo, tmp_path, **options):
    """Grade as the teacher would; assert score 0, tree unchanged, nothing left running."""
    before, uid = _digest(teacher), free_uid()
    report = grade(repo, assignments='1', reference=teacher, user=uid, test_timeout=10, **options)
    results = tmp_path / 'results.json'
    write_json(report, results)
    written = results.read_bytes()
    time.sleep(1.5)                     # a detached process would act now
    assert report.max_score > 0 and report.score == 0, format_table(report)
    assert processes_of(uid) == [], "a process of the submission survived the grading"
    assert _digest(teacher) == before, "the teacher's tree changed"
    assert results.read_bytes() == written, "results.json changed after grading"
    assert len(written) < 200_000
    return report


TEACHER_PATH = '@TEACHER@'
ATTACKS = {
    # forge records on every writable descriptor (the grader's channel among them), then leave quietly
    'forged records on the channel': """
        import os, struct, json
        def _forge():
            for fd in range(3, 64):
                for i in range(40):
                    head = json.dumps({'type': 'values', 'index': i, 'points': 1e6, 'score': 1e6, 'arrays': []}).encode()
                    try:
                        os.write(fd, b'MGV1' + struct.pack('>I', len(head)) + head)
                    except OSError:
                        break
        _forge()
        """,
    # write into every results or job file the grader might read, then exit before any check runs
    'rewrite the grader files and exit': """
        import os, glob
        for pattern in ('/tmp/minigrad-grade-*/**', '/tmp/**/results*.json'):
            for path in glob.glob(pattern, recursive=True):
                try:
                    with open(path, 'a') as f:
                        f.write('{"score": 1000000}')
                except OSError:
                    pass
        os._exit(0)
        """,
    # read the reference solution from the teacher's tree and use it
    'exec the reference solution': """
        import os
        _src = os.path.join(@TEACHER@, 'minigrad', 'ops', 'activation.py')
        try:
            _ns = {}
            exec(compile(open(_src).read(), _src, 'exec'), _ns)
            ReLU.backward = _ns['ReLU'].backward
        except OSError as e:
            pass
        import sys
        sys.path.insert(0, @TEACHER@)
        """,
    # poison the teacher's tree: make every check of the next student vanish
    'poison the teacher tree': """
        import os
        for folder, _, files in os.walk(@TEACHER@):
            for name in files:
                path = os.path.join(folder, name)
                try:
                    text = open(path).read()
                    open(path, 'w').write(text.replace('def ', 'def _'))
                except (OSError, UnicodeDecodeError):
                    pass
        """,
    # a detached process that waits for the grader to finish, then rewrites results.json
    'setsid process rewrites results later': """
        import os, time, glob
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(1)
                for path in glob.glob('/tmp/**/results.json', recursive=True):
                    try:
                        open(path, 'w').write('{"score": 20, "max_score": 20}')
                    except OSError:
                        pass
                os._exit(0)
            os._exit(0)
        """,
    # replace the checks themselves: every check returns nothing / the inputs
    'rewrite the checks': """
        import sys, json, glob
        for path in glob.glob('/tmp/minigrad-grade-*/checks/**/*.py', recursive=True):
            try:
                open(path, 'w').write('')
            except OSError:
                pass
        import builtins
        _import = builtins.__import__
        def _spy(name, *a, **k):
            module = _import(name, *a, **k)
            if name == 'minigrad.assign.checks':
                module.graded = lambda *a, **k: (lambda fn: (lambda **kw: kw))
            return module
        builtins.__import__ = _spy
        """,
    # a 30 MB message, 64 MB of printing, and a hundred processes left behind
    'huge message, flood of output, many processes': """
        import os, sys
        for _ in range(100):
            if os.fork() == 0:
                import time; time.sleep(60); os._exit(0)
        sys.stdout.write('x' * (64 << 20))
        def _boom(*a, **k):
            raise ValueError('y' * (30 << 20))
        ReLU.backward = staticmethod(_boom)
        """,
}


@pytest.mark.parametrize('name', sorted(ATTACKS))
def test_attack_earns_nothing_and_changes_nothing(name, teacher, student, tmp_path):
    attack = ATTACKS[name].replace('@TEACHER@', repr(str(teacher)))
    repo = _submit(student, tmp_path, attack)
    _grade_and_check(teacher, repo, tmp_path)
    honest = grade(student, assignments='1', reference=teacher, test_timeout=10)
    assert honest.score == 0 and honest.max_score > 0 and len(honest.tests()) >= 10, \
        "an honest student's report after the attack lost its checks"


def test_a_submission_without_minigrad_cannot_borrow_another(teacher, student, tmp_path):
    """A minigrad/__init__.py that drops itself from sys.path to import an installed minigrad gets 0."""
    repo = _submit(student, tmp_path, """
        import sys as _sys
        _sys.path[:] = [p for p in _sys.path if 'minigrad-grade' not in p] + [@TEACHER@]
        for _name in [m for m in _sys.modules if m == 'minigrad' or m.startswith('minigrad.')]:
            del _sys.modules[_name]
        import minigrad as _other
        """.replace('@TEACHER@', repr(str(teacher))), rel='minigrad/__init__.py')
    _grade_and_check(teacher, repo, tmp_path)


def test_visible_output_never_holds_hidden_check_source(teacher, student, tmp_path):
    """Stubs that raise an error carrying the calling check's source: hidden checks' text stays hidden."""
    repo = _submit(student, tmp_path, """
        import inspect as _inspect
        from .. import function as _function
        def _leak(*a, **k):
            raise RuntimeError(''.join(open(f.filename).read() for f in _inspect.stack()
                                       if str(f.frame.f_globals.get('__name__')).startswith('_graded_')))
        Mul.backward = staticmethod(_leak)
        _function.unbroadcast = _leak
        """, rel='minigrad/ops/elementwise.py')
    report = _grade_and_check(teacher, repo, tmp_path)
    public = ''.join(p.read_text() for p in (teacher / 'tests/assignments/graded').glob('a1_*.py'))
    hidden_lines = {line.strip() for p in (teacher / 'tests/assignments/hidden').glob('a1_*.py')
                    for line in p.read_text().splitlines() if len(line.strip()) > 25 and line.strip() not in public}
    results = gradescope(report)
    visible = format_table(report, show_hidden=False) + results['output'] + ''.join(
        t['output'] for t in results['tests'] if 'visibility' not in t)
    assert not [line for line in hidden_lines if line in visible]
    assert any(line in t['output'] for t in results['tests'] if 'visibility' in t for line in hidden_lines), \
        "the attack should have put hidden source into the hidden entries (else this test proves nothing)"


def test_gradescope_flow_resists_attacks(teacher, student, tmp_path):
    """run_autograder as Gradescope runs it (paths moved into tmp_path): a solved task file earns full
    marks, a tampered gradcheck.py is ignored, an attacking submission earns 0 and leaves no process."""
    root = tmp_path / 'autograder'
    write_autograder(ROOT, root / 'source', '1')
    assert (root / 'source' / 'reference' / 'tests' / 'assignments' / 'hidden').is_dir()
    assert not (root / 'source' / 'student' / 'tests' / 'assignments' / 'hidden').exists()
    script = (root / 'source' / 'run_autograder').read_text().replace('/autograder', str(root))

    def run(files):
        shutil.rmtree(root / 'submission', ignore_errors=True)
        for rel, text in files.items():
            (root / 'submission' / 'repo' / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / 'submission' / 'repo' / rel).write_text(text)
        done = subprocess.run(['bash', '-c', script], capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        return json.loads((root / 'results' / 'results.json').read_text()), done.stdout

    solved = {rel: (teacher / rel).read_text() for rel in ('minigrad/ops/elementwise.py', 'minigrad/ops/matmul.py',
                                                           'minigrad/ops/reduce.py', 'minigrad/ops/activation.py',
                                                           'minigrad/function.py')}
    solved['minigrad/gradcheck.py'] = 'def gradcheck(*a, **k):\n    return True\n'
    results, _ = run(solved)
    assert results['score'] == results['max_score'] > 0 and results['execution_time'] > 0
    for name in ('exec the reference solution', 'forged records on the channel',
                 'setsid process rewrites results later'):
        attack = ATTACKS[name].replace('@TEACHER@', repr(str(root / 'source' / 'reference')))
        text = (student / 'minigrad/ops/activation.py').read_text() + textwrap.dedent(attack)
        results, stdout = run({'minigrad/ops/activation.py': text})
        written = (root / 'results' / 'results.json').read_bytes()
        time.sleep(1.5)
        assert results['score'] == 0 and results['max_score'] > 0, name
        assert (root / 'results' / 'results.json').read_bytes() == written, name
        assert 'broadcast_both_ways' not in stdout or '(hidden test)' in stdout
    left = processes_of(range(FIRST_UID, LAST_UID + 1))
    assert not left, "a submission's process outlived run_autograder"


# ------------------------------------------------------------------------ the wire format
def test_record_reader_refuses_what_breaks_the_protocol():
    ok = encode('values', {'a': [[1.0, 2.0]], 'b': None}, index=3)
    (header, arrays), = RecordReader().feed(ok)
    assert header == {'type': 'values', 'index': 3} and arrays['a'].shape == (1, 2) and arrays['b'] is None
    for bad in (b'XXXX' + ok[4:],
                b'MGV1' + (70_000).to_bytes(4, 'big'),
                b'MGV1' + (9).to_bytes(4, 'big') + b'not json!',
                encode('values', index=1).replace(b'"values"', b'"pickle"'),
                encode('values', {'a': [1.0]}).replace(b'<f8', b'|O8'),
                encode('values', {'a': [1.0]}).replace(b'[1]', b'[99999999999]')):
        with pytest.raises(ChannelError):
            RecordReader(max_bytes=1 << 20).feed(bad)
