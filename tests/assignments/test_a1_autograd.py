"""Assignment 1 (assignments/a1_autograd.md): backward passes by hand.

Each test compares the analytic gradient (your backward) with central finite
differences (``mg.gradcheck``) in float64.  Values are kept away from the
kinks of ReLU, where finite differences are meaningless.
"""
import numpy as np
import pytest

import minigrad as mg
from minigrad.function import unbroadcast
from minigrad.testing import as_numpy, assert_close, t64


def _data(rng, *shape):
    return rng.standard_normal(shape)


# ------------------------------------------------------------------ a1_mul_backward
@pytest.mark.a1_mul_backward
def test_mul_backward(rng):
    """z = a * b for two tensors of the same shape: dL/da and dL/db."""
    a, b = t64(_data(rng, 3, 4)), t64(_data(rng, 3, 4))
    mg.gradcheck(lambda a, b: a * b, [a, b])


@pytest.mark.a1_mul_backward
def test_mul_backward_one_input_needs_grad(rng):
    """Only a requires a gradient: backward returns None for b, and a.grad = g * b."""
    av, bv, g = _data(rng, 2, 5), _data(rng, 2, 5), _data(rng, 2, 5)
    a, b = t64(av), t64(bv, requires_grad=False)
    (a * b).backward(mg.tensor(g))
    assert_close(a.grad, g * bv, rtol=1e-12, atol=1e-12)
    assert b.grad is None


# --------------------------------------------------------------- a1_matmul_backward
@pytest.mark.a1_matmul_backward
def test_matmul_backward_matrices(rng):
    """(3, 4) @ (4, 5): dL/da = g @ b^T and dL/db = a^T @ g."""
    mg.gradcheck(lambda a, b: a @ b, [t64(_data(rng, 3, 4)), t64(_data(rng, 4, 5))])


@pytest.mark.a1_matmul_backward
def test_matmul_backward_vectors(rng):
    """1-D operands: vector @ matrix, matrix @ vector and the dot product vector @ vector."""
    for sa, sb in [((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,))]:
        mg.gradcheck(lambda a, b: a @ b, [t64(_data(rng, *sa)), t64(_data(rng, *sb))])


@pytest.mark.a1_matmul_backward
def test_matmul_backward_batched(rng):
    """A batch of products (2, 3, 4) @ (2, 4, 5), no broadcasting."""
    mg.gradcheck(lambda a, b: a @ b, [t64(_data(rng, 2, 3, 4)), t64(_data(rng, 2, 4, 5))])


# ------------------------------------------------------------------ a1_sum_backward
@pytest.mark.a1_sum_backward
def test_sum_backward_all(rng):
    """z = sum of every element: dL/da is g everywhere."""
    mg.gradcheck(lambda a: a.sum(), [t64(_data(rng, 3, 4))])


@pytest.mark.a1_sum_backward
def test_sum_backward_axes(rng):
    """Sums over one or several axes, with and without keepdim."""
    for dim in (0, 1, -1, (0, 2)):
        for keepdim in (False, True):
            mg.gradcheck(lambda a: a.sum(dim=dim, keepdim=keepdim), [t64(_data(rng, 2, 3, 4))])


# ------------------------------------------------------------------- a1_unbroadcast
@pytest.mark.a1_unbroadcast
def test_unbroadcast_shapes():
    """unbroadcast itself: a (2, 3, 4) gradient summed back to shapes (3, 1), (4,), (1, 1, 4), ()."""
    g = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    grad = mg.tensor(g).array
    for shape, expected in [((3, 1), g.sum(axis=(0, 2))[:, None]), ((4,), g.sum(axis=(0, 1))),
                            ((1, 1, 4), g.sum(axis=(0, 1), keepdims=True)), ((), g.sum())]:
        out = unbroadcast(grad, shape)
        assert tuple(out.shape) == shape, f"unbroadcast to {shape} gave shape {tuple(out.shape)}"
        assert_close(as_numpy(out), expected, rtol=1e-12, atol=1e-12, msg=f"unbroadcast to {shape}")


@pytest.mark.a1_unbroadcast
def test_broadcast_add_backward(rng):
    """a + b with b broadcast from (3, 1) and from (4,) against a of shape (2, 3, 4)."""
    for shape in [(3, 1), (4,), (1, 3, 4)]:
        mg.gradcheck(lambda a, b: a + b, [t64(_data(rng, 2, 3, 4)), t64(_data(rng, *shape))])


@pytest.mark.a1_unbroadcast
def test_broadcast_mul_backward(rng):
    """A per-channel scale: x (2, 3, 4, 4) * s (1, 3, 1, 1)."""
    mg.gradcheck(lambda x, s: x * s, [t64(_data(rng, 2, 3, 4, 4)), t64(_data(rng, 1, 3, 1, 1))])


@pytest.mark.a1_unbroadcast
def test_broadcast_matmul_backward(rng):
    """One matrix applied to a batch: (2, 3, 4) @ (4, 5); b's gradient sums over the batch."""
    mg.gradcheck(lambda a, b: a @ b, [t64(_data(rng, 2, 3, 4)), t64(_data(rng, 4, 5))])


# ----------------------------------------------------------------- a1_relu_backward
@pytest.mark.a1_relu_backward
def test_relu_backward(rng):
    """relu on values at least 0.1 away from the kink at 0."""
    x = _data(rng, 4, 5)
    x = np.sign(x) * (0.1 + np.abs(x))
    mg.gradcheck(lambda x: x.relu(), [t64(x)])


@pytest.mark.a1_relu_backward
def test_relu_backward_at_zero():
    """At exactly 0 the gradient is 0 (PyTorch's convention); negatives get 0, positives g."""
    x = t64([-1.0, 0.0, 2.0])
    x.relu().backward(mg.tensor(np.array([5.0, 6.0, 7.0])))
    assert_close(x.grad, [0.0, 0.0, 7.0], rtol=0, atol=0)
