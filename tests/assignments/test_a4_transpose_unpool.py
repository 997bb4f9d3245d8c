"""Assignment 4 (assignments/a4_transpose_unpool.md): going up.

The loop transposed convolution of minigrad/ops/reference.py (values from
PyTorch, float64 gradchecks through ``NaiveConvTranspose2d``) and
max-unpooling, both the vectorised ``F.max_unpool2d`` and the loop version.
"""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
from minigrad.ops import reference as R
from minigrad.testing import as_numpy, assert_close, t64


class NaiveConvTranspose2d(mg.Function):
    """conv_transpose2d through the loop references of minigrad/ops/reference.py."""

    @staticmethod
    def forward(ctx, x, weight, bias, **options):
        ctx.save_for_backward(x, weight)
        ctx.options, ctx.has_bias = options, bias is not None
        return R.conv_transpose2d_forward(x, weight, bias, **options)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved
        dx, dweight, dbias = R.conv_transpose2d_backward(grad, x, weight, **ctx.options)
        return dx, dweight, (dbias if ctx.has_bias else None)


def _arr(values, dtype=np.float64):
    return mg.tensor(np.asarray(values, dtype=dtype)).array


# ---------------------------------------------------------------- a4_conv_transpose
@pytest.mark.a4_conv_transpose
def test_conv_transpose_values():
    """2 -> 2 channels, 3x3 kernel, stride 2, padding 1, output_padding 1, bias (values from PyTorch)."""
    x = (np.arange(8) % 5 - 2).reshape(1, 2, 2, 2)
    w = (np.arange(36) % 4 - 1).reshape(2, 2, 3, 3)
    expected = np.array([[[4.5, 2.5, -0.5, -3.5], [-5.5, 5.5, -1.5, 0.5], [-0.5, 0.5, -0.5, 0.5],
                          [0.5, 0.5, 2.5, -0.5]],
                         [[3, -6, -5, 0], [4, 1, -1, -3], [-3, -1, -1, 0], [-2, -1, -2, -1]]])
    y = as_numpy(R.conv_transpose2d_forward(_arr(x), _arr(w), _arr([0.5, -1.0]), stride=2, padding=1,
                                            output_padding=1))
    assert y.shape == (1, 2, 4, 4), f"output shape {y.shape}, expected (1, 2, 4, 4)"
    assert_close(y, expected[None], rtol=1e-12, atol=1e-12)


@pytest.mark.a4_conv_transpose
def test_conv_transpose_1x1_stride_2_spreads_pixels(rng):
    """A 1x1 kernel with stride 2 mixes channels and leaves every other row and column at zero."""
    x, w = rng.standard_normal((2, 3, 3, 4)), rng.standard_normal((3, 2, 1, 1))
    y = as_numpy(R.conv_transpose2d_forward(_arr(x), _arr(w), stride=2))
    expected = np.zeros((2, 2, 5, 7))
    expected[:, :, ::2, ::2] = np.einsum('nchw,co->nohw', x, w[:, :, 0, 0])
    assert_close(y, expected, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------- a4_conv_transpose_backward
TRANSPOSE_CASES = [dict(stride=2, padding=1, output_padding=1), dict(stride=1, padding=0),
                   dict(stride=2, padding=0, dilation=2)]


@pytest.mark.a4_conv_transpose_backward
def test_conv_transpose_backward_input(rng):
    """dL/dx only, for stride 2 with output_padding / stride 1 / dilation 2."""
    for options in TRANSPOSE_CASES:
        x, w = t64(rng.standard_normal((2, 2, 3, 3))), t64(rng.standard_normal((2, 3, 3, 3)), requires_grad=False)
        mg.gradcheck(lambda x, w: NaiveConvTranspose2d.apply(x, w, None, **options), [x, w])


@pytest.mark.a4_conv_transpose_backward
def test_conv_transpose_backward_weight(rng):
    """dL/dweight only, same cases."""
    for options in TRANSPOSE_CASES:
        x, w = t64(rng.standard_normal((2, 2, 3, 3)), requires_grad=False), t64(rng.standard_normal((2, 3, 3, 3)))
        mg.gradcheck(lambda x, w: NaiveConvTranspose2d.apply(x, w, None, **options), [x, w])


@pytest.mark.a4_conv_transpose_backward
def test_conv_transpose_backward_groups_bias(rng):
    """Everything at once: 2 groups, stride 2, padding 1, with bias."""
    x, w, b = t64(rng.standard_normal((1, 4, 3, 3))), t64(rng.standard_normal((4, 1, 3, 3))), \
        t64(rng.standard_normal(2))
    mg.gradcheck(lambda x, w, b: NaiveConvTranspose2d.apply(x, w, b, stride=2, padding=1, groups=2), [x, w, b])


# -------------------------------------------------------------------- a4_max_unpool
X = np.array([[[[1., 5., 2., 0.], [3., 4., 8., 1.], [0., 2., 1., 1.], [7., 1., 3., 9.]]]])
POOLED = np.array([[[[5., 8.], [7., 9.]]]])
INDICES = np.array([[[[1, 6], [12, 15]]]])
UNPOOLED = np.array([[[[0., 5., 0., 0.], [0., 0., 8., 0.], [0., 0., 0., 0.], [7., 0., 0., 9.]]]])


@pytest.mark.a4_max_unpool
def test_max_unpool_after_max_pool(rng):
    """max_pool2d then max_unpool2d keeps each window's maximum where it was, zeros elsewhere."""
    y = F.max_unpool2d(mg.tensor(POOLED), mg.tensor(INDICES), 2)
    assert_close(y, UNPOOLED, rtol=0, atol=0)
    x = rng.standard_normal((2, 3, 6, 4))
    pooled, idx = F.max_pool2d(mg.tensor(x), 2, return_indices=True)
    back = as_numpy(F.max_unpool2d(pooled, idx, 2))
    window_max = x.reshape(2, 3, 3, 2, 2, 2).max(axis=(3, 5)).repeat(2, axis=2).repeat(2, axis=3)
    assert_close(back, np.where(x == window_max, x, 0.0), rtol=0, atol=0)


@pytest.mark.a4_max_unpool
def test_max_unpool_loop_version():
    """The loop version in minigrad/ops/reference_pool.py gives the same result."""
    y = as_numpy(R.max_unpool2d_forward(_arr(POOLED), _arr(INDICES, np.int64), (4, 4)))
    assert_close(y, UNPOOLED, rtol=0, atol=0)


# ----------------------------------------------------------- a4_max_unpool_backward
@pytest.mark.a4_max_unpool_backward
def test_max_unpool_backward(rng):
    """Gradient of max_unpool2d with respect to its input (indices from a real max-pool)."""
    pooled, idx = F.max_pool2d(mg.tensor(rng.standard_normal((2, 2, 6, 6))), 2, return_indices=True)
    mg.gradcheck(lambda v: F.max_unpool2d(v, idx, 2), [t64(rng.standard_normal(pooled.shape))])


@pytest.mark.a4_max_unpool_backward
def test_max_unpool_backward_loop_version():
    """The loop version reads the gradient back at the indices."""
    grad = np.arange(16.0).reshape(1, 1, 4, 4)
    dx = as_numpy(R.max_unpool2d_backward(_arr(grad), _arr(INDICES, np.int64)))
    assert_close(dx, np.array([[[[1., 6.], [12., 15.]]]]), rtol=0, atol=0)
