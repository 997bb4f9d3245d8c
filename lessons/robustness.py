"""Does every claim hold on any machine?  Re-run the lessons over seeds and BLAS kernels.

    python -m lessons.robustness [--modes quick,full] [--seeds 0-4] [--kernels native,Haswell]
                                 [--only 4-6] [--jobs 2] [--out out/robustness]

Each (mode, BLAS kernel, seed) is one fresh ``python -m lessons`` process:
OpenBLAS picks its CPU kernel once, at load time, from ``OPENBLAS_CORETYPE``
('native' leaves the variable unset, so the library picks the CPU's own), and
the same code gives different rounding on different kernels.  Every claim's
margin (how far the measurement clears the bound the claim states) is collected
from the runs' results.json files into ``robustness.md`` and ``robustness.json``:
per claim and mode, how many runs held and the smallest and median margin.

The exit status is 1 when an asserted claim failed in any run.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor


def parse_seeds(text):
    """'0-4' -> [0, 1, 2, 3, 4]; '1,5,9' -> [1, 5, 9]."""
    seeds = []
    for part in text.split(','):
        lo, _, hi = part.partition('-')
        seeds.extend(range(int(lo), int(hi or lo) + 1))
    return seeds


def run_one(mode, kernel, seed, only, out):
    """One course run in a fresh process; returns (mode, kernel, seed, folder, seconds, exit code)."""
    folder = os.path.join(out, 'runs', f'{mode}-{kernel}-seed{seed}')
    env = dict(os.environ, MINIGRAD_LESSONS_OUT=folder, MINIGRAD_NO_PROGRESS='1')
    env.pop('OPENBLAS_CORETYPE', None)
    if kernel != 'native':
        env['OPENBLAS_CORETYPE'] = kernel
    cmd = [sys.executable, '-m', 'lessons', '--seed', str(seed)] + (['--quick'] if mode == 'quick' else [])
    cmd += ['--only', only] if only else []
    os.makedirs(folder, exist_ok=True)
    start = time.perf_counter()
    with open(os.path.join(folder, 'log.txt'), 'w') as log:
        code = subprocess.call(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    return mode, kernel, seed, folder, time.perf_counter() - start, code


def collect(runs):
    """{(lesson, mode, claim): [entry per run]} from every run's results.json files."""
    table = {}
    for mode, kernel, seed, folder, _, _ in runs:
        for lesson in sorted(os.listdir(folder)):
            path = os.path.join(folder, lesson, 'results.json')
            if not os.path.isfile(path):
                continue
            with open(path) as f:
                results = json.load(f)
            for claim in results['claims']:
                table.setdefault((lesson, mode, claim['claim']), []).append(
                    {'seed': seed, 'kernel': kernel, 'blas': results.get('blas', '?'),
                     'holds': claim['holds'], 'asserted': claim.get('asserted', True),
                     'margin': claim.get('margin')})
    return table


def summarise(table):
    rows = []
    for (lesson, mode, claim), entries in table.items():   # in the order the lessons state them
        margins = [e['margin'] for e in entries if isinstance(e['margin'], (int, float))]
        rows.append({'lesson': lesson, 'mode': mode, 'claim': claim, 'runs': len(entries),
                     'held': sum(e['holds'] for e in entries),
                     'asserted': all(e['asserted'] for e in entries),
                     'min_margin': min(margins) if margins else None,
                     'median_margin': statistics.median(margins) if margins else None,
                     'seeds': sorted({e['seed'] for e in entries}),
                     'kernels': sorted({e['blas'] for e in entries})})
    return rows


def markdown(rows):
    kernels = sorted({k for r in rows for k in r['kernels']})
    seeds = sorted({s for r in rows for s in r['seeds']})
    lines = [f"Seeds {seeds}; BLAS kernels: {', '.join(kernels)}. 'held' counts runs; 'exact' claims have no margin.",
             '',
             '| lesson | mode | claim | held | min margin | median margin | asserted |',
             '|---|---|---|---:|---:|---:|---|']
    for r in rows:
        fmt = (lambda v: 'exact' if v is None else f'{v:.3g}')
        lines.append(f"| {r['lesson'][:3]} | {r['mode']} | {r['claim']} | {r['held']}/{r['runs']} | "
                     f"{fmt(r['min_margin'])} | {fmt(r['median_margin'])} | {'yes' if r['asserted'] else 'no'} |")
    return '\n'.join(lines) + '\n'


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m lessons.robustness', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--modes', default='quick,full', help="'quick', 'full' or both (default both)")
    parser.add_argument('--seeds', default='0-4', help="e.g. 0-4 or 0,3,7 (default 0-4)")
    parser.add_argument('--kernels', default='native,Haswell',
                        help="OPENBLAS_CORETYPE values; 'native' = the CPU's own (default native,Haswell)")
    parser.add_argument('--only', default='', help='lessons, as for python -m lessons --only')
    parser.add_argument('--jobs', type=int, default=1, help='runs at once (each lesson pins BLAS itself)')
    parser.add_argument('--out', default=os.path.join('out', 'robustness'), help='output folder')
    args = parser.parse_args(argv)
    modes = [m for m in args.modes.split(',') if m]
    if not set(modes) <= {'quick', 'full'}:
        parser.error(f"--modes: expected 'quick' and/or 'full', got {args.modes!r}")
    try:
        seeds = parse_seeds(args.seeds)
    except ValueError:
        parser.error(f"--seeds: expected e.g. 0-4 or 0,3,7, got {args.seeds!r}")
    jobs = [(m, k, s) for m in modes for k in args.kernels.split(',') for s in seeds]
    print(f"{len(jobs)} course runs ({', '.join(modes)} x {args.kernels} x seeds {args.seeds}), "
          f"{args.jobs} at a time; logs in {args.out}/runs/")
    runs = []
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_one, m, k, s, args.only, args.out) for m, k, s in jobs]
        for future in futures:
            run = future.result()
            runs.append(run)
            mode, kernel, seed, folder, seconds, code = run
            print(f"  {mode:5s} {kernel:8s} seed {seed}: {'ok' if code == 0 else 'CLAIM FAILED'} "
                  f"({seconds:.0f} s)", flush=True)
    rows = summarise(collect(runs))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, 'robustness.json'), 'w') as f:
        json.dump(rows, f, indent=2)
    with open(os.path.join(args.out, 'robustness.md'), 'w') as f:
        f.write(markdown(rows))
    failed = [r for r in rows if r['asserted'] and r['held'] < r['runs']]
    print(markdown(rows))
    print(f"{len(rows)} claims; {len(failed)} asserted claims failed in some run. "
          f"Table: {os.path.join(args.out, 'robustness.md')}")
    return 1 if failed or any(r[-1] != 0 for r in runs) else 0


if __name__ == '__main__':
    sys.exit(main())
