"""Reductions over axes: sum, mean, max/min, var.  ``axis`` is None (all),
an int or a tuple; ``keepdims`` as NumPy.  Each backward first puts the reduced
axes back as size-1 axes so the gradient broadcasts over them.
"""
from ..backend import get_array_module
from ..function import Function
from .shape import Expand, normalize_dim


class Sum(Function):
    """z = Σ_axes a;  dL/da = g broadcast back over the summed axes."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False):
        ctx.shape, ctx.axes, ctx.keepdims = a.shape, normalize_axis(axis, a.ndim, 'sum'), keepdims
        return a.sum(axis=ctx.axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        # BEGIN SOLUTION a1_sum_backward
        # BEGIN PROMPT
        # grad has the output's shape; return an array of the input's shape ctx.shape.
        # ctx.axes are the summed axes and ctx.keepdims says whether they were kept (size 1);
        # the helper _expand (at the end of this file) may be useful, and so may xp.broadcast_to.
        # END PROMPT
        return Expand.apply(_expand(grad, ctx.shape, ctx.axes, ctx.keepdims), shape=ctx.shape)
        # END SOLUTION


class Mean(Function):
    """z = (1/n) Σ_axes a, n = number of reduced elements;  dL/da = g / n."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False):
        ctx.shape, ctx.axes, ctx.keepdims = a.shape, normalize_axis(axis, a.ndim, 'mean'), keepdims
        return a.mean(axis=ctx.axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        n = 1
        for i in ctx.axes:
            n *= ctx.shape[i]
        return Expand.apply(_expand(grad, ctx.shape, ctx.axes, ctx.keepdims) / max(n, 1), shape=ctx.shape)


def _extremum_forward(ctx, a, out, axes, keepdims):
    ctx.save_for_backward(a == out)  # where the extremum is (ties share the gradient)
    ctx.axes = axes
    return out if keepdims else out.reshape([n for i, n in enumerate(a.shape) if i not in axes])


def _extremum_backward(ctx, grad):
    hit, = ctx.saved
    g = grad.reshape([1 if i in ctx.axes else n for i, n in enumerate(hit.shape)])
    count = hit.sum(axis=ctx.axes, keepdims=True)
    return g * hit / count.astype(grad.dtype)


def _check_nonempty(a, op):
    if a.size == 0:
        raise ValueError(f"{op}: cannot reduce an empty tensor of shape {a.shape}")


class Max(Function):
    """z = max_axes a;  dL/da = g at the maxima, split evenly among ties (like torch.amax)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False):
        axes = normalize_axis(axis, a.ndim, 'max')
        _check_nonempty(a, 'max')
        return _extremum_forward(ctx, a, a.max(axis=axes, keepdims=True), axes, keepdims)

    backward = staticmethod(_extremum_backward)


class Min(Function):
    """z = min_axes a;  dL/da = g at the minima, split evenly among ties (like torch.amin)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False):
        axes = normalize_axis(axis, a.ndim, 'min')
        _check_nonempty(a, 'min')
        return _extremum_forward(ctx, a, a.min(axis=axes, keepdims=True), axes, keepdims)

    backward = staticmethod(_extremum_backward)


class Var(Function):
    """z = Σ (a - ā)² / (n - correction);  dL/da = g · 2(a - ā) / (n - correction)."""

    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False, correction=1):
        axes = normalize_axis(axis, a.ndim, 'var')
        n = 1
        for i in axes:
            n *= a.shape[i]
        centered = a - a.mean(axis=axes, keepdims=True)
        denom = max(n - correction, 0)
        ctx.save_for_backward(centered)
        ctx.axes, ctx.keepdims, ctx.denom = axes, keepdims, denom
        return (centered ** 2).sum(axis=axes, keepdims=keepdims) / a.dtype.type(denom) \
            if denom > 0 else (centered ** 2).sum(axis=axes, keepdims=keepdims) * float('nan')

    @staticmethod
    def backward(ctx, grad):
        centered, = ctx.saved
        g = _expand(grad, centered.shape, ctx.axes, ctx.keepdims)
        return g * centered * (2.0 / ctx.denom if ctx.denom > 0 else float('nan'))


class Norm(Function):
    """z = (Σ_axes a²)^½ (the 2-norm);  dL/da = g · a / z, and 0 where z = 0 (as torch)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False):
        xp = get_array_module(a)
        ctx.axes, ctx.keepdims = normalize_axis(axis, a.ndim, 'norm'), keepdims
        out = xp.sqrt((a * a).sum(axis=ctx.axes, keepdims=keepdims))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved
        z = _expand(out, a.shape, ctx.axes, ctx.keepdims)
        g = _expand(grad, a.shape, ctx.axes, ctx.keepdims)
        return g * a / (z + (z == 0))  # a is 0 wherever z is: the gradient there is 0, not 0/0


def normalize_axis(axis, ndim, op):
    """Return a sorted tuple of non-negative axes; ValueError naming ``op`` if out of range."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(sorted({normalize_dim(a, ndim, op) for a in axes}))


def _expand(grad, shape, axes, keepdims):
    """Reshape a reduced gradient so it broadcasts against the input ``shape``."""
    if keepdims:
        return grad
    kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
    return grad.reshape(kept)
