"""Judge one check: the student's outputs against the reference's, in the grader's process.

Both sides are dictionaries of NumPy arrays (or None) that came through
:mod:`minigrad.assign.values`.  A check passes when the keys are the same,
every shape is the same and every element agrees within
``atol + rtol * |expected|`` (NaN only where the reference has NaN; integers
and booleans exactly).  The message names the first output that differs, the
number of wrong elements and the worst one, in words a student can act on.
"""
import numpy as np

MAX_MESSAGE = 4000


def _fmt(x):
    return f'{x:.6g}' if isinstance(x, float) else repr(x)


def compare(expected, got, rtol, atol):
    """'' when ``got`` matches ``expected``, else one paragraph saying where it does not."""
    missing = [k for k in expected if k not in got]
    extra = [k for k in got if k not in expected]
    if missing or extra:
        return (f"the check's outputs came back as {sorted(got)}, expected {sorted(expected)}"
                " (did the code under test return the wrong thing?)")
    for key, want in expected.items():
        have = got[key]
        if want is None or have is None:
            if (want is None) != (have is None):
                return (f"{key}: expected None (no value)" if want is None
                        else f"{key}: got None, expected an array of shape {tuple(want.shape)}")
            continue
        if have.shape != want.shape:
            return f"{key}: shape {tuple(have.shape)}, expected {tuple(want.shape)}"
        if want.dtype.kind in 'biu' and have.dtype.kind in 'biu':
            wrong = have != want
        else:
            w, h = want.astype(np.float64), have.astype(np.float64)
            with np.errstate(invalid='ignore', over='ignore'):
                close = np.abs(h - w) <= atol + rtol * np.abs(w)
            close |= np.isnan(w) & np.isnan(h)
            close |= np.isinf(w) & (h == w)
            wrong = ~close
        if wrong.any():
            count = int(wrong.sum())
            if want.ndim == 0:
                return f"{key}: got {_fmt(have.item())}, expected {_fmt(want.item())}"
            with np.errstate(invalid='ignore', over='ignore'):
                error = np.where(wrong, np.abs(have.astype(np.float64) - want.astype(np.float64)), -1.0)
            error = np.where(np.isnan(error), np.inf, error)
            worst = np.unravel_index(int(np.argmax(error)), want.shape)
            return (f"{key}: {count} of {want.size} elements differ; the worst at index "
                    f"{tuple(int(i) for i in worst)}: got {_fmt(have[worst].item())}, "
                    f"expected {_fmt(want[worst].item())}")
    return ''


def clip(text, limit=MAX_MESSAGE):
    """At most ``limit`` characters and 30 lines of ``text``."""
    lines = (text or '').splitlines()
    text = '\n'.join(lines[:30]) + ('\n…' if len(lines) > 30 else '')
    return text if len(text) <= limit else text[:limit - 1] + '…'
