"""The Adam update of :mod:`minigrad.optim`, tuned for NumPy on a CPU.

Same signature and the same formulas as the plain ``adam_update``, run in place
in ONE reused scratch array instead of fresh temporaries (fresh memory costs
page faults), over pieces of :data:`PIECE` elements so that the passes over a
piece reread the cache, not main memory.  Measurements: docs/performance.md.
"""
from ...backend import get_array_module
from .columns import buffer

#: Elements per piece (1 M floats: 4 MB per array; the five arrays of a piece fit the cache).
PIECE = 1 << 20


def adam_update(p, g, m, v, v_max, coefficients):
    """One Adam step in place, piece by piece (see the plain ``minigrad.optim.adam_update``)."""
    arrays = [p, g, m, v, v_max]
    if p.size > PIECE and all(a.flags.c_contiguous for a in arrays if a is not None):
        flat = [None if a is None else a.reshape(-1) for a in arrays]
        for start in range(0, p.size, PIECE):
            _adam_piece(*[None if a is None else a[start:start + PIECE] for a in flat], coefficients)
    else:
        _adam_piece(*arrays, coefficients)


def _adam_piece(p, g, m, v, v_max, coefficients):
    xp = get_array_module(p)
    beta1, beta2, step_size, bias2_sqrt, eps = coefficients
    tmp = buffer(xp, 'adam', p.shape, p.dtype)
    xp.subtract(g, m, out=tmp)
    tmp *= 1 - beta1
    m += tmp                                   # m ← m + (1 − β₁)(g − m) = β₁m + (1 − β₁)g
    v *= beta2
    xp.multiply(g, g, out=tmp)
    tmp *= 1 - beta2
    v += tmp                                   # v ← β₂v + (1 − β₂)g²
    if v_max is not None:                      # amsgrad
        xp.maximum(v_max, v, out=v_max)
        v = v_max
    xp.sqrt(v, out=tmp)
    tmp /= bias2_sqrt
    tmp += eps                                 # tmp = √v / √(1 − β₂ᵗ) + ε
    xp.divide(m, tmp, out=tmp)                 # divide, then scale, as torch's addcdiv
    tmp *= step_size
    p -= tmp
