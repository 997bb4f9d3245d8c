"""Resampling: nearest and bilinear upsampling (NCHW, PyTorch's conventions).

    Interpolate   x (N, C, H, W) -> y (N, C, Ho, Wo)   ('nearest' or 'bilinear')

**Upsampling is a linear map along each axis**: y = A_h · x · A_wᵀ with
A_h (Ho, H) holding, per output row, the weight of each input row — a single
1 for 'nearest', the two weights (1 − λ, λ) of the neighbours for 'bilinear'
(two per axis: four neighbours in 2-D).  The gradient is the transposed map,
dx = A_hᵀ · g · A_w (the "transposed scatter").  Bilinear forward and both
backwards are these small matrix products (GEMMs rather than gathers plus
``add.at``); nearest forward is a plain gather.  Argument checking:
:mod:`minigrad.functional.resample`; the loop version: :mod:`minigrad.ops.reference_pool`.
"""
from ..backend import get_array_module
from ..function import Function
from .matmul import MatMul


class Interpolate(Function):
    """y = A_h · x · A_wᵀ over the last two axes, A_h (Ho, H) and A_w (Wo, W) from :func:`interp_matrix`.

    Gradient: dx = A_hᵀ · g · A_w (each output pixel sends its gradient back to the
    input pixels it read, with the same weights).
    """
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, size, scales, mode, align_corners):
        xp = get_array_module(x)
        (h, w), (oh, ow) = x.shape[2:], size
        if mode == 'nearest':  # a pure gather: no arithmetic at all
            rows = nearest_source(xp, h, oh, scales[0])
            cols = nearest_source(xp, w, ow, scales[1])
            y = x.take(rows, axis=2).take(cols, axis=3)  # two 1-D gathers beat one 2-D fancy index
        if mode == 'bilinear' or ctx.requires_grad:
            ah = interp_matrix(xp, h, oh, scales[0], mode, align_corners, x.dtype)
            aw = interp_matrix(xp, w, ow, scales[1], mode, align_corners, x.dtype)
            ctx.save_for_backward(ah, aw)
        if mode == 'bilinear':
            y = xp.matmul(ah, xp.matmul(x, aw.T))
        return y

    @staticmethod
    def backward(ctx, grad):
        ah, aw = ctx.saved   # constants: the gradient is linear in g, and MatMul's backward runs on Tensors
        return (MatMul.apply(ah.T, MatMul.apply(grad, aw)),)


# --------------------------------------------------------------------------- kernels


def nearest_source(xp, in_size, out_size, scale):
    """Input index of each output index, torch's legacy 'nearest': floor(dst · in/out).

    ``scale`` is the user's scale_factor (then 1/scale_factor replaces in/out) or
    None.  Like torch, computed in float32, and out == in / out == 2·in are the
    exact copies dst / dst // 2 whatever the scale factor.
    """
    dst = xp.arange(out_size)
    if out_size == in_size:
        return dst
    if out_size == 2 * in_size:
        return dst // 2
    f32 = xp.float32  # the NumPy scalar type (CuPy re-exports it)
    ratio = f32(1.0 / scale) if scale else f32(in_size) / f32(out_size)
    return xp.minimum(xp.floor(dst.astype(xp.float32) * ratio).astype(xp.int64), in_size - 1)


def linear_source(xp, in_size, out_size, scale, align_corners, dtype):
    """(i0, i1, w0, w1): each output index reads w0·x[i0] + w1·x[i1] (torch's 'bilinear' along one axis).

    Source coordinate u of output index dst (computed in ``dtype``, as torch):
      align_corners=True:  u = dst · (in − 1)/(out − 1)    (corner pixels' centres meet)
      align_corners=False: u = max((dst + ½) · r − ½, 0)    r = 1/scale_factor or in/out
    then i0 = floor(u), i1 = min(i0 + 1, in − 1), w1 = u − i0, w0 = 1 − w1.
    An axis whose size does not change is copied as is (u = dst), as torch does
    even when a scale factor other than 1 was given.
    """
    ftype = dtype.type  # scalar arithmetic in the array's precision
    dst = xp.arange(out_size, dtype=dtype)
    if out_size == in_size:
        src = dst
    elif align_corners:
        ratio = ftype(in_size - 1) / ftype(out_size - 1) if out_size > 1 else ftype(0)
        src = dst * ratio
    else:
        ratio = ftype(1.0 / scale) if scale else ftype(in_size) / ftype(out_size)
        src = xp.maximum((dst + ftype(0.5)) * ratio - ftype(0.5), ftype(0))
    i0 = xp.minimum(xp.floor(src).astype(xp.int64), in_size - 1)
    w1 = xp.clip(src - i0.astype(dtype), 0, 1).astype(dtype)
    i1 = xp.minimum(i0 + 1, in_size - 1)
    return i0, i1, (1 - w1).astype(dtype), w1


def interp_matrix(xp, in_size, out_size, scale, mode, align_corners, dtype):
    """A (out, in): row o holds the weights output index o gives each input index."""
    a = xp.zeros((out_size, in_size), dtype=dtype)
    rows = xp.arange(out_size)
    if mode == 'nearest':
        a[rows, nearest_source(xp, in_size, out_size, scale)] = 1
    else:
        i0, i1, w0, w1 = linear_source(xp, in_size, out_size, scale, align_corners, dtype)
        a[rows, i0] = w0
        a[rows, i1] += w1  # i1 == i0 at the last row/column: the weights add up to 1
    return a
