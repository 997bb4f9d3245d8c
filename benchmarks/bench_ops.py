"""Speed of minigrad's spatial ops against the machine's GEMM peak and PyTorch CPU.

Run:  python benchmarks/bench_ops.py [--filter conv] [--repeat 5] [--no-torch]

Each row is a :class:`Case`: how to build inputs and a zero-argument function
to time, for minigrad and (optionally) for PyTorch.  ``CASES`` is the registry;
other op families append their rows to it.  For every case the table shows the
median time, GFLOP/s, the fraction of the float32 GEMM peak measured in the
same run (an im2col + GEMM op cannot beat it), and, when torch is importable,
its time on the same number of threads and our time / its time.

``fwd`` rows run under no_grad (inference); ``fwd+bwd`` rows run forward and
backward with gradients for every input (their FLOPs: 3x the forward for a
convolution — forward, input gradient, weight gradient).
"""
import argparse
import os
import sys
from dataclasses import dataclass
from typing import Callable, Optional

import numpy

if __package__ in (None, ''):  # run as a script: make `minigrad` and `benchmarks` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import minigrad as mg  # noqa: E402
import minigrad.functional as F  # noqa: E402
from benchmarks.common import gemm_peak, machine_line, settle, table, timeit, try_import_torch  # noqa: E402


@dataclass
class Case:
    op: str                 # e.g. 'conv2d'
    shape: str              # human-readable sizes
    mode: str               # 'fwd' or 'fwd+bwd'
    flops: float            # floating-point operations of one timed call (0 if not meaningful)
    minigrad: Callable      # () -> thunk: builds inputs once, returns the function to time
    torch: Optional[Callable] = None   # (torch module) -> thunk, or None


CASES = []


def _rand(shape, seed=0):
    return numpy.random.default_rng(seed).standard_normal(shape).astype(numpy.float32)


def _mg_thunk(fn, arrays, mode):
    """Time fn(*tensors): under no_grad for 'fwd'; forward + backward(grad) for 'fwd+bwd'."""
    tensors = [mg.tensor(a, requires_grad=(mode == 'fwd+bwd')) for a in arrays]
    if mode == 'fwd':
        def run():
            with mg.no_grad():
                return fn(*tensors)
        return run
    grad = mg.tensor(_rand(fn(*tensors).shape, seed=1)).array

    def run():
        for t in tensors:
            t.grad = None
        fn(*tensors).backward(grad)
    return run


def _torch_thunk(torch, fn, arrays, mode):
    tensors = [torch.from_numpy(a.copy()).requires_grad_(mode == 'fwd+bwd') for a in arrays]
    if mode == 'fwd':
        def run():
            with torch.no_grad():
                return fn(*tensors)
        return run
    grad = torch.from_numpy(_rand(tuple(fn(*tensors).shape), seed=1))

    def run():
        for t in tensors:
            t.grad = None
        fn(*tensors).backward(grad)
    return run


def add_conv_cases():
    """conv2d (N, C, H, W, C_out, k, s, p) rows and one conv_transpose2d row, fwd and fwd+bwd."""
    convs = [(8, 64, 64, 64, 64, 3, 1, 1), (8, 3, 128, 128, 64, 4, 2, 1), (16, 128, 32, 32, 128, 3, 1, 1),
             (8, 512, 8, 8, 512, 4, 2, 1)]
    for n, c, h, w, o, k, s, p in convs:
        ho, wo = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        flops = 2.0 * n * o * ho * wo * c * k * k
        arrays = lambda n=n, c=c, h=h, w=w, o=o, k=k: (_rand((n, c, h, w)), _rand((o, c, k, k), 2), _rand((o,), 3))
        for mode in ('fwd', 'fwd+bwd'):
            CASES.append(Case(
                'conv2d', f"{n}x{c}x{h}x{w}->{o} k{k} s{s} p{p}", mode, flops * (1 if mode == 'fwd' else 3),
                minigrad=lambda a=arrays, s=s, p=p, mode=mode: _mg_thunk(
                    lambda x, wt, b: F.conv2d(x, wt, b, stride=s, padding=p), a(), mode),
                torch=lambda torch, a=arrays, s=s, p=p, mode=mode: _torch_thunk(
                    torch, lambda x, wt, b: torch.nn.functional.conv2d(x, wt, b, stride=s, padding=p), a(), mode)))
    n, c, h, w, o, k, s, p = 8, 128, 32, 32, 64, 4, 2, 1
    flops = 2.0 * n * c * h * w * o * k * k
    arrays = lambda: (_rand((n, c, h, w)), _rand((c, o, k, k), 2), _rand((o,), 3))
    for mode in ('fwd', 'fwd+bwd'):
        CASES.append(Case(
            'conv_transpose2d', f"{n}x{c}x{h}x{w}->{o} k{k} s{s} p{p}", mode, flops * (1 if mode == 'fwd' else 3),
            minigrad=lambda mode=mode: _mg_thunk(
                lambda x, wt, b: F.conv_transpose2d(x, wt, b, stride=s, padding=p), arrays(), mode),
            torch=lambda torch, mode=mode: _torch_thunk(
                torch, lambda x, wt, b: torch.nn.functional.conv_transpose2d(x, wt, b, stride=s, padding=p),
                arrays(), mode)))


