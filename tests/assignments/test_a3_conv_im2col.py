"""Assignment 3 (assignments/a3_conv_im2col.md): the fast convolution of minigrad/ops/im2col.py and conv.py.

im2col's strided view and col2im are checked against their definitions; the
whole convolution against values computed with PyTorch and float64 finite
differences.
"""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
from minigrad.ops import im2col as I
from minigrad.testing import as_numpy, assert_close, t64

X1 = (np.arange(50) % 7 - 3).reshape(1, 2, 5, 5)
W1 = (np.arange(54) % 5 - 2).reshape(3, 2, 3, 3)
B1 = np.array([1.0, -2.0, 0.5])
Y1 = np.array([[[8, -12, -4], [-11, -9, 6], [10, 20, -9]],
               [[-14, 5, 12], [2, 9, -13], [1, -14, 0]],
               [[14.5, 7.5, -11.5], [0.5, -17.5, 13.5], [-7.5, -2.5, -0.5]]])   # PyTorch, stride 2, pad 1


def _arr(values):
    return mg.tensor(np.asarray(values, dtype=np.float64)).array


def _expected_windows(xpad, kernel, out_hw, stride, dilation):
    """Element [c,i,j,n,h,w] = xpad[n, c, s*h + d*i, s*w + d*j], by fancy indexing."""
    n_, c_, _, _ = xpad.shape
    c = np.arange(c_)[:, None, None, None, None, None]
    i = np.arange(kernel[0])[None, :, None, None, None, None]
    j = np.arange(kernel[1])[None, None, :, None, None, None]
    n = np.arange(n_)[None, None, None, :, None, None]
    h = np.arange(out_hw[0])[None, None, None, None, :, None]
    w = np.arange(out_hw[1])[None, None, None, None, None, :]
    return xpad[n, c, stride[0] * h + dilation[0] * i, stride[1] * w + dilation[1] * j]


GEOMETRIES = [((2, 3), (2, 1), (1, 2)), ((3, 3), (1, 1), (1, 1)), ((1, 2), (3, 2), (2, 1))]


