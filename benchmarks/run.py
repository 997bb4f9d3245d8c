"""minigrad end to end: GEMM peak, ops, training steps and memory, against PyTorch when installed.

Run:  python -m benchmarks [--backend numpy|cupy] [--quick] [--only ops|models|memory|syncs] [--repeats 5]
      (or python benchmarks/run.py …)

Everything is measured in ONE process on the same shapes and the same random
data: the float32 GEMM peak of the machine (the ceiling of an im2col + GEMM
framework), the op cases of :mod:`benchmarks.bench_ops`, and one full training
step (forward, backward, Adam) of the lecture's models (:mod:`benchmarks.cases`).
Every time is the median of ``--repeats`` timed runs after warm-up; minigrad
and PyTorch runs alternate, with a 0.2 s pause at each switch (OpenBLAS threads
spin for a moment after a NumPy call and would slow the next torch call).
Memory: the peak RSS of a fresh child process that builds a model and runs one
step, for minigrad and for torch (``VmHWM`` on Linux, ``resource.getrusage``
elsewhere; see :func:`_rss_mb` for why), and the bytes the autograd graph holds
before backward (:func:`minigrad.graph_bytes`; for torch, the bytes of the
tensors it saves for backward).  Syncs: the device->host transfers of one
training step, counted under the strict CuPy stand-in (:mod:`benchmarks.syncs`).

Prints tables and writes ``benchmarks/results/<host>-<date>[-cupy][-quick][-blasN][-torchN].json``
(atomically).  ``--quick`` uses tiny shapes (a smoke test, not a measurement).
Timings are measured, never asserted; on a loaded machine they are noisy — the
JSON keeps every run and the load average so the noise can be judged.
"""
import argparse
import datetime
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

if __package__ in (None, ''):  # run as a script: make `minigrad` and `benchmarks` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy  # noqa: E402

import minigrad as mg  # noqa: E402
from minigrad import backend as mg_backend  # noqa: E402
from benchmarks import bench_ops  # noqa: E402
from benchmarks.cases import MODEL_CASES, torch_available  # noqa: E402
from benchmarks.syncs import transfers_per_step  # noqa: E402
from benchmarks.common import (cpu_info, gemm_peak, machine_line, ratio_spread, settle, table, timeit,  # noqa: E402
                               try_import_torch)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SECTIONS = ('ops', 'models', 'memory', 'syncs')


# ----------------------------------------------------------------------------- devices
class Device:
    """The backend under test: how to synchronise it, and PyTorch's matching device."""

    def __init__(self, name, use_torch=True, threads=None):
        self.name = name
        if name == 'cupy':
            mg.use_backend('cupy')           # raises a clear error when CuPy has no GPU
            self.xp = mg_backend.cupy
        else:
            self.xp = numpy
        self.threads = threads or len(os.sched_getaffinity(0))
        self.torch = try_import_torch(self.threads) if use_torch and torch_available() else None
        self.torch_device = 'cpu'
        if self.torch is not None and name == 'cupy':
            if self.torch.cuda.is_available():
                self.torch_device = 'cuda'
            else:
                self.torch = None

    def sync(self):
        """Wait for queued GPU work (no-op on the CPU), so a timer reads finished work."""
        if self.name == 'cupy':
            self.xp.cuda.Device().synchronize()

    def torch_sync(self):
        if self.torch is not None and self.torch_device == 'cuda':
            self.torch.cuda.synchronize()

    def timed(self, fn):
        return lambda: (fn(), self.sync())

    def torch_timed(self, fn):
        return lambda: (fn(), self.torch_sync())


def peak_gflops(dev, quick):
    """float32 GEMM GFLOP/s of the backend: NumPy via common.gemm_peak, CuPy with synchronisation."""
    n = 512 if quick else (1024 if dev.name == 'numpy' else 4096)
    if dev.name == 'numpy':  # the best of three medians: a peak, so a busy moment should not define it
        return max(gemm_peak(n, repeat=3 if quick else 7) for _ in range(1 if quick else 3))
    xp = dev.xp
    rng = numpy.random.default_rng(0)
    a, b = (xp.asarray(rng.standard_normal((n, n)).astype(numpy.float32)) for _ in range(2))
    out = xp.empty((n, n), dtype=xp.float32)
    seconds = timeit(dev.timed(lambda: xp.matmul(a, b, out=out)), repeat=7, warmup=2)
    return 2.0 * n ** 3 / seconds / 1e9


