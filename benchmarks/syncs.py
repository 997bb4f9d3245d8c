"""Device->host transfers per training step, counted under the strict CuPy stand-in.

A real GPU hides its syncs (CuPy keeps no count), so the count is taken on the
CPU: each model case's step runs in a child process with
``MINIGRAD_BACKEND=cupy-strict``, whose arrays count every ``asnumpy``,
``.get()``, ``.item()``, ``float()`` and ``bool()`` (:mod:`minigrad.strict_cupy`).
The code path is the one CuPy takes, so the count is the GPU's.  The shapes are
the quick ones: the count does not depend on them.

Run:  python -m benchmarks.syncs [--models unet,pix2pix-b4]
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def transfers_per_step(names, steps=2):
    """``{model case: [transfers in step 1, step 2, ...]}``, counted in a child process."""
    env = dict(os.environ, MINIGRAD_BACKEND='cupy-strict')
    cmd = [sys.executable, '-m', 'benchmarks.syncs', '--child', '--models', ','.join(names), '--steps', str(steps)]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"benchmarks.syncs: the counting child failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _child(names, steps):
    from minigrad import strict_cupy
    from benchmarks.cases import MODEL_CASES
    from benchmarks.run import Device
    dev = Device('cupy', use_torch=False)
    counts = {}
    for name in names:
        runner = MODEL_CASES[name](True).minigrad(dev)
        counts[name] = []
        for _ in range(steps):
            with strict_cupy.count_transfers() as n:
                runner.step()
            counts[name].append(n())
    print(json.dumps(counts))


def main(argv=None):
    from benchmarks.cases import MODEL_CASES
    p = argparse.ArgumentParser(prog='python -m benchmarks.syncs', description=__doc__.split('\n')[0])
    p.add_argument('--models', default=','.join(MODEL_CASES))
    p.add_argument('--steps', type=int, default=2)
    p.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    names = [m.strip() for m in args.models.split(',')]
    unknown = [m for m in names if m not in MODEL_CASES]
    if unknown:
        p.error(f"--models: unknown {unknown}; choose from {list(MODEL_CASES)}")
    if args.child:
        return _child(names, args.steps)
    for name, counts in transfers_per_step(names, args.steps).items():
        print(f"{name}: {' / '.join(str(c) for c in counts)} device->host transfers per step")


if __name__ == '__main__':
    sys.path.insert(0, ROOT)
    main()