def _out_hw(shape, kernel, stride, dilation):
    return tuple((shape[2 + a] - dilation[a] * (kernel[a] - 1) - 1) // stride[a] + 1 for a in range(2))


# ------------------------------------------------------------------------ a3_im2col
@pytest.mark.a3_im2col
def test_windows_elements(rng):
    """windows(xpad, ...)[c, i, j, n, h, w] == xpad[n, c, s*h + d*i, s*w + d*j] for three geometries."""
    xpad = rng.standard_normal((2, 3, 7, 8))
    for kernel, stride, dilation in GEOMETRIES:
        out_hw = _out_hw(xpad.shape, kernel, stride, dilation)
        view = as_numpy(I.windows(_arr(xpad), kernel, out_hw, stride, dilation))
        expected = _expected_windows(xpad, kernel, out_hw, stride, dilation)
        assert view.shape == expected.shape, f"kernel {kernel}: shape {view.shape}, expected {expected.shape}"
        assert_close(view, expected, rtol=0, atol=0, msg=f"kernel {kernel}, stride {stride}, dilation {dilation}")


@pytest.mark.a3_im2col
def test_im2col_columns(rng):
    """im2col: one row per (c, i, j), one column per output pixel (n, h, w)."""
    xpad = rng.standard_normal((2, 2, 6, 5))
    kernel, stride, dilation = (3, 2), (1, 2), (1, 1)
    out_hw = _out_hw(xpad.shape, kernel, stride, dilation)
    cols = as_numpy(I.im2col(_arr(xpad), kernel, out_hw, stride, dilation)).copy()
    expected = _expected_windows(xpad, kernel, out_hw, stride, dilation).reshape(2 * 3 * 2, -1)
    assert_close(cols, expected, rtol=0, atol=0)


# ------------------------------------------------------------------------ a3_col2im
@pytest.mark.a3_col2im
def test_col2im_counts_overlaps():
    """col2im of all-ones columns counts how many 3x3 windows cover each pixel of a 5x5 input."""
    cols = _arr(np.ones((1 * 3 * 3, 1 * 3 * 3)))
    out = as_numpy(I.col2im(cols, (1, 1, 5, 5), (3, 3), (3, 3), (1, 1), (1, 1)))
    per_axis = np.array([1, 2, 3, 2, 1])
    assert_close(out[0, 0], np.outer(per_axis, per_axis), rtol=0, atol=0)


@pytest.mark.a3_col2im
def test_col2im_is_the_adjoint_of_im2col(rng):
    """<im2col(x), D> == <x, col2im(D)> for every geometry: col2im is im2col's transpose."""
    for kernel, stride, dilation in GEOMETRIES:
        shape = (2, 3, 7, 8)
        out_hw = _out_hw(shape, kernel, stride, dilation)
        x = rng.standard_normal(shape)
        d = rng.standard_normal((3 * kernel[0] * kernel[1], 2 * out_hw[0] * out_hw[1]))
        cols = as_numpy(I.im2col(_arr(x), kernel, out_hw, stride, dilation)).copy()
        back = as_numpy(I.col2im(_arr(d), shape, kernel, out_hw, stride, dilation))
        assert back.shape == shape
        assert abs((cols * d).sum() - (x * back).sum()) < 1e-9 * (1 + abs((cols * d).sum())), \
            f"kernel {kernel}, stride {stride}, dilation {dilation}"


# --------------------------------------------------------------------- a3_conv_gemm
@pytest.mark.a3_conv_gemm
def test_conv2d_forward_values():
    """F.conv2d, stride 2, padding 1, bias, for a batch of 2: x and -x (values from PyTorch)."""
    x = np.concatenate([X1, -X1])
    y = as_numpy(F.conv2d(mg.tensor(x.astype(np.float64)), mg.tensor(W1.astype(np.float64)),
                          mg.tensor(B1), stride=2, padding=1))
    b = B1.reshape(1, 3, 1, 1)
    assert_close(y, np.concatenate([Y1[None], -(Y1[None] - b) + b]), rtol=1e-12, atol=1e-12)


@pytest.mark.a3_conv_gemm
def test_conv2d_forward_groups_dilation():
    """Dilation 2 and 2 groups, batch 1 (values from PyTorch)."""
    x = (np.arange(144) % 5 - 2).reshape(1, 4, 6, 6).astype(np.float64)
    w = (np.arange(32) % 3 - 1).reshape(4, 2, 2, 2).astype(np.float64)
    expected = np.array([[[0, 4, 3, -3], [4, 3, -3, -4], [3, -3, -4, 0], [-3, -4, 0, 4]],
                         [[4, -1, -6, -1], [-1, -6, -1, 4], [-6, -1, 4, 4], [-1, 4, 4, -1]],
                         [[3, 4, 0, -4], [4, 0, -4, -3], [0, -4, -3, 3], [-4, -3, 3, 4]],
                         [[3, -3, -4, 0], [-3, -4, 0, 4], [-4, 0, 4, 3], [0, 4, 3, -3]]])
    y = as_numpy(F.conv2d(mg.tensor(x), mg.tensor(w), dilation=2, groups=2))
    assert_close(y, expected[None], rtol=1e-12, atol=1e-12)


@pytest.mark.a3_conv_gemm
def test_conv2d_backward(rng):
    """Gradients of x, weight and bias: stride 1 (the 'full' path) and stride 2 with groups (col2im)."""
    for stride, groups in ((1, 1), (2, 2)):
        x, w, b = t64(rng.standard_normal((2, 4, 5, 5))), t64(rng.standard_normal((4, 4 // groups, 3, 3))), \
            t64(rng.standard_normal(4))
        mg.gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=1, groups=groups), [x, w, b])
