"""Activations: values against formulas, gradchecks, numerical stability at ±1e4."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
from minigrad.testing import as_numpy, assert_close, t64


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
    assert np.all(np.isfinite(as_numpy(x.grad)))


def test_relu_gradient_at_zero_is_zero():
    x = t64([0.0, 1.0])
    F.relu(x).sum().backward()
    assert_close(x.grad, [0.0, 1.0])


@pytest.mark.parametrize('slope', [0.0, 0.01, 0.2, 1.0, 1.5, -0.3])
def test_leaky_relu_exact_for_every_slope(slope, rng):
    """Values and gradients are exactly a / slope·a and g / slope·g (float32, no rounding of
    1·a), for slopes in [0, 1], above 1 and negative; the gradient at 0 is slope·g, as torch."""
    a = rng.standard_normal((4, 5, 6)).astype(np.float32)
    a[0, 0, :3] = 0.0
    g = rng.standard_normal(a.shape).astype(np.float32)
    s = np.float32(slope)
    x = mg.tensor(a, requires_grad=True)
    y = F.leaky_relu(x, slope)
    y.backward(mg.tensor(g).array)
    positive = a > 0
    assert np.array_equal(y.numpy(), np.where(positive, a, a * s))
    assert np.array_equal(x.grad.numpy(), np.where(positive, g, g * s))


def test_dropout_keeps_exact_scaled_values(rng):
    """Kept entries are exactly x·1/(1−p), dropped ones 0, in values and gradients."""
    mg.manual_seed(3)
    a = rng.standard_normal((8, 50)).astype(np.float32)
    x = mg.tensor(a, requires_grad=True)
    y = F.dropout(x, p=0.25)
    y.sum().backward()
    out, kept = y.numpy(), y.numpy() != 0
    scale = np.float32(1 / 0.75)
    assert 0.6 < kept.mean() < 0.9
    assert np.array_equal(out[kept], a[kept] * scale) and np.all(out[~kept] == 0)
    assert np.array_equal(x.grad.numpy(), np.where(kept, scale, np.float32(0)))
