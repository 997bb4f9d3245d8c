"""``python -m minigrad.assign {release,grade,autograder,list}`` — see docs/assignments.md."""
import argparse
import json
import sys
from pathlib import Path

from .catalog import ASSIGNMENTS, BY_NUMBER, parse_numbers
from .checks import list_checks
from .grade import GradeError, grade
from .gradescope import write_autograder
from .release import MANIFEST, ReleaseError, find_blocks, release
from .report import format_table, write_json


def _repo_root():
    """The repository this package sits in (…/minigrad/assign -> …)."""
    return Path(__file__).resolve().parents[2]


def cmd_release(args):
    report = release(args.source or _repo_root(), args.out, assignments=args.assignments,
                     hidden_tests=args.with_hidden_tests, force=args.force, solutions=args.solutions)
    print(f"wrote {len(report.files)} files to {report.out}")
    print(f"stubbed tasks: {', '.join(sorted(report.stubbed)) or '(none)'}")
    if args.with_hidden_tests:
        print("hidden tests INCLUDED: do not hand this copy to students")
    return 0


def cmd_grade(args):
    report = grade(args.path, assignments=args.assignments, reference=args.reference or args.tests,
                   hidden=not args.no_hidden_tests, timeout=args.timeout, test_timeout=args.test_timeout,
                   seed=args.seed, user=args.user)
    # With --json (Gradescope) stdout may be seen by students: hidden tests' feedback stays in the file.
    print(format_table(report, details=not args.brief, show_hidden=not args.json))
    if args.json:
        write_json(report, args.json)
        print(f"results written to {args.json}")
    return 0


def cmd_autograder(args):
    out = write_autograder(args.source or _repo_root(), args.out, args.assignments, force=args.force)
    print(f"wrote the Gradescope autograder to {out}; upload its contents as a zip:")
    print(f"  (cd {out} && zip -r ../autograder.zip .)")
    return 0


def cmd_list(args):
    root = Path(args.path)
    manifest = root / MANIFEST
    if manifest.is_file():
        tasks = json.loads(manifest.read_text(encoding='utf-8')).get('tasks', {})
        where = {tag: files for tag, files in tasks.items()}
        origin = 'release manifest'
    else:
        where = {}
        for rel, blocks in find_blocks(root).items():
            for b in blocks:
                where.setdefault(b.tag, [])
                if f'{rel}:{b.begin}' not in where[b.tag]:
                    where[b.tag].append(f'{rel}:{b.begin}')
        origin = 'solution markers'
    numbers = parse_numbers(args.assignments) if args.assignments else tuple(BY_NUMBER)
    if args.files:   # the files a student edits for these assignments (for Gradescope copies)
        files = sorted({f.split(':')[0] for a in ASSIGNMENTS if a.number in numbers
                        for t in a.tasks for f in where.get(t.tag, [])})
        print('\n'.join(files))
        return 0
    checks_root = root / 'tests' / 'assignments'
    print(f"tasks found from the {origin} in {root.resolve()}")
    for a in ASSIGNMENTS:
        if a.number not in numbers:
            continue
        specs = list_checks(checks_root, a.number)
        print(f"\nAssignment {a.number}: {a.title}  ({a.handout}; {len(specs)} graded checks, "
              f"{sum(s.points for s in specs):g} points)")
        for t in a.tasks:
            pts = sum(s.points for s in specs if s.task == t.tag)
            print(f"  {t.tag:<28} {pts:>4g} pts  {', '.join(where.get(t.tag, [])) or '(no solution block yet)'}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m minigrad.assign',
                                     description="minigrad classroom assignments: release a student copy, grade it.")
    sub = parser.add_subparsers(dest='command', required=True)

    p = sub.add_parser('release', help='write the student copy of the repository')
    p.add_argument('--out', required=True, help='folder to write (must be empty unless --force)')
    p.add_argument('--assignments', help="which assignments to stub: '1,2', '1-3' or 'all' (default: all marked)")
    p.add_argument('--source', help='repository to release (default: the one this minigrad comes from)')
    p.add_argument('--with-hidden-tests', action='store_true',
                   help='include tests/assignments/hidden/ (never in a copy you hand out)')
    p.add_argument('--no-hidden-tests', action='store_true', help=argparse.SUPPRESS)   # the default now
    p.add_argument('--solutions', action='store_true', help='stub nothing: a clean copy with the markers removed')
    p.add_argument('--force', action='store_true', help='write into a non-empty folder (a previous release '
                                                          'there is removed first)')
    p.set_defaults(run=cmd_release)

    p = sub.add_parser('grade', help="run the graded tests and score them")
    p.add_argument('--path', default='.', help='repository to grade (default: the current folder)')
    p.add_argument('--assignments', help="'1,2', '1-3' or 'all' (default: the released ones, else all)")
    p.add_argument('--reference', help="the teacher's repository: reference solution and graded checks, hidden "
                                       "ones included (default: the repository this grader comes from)")
    p.add_argument('--tests', help=argparse.SUPPRESS)   # the old name of --reference
    p.add_argument('--seed', type=int, help='seed of the checks\' inputs (default: fresh for every run)')
    p.add_argument('--user', type=int, help='user id the submission runs as when grading as root (default: a '
                                            'free one from 61000-64999)')
    p.add_argument('--json', help="write Gradescope's results.json here")
    p.add_argument('--timeout', type=float, default=300, help='seconds per assignment (default 300)')
    p.add_argument('--test-timeout', type=float, default=60, help='seconds per check (default 60; 0 = none)')
    p.add_argument('--no-hidden-tests', action='store_true', help='skip tests/assignments/hidden/')
    p.add_argument('--brief', action='store_true', help='the table only, without the detailed feedback')
    p.set_defaults(run=cmd_grade)

    p = sub.add_parser('autograder', help='write a Gradescope autograder folder (student copy + hidden tests)')
    p.add_argument('--out', required=True, help='folder to write')
    p.add_argument('--assignments', required=True, help="which assignments it grades: '2' or '1,2'")
    p.add_argument('--source', help='teacher repository (default: the one this minigrad comes from)')
    p.add_argument('--force', action='store_true', help='replace a previous autograder folder')
    p.set_defaults(run=cmd_autograder)

    p = sub.add_parser('list', help='assignments, tasks, where their solution blocks are, graded points')
    p.add_argument('--path', default='.', help='repository (default: the current folder)')
    p.add_argument('--assignments', help="'1,2', '1-3' or 'all'")
    p.add_argument('--files', action='store_true', help='print only the files that hold the tasks')
    p.set_defaults(run=cmd_list)

    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (ReleaseError, GradeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
