"""The CUDA twins (minigrad/ops/cuda) against the plain CuPy kernels they replace: interleaved A/B.

Run on a GPU:   python -m benchmarks.cuda_twins [--quick] [--repeats 15] [--out DIR]
Rehearse:       MINIGRAD_BACKEND=cupy-strict python -m benchmarks.cuda_twins --quick
                (the stand-in emulates the kernels on the CPU: its times say nothing)

Issue 19 lets a CUDA kernel replace plain CuPy code only where a GPU benchmark
shows the gain; this is that benchmark.  Three levels, each timed with the
twins off and on in alternation (one run of each per pair, after warm-up; the
device is synchronised before every clock read):

* the kernels alone, at the U-Net's first level: max-pooling forward, and col2im (the
  input gradient of a 3x3 convolution);
* one Adam step over the U-Net's parameters (a launch per parameter either way);
* whole training steps of the benchmark model cases (forward, backward, Adam).

Reports the median of the per-pair ratios twin/plain and their spread (below 1:
the twin is faster) and writes ``cuda-twins-<host>-<date>.json`` into ``--out``.
"""
import argparse
import datetime
import json
import os
import socket
import statistics
import sys
import time

if __package__ in (None, ''):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import minigrad as mg  # noqa: E402
from minigrad import backend  # noqa: E402
from minigrad.ops import im2col, pool  # noqa: E402
from minigrad.ops.cuda import columns as cuda_columns, pool as cuda_pool  # noqa: E402
from benchmarks.cases import MODEL_CASES  # noqa: E402
from benchmarks.common import ratio_spread  # noqa: E402
from benchmarks.run import Device  # noqa: E402


def alternate(dev, plain, twin, repeats, warmup=2):
    """Per-pair times of ``plain()`` and ``twin()`` (functions taking no arguments), alternating.

    Each gets the twins switched off or on around it, so the same code path can be measured
    both ways (``kernels_for`` decides at every call)."""
    def timed(fn, on):
        previous = backend.use_cuda_kernels(on)
        try:
            dev.sync()
            start = time.perf_counter()
            fn()
            dev.sync()
            return time.perf_counter() - start
        finally:
            backend.use_cuda_kernels(previous)
    for _ in range(warmup):
        timed(plain, False), timed(twin, True)
    times = {'plain': [], 'twin': []}
    for _ in range(repeats):
        times['plain'].append(timed(plain, False))
        times['twin'].append(timed(twin, True))
    return times


def summarise(label, times):
    ratio, (low, high) = ratio_spread(times['twin'], times['plain'])
    row = {'case': label, 'plain_ms': 1e3 * statistics.median(times['plain']),
           'twin_ms': 1e3 * statistics.median(times['twin']), 'twin/plain': ratio, 'spread': [low, high],
           'runs': times}
    print(f"{label:<44} plain {row['plain_ms']:9.3f} ms   twin {row['twin_ms']:9.3f} ms   "
          f"twin/plain {ratio:.3f} ({low:.3f}-{high:.3f})", flush=True)
    return row


def maxpool_case(dev, quick):
    n, c, size = (2, 8, 32) if quick else (4, 32, 128)
    x = dev.xp.asarray(mg.randn(n, c, size, size).array)
    args = ((2, 2), (2, 2), (0, 0), (1, 1), (size // 2, size // 2))
    return (f'max-pool 2x2 forward {n}x{c}x{size}x{size}',
            lambda: pool.maxpool_forward(x, *args), lambda: cuda_pool.maxpool_forward(x, *args))


def col2im_case(dev, quick):
    n, c, size = (2, 8, 32) if quick else (4, 32, 128)
    dcols = dev.xp.asarray(mg.randn(c * 9, n * size * size).array)
    args = ((n, c, size + 2, size + 2), (3, 3), (size, size), (1, 1), (1, 1))
    return (f'col2im 3x3 -> {n}x{c}x{size + 2}x{size + 2}',
            lambda: im2col.col2im(dcols, *args), lambda: cuda_columns.col2im(dcols, *args))


def adam_case(dev, quick):
    depth, width = (2, 8) if quick else (4, 32)
    net = mg.models.UNet(3, 2, depth=depth, base_width=width).to('gpu')
    for p in net.parameters():
        p.grad = mg.randn(*p.shape).to('gpu')
    opt = mg.optim.Adam(net.parameters())
    count = sum(p.numel() for p in net.parameters())
    return f'Adam step, U-Net d{depth} w{width} ({count} weights)', opt.step, opt.step


def main(argv=None):
    p = argparse.ArgumentParser(prog='python -m benchmarks.cuda_twins', description=__doc__.split('\n')[0])
    p.add_argument('--quick', action='store_true', help='tiny shapes (a smoke test, not a measurement)')
    p.add_argument('--repeats', type=int, default=15)
    p.add_argument('--models', default='unet,pix2pix_b4')
    p.add_argument('--out', default=None, help='folder for the JSON (default: none written)')
    args = p.parse_args(argv)
    dev = Device('cupy', use_torch=False)
    try:
        gpu = dev.xp.cuda.runtime.getDeviceProperties(0)['name']
        gpu = gpu.decode() if isinstance(gpu, bytes) else gpu
    except Exception:
        gpu = 'strict CPU stand-in (emulated kernels: times are not GPU times)'
    print(f'CUDA twins vs plain CuPy kernels on {gpu}; {args.repeats} alternating pairs', flush=True)
    rows = []
    for make in (maxpool_case, col2im_case, adam_case):
        label, plain, twin = make(dev, args.quick)
        rows.append(summarise(label, alternate(dev, plain, twin, args.repeats)))
    for name in (m.strip() for m in args.models.split(',') if m.strip()):
        runner = MODEL_CASES[name](args.quick).minigrad(dev)
        rows.append(summarise(f'training step: {name}', alternate(dev, runner.step, runner.step, args.repeats)))
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d')
        path = os.path.join(args.out, f'cuda-twins-{socket.gethostname()}-{stamp}{"-quick" if args.quick else ""}.json')
        with open(path + '.tmp', 'w') as f:
            json.dump({'gpu': gpu, 'repeats': args.repeats, 'quick': args.quick, 'rows': rows}, f, indent=1)
        os.replace(path + '.tmp', path)
        print('wrote', path)


if __name__ == '__main__':
    main()
