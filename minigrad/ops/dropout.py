"""Dropout: zero random entries (or whole channels) while training.

"Inverted" dropout, as torch: each kept value is scaled by 1/(1 − p) at
training time, so the expected output equals the input and evaluation needs
no rescaling at all (dropout is then the identity)::

    y = x · keep / (1 − p),  keep ~ Bernoulli(1 − p)        dL/dx = g · keep / (1 − p)

``dropout`` draws one ``keep`` per element; ``dropout2d`` one per (sample,
channel), broadcast over H×W, so a whole feature map is dropped at once
(neighbouring pixels are strongly correlated, so dropping single pixels of a
conv feature map barely regularises).  The masks are drawn in
:mod:`minigrad.functional.dropout`.
"""
from ..backend import get_array_module
from ..function import Function


class Dropout(Function):
    """y = x · keep · scale with a given boolean ``keep`` mask (broadcastable to x);
    dL/dx = g · keep · scale (the mask is a constant: the backward runs on Tensors as it is)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, keep, scale):
        get_array_module(x, keep, op='dropout')  # raises on mixed backends
        ctx.save_for_backward(keep)
        ctx.scale = scale
        return x * _kept_scale(keep, scale, x.dtype)

    @staticmethod
    def backward(ctx, grad):
        keep, = ctx.saved
        return grad * _kept_scale(keep, ctx.scale, grad.dtype)


def _kept_scale(keep, scale, dtype):
    """keep · scale as floats (scale or 0).  A product, not ``xp.where`` (far slower on a random
    mask in NumPy, docs/performance.md); like torch, an inf or NaN input stays NaN where dropped."""
    factor = keep.astype(dtype)
    factor *= dtype.type(scale)
    return factor