add_conv_cases()


def add_pool_cases():
    """max_pool2d 2x2 on (8, 64, 128, 128); interpolate x2 (bilinear, nearest) on (8, 64, 64, 64); fwd and fwd+bwd."""
    specs = [('max_pool2d', '8x64x128x128 k2 s2', (8, 64, 128, 128),
              lambda f: (lambda x: f.max_pool2d(x, 2))),
             ('interpolate', '8x64x64x64 x2 bilinear', (8, 64, 64, 64),
              lambda f: (lambda x: f.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False))),
             ('interpolate', '8x64x64x64 x2 nearest', (8, 64, 64, 64),
              lambda f: (lambda x: f.interpolate(x, scale_factor=2, mode='nearest')))]
    for op, label, shape, make in specs:
        for mode in ('fwd', 'fwd+bwd'):
            CASES.append(Case(
                op, label, mode, 0.0,
                minigrad=lambda shape=shape, make=make, mode=mode: _mg_thunk(make(F), (_rand(shape),), mode),
                torch=lambda torch, shape=shape, make=make, mode=mode: _torch_thunk(
                    torch, make(torch.nn.functional), (_rand(shape),), mode)))


add_pool_cases()


def run_cases(cases, repeat=5, use_torch=True, threads=None):
    """Time every case; returns (rows for :func:`table`, GEMM peak in GFLOP/s)."""
    torch = try_import_torch(threads) if use_torch else None
    peak = gemm_peak()
    rows = []
    for case in cases:
        thunk = case.minigrad()
        seconds = timeit(thunk, repeat=repeat, warmup=2)
        del thunk
        row = {'op': case.op, 'shape': case.shape, 'mode': case.mode, 'ms': seconds * 1e3}
        if case.flops:
            row['GFLOP/s'] = case.flops / seconds / 1e9
            row['of peak'] = f"{case.flops / seconds / 1e9 / peak:.0%}"
        if torch is not None and case.torch is not None:
            settle()  # OpenBLAS threads keep spinning for a moment after NumPy's last GEMM
            thunk = case.torch(torch)
            t_seconds = timeit(thunk, repeat=repeat, warmup=2)
            del thunk
            settle()
            row['torch ms'] = t_seconds * 1e3
            row['x torch'] = f"{seconds / t_seconds:.2f}"
        rows.append(row)
        print(f"  {case.op:18s} {case.shape:28s} {case.mode:8s} {seconds * 1e3:8.1f} ms", file=sys.stderr, flush=True)
    peak_end = gemm_peak()
    if abs(peak_end - peak) > 0.15 * max(peak, peak_end):
        print(f"warning: the GEMM peak moved from {peak:.0f} to {peak_end:.0f} GFLOP/s during the run; "
              "something else is using the CPU and these timings are noisy", file=sys.stderr)
    return rows, peak


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--filter', default='', help='only cases whose op or shape contains this text')
    parser.add_argument('--repeat', type=int, default=5, help='timed runs per case (median reported)')
    parser.add_argument('--no-torch', action='store_true', help='skip the PyTorch comparison')
    parser.add_argument('--threads', type=int, default=None, help='torch threads (default: all cores)')
    args = parser.parse_args(argv)
    cases = [c for c in CASES if args.filter in c.op or args.filter in c.shape]
    print(f"minigrad op benchmarks: {machine_line()}, backend {mg.default_backend()}, float32")
    rows, peak = run_cases(cases, repeat=args.repeat, use_torch=not args.no_torch, threads=args.threads)
    print(f"NumPy float32 GEMM peak (1024^3): {peak:.0f} GFLOP/s")
    print(table(rows, ['op', 'shape', 'mode', 'ms', 'GFLOP/s', 'of peak', 'torch ms', 'x torch']))
    print("x torch = minigrad time / PyTorch time (lower is better; < 1 means faster than torch)")
    return rows


if __name__ == '__main__':
    main()
