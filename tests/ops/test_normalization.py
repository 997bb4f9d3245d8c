"""layer_norm, group_norm (over ops/standardize.py) and normalize: values against written-out
formulas and torch, float64 gradcheck and gradgradcheck, errors."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
from minigrad.testing import assert_close, t64


def _standardize(a, axes, eps):
    """(a − mean) / sqrt(biased var + eps) over ``axes``, in NumPy."""
    mean = a.mean(axis=axes, keepdims=True)
    return (a - mean) / np.sqrt(a.var(axis=axes, keepdims=True) + eps)


@pytest.mark.parametrize('shape,normalized', [((2, 3, 4), (4,)), ((2, 3, 4), (3, 4)), ((5, 1), 1), ((3, 2, 2, 3), (2, 3))])
def test_layer_norm_values_and_gradients(shape, normalized, rng):
    a = rng.standard_normal(shape)
    norm_shape = (normalized,) if isinstance(normalized, int) else normalized
    w, b = rng.standard_normal(norm_shape), rng.standard_normal(norm_shape)
    axes = tuple(range(len(shape) - len(norm_shape), len(shape)))
    assert_close(F.layer_norm(t64(a), normalized, t64(w), t64(b)), _standardize(a, axes, 1e-5) * w + b, rtol=1e-10)
    assert_close(F.layer_norm(t64(a), normalized, eps=0.5), _standardize(a, axes, 0.5), rtol=1e-10)
    assert mg.gradcheck(lambda x, w, b: F.layer_norm(x, normalized, w, b), [t64(a), t64(w), t64(b)])


@pytest.mark.parametrize('shape,groups', [((2, 4, 3, 3), 2), ((2, 6, 5), 3), ((1, 4, 2, 2), 4), ((3, 4), 1),
                                          ((2, 6, 1, 1), 2)])
def test_group_norm_values_and_gradients(shape, groups, rng):
    a = rng.standard_normal(shape)
    c = shape[1]
    w, b = rng.standard_normal(c), rng.standard_normal(c)
    grouped = a.reshape(shape[0], groups, -1)
    expected = _standardize(grouped, (2,), 1e-5).reshape(shape)
    channel = (c,) + (1,) * (len(shape) - 2)
    out = F.group_norm(t64(a), groups, t64(w), t64(b))
    assert_close(out, expected * w.reshape(channel) + b.reshape(channel), rtol=1e-9, atol=1e-9)
    assert mg.gradcheck(lambda x, w, b: F.group_norm(x, groups, w, b), [t64(a), t64(w), t64(b)])


def test_norms_differentiate_twice(rng):
    x, w, b = t64(rng.standard_normal((2, 4, 3))), t64(rng.standard_normal(4)), t64(rng.standard_normal(4))
    assert mg.gradgradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), [x, w, b])
    lw, lb = t64(rng.standard_normal(3)), t64(rng.standard_normal(3))
    assert mg.gradgradcheck(lambda x, w, b: F.layer_norm(x, 3, w, b), [x, lw, lb])


def test_group_norm_extremes_are_layer_and_instance_norm(rng):
    a = rng.standard_normal((2, 4, 3, 3))
    assert_close(F.group_norm(t64(a), 1), F.layer_norm(t64(a), (4, 3, 3)), rtol=1e-12)
    assert_close(F.group_norm(t64(a), 4), F.instance_norm(t64(a)), rtol=1e-9, atol=1e-12)


def test_norms_keep_float32():
    x = mg.randn(2, 4, 3, requires_grad=True)
    y = F.group_norm(x, 2) + F.layer_norm(x, 3)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


@pytest.mark.parametrize('p,dim', [(2.0, 1), (1, 0), (3, -1), (float('inf'), 1)])
def test_normalize_values_and_gradients(p, dim, rng):
    a = rng.standard_normal((3, 4, 2))
    norm = np.linalg.norm(np.moveaxis(a, dim, -1), ord=p, axis=-1, keepdims=True)
    assert_close(F.normalize(t64(a), p, dim), a / np.moveaxis(norm, -1, dim), rtol=1e-10)
    assert mg.gradcheck(lambda x: F.normalize(x, p, dim), [t64(a)])


def test_normalize_zero_slice_stays_zero_and_differentiates_twice(rng):
    a = np.array([[0.0, 0.0], [3.0, 4.0]])
    assert_close(F.normalize(t64(a)), [[0, 0], [0.6, 0.8]])
    assert mg.gradgradcheck(lambda x: F.normalize(x, dim=-1), [t64(rng.standard_normal((2, 3)))])


def test_against_torch(rng):
    torch = pytest.importorskip('torch')
    tf = torch.nn.functional
    a = rng.standard_normal((2, 6, 4, 5))
    w, b = rng.standard_normal(6), rng.standard_normal(6)
    lw, lb = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    cases = [(lambda m, x, *p: m.group_norm(x, 3, *p, eps=1e-3), (w, b)),
             (lambda m, x, *p: m.layer_norm(x, (4, 5), *p), (lw, lb)),
             (lambda m, x: m.normalize(x, p=3.0, dim=2), ())]
    v = rng.standard_normal(a.shape)
    for fn, params in cases:
        ours = [t64(a)] + [t64(q) for q in params]
        theirs = [torch.tensor(a, requires_grad=True)] + [torch.tensor(q, requires_grad=True) for q in params]
        out, ref = fn(F, *ours), fn(tf, *theirs)
        assert_close(out, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
        out.backward(mg.tensor(v))
        ref.backward(torch.tensor(v))
        for m, t in zip(ours, theirs):
            assert_close(m.grad, t.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_errors_name_the_op_and_shapes():
    x = mg.randn(2, 6, 3)
    with pytest.raises(ValueError, match=r'group_norm: .*divisible by num_groups, got input of shape \(2, 6, 3\) and num_groups=4'):
        F.group_norm(x, 4)
    with pytest.raises(ValueError, match=r'group_norm: weight must have shape \(6,\)'):
        F.group_norm(x, 3, mg.ones(3))
    with pytest.raises(ValueError, match=r'group_norm: expected an input of shape \(N, C, \*\)'):
        F.group_norm(mg.randn(6), 3)
    with pytest.raises(ValueError, match=r'layer_norm: given normalized_shape=\[4\], expected an input of shape \[\*, 4\], got \(2, 6, 3\)'):
        F.layer_norm(x, (4,))
    with pytest.raises(ValueError, match=r'layer_norm: bias must have shape \(3,\)'):
        F.layer_norm(x, 3, mg.ones(3), mg.ones(2))
    with pytest.raises(TypeError, match='layer_norm: expected a floating-point input'):
        F.layer_norm(mg.tensor([[1, 2]]), 2)
    with pytest.raises(IndexError, match='dimension out of range'):
        F.normalize(mg.randn(3), dim=1)
