"""Embedding lookup: rows of a weight matrix picked by integer indices.

    weight (V, D), indices (*) int  ->  y (*, D),   y[p] = weight[indices[p]]

The gradient of a row is the sum of the gradients of every position that picked
it; the row ``padding_idx`` (if any) gets none, as torch, so a padding vector
stays where it was put:

    dL/dweight[k] = Σ_{p : indices[p] = k} g[p]     (0 for k = padding_idx)

one scatter-add (:class:`~minigrad.ops.shape.IndexAdd`), which is itself
differentiable.
"""
from ..function import Function
from .shape import IndexAdd


class Embedding(Function):
    """y = weight[indices];  dL/dweight = g scatter-added to the picked rows (none to padding_idx)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, weight, indices, padding_idx=None):
        ctx.indices, ctx.shape, ctx.padding_idx = indices, weight.shape, padding_idx
        return weight[indices]

    @staticmethod
    def backward(ctx, grad):
        if ctx.padding_idx is not None:
            keep = (ctx.indices != ctx.padding_idx)[..., None]
            grad = grad * keep.astype(grad.dtype)
        return IndexAdd.apply(grad, shape=ctx.shape, index=ctx.indices)
