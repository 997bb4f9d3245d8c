"""Write the student copy of the repository.

``release(source, out, assignments)`` copies the files of ``source`` (what git
tracks plus untracked files git does not ignore; without git, the tree minus
caches, ``.git``, ``out/``, build folders and virtual environments) to ``out``
and turns every solution block of the chosen assignments into a stub (see
:mod:`minigrad.assign.markers`).  Blocks of other assignments keep their code;
every marker line disappears.

Never released: the tests of this tooling (``tests/assign/``: they quote
solution lines to plant bugs) and, unless ``hidden_tests=True``, the hidden
graded checks in ``tests/assignments/hidden/``, and the files that solve a
released assignment's tasks outside its solution blocks (``solved_elsewhere`` in
the catalog: the CPU-tuned twins of the kernels the students write; without
them :func:`minigrad.ops.kernels.kernels_for` runs the plain kernels).  A copy with stubs also gets
``STUDENT_README.md`` (install, test, grade) and, in
``tests/assignments/graded/practice/``, the reference's outputs of the visible
checks on fixed inputs, so a student can run the grader on their own copy.

The output is a pure function of the input files and the options: files are
visited in sorted order, written byte for byte, and a manifest
``.minigrad-release.json`` records the options, the stubbed tasks and the files
that hold them (for the grader and for Gradescope).
"""
import json
import os
import shutil
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import BY_NUMBER, TASKS, parse_numbers
from .markers import MarkerError, might_have_markers, parse_blocks, transform

MANIFEST = '.minigrad-release.json'
HIDDEN_DIR = 'tests/assignments/hidden'
PRACTICE_DIR = 'tests/assignments/graded/practice'
STUDENT_README = 'STUDENT_README.md'
TEACHER_ONLY = ('tests/assign',)
_SKIP_DIRS = {'.git', '__pycache__', '.pytest_cache', '.hypothesis', '.mypy_cache', '.ruff_cache',
              '.ipynb_checkpoints', 'venv', '.venv', '.ci-venv', 'env', '.tox', '.nox'}
_SKIP_TOP = {'out', 'build', 'dist'}
_SKIP_SUFFIX = ('.pyc', '.pyo', '.egg-info')


class ReleaseError(RuntimeError):
    """The release was refused (bad options, unsafe output folder, malformed markers)."""


@dataclass
class ReleaseReport:
    out: Path
    assignments: tuple
    files: list = field(default_factory=list)        # relative paths written
    stubbed: dict = field(default_factory=dict)      # tag -> [relative files]
    kept: dict = field(default_factory=dict)         # tag -> [relative files]


def _skipped(rel):
    parts = rel.split('/')
    if parts[0] in _SKIP_TOP or any(p in _SKIP_DIRS or p.endswith(_SKIP_SUFFIX) for p in parts):
        return True
    return rel == MANIFEST or any(rel == t or rel.startswith(t + '/') for t in TEACHER_ONLY)


def list_files(root):
    """Sorted relative paths (with '/') of the files a release starts from."""
    root = Path(root)
    names = None
    if (root / '.git').exists():
        try:
            listing = subprocess.run(['git', '-C', str(root), 'ls-files', '-z', '--cached', '--others',
                                      '--exclude-standard'], capture_output=True, check=True, timeout=60)
            names = [n for n in listing.stdout.decode('utf-8', 'surrogateescape').split('\0') if n]
        except (OSError, subprocess.SubprocessError):
            names = None
    if names is None:
        names = []
        for folder, dirs, files in os.walk(root):
            rel_dir = Path(folder).relative_to(root).as_posix()
            dirs[:] = [d for d in dirs if not (root / folder / d / 'pyvenv.cfg').exists()]
            names.extend(f if rel_dir == '.' else f'{rel_dir}/{f}' for f in files)
    keep = set()
    for rel in names:
        path = root / rel
        if not _skipped(rel) and path.is_file():
            keep.add(rel)
    return sorted(keep)


