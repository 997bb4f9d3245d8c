"""Assignment 2 (assignments/a2_conv_naive.md): convolution with loops.

The forward is checked against values worked out independently (and against
properties every convolution has); the backward with float64 finite
differences, through ``NaiveConv2d``: a Function whose forward and backward
are the two loop functions of minigrad/ops/reference.py.
"""
import numpy as np
import pytest

import minigrad as mg
from minigrad.ops import reference as R
from minigrad.testing import as_numpy, assert_close, t64


class NaiveConv2d(mg.Function):
    """conv2d through the loop references: forward and backward of minigrad/ops/reference.py."""

    @staticmethod
    def forward(ctx, x, weight, bias, **options):
        ctx.save_for_backward(x, weight)
        ctx.options, ctx.has_bias = options, bias is not None
        return R.conv2d_forward(x, weight, bias, **options)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved
        dx, dweight, dbias = R.conv2d_backward(grad, x, weight, **ctx.options)
        return dx, dweight, (dbias if ctx.has_bias else None)


def _arr(values):
    return mg.tensor(np.asarray(values, dtype=np.float64)).array


def _forward(x, w, b=None, **options):
    return as_numpy(R.conv2d_forward(_arr(x), _arr(w), None if b is None else _arr(b), **options))


# ------------------------------------------------------------------ a2_conv_forward
@pytest.mark.a2_conv_forward
def test_conv_forward_values():
    """2 -> 3 channels, 3x3 kernel, stride 2, padding 1, with bias (values computed with PyTorch)."""
    x = (np.arange(50) % 7 - 3).reshape(1, 2, 5, 5)
    w = (np.arange(54) % 5 - 2).reshape(3, 2, 3, 3)
    expected = [[[8, -12, -4], [-11, -9, 6], [10, 20, -9]],
                [[-14, 5, 12], [2, 9, -13], [1, -14, 0]],
                [[14.5, 7.5, -11.5], [0.5, -17.5, 13.5], [-7.5, -2.5, -0.5]]]
    y = _forward(x, w, [1.0, -2.0, 0.5], stride=2, padding=1)
    assert y.shape == (1, 3, 3, 3), f"output shape {y.shape}, expected (1, 3, 3, 3)"
    assert_close(y, np.array(expected)[None], rtol=1e-12, atol=1e-12)


@pytest.mark.a2_conv_forward
def test_conv_forward_dilation_groups():
    """Dilation 2 and 2 groups: each output channel sees only its group's 2 input channels (PyTorch's values)."""
    x = (np.arange(144) % 5 - 2).reshape(1, 4, 6, 6)
    w = (np.arange(32) % 3 - 1).reshape(4, 2, 2, 2)
    expected = np.array([[[0, 4, 3, -3], [4, 3, -3, -4], [3, -3, -4, 0], [-3, -4, 0, 4]],
                         [[4, -1, -6, -1], [-1, -6, -1, 4], [-6, -1, 4, 4], [-1, 4, 4, -1]],
                         [[3, 4, 0, -4], [4, 0, -4, -3], [0, -4, -3, 3], [-4, -3, 3, 4]],
                         [[3, -3, -4, 0], [-3, -4, 0, 4], [-4, 0, 4, 3], [0, 4, 3, -3]]])
    y = _forward(x, w, dilation=2, groups=2)
    assert y.shape == (1, 4, 4, 4), f"output shape {y.shape}, expected (1, 4, 4, 4)"
    assert_close(y, expected[None], rtol=1e-12, atol=1e-12)


@pytest.mark.a2_conv_forward
def test_conv_forward_box_filter(rng):
    """An all-ones 3x3 kernel with padding 1 gives each pixel the sum of its 3x3 neighbourhood."""
    x = rng.standard_normal((2, 1, 5, 6))
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    sums = sum(padded[:, :, i:i + 5, j:j + 6] for i in range(3) for j in range(3))
    assert_close(_forward(x, np.ones((1, 1, 3, 3)), padding=1), sums, rtol=1e-10, atol=1e-10)


@pytest.mark.a2_conv_forward
def test_conv_forward_stride_subsamples(rng):
    """A strided convolution is the stride-1 one sampled every s pixels (kernel 2x3, padding (1, 0))."""
    x, w = rng.standard_normal((1, 2, 7, 8)), rng.standard_normal((3, 2, 2, 3))
    full = _forward(x, w, padding=(1, 0))
    for s in (2, 3):
        assert_close(_forward(x, w, stride=s, padding=(1, 0)), full[:, :, ::s, ::s], rtol=1e-10, atol=1e-10,
                     msg=f"stride {s}")


# ----------------------------------------------------------------- a2_conv_backward
CASES = [dict(stride=1, padding=1), dict(stride=2, padding=0), dict(stride=1, padding=2, dilation=2)]


@pytest.mark.a2_conv_backward
def test_conv_backward_input(rng):
    """dL/dx only (the weight is a constant), for stride 1 / stride 2 / dilation 2."""
    for options in CASES:
        x, w = t64(rng.standard_normal((2, 2, 5, 5))), t64(rng.standard_normal((3, 2, 3, 3)), requires_grad=False)
        mg.gradcheck(lambda x, w: NaiveConv2d.apply(x, w, None, **options), [x, w])


@pytest.mark.a2_conv_backward
def test_conv_backward_weight(rng):
    """dL/dweight only (the input is a constant), for stride 1 / stride 2 / dilation 2."""
    for options in CASES:
        x, w = t64(rng.standard_normal((2, 2, 5, 5)), requires_grad=False), t64(rng.standard_normal((3, 2, 3, 3)))
        mg.gradcheck(lambda x, w: NaiveConv2d.apply(x, w, None, **options), [x, w])


@pytest.mark.a2_conv_backward
def test_conv_backward_bias(rng):
    """dL/dbias: the output gradient summed over batch and pixels."""
    x, w = t64(rng.standard_normal((2, 2, 4, 4)), requires_grad=False), t64(rng.standard_normal((3, 2, 3, 3)),
                                                                            requires_grad=False)
    mg.gradcheck(lambda b: NaiveConv2d.apply(x, w, b, padding=1), [t64(rng.standard_normal(3))])


@pytest.mark.a2_conv_backward
def test_conv_backward_groups(rng):
    """Everything at once: 2 groups, stride 2, padding 1, with bias."""
    x, w, b = t64(rng.standard_normal((1, 4, 5, 5))), t64(rng.standard_normal((4, 2, 3, 3))), \
        t64(rng.standard_normal(4))
    mg.gradcheck(lambda x, w, b: NaiveConv2d.apply(x, w, b, stride=2, padding=1, groups=2), [x, w, b])
