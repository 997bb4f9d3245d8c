"""What every lesson shares: where its outputs go, how it records slides, numbers
and claims, and a progress bar.

A lesson is a module ``lessons/lNN_<topic>.py`` with a docstring (first line: its
title) and a ``run(quick=False, seed=0) -> dict`` function that follows the lecture:
``lesson.slide(quote)`` opens a section with the slide's words, the section computes,
and ``lesson.claim(...)`` states what the numbers show.  ``python -m lessons`` runs
them in order; ``python -m lessons.robustness`` re-runs them over seeds and BLAS
kernels and tabulates every claim's margin.
"""
import json
import os
import sys
import time

OUT_ROOT = os.environ.get('MINIGRAD_LESSONS_OUT', os.path.join('out', 'lessons'))


class ClaimFailed(AssertionError):
    """A lecture claim that the numbers of this run did not support."""


class Lesson:
    """Collects a lesson's slides, numbers, figures and checked claims, then writes results.json.

    ``claim(text, holds, margin=..., **numbers)`` records a statement with the
    measurements behind it.  ``margin`` is how far the measurement clears the
    claim's stated bound, in the claim's own unit (positive: the claim holds); when
    ``holds`` is omitted it is ``margin > 0``.  A claim that does not hold raises
    :class:`ClaimFailed` at the end of the lesson (after its outputs are written, so
    the figures can be inspected), unless it was recorded with ``asserted=False``:
    such claims (e.g. ones that quick mode's tiny runs cannot make robust) are kept
    in results.json for the record and never fail a run.
    """

    def __init__(self, name, quick=False, seed=0):
        self.name, self.quick, self.seed = name, quick, seed
        self.out = os.path.join(OUT_ROOT, name)
        os.makedirs(self.out, exist_ok=True)
        self.results = {'lesson': name, 'quick': quick, 'seed': seed, 'blas': blas_kernel(),
                        'slides': [], 'claims': [], 'figures': []}
        self.started = time.perf_counter()

    def path(self, filename):
        return os.path.join(self.out, filename)

    def slide(self, quote):
        """Open a section: the lecture's words that the following computation and claims test."""
        self.results['slides'].append(quote)
        print(f"  -- \"{quote}\"")

    def record(self, **numbers):
        self.results.update({k: _plain(v) for k, v in numbers.items()})

    def claim(self, text, holds=None, *, margin=None, asserted=True, **numbers):
        if holds is None:
            if margin is None:
                raise ValueError(f"claim {text!r}: give holds, margin, or both")
            holds = margin > 0
        entry = {'claim': text, 'holds': bool(holds), 'asserted': bool(asserted),
                 'slide': len(self.results['slides']) - 1}
        if margin is not None:
            entry['margin'] = _plain(margin)
        entry.update({k: _plain(v) for k, v in numbers.items()})
        self.results['claims'].append(entry)
        mark = 'ok ' if holds else 'NO '
        shown = dict(numbers, **({} if margin is None else {'margin': margin}))
        details = ', '.join(f"{k}={_fmt(v)}" for k, v in shown.items())
        note = '' if asserted else '  [recorded, not asserted]'
        print(f"  [{mark}] {text}" + (f"  ({details})" if details else '') + note)

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
        failed = [c['claim'] for c in self.results['claims'] if c['asserted'] and not c['holds']]
        print(f"  -> {self.out}/ ({len(self.results['figures'])} figures, "
              f"{self.results['seconds']:.1f} s)")
        if failed:
            raise ClaimFailed(f"{self.name}: claims not supported by this run: {failed}")
        return self.results


def progress(iterable, desc, total=None):
    """Progress over a loop: a tqdm bar on a terminal, a few plain lines in a log file.

    ``MINIGRAD_NO_PROGRESS=1`` silences both (the test suite sets it).
    """
    if os.environ.get('MINIGRAD_NO_PROGRESS') == '1':
        return iterable
    if not sys.stderr.isatty():
        return _plain_progress(iterable, desc, total)
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _plain_progress(iterable, desc, total)
    return tqdm(iterable, desc=desc, total=total, leave=False, dynamic_ncols=True)


def _plain_progress(iterable, desc, total=None):
    """One line at each quarter of the loop: a log file grows by lines, not by redrawn bars."""
    total = total if total is not None else (len(iterable) if hasattr(iterable, '__len__') else None)
    start, next_quarter = time.perf_counter(), 1
    for i, item in enumerate(iterable, 1):
        yield item
        if total and i * 4 >= next_quarter * total:
            while next_quarter * total <= i * 4:
                next_quarter += 1
            print(f"    {desc}: {i}/{total} ({time.perf_counter() - start:.1f} s)", file=sys.stderr, flush=True)


def one_blas_thread(*preload):
    """Limit BLAS and OpenMP to one thread inside the block; a no-op without threadpoolctl.

    The lessons' GEMMs are small, and a second BLAS thread only waits for a busy core
    (docs/performance.md).  threadpoolctl can only limit libraries already loaded, so
    modules that bring their own (e.g. scikit-learn's OpenMP) are imported first:
    name them in ``preload``.
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


def blas_kernel():
    """The BLAS library and the CPU kernel it picked (e.g. 'openblas SkylakeX'), for the record."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return 'unknown (threadpoolctl not installed)'
    import numpy  # noqa: F401  (load NumPy's BLAS so threadpoolctl sees it)
    blas = [i for i in threadpool_info() if i.get('user_api') == 'blas']
    if not blas:
        return 'unknown'
    return f"{blas[0].get('internal_api', '?')} {blas[0].get('architecture', '?')}"


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