def find_blocks(root, files=None):
    """{relative path: [Block]} for every Python file with solution markers."""
    found = {}
    for rel in files if files is not None else list_files(root):
        if not rel.endswith('.py'):
            continue
        text = (Path(root) / rel).read_text(encoding='utf-8', errors='surrogateescape')
        if might_have_markers(text):
            blocks = parse_blocks(text, rel)
            if blocks:
                found[rel] = blocks
    return found


def _check_out(source, out, force):
    source, out = source.resolve(), out.resolve()
    if out == source or out in source.parents or source in out.parents:
        raise ReleaseError(f"release: the output folder {out} is, contains or lies inside the source tree "
                           f"{source}; pick a folder outside it")
    if out.exists() and not out.is_dir():
        raise ReleaseError(f"release: {out} exists and is not a folder")
    if out.exists() and any(out.iterdir()):
        if not force:
            raise ReleaseError(f"release: {out} is not empty; pass --force to write into it")
        if (out / MANIFEST).exists():   # a previous release: ours to replace
            shutil.rmtree(out)


def release(source, out, assignments=None, hidden_tests=False, force=False, solutions=False, practice=True):
    """Write the student copy of ``source`` into ``out``; returns a :class:`ReleaseReport`.

    ``assignments``: numbers (or a string like '1,2'); None = every assignment
    with solution blocks.  ``solutions=True`` stubs nothing (a clean copy with
    the markers removed, e.g. to plant bugs in).  ``hidden_tests=True`` keeps
    tests/assignments/hidden/ (for the teacher's own copies only);
    ``practice=False`` skips the practice values (they run the reference).
    """
    source, out = Path(source), Path(out)
    if not (source / 'minigrad').is_dir():
        raise ReleaseError(f"release: {source} does not look like a minigrad repository (no minigrad/ folder)")
    files = [f for f in list_files(source) if not f.startswith(PRACTICE_DIR + '/')]
    if not hidden_tests:
        files = [f for f in files if not f.startswith(HIDDEN_DIR + '/')]
    try:
        blocks = find_blocks(source, files)
    except MarkerError as exc:
        raise ReleaseError(f"release: {exc}") from None
    present = {b.assignment for bs in blocks.values() for b in bs}
    for rel, bs in blocks.items():
        for b in bs:
            if b.tag not in TASKS:
                raise ReleaseError(f"release: {rel}:{b.begin}: task {b.tag} is not in minigrad/assign/catalog.py")
    if isinstance(assignments, str) or assignments is None:
        chosen = parse_numbers(assignments) if assignments is not None else tuple(sorted(present))
    else:
        chosen = parse_numbers(','.join(str(a) for a in assignments))
    if solutions:
        chosen = ()
    missing = [n for n in chosen if n not in present]
    if missing and assignments is not None:
        raise ReleaseError(f"release: assignment(s) {missing} have no solution blocks in {source}; "
                           "nothing to hand out")
    _check_out(source, out, force)
    answers = {f for n in chosen for f in BY_NUMBER[n].solved_elsewhere}
    files = [f for f in files if f not in answers]
    report = ReleaseReport(out=out, assignments=tuple(chosen))
    stub = lambda b: b.assignment in chosen  # noqa: E731
    for rel in files:
        src, dst = source / rel, out / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if rel in blocks:
            text = src.read_bytes().decode('utf-8', 'surrogateescape')
            try:
                new = transform(text, blocks[rel], stub, lambda tag: TASKS[tag].todo, rel)
            except MarkerError as exc:
                raise ReleaseError(f"release: {exc}") from None
            dst.write_bytes(new.encode('utf-8', 'surrogateescape'))
            for b in blocks[rel]:
                target = report.stubbed if stub(b) else report.kept
                target.setdefault(b.tag, [])
                if rel not in target[b.tag]:
                    target[b.tag].append(rel)
        else:
            shutil.copyfile(src, dst)
        mode = src.stat().st_mode
        if mode & stat.S_IXUSR:
            dst.chmod(dst.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        report.files.append(rel)
    if chosen and not solutions:
        (out / STUDENT_README).write_text(student_readme(chosen), encoding='utf-8')
        report.files.append(STUDENT_README)
        if practice:
            from .grade import practice_values
            practice_values(source, out / PRACTICE_DIR, chosen)
            report.files += sorted(p.relative_to(out).as_posix() for p in (out / PRACTICE_DIR).glob('*.bin'))
    manifest = {
        'format': 1,
        'assignments': list(chosen),
        'titles': {str(n): BY_NUMBER[n].title for n in chosen},
        'hidden_tests': bool(hidden_tests),
        'solutions': bool(solutions),
        'tasks': {tag: sorted(fs) for tag, fs in sorted(report.stubbed.items())},
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + '\n', encoding='utf-8')
    leaks = leaked_lines(source, out, blocks, chosen, files)
    if leaks:
        raise ReleaseError("release: solution lines found in the student copy: " +
                           '; '.join(f'{rel}: {line!r}' for rel, line in leaks[:5]))
    return report


def student_readme(numbers):
    """The student copy's STUDENT_README.md: install, run one assignment's tests, grade."""
    first = BY_NUMBER[numbers[0]]
    listing = '\n'.join(f'- Assignment {n}: {BY_NUMBER[n].title} — handout `{BY_NUMBER[n].handout}`'
                         for n in numbers)
    return f"""# Your minigrad assignments

{listing}

Each handout says which functions to write; in the code they raise
`NotImplementedError("aN_<task>: ...")` until you do.

## Install (once)

    python -m venv .venv && . .venv/bin/activate
    pip install numpy pytest

Work inside this folder: `python` run here imports *this* copy's `minigrad`.

## Run one assignment's tests

    python -m pytest tests/assignments/test_{first.slug}.py -q
    python -m pytest tests/assignments -m {first.tasks[0].tag} -q     # one task

## Grade your copy

    python -m minigrad.assign grade --assignments {first.number}
    python assignments/grade.py grade --assignments {first.number}   # if `import minigrad` is broken

This is a practice run: your functions' outputs on fixed inputs are compared
with the values shipped in `{PRACTICE_DIR}/`.  Your teacher's grader runs the
same checks on fresh inputs, plus hidden ones, so hard-coding outputs earns
nothing.  `python -m minigrad.assign list --files` names the files you edit.
"""


def solution_lines(source, blocks, chosen, files=None):
    """{stripped code line} of the stubbed blocks that occur nowhere else in the released files.

    Lines such as ``a, b = ctx.saved`` also appear in code that stays, so only
    the lines found solely inside stubbed blocks can prove a leak.
    """
    inside, elsewhere = set(), set()
    for rel, bs in blocks.items():
        lines = (Path(source) / rel).read_text(encoding='utf-8', errors='surrogateescape').splitlines()
        covered = set()
        for b in bs:
            if b.assignment in chosen:
                covered.update(range(b.begin, b.end + 1))
                inside.update(s.strip() for s in b.code_lines(lines))
        elsewhere.update(s.strip() for i, s in enumerate(lines, 1) if i not in covered)
    for rel in files if files is not None else list_files(source):
        if rel not in blocks:
            try:
                elsewhere.update(s.strip() for s in (Path(source) / rel).read_text(encoding='utf-8').splitlines())
            except (UnicodeDecodeError, OSError):
                pass
    return {s for s in inside - elsewhere if s and not s.startswith('#')}


def leaked_lines(source, out, blocks, chosen, files=None):
    """[(file, line)] of distinctive solution lines present anywhere in the released tree."""
    secret = solution_lines(source, blocks, chosen, files)
    if not secret:
        return []
    leaks = []
    for path in sorted(Path(out).rglob('*')):
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding='utf-8')
        except (UnicodeDecodeError, OSError):
            continue
        for line in text.splitlines():
            if line.strip() in secret:
                leaks.append((path.relative_to(out).as_posix(), line.strip()))
    return leaks
