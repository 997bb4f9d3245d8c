"""Run the lessons in order:  ``python -m lessons [--quick] [--only 3-5] [--seed 0] [--backend cupy]``.

Each lesson writes figures and a results.json into out/lessons/<lesson>/ (or into
$MINIGRAD_LESSONS_OUT) and prints the lecture claims it checked; the run ends by
writing index.html there: every lesson, the slides it tests, each claim with its
numbers and margin, and every figure, in one page for a browser.

``--quick`` shrinks data and training so every lesson takes seconds (the test
suite runs this mode).  ``MINIGRAD_NO_PROGRESS=1`` turns the progress bars off;
when the output is not a terminal they print a few plain lines instead.
"""
import argparse
import importlib
import os
import pkgutil
import sys
import time

import lessons
from lessons import common


def discover():
    """Lesson modules are lessons/lNN_<topic>.py, run in number order."""
    return sorted(m.name for m in pkgutil.iter_modules(lessons.__path__)
                  if m.name[:1] == 'l' and m.name[1:3].isdigit())


def select(names, only):
    """The lessons named by ``--only``: numbers, 'l03' or a full name, and ranges 'a-b', comma-separated.

    An unknown lesson is an error (a typo must not run nothing and report success).
    """
    by_number = {int(n[1:3]): n for n in names}
    wanted = set()
    for part in (p.strip() for p in only.split(',')):
        if not part:
            continue
        ends = part.split('-')
        if len(ends) == 2 and all(_number(e) is not None for e in ends):
            lo, hi = (_number(e) for e in ends)
            missing = [k for k in range(lo, hi + 1) if k not in by_number]
            if lo > hi or missing:
                raise ValueError(f"--only {part!r}: lessons are numbered {min(by_number)}-{max(by_number)}")
            wanted.update(by_number[k] for k in range(lo, hi + 1))
        elif part in names:
            wanted.add(part)
        elif _number(part) in by_number:
            wanted.add(by_number[_number(part)])
        else:
            raise ValueError(f"--only: no lesson {part!r}; `python -m lessons --list` lists them")
    return [n for n in names if n in wanted]


def _number(text):
    """3, '03', 'l03' -> 3; anything else -> None."""
    text = text.strip().lower().removeprefix('l')
    return int(text) if text.isdigit() else None


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m lessons', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--quick', action='store_true', help='small data and few steps (seconds per lesson)')
    parser.add_argument('--only', default='', help="lessons to run: e.g. 4, l03, 3-5 or 1,4 (default: all)")
    parser.add_argument('--seed', type=int, default=0, help='seed for data and initial weights (default 0)')
    parser.add_argument('--backend', default=None, choices=['numpy', 'cupy'],
                        help='array backend (default: $MINIGRAD_BACKEND or numpy)')
    parser.add_argument('--list', action='store_true', help='list the lessons and exit')
    args = parser.parse_args(argv)

    try:
        names = select(discover(), args.only) if args.only else discover()
    except ValueError as exc:
        parser.error(str(exc))
    if args.list:
        for n in names:
            print(f"{n:30s} {lesson_title(importlib.import_module(f'lessons.{n}'))}")
        return 0
    import minigrad
    if args.backend:
        try:
            minigrad.use_backend(args.backend)
        except RuntimeError as exc:
            parser.exit(2, f"python -m lessons: --backend {args.backend}: {exc}\n")

    failures = []
    for n in names:
        module = importlib.import_module(f'lessons.{n}')
        print(f"\n== {n}: {lesson_title(module)}")
        start = time.perf_counter()
        try:
            module.run(quick=args.quick, seed=args.seed)
        except Exception as exc:  # keep going: one failing lesson should not hide the others
            failures.append((n, exc))
            print(f"  !! {type(exc).__name__}: {exc}")
        print(f"  ({time.perf_counter() - start:.1f} s)")

    from lessons.report import write_index
    index = write_index(common.OUT_ROOT)
    print(f"\nFigures and results.json files are in {common.OUT_ROOT}{os.sep}; "
          f"the course report is {index}. {len(names) - len(failures)}/{len(names)} lessons ok.")
    return 1 if failures else 0


def lesson_title(module):
    doc = (module.__doc__ or module.__name__).strip().splitlines()
    return doc[0] if doc else module.__name__


if __name__ == '__main__':
    sys.exit(main())