class _TorchOnDevice:
    """``torch`` for bench_ops' case builders, with ``from_numpy`` landing on the GPU."""

    def __init__(self, torch, device):
        self._torch, self._device = torch, device

    def __getattr__(self, name):
        return getattr(self._torch, name)

    def from_numpy(self, a):
        return self._torch.from_numpy(a).to(self._device)


# ----------------------------------------------------------------------------- ops
def run_ops(dev, repeats, quick, filter_text):
    """bench_ops.CASES (reused, not copied): minigrad and torch alternately, median ms each."""
    cases = [c for c in bench_ops.CASES if filter_text in c.op or filter_text in c.shape]
    if quick:  # one forward case per op family, one timed run: a smoke test
        firsts = {}
        for c in cases:
            if c.mode == 'fwd':
                firsts.setdefault(c.op, c)
        cases = list(firsts.values())
    torch = dev.torch
    if torch is not None and dev.torch_device != 'cpu':
        torch = _TorchOnDevice(torch, dev.torch_device)
    rows = []
    for case in cases:
        thunk = dev.timed(case.minigrad())
        seconds = timeit(thunk, repeat=repeats, warmup=1 if quick else 2)
        del thunk
        row = {'op': case.op, 'shape': case.shape, 'mode': case.mode, 'ms': seconds * 1e3}
        if case.flops:
            row['GFLOP/s'] = case.flops / seconds / 1e9
        if torch is not None and case.torch is not None:
            settle()
            thunk = dev.torch_timed(case.torch(torch))
            t_seconds = timeit(thunk, repeat=repeats, warmup=1 if quick else 2)
            del thunk
            settle()
            row['torch ms'] = t_seconds * 1e3
            row['x torch'] = seconds / t_seconds
        rows.append(row)
        _progress(f"{case.op} {case.shape} {case.mode}: {seconds * 1e3:.1f} ms")
    return rows


# ----------------------------------------------------------------------------- models
def run_models(dev, repeats, quick, names):
    """One training step of each model case: warm-up, then minigrad and torch alternately."""
    rows = []
    for name in names:
        case = MODEL_CASES[name](quick)
        runner = case.minigrad(dev)
        twin = case.torch(dev.torch, dev.torch_device, like=runner) if dev.torch is not None and case.torch else None
        warm = 1 if quick else 2
        first_mg = first_torch = None
        for i in range(warm):
            loss = runner.step()
            dev.sync()
            first_mg = loss if i == 0 else first_mg
        if twin is not None:
            settle()
            for i in range(warm):
                loss = twin.step()
                dev.torch_sync()
                first_torch = loss if i == 0 else first_torch
        mg_times, torch_times = [], []
        for _ in range(repeats):
            settle()
            start = time.perf_counter()
            runner.step()
            dev.sync()
            mg_times.append(time.perf_counter() - start)
            if twin is not None:
                settle()
                start = time.perf_counter()
                twin.step()
                dev.torch_sync()
                torch_times.append(time.perf_counter() - start)
        seconds = statistics.median(mg_times)
        flops = case.step_flops()
        row = {'model': name, 'shape': case.label, 'ms': seconds * 1e3, 'runs ms': _ms(mg_times),
               'step GFLOP': flops / 1e9, 'GFLOP/s': flops / seconds / 1e9, 'loss (1st step)': first_mg}
        if torch_times:
            t_seconds = statistics.median(torch_times)
            pair, (low, high) = ratio_spread(mg_times, torch_times)
            row.update({'torch ms': t_seconds * 1e3, 'torch runs ms': _ms(torch_times), 'x torch': pair,
                        'x torch min': low, 'x torch max': high, 'torch loss (1st step)': first_torch})
        row['graph MB'] = runner.graph_bytes() / 1e6
        if twin is not None:
            row['torch saved MB'] = twin.graph_bytes() / 1e6
        row['weights MB'] = runner.weight_bytes() / 1e6
        rows.append(row)
        _progress(f"{name}: {seconds * 1e3:.0f} ms" + (f", torch {t_seconds * 1e3:.0f} ms" if torch_times else ''))
        del runner, twin
    return rows


