"""Shared timing helpers for the benchmark scripts.

Every number a benchmark prints comes from :func:`timeit` (the median of
repeats after warm-up runs) and is put in context by :func:`gemm_peak`, the
float32 matrix-multiply speed NumPy reaches on this machine in the same run:
a convolution written as im2col + GEMM cannot beat it.

OpenBLAS worker threads keep spinning for a moment after a GEMM; call
:func:`settle` when switching between libraries (NumPy <-> PyTorch) so one
does not steal the cores of the other.
"""
import os
import statistics
import time

import numpy


def timeit(fn, repeat=5, warmup=2, min_time=0.0):
    """Median wall time in seconds of ``fn()`` over ``repeat`` runs after ``warmup`` runs.

    With ``min_time`` > 0, keeps repeating until the runs add up to at least that.
    """
    for _ in range(warmup):
        fn()
    times = []
    while len(times) < repeat or sum(times) < min_time:
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def settle(seconds=0.2):
    """Let the other library's BLAS threads go idle before timing."""
    time.sleep(seconds)


def gemm_peak(n=1024, dtype=numpy.float32, repeat=7):
    """GFLOP/s of an n×n×n NumPy matmul (2·n³ flops) into a reused output."""
    rng = numpy.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    out = numpy.empty((n, n), dtype=dtype)
    seconds = timeit(lambda: numpy.matmul(a, b, out=out), repeat=repeat, warmup=2)
    return 2.0 * n ** 3 / seconds / 1e9


def try_import_torch(threads=None):
    """PyTorch set to ``threads`` (default: this process's CPU count) threads, or None."""
    try:
        import torch
    except Exception:
        return None
    torch.set_num_threads(threads or len(os.sched_getaffinity(0)))
    return torch


def machine_line():
    """One line describing the cores and the NumPy BLAS, for the benchmark header."""
    cores = len(os.sched_getaffinity(0))
    try:
        blas = numpy.show_config(mode='dicts')['Build Dependencies']['blas']['name']
    except Exception:
        blas = 'unknown BLAS'
    return f"{cores} cores, NumPy {numpy.__version__} ({blas})"


def cpu_info():
    """The CPU model, its SIMD flags, the BLAS kernel (OpenBLAS core type) and the fast-kernel
    switch: what a benchmark result depends on, recorded with every result."""
    model, flags = 'unknown CPU', []
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as f:
            for line in f:
                key, _, value = line.partition(':')
                if key.strip() == 'model name' and model == 'unknown CPU':
                    model = value.strip()
                elif key.strip() == 'flags' and not flags:
                    flags = value.split()
    except OSError:
        pass
    simd = [f for f in flags if f.startswith(('avx', 'fma', 'sse4', 'amx'))]
    blas = {}
    try:
        import threadpoolctl
        for lib in threadpoolctl.threadpool_info():
            if lib.get('user_api') == 'blas':
                blas = {k: lib.get(k) for k in ('internal_api', 'version', 'architecture', 'num_threads')}
                break
    except Exception:
        pass
    return {'cpu': model, 'simd flags': simd, 'blas': blas,
            'OPENBLAS_CORETYPE': os.environ.get('OPENBLAS_CORETYPE'),
            'MINIGRAD_FAST': os.environ.get('MINIGRAD_FAST', '1')}


def ratio_spread(times, twin_times):
    """Median and (min, max) of the per-pair ratios times[i] / twin_times[i] (runs alternate,
    so each pair shares the machine's state at that moment)."""
    ratios = sorted(a / b for a, b in zip(times, twin_times))
    return statistics.median(ratios), (ratios[0], ratios[-1])


def table(rows, columns):
    """Format a list of dicts as a fixed-width text table with the given columns."""
    cells = [[_fmt(r.get(c, '')) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) if cells else len(c) for i, c in enumerate(columns)]
    lines = ['  '.join(c.ljust(w) for c, w in zip(columns, widths)),
             '  '.join('-' * w for w in widths)]
    lines += ['  '.join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    return '\n'.join(lines)


def _fmt(value):
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)
