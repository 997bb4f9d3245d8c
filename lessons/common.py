"""What every lesson shares: where its outputs go, how it records numbers and
claims, and a progress bar.  A lesson is a module with a docstring and a
``run(quick=False) -> dict`` function; see ``lessons/__main__.py``.
"""
import json
import os
import time

OUT_ROOT = os.environ.get('MINIGRAD_LESSONS_OUT', os.path.join('out', 'lessons'))


class ClaimFailed(AssertionError):
    """A lecture claim that the numbers of this run did not support."""


class Lesson:
    """Collects a lesson's numbers, figures and checked claims, then writes results.json.

    ``claim(text, holds, **numbers)`` records a statement from the lecture with
    the measurements behind it; a claim that does not hold raises
    :class:`ClaimFailed` at the end of the lesson (after its outputs are
    written, so the figures can be inspected).
    """

    def __init__(self, name, quick=False):
        self.name, self.quick = name, quick
        self.out = os.path.join(OUT_ROOT, name)
        os.makedirs(self.out, exist_ok=True)
        self.results = {'lesson': name, 'quick': quick, 'claims': [], 'figures': []}
        self.started = time.perf_counter()

    def path(self, filename):
        return os.path.join(self.out, filename)

    def record(self, **numbers):
        self.results.update({k: _plain(v) for k, v in numbers.items()})

    def claim(self, text, holds, **numbers):
        self.results['claims'].append({'claim': text, 'holds': bool(holds),
                                       **{k: _plain(v) for k, v in numbers.items()}})
        mark = 'ok ' if holds else 'NO '
        details = ', '.join(f"{k}={_fmt(v)}" for k, v in numbers.items())
        print(f"  [{mark}] {text}" + (f"  ({details})" if details else ''))

    def figure(self, fig, filename):
        """Save a matplotlib figure as PNG into this lesson's folder and close it."""
        import matplotlib.pyplot as plt
        path = self.path(filename)
        fig.savefig(path, dpi=110, bbox_inches='tight')
        plt.close(fig)
        self.results['figures'].append(filename)
        return path

    def finish(self):
        self.results['seconds'] = round(time.perf_counter() - self.started, 2)
        tmp = self.path('results.json.tmp')
        with open(tmp, 'w') as f:
            json.dump(self.results, f, indent=2)
        os.replace(tmp, self.path('results.json'))
        failed = [c['claim'] for c in self.results['claims'] if not c['holds']]
        print(f"  -> {self.out}/ ({len(self.results['figures'])} figures, "
              f"{self.results['seconds']:.1f} s)")
        if failed:
            raise ClaimFailed(f"{self.name}: claims not supported by this run: {failed}")
        return self.results


def progress(iterable, desc, total=None):
    """A tqdm progress bar when tqdm is installed (it is in the 'lessons' extra)."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, desc=desc, total=total, leave=False, dynamic_ncols=True,
                disable=os.environ.get('MINIGRAD_NO_PROGRESS') == '1')


def one_blas_thread(*preload):
    """Limit BLAS and OpenMP to one thread inside the block; a no-op without threadpoolctl.

    The lessons' GEMMs are small; on a 2-core machine OpenBLAS's second thread made
    a pix2pix step 8-20x slower whenever the other core was busy (0.05 s vs 1.0 s).
    threadpoolctl can only limit libraries already loaded, so modules that bring
    their own (e.g. scikit-learn's OpenMP) are imported first: name them in ``preload``.
    """
    import contextlib
    import importlib
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    for name in preload:
        importlib.import_module(name)
    return threadpool_limits(1)


def _plain(v):
    if hasattr(v, 'item') and getattr(v, 'size', 2) == 1:
        return v.item()
    if hasattr(v, 'tolist'):
        return v.tolist()
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def _fmt(v):
    return f"{v:.4g}" if isinstance(v, float) else str(v)