def _ms(times):
    return [round(t * 1e3, 2) for t in times]


# ----------------------------------------------------------------------------- memory
def run_memory(dev, quick, names, model_rows=None):
    """Peak RSS of a fresh child running one step, for minigrad and torch, beside the bytes the
    autograd graphs keep (taken from the models section when it ran, else measured here)."""
    rows = []
    libs = ['minigrad'] + (['torch'] if dev.torch is not None else [])
    known = {r['model']: r for r in model_rows or []}
    for name in names:
        row = {'model': name}
        if name in known:
            row.update({k: known[name][k] for k in ('graph MB', 'torch saved MB', 'weights MB') if k in known[name]})
        else:
            case = MODEL_CASES[name](quick)
            runner = case.minigrad(dev)
            row['graph MB'], row['weights MB'] = runner.graph_bytes() / 1e6, runner.weight_bytes() / 1e6
            if dev.torch is not None and case.torch is not None:
                row['torch saved MB'] = case.torch(dev.torch, dev.torch_device).graph_bytes() / 1e6
            del runner
        for lib in libs:
            if lib == 'torch' and MODEL_CASES[name](quick).torch is None:
                continue
            result = _child(name, lib, dev.name, quick)
            prefix = '' if lib == 'minigrad' else 'torch '
            for key, value in result.items():
                row[prefix + key] = value
        rows.append(row)
        _progress(f"memory {name}: " + ', '.join(f"{k} {v:.0f}" for k, v in row.items() if isinstance(v, float)))
    return rows


def _child(name, lib, backend_name, quick):
    cmd = [sys.executable, '-m', 'benchmarks.run', '--child', name, '--child-lib', lib, '--backend', backend_name]
    if quick:
        cmd.append('--quick')
    if _BLAS_THREADS is not None:
        cmd += ['--blas-threads', str(_BLAS_THREADS)]
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"memory child for {name} ({lib}) failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _rss_mb():
    """(current RSS, peak RSS) of this process in MB.

    Linux: VmRSS / VmHWM from /proc/self/status.  VmHWM belongs to this process's own
    address space, created at exec; ``getrusage().ru_maxrss`` is NOT used there because
    Linux carries the parent's high-water mark into a child that subprocess started
    (vfork + exec), so a child of a 500 MB parent reports >= 500 MB whatever it does.
    Elsewhere: ru_maxrss (KiB on Linux, bytes on macOS) for both.
    """
    try:
        with open('/proc/self/status') as f:
            fields = dict(line.split(':', 1) for line in f if ':' in line)
        return int(fields['VmRSS'].split()[0]) / 1024, int(fields['VmHWM'].split()[0]) / 1024
    except (OSError, KeyError, ValueError):
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak = peak / 2 ** 20 if sys.platform == 'darwin' else peak / 1024
        return peak, peak


def child_main(name, lib, backend_name, quick):
    """In a fresh process: build the model and data, note the RSS, run ONE step, report the peak (MB)."""
    dev = Device(backend_name, use_torch=(lib == 'torch'))
    case = MODEL_CASES[name](quick)
    runner = case.minigrad(dev) if lib == 'minigrad' else case.torch(dev.torch, dev.torch_device)
    built, _ = _rss_mb()
    runner.step()
    dev.sync() if lib == 'minigrad' else dev.torch_sync()
    _, peak = _rss_mb()
    result = {'RSS built MB': built, 'peak RSS MB': peak, 'step RSS MB': peak - built}
    if backend_name == 'cupy':
        if lib == 'minigrad':
            result['GPU pool MB'] = dev.xp.get_default_memory_pool().total_bytes() / 2 ** 20
        else:
            result['GPU peak MB'] = dev.torch.cuda.max_memory_reserved() / 2 ** 20
    print(json.dumps(result))


# ----------------------------------------------------------------------------- output
def _progress(text):
    print('  ' + text, file=sys.stderr, flush=True)


