"""Run the lessons in order:  ``python -m lessons [--quick] [--only 3,4] [--backend cupy]``.

Each lesson writes figures and a results.json into out/lessons/<lesson>/ and
prints the lecture claims it checked.  ``--quick`` shrinks data and training
so every lesson takes seconds (the test suite runs this mode).
"""
import argparse
import importlib
import pkgutil
import sys
import time

import lessons


def discover():
    """Lesson modules are lessons/lNN_<topic>.py, run in number order."""
    names = sorted(m.name for m in pkgutil.iter_modules(lessons.__path__) if m.name[:1] == 'l'
                   and m.name[1:3].isdigit())
    return names


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m lessons', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--quick', action='store_true', help='small data and few steps (seconds per lesson)')
    parser.add_argument('--only', default='', help='comma-separated lesson numbers, e.g. 1,4')
    parser.add_argument('--backend', default=None, choices=['numpy', 'cupy'],
                        help='array backend (default: $MINIGRAD_BACKEND or numpy)')
    parser.add_argument('--seed', type=int, default=0, help='seed for data and initial weights (default 0)')
    parser.add_argument('--list', action='store_true', help='list the lessons and exit')
    args = parser.parse_args(argv)

    import minigrad
    if args.backend:
        minigrad.use_backend(args.backend)
    names = discover()
    if args.only:
        wanted = {int(n) for n in args.only.split(',') if n.strip()}
        names = [n for n in names if int(n[1:3]) in wanted]
    if args.list:
        for n in names:
            doc = (importlib.import_module(f'lessons.{n}').__doc__ or '').strip().splitlines()
            print(f"{n:28s} {doc[0] if doc else ''}")
        return 0
    failures = []
    for n in names:
        module = importlib.import_module(f'lessons.{n}')
        title = (module.__doc__ or n).strip().splitlines()[0]
        print(f"\n== {n}: {title}")
        start = time.perf_counter()
        try:
            module.run(quick=args.quick, seed=args.seed)
        except Exception as exc:  # keep going: one failing lesson should not hide the others
            failures.append((n, exc))
            print(f"  !! {type(exc).__name__}: {exc}")
        print(f"  ({time.perf_counter() - start:.1f} s)")
    print(f"\nFigures and results.json files are in out/lessons/. "
          f"{len(names) - len(failures)}/{len(names)} lessons ok.")
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
