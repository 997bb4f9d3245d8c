"""Graded checks: how a teacher writes them, how the grader lists and judges them.

A graded check is a function in ``tests/assignments/graded/aN_<name>.py`` (or
``tests/assignments/hidden/``) that calls the student's code on inputs the
grader chose and returns what came out, by name::

    @graded('a2_conv_forward', points=2,
            inputs=lambda rng: dict(x=rng.standard_normal((1, 2, 5, 5)), weight=rng.standard_normal((3, 2, 3, 3)),
                                    bias=rng.standard_normal(3)))
    def conv_forward_stride_2(x, weight, bias):
        \"\"\"2 -> 3 channels, 3x3 kernel, stride 2, padding 1, with bias.\"\"\"
        return {'out': R.conv2d_forward(x, weight, bias, stride=2, padding=1)}

The grader calls ``inputs(rng)`` and the check once with the *reference*
minigrad (the teacher's), and sends only the inputs to a separate process that
runs the same check with the student's minigrad; the two sets of outputs are
compared here, in the grader, with ``rtol``/``atol``.  So a check never holds
an expected value, and a test of a backward pass can hand the student's
backward the arrays the reference forward would have saved: a wrong forward
then costs the forward's points only.  ``needs`` names other tasks whose code
the check runs as well (named in the feedback when they fail).

:func:`graded` only tags the function; the grader reads the tags from the
file's syntax (:func:`scan_checks`), so the table of checks and points never
comes from running anyone's code.
"""
import ast
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import TAG_RE

DEFAULT_RTOL, DEFAULT_ATOL = 1e-7, 1e-9


def graded(task, points=1, inputs=None, needs=(), rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL):
    """Mark a function as a graded check of ``task`` worth ``points`` (see the module docstring)."""
    def mark(fn):
        fn.graded = dict(task=task, points=points, inputs=inputs or (lambda rng: {}), needs=tuple(needs),
                         rtol=rtol, atol=atol)
        return fn
    return mark


@dataclass
class CheckSpec:
    """One graded check as the grader knows it (from the check file's syntax)."""
    assignment: int
    file: str                 # relative to the checks' root, e.g. 'graded/a2_conv_naive.py'
    name: str                 # the function's name
    task: str
    points: float = 1.0
    doc: str = ''
    hidden: bool = False
    needs: tuple = ()
    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL
    problem: str = ''         # why the check cannot run (a malformed decorator)
    extra: dict = field(default_factory=dict)


def _literal(node, default):
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError):
        return default


def scan_checks(path, rel, number, hidden=False):
    """[CheckSpec] of one check file, read from its syntax (nothing is imported)."""
    tree = ast.parse(Path(path).read_text(encoding='utf-8'), filename=str(path))
    found = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for deco in node.decorator_list:
            if not (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Name) and deco.func.id == 'graded'):
                continue
            spec = CheckSpec(number, rel, node.name, '', hidden=hidden,
                             doc=((ast.get_docstring(node) or '').strip().splitlines() or [''])[0])
            args = dict(zip(('task', 'points'), deco.args))
            args.update({k.arg: k.value for k in deco.keywords})
            spec.task = _literal(args.get('task'), '')
            spec.points = float(_literal(args.get('points'), 1) if 'points' in args else 1)
            spec.needs = tuple(_literal(args.get('needs'), ())) if 'needs' in args else ()
            spec.rtol = float(_literal(args['rtol'], DEFAULT_RTOL)) if 'rtol' in args else DEFAULT_RTOL
            spec.atol = float(_literal(args['atol'], DEFAULT_ATOL)) if 'atol' in args else DEFAULT_ATOL
            if not isinstance(spec.task, str) or not TAG_RE.match(spec.task) \
                    or int(TAG_RE.match(spec.task).group('number')) != number:
                spec.problem = f"check {node.name}: task {spec.task!r} is not a task of assignment {number}"
            found.append(spec)
    return found


def check_files(root, number, hidden=True):
    """Relative paths (to ``root`` = tests/assignments) of assignment ``number``'s check files."""
    root = Path(root)
    found = sorted(p.relative_to(root).as_posix() for p in (root / 'graded').glob(f'a{number}_*.py'))
    if hidden:
        found += sorted(p.relative_to(root).as_posix() for p in (root / 'hidden').glob(f'a{number}_*.py'))
    return found


def list_checks(root, number, hidden=True):
    """Every CheckSpec of assignment ``number`` under ``root`` (tests/assignments)."""
    return [s for rel in check_files(root, number, hidden)
            for s in scan_checks(Path(root) / rel, rel, number, hidden=rel.startswith('hidden/'))]
