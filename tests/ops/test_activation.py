"""Activations: values against formulas, gradchecks, numerical stability at ±1e4."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
from minigrad.testing import assert_close, t64


def np_log_softmax(a, axis):
    m = a.max(axis=axis, keepdims=True)
    return a - m - np.log(np.exp(a - m).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize('fn,ref', [
    (F.relu, lambda a: np.maximum(a, 0)),
    (lambda x: F.leaky_relu(x, 0.2), lambda a: np.where(a > 0, a, 0.2 * a)),
    (F.sigmoid, lambda a: 1 / (1 + np.exp(-a))),
    (F.tanh, np.tanh),
])
def test_pointwise(fn, ref, rng):
    a = rng.standard_normal((3, 4, 5))
    a[np.abs(a) < 1e-3] = 0.5  # keep away from the kinks for finite differences
    assert_close(fn(t64(a)), ref(a), rtol=1e-12)
    assert mg.gradcheck(fn, [t64(a)])


@pytest.mark.parametrize('dim', [0, 1, -1])
def test_softmax_and_log_softmax(dim, rng):
    a = rng.standard_normal((2, 3, 4))
    assert_close(F.log_softmax(t64(a), dim), np_log_softmax(a, dim), rtol=1e-12)
    assert_close(F.softmax(t64(a), dim), np.exp(np_log_softmax(a, dim)), rtol=1e-12)
    assert mg.gradcheck(lambda x: F.softmax(x, dim), [t64(a)])
    assert mg.gradcheck(lambda x: F.log_softmax(x, dim), [t64(a)])


def test_softmax_stable_for_huge_logits():
    x = mg.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], requires_grad=True)
    ls = F.log_softmax(x, dim=1)
    assert np.all(np.isfinite(ls.numpy()))
    assert_close(ls[0, 0], 0.0)
    assert_close(F.softmax(x, 1)[1], [1 / 3] * 3)
    (ls * mg.tensor([[1.0, 0, 0], [0, 1.0, 0]])).sum().backward()
    assert np.all(np.isfinite(x.grad))


def test_relu_gradient_at_zero_is_zero():
    x = t64([0.0, 1.0])
    F.relu(x).sum().backward()
    assert_close(x.grad, [0.0, 1.0])
