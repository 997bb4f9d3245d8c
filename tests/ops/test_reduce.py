"""Reductions: sum/mean/max/min/var over axes with keepdims; values and gradchecks."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.testing import assert_close, t64

AXES = [None, 0, 1, -1, (0, 2), (1, 2)]


@pytest.mark.parametrize('axis', AXES)
@pytest.mark.parametrize('keepdims', [False, True])
@pytest.mark.parametrize('name', ['sum', 'mean', 'amax', 'amin', 'var'])
def test_reduce(name, axis, keepdims, rng):
    a = rng.standard_normal((2, 3, 4))
    out = getattr(t64(a), name)(dim=axis, keepdim=keepdims)
    ref = getattr(np, name[1:] if name in ('amax', 'amin') else name)(
        a, axis=axis, keepdims=keepdims, **({'ddof': 1} if name == 'var' else {}))
    assert_close(out, ref, rtol=1e-12)
    assert mg.gradcheck(lambda x: getattr(x, name)(dim=axis, keepdim=keepdims), [t64(a)])


def test_var_biased():
    a = np.arange(6.0).reshape(2, 3)
    assert_close(t64(a).var(dim=1, unbiased=False), a.var(axis=1))


def test_max_tie_splits_gradient():
    x = t64([[1.0, 3.0, 3.0]])
    x.max().backward()
    assert_close(x.grad, [[0, 0.5, 0.5]])


def test_bad_axis_names_op():
    with pytest.raises(IndexError, match=r'sum: dimension out of range \(expected to be in range of \[-2, 1\], but got 3\)'):
        t64(np.ones((2, 2))).sum(dim=3)


def test_mean_keeps_float32():
    x = mg.ones(4, 4, requires_grad=True)
    y = x.mean()
    y.backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32
