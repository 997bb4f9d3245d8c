"""A/B: the training-step benchmark of two checkouts, interleaved, as per-pair ratios.

Run:  python -m benchmarks.ab OLD_DIR NEW_DIR [--rounds 4] [--repeats 5] [--models unet classifier]
                                      [--bench-args='--blas-threads 1 --threads 1']

Each round runs ``python -m benchmarks --only models`` in OLD_DIR, then in NEW_DIR
(fresh processes, same machine, back to back), and reads their JSON results.
For every model it prints the median and the (min, max) of the per-round ratios
new ms / old ms (and of each side's ratio to PyTorch), with the CPU, its SIMD
flags, the BLAS kernel and the load average: a shared machine is noisy, so the
spread is part of the result.
"""
import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from benchmarks.common import cpu_info  # noqa: E402


def run_once(checkout, repeats, models, env, extra=()):
    """The 'models' rows of one benchmark run in ``checkout``."""
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, '-m', 'benchmarks', '--only', 'models', '--repeats', str(repeats),
               '--out', out, '--models', ','.join(models), *extra]
        subprocess.run(cmd, cwd=checkout, env=env, check=True, stdout=subprocess.DEVNULL)
        (path,) = glob.glob(os.path.join(out, '*.json'))
        with open(path, encoding='utf-8') as f:
            result = json.load(f)
    return {row['model']: row for row in result['models']}, result.get('load_start'), result.get('load_end')


def spread(values):
    return statistics.median(values), min(values), max(values)


def main(argv=None):
    p = argparse.ArgumentParser(prog='python -m benchmarks.ab', description=__doc__.split('\n')[0])
    p.add_argument('old')
    p.add_argument('new')
    p.add_argument('--rounds', type=int, default=4)
    p.add_argument('--repeats', type=int, default=5)
    p.add_argument('--models', nargs='+', default=['unet', 'classifier', 'pix2pix_b4'])
    p.add_argument('--bench-args', default='', help='more arguments for python -m benchmarks')
    p.add_argument('--json', help='write every round here')
    args = p.parse_args(argv)
    env = dict(os.environ, MINIGRAD_NO_PROGRESS='1')
    rounds = []
    for r in range(args.rounds):
        extra = args.bench_args.split()
        old, load0, _ = run_once(args.old, args.repeats, args.models, env, extra)
        new, _, load1 = run_once(args.new, args.repeats, args.models, env, extra)
        rounds.append({'old': old, 'new': new, 'load': (load0, load1)})
        print(f"round {r + 1}: " + ', '.join(f"{m} {old[m]['ms']:.0f} -> {new[m]['ms']:.0f} ms" for m in args.models),
              flush=True)
    print(f"\n{cpu_info()}\nbenchmark arguments: {args.bench_args or '(none)'}"
          f"\nload averages per round: {[x['load'] for x in rounds]}")
    print(f"\n{'model':12s} {'new/old (median, min, max)':32s} {'old x torch':24s} {'new x torch':24s}")
    for m in args.models:
        ratio = spread([x['new'][m]['ms'] / x['old'][m]['ms'] for x in rounds])
        cells = [f"{ratio[0]:.3f} ({ratio[1]:.3f}, {ratio[2]:.3f})"]
        for side in ('old', 'new'):
            if all('x torch' in x[side][m] for x in rounds):
                t = spread([x[side][m]['x torch'] for x in rounds])
                cells.append(f"{t[0]:.2f} ({t[1]:.2f}, {t[2]:.2f})")
        print(f"{m:12s} " + ' '.join(f"{c:32s}" if i == 0 else f"{c:24s}" for i, c in enumerate(cells)))
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump({'cpu': cpu_info(), 'rounds': rounds}, f, indent=1)


if __name__ == '__main__':
    main()
