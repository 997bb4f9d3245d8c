"""Standardise over some axes: the one normalisation behind layer_norm and group_norm.

For each slice over ``axes`` with n elements::

    μ = (1/n) Σ x        σ² = (1/n) Σ (x − μ)²   (biased, as torch's norms)
    r = 1 / √(σ² + ε)    x̂ = (x − μ) · r

and, with g = dL/dx̂ and the means taken over the same slice,

    dL/dx = r · (g − mean(g) − x̂ · mean(g · x̂))

(the two subtracted terms are the gradient through μ and through σ²).  The
affine scale and shift of the layers are ordinary broadcasting ops on top.

Backward saves only x and recomputes μ and r from it with the same operators
that run on Tensors, so under ``create_graph=True`` it is differentiated again
through x (second derivatives of a norm depend on x through μ and r, which a
saved constant would hide).
"""
from ..function import Function


def _statistics(x, axes, eps):
    """(x̂, r): the standardised values and the reciprocal standard deviation (kept dims)."""
    centred = x - x.mean(axis=axes, keepdims=True)
    rstd = ((centred * centred).mean(axis=axes, keepdims=True) + eps) ** -0.5
    return centred * rstd, rstd


class Standardize(Function):
    """x̂ = (x − μ) / √(σ² + ε) over ``axes`` (a tuple of non-negative axes);
    dL/dx = r · (g − mean(g) − x̂ · mean(g · x̂)) (see the module docstring)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, axes, eps):
        ctx.axes, ctx.eps = tuple(axes), float(eps)
        ctx.save_for_backward(x)
        xhat, _ = _statistics(x, ctx.axes, x.dtype.type(eps))
        return xhat

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved
        axes = ctx.axes
        xhat, rstd = _statistics(x, axes, ctx.eps)
        mean_g = grad.mean(axis=axes, keepdims=True)
        mean_gx = (grad * xhat).mean(axis=axes, keepdims=True)
        return (grad - mean_g - xhat * mean_gx) * rstd