def write_json(result, out_dir):
    """Write ``result`` to out_dir/<host>-<date>[-cupy][-quick][-blasN][-torchN].json atomically
    (temporary file + rename); return the path."""
    os.makedirs(out_dir, exist_ok=True)
    name = f"{socket.gethostname()}-{datetime.date.today().isoformat()}"
    name += ('-cupy' if result['backend'] == 'cupy' else '') + ('-quick' if result['quick'] else '')
    if result.get('blas_threads'):
        name += f"-blas{result['blas_threads']}"
    if result.get('torch_threads') and result['torch_threads'] != len(os.sched_getaffinity(0)):
        name += f"-torch{result['torch_threads']}"
    path = os.path.join(out_dir, name + '.json')
    fd, tmp = tempfile.mkstemp(prefix='.' + name, suffix='.tmp', dir=out_dir)
    try:
        with os.fdopen(fd, 'w') as f:
            json.dump(result, f, indent=1, default=_jsonable)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path


def _jsonable(value):
    if isinstance(value, numpy.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _pct(rows, key='of peak'):
    return [dict(r, **{key: f"{r[key]:.0%}"}) if isinstance(r.get(key), float) else r for r in rows]


def print_tables(result):
    print(f"\nNumPy/CuPy float32 GEMM peak: {result['gemm_peak_gflops']:.0f} GFLOP/s "
          f"(start {result['gemm_peak_start']:.0f}, end {result['gemm_peak_end']:.0f})")
    if result.get('ops'):
        print('\nOps (median ms; x torch = minigrad time / PyTorch time)')
        print(table(_pct(result['ops']), ['op', 'shape', 'mode', 'ms', 'GFLOP/s', 'of peak', 'torch ms', 'x torch']))
    if result.get('models'):
        print('\nTraining step: forward + backward + Adam (median ms; x torch = median of the per-pair '
              'ratios, min and max beside it)')
        print(table(_pct(result['models']), ['model', 'shape', 'ms', 'GFLOP/s', 'of peak', 'torch ms', 'x torch',
                                            'x torch min', 'x torch max', 'graph MB', 'torch saved MB',
                                            'weights MB']))
    if result.get('memory'):
        print('\nMemory (MB): autograd graph before backward; peak RSS of a fresh process running one step '
              '("step" = peak - RSS after building model and data)')
        print(table(result['memory'], ['model', 'weights MB', 'graph MB', 'torch saved MB', 'peak RSS MB',
                                       'step RSS MB', 'torch peak RSS MB', 'torch step RSS MB']))
    if result.get('syncs'):
        print('\ndevice->host transfers per training step (counted under the strict CuPy stand-in, '
              'the code path CuPy takes): ' + ', '.join(f"{m} {'/'.join(map(str, c))}"
                                                        for m, c in result['syncs'].items()))
    print(f"\nload average {result['load_start']} -> {result['load_end']} on {result['machine']}")
    cpu = result.get('cpu', {})
    print(f"CPU {cpu.get('cpu')}, SIMD {' '.join(cpu.get('simd flags', []))}; BLAS {cpu.get('blas')}, "
          f"OPENBLAS_CORETYPE={cpu.get('OPENBLAS_CORETYPE')}, MINIGRAD_FAST={cpu.get('MINIGRAD_FAST')}")


# ----------------------------------------------------------------------------- main
def parse_args(argv):
    p = argparse.ArgumentParser(prog='python -m benchmarks', description=__doc__.split('\n')[0])
    p.add_argument('--backend', choices=('numpy', 'cupy'), default='numpy')
    p.add_argument('--quick', action='store_true', help='tiny shapes, one timed run: a smoke test')
    p.add_argument('--only', default=None, help="comma-separated sections among ops, models, memory, syncs")
    p.add_argument('--repeats', type=int, default=None, help='timed runs per case (default 5; 1 with --quick)')
    p.add_argument('--models', default=None, help=f"comma-separated model cases (default all: {', '.join(MODEL_CASES)})")
    p.add_argument('--filter', default='', help='only op cases whose op or shape contains this text')
    p.add_argument('--no-torch', action='store_true', help='skip the PyTorch comparison')
    p.add_argument('--threads', type=int, default=None, help='torch threads (default: the cores NumPy uses)')
    p.add_argument('--blas-threads', type=int, default=None,
                   help="NumPy's BLAS threads (default: OpenBLAS's own, all cores); needs threadpoolctl")
    p.add_argument('--out', default=os.path.join(HERE, 'results'), help='folder for the JSON results')
    p.add_argument('--child', default=None, help=argparse.SUPPRESS)
    p.add_argument('--child-lib', default='minigrad', help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    sections = SECTIONS if args.only is None else tuple(s.strip() for s in args.only.split(','))
    bad = [s for s in sections if s not in SECTIONS]
    if bad:
        p.error(f"--only: unknown section(s) {bad}; choose from {SECTIONS}")
    args.sections = sections
    args.model_names = list(MODEL_CASES) if args.models is None else [m.strip() for m in args.models.split(',')]
    unknown = [m for m in args.model_names if m not in MODEL_CASES]
    if unknown:
        p.error(f"--models: unknown {unknown}; choose from {list(MODEL_CASES)}")
    if args.repeats is None:
        args.repeats = 1 if args.quick else 5
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        if args.blas_threads:
            limit_blas_threads(args.blas_threads)
        return child_main(args.child, args.child_lib, args.backend, args.quick)
    if args.blas_threads:
        limit_blas_threads(args.blas_threads)
    dev = Device(args.backend, use_torch=not args.no_torch, threads=args.threads)
    print(f"minigrad benchmarks: {machine_line()}, backend {args.backend}, float32, "
          f"torch {dev.torch.__version__ + ' (' + dev.torch_device + ', ' + str(dev.threads) + ' threads)' if dev.torch else 'not used'}"
          f"{', BLAS threads ' + str(_BLAS_THREADS) if _BLAS_THREADS else ''}"
          f"{', QUICK (tiny shapes)' if args.quick else ''}", flush=True)
    result = {'host': socket.gethostname(), 'date': datetime.datetime.now().isoformat(timespec='seconds'),
              'machine': machine_line(), 'cpu': cpu_info(), 'backend': args.backend, 'quick': args.quick,
              'repeats': args.repeats,
              'torch': dev.torch.__version__ if dev.torch else None, 'torch_device': dev.torch_device,
              'torch_threads': dev.threads if dev.torch else None, 'blas_threads': _BLAS_THREADS,
              'load_start': _load()}
    result['gemm_peak_start'] = peak_gflops(dev, args.quick)
    if 'ops' in args.sections:
        result['ops'] = run_ops(dev, args.repeats, args.quick, args.filter)
    if 'models' in args.sections:
        result['models'] = run_models(dev, args.repeats, args.quick, args.model_names)
    if 'memory' in args.sections:
        result['memory'] = run_memory(dev, args.quick, args.model_names, result.get('models'))
    if 'syncs' in args.sections:
        result['syncs'] = transfers_per_step(args.model_names)
    result['gemm_peak_end'] = peak_gflops(dev, args.quick)
    # The peak is the best the machine showed (at the start or the end of the run): a busy
    # moment lowers a measurement, nothing raises it.  Every 'of peak' is relative to it.
    result['gemm_peak_gflops'] = peak = max(result['gemm_peak_start'], result['gemm_peak_end'])
    for row in result.get('ops', []) + result.get('models', []):
        if 'GFLOP/s' in row:
            row['of peak'] = row['GFLOP/s'] / peak
    result['load_end'] = _load()
    moved = abs(result['gemm_peak_end'] - result['gemm_peak_start']) > 0.15 * peak
    result['noisy'] = bool(moved)
    print_tables(result)
    if moved:
        print("warning: the GEMM peak moved by more than 15 % during the run: something else is using the "
              "machine and these timings are noisy", file=sys.stderr)
    path = write_json(result, args.out)
    print(f"results written to {os.path.relpath(path)}")
    return result


def limit_blas_threads(n):
    """Limit NumPy's BLAS to ``n`` threads for the rest of the run (threadpoolctl).

    On a machine shared with other work, OpenBLAS's worker threads (which spin
    for a while after each call) fight the other processes and the main thread
    for the cores; one thread can then be much faster (docs/performance.md).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        raise SystemExit("--blas-threads needs threadpoolctl (pip install threadpoolctl), or set "
                         "OPENBLAS_NUM_THREADS before starting Python") from None
    global _BLAS_THREADS, _BLAS_LIMITER
    _BLAS_LIMITER = threadpool_limits(limits=n, user_api='blas')   # kept alive: the limit holds
    _BLAS_THREADS = n


_BLAS_THREADS = _BLAS_LIMITER = None


def _load():
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


if __name__ == '__main__':
    main()
