"""Batch and instance normalisation, each ONE fused Function.

Both standardise every value with a mean μ and variance σ² taken over some
axes, then scale and shift per channel c::

    x̂ = (x − μ) / √(σ² + ε)            y = γ[c] · x̂ + β[c]

Batch norm takes μ, σ² per channel over (N, H, W) (all axes but 1); instance
norm takes them per (sample, channel) over (H, W) only.  With m values in one
statistics group (m = N·H·W or H·W) and g = dL/dy, the backward is::

    dL/dβ[c] = Σ g                       dL/dγ[c] = Σ g · x̂      (sums over all but axis 1)
    dL/dx    = γ/√(σ²+ε) · (g − mean(g) − x̂ · mean(g · x̂))      (means over one group)

The two subtracted means are the paths through μ and σ² (each output depends
on every input of its group through them).  Writing it as one Function keeps
one saved array (x, as torch; x̂ is recomputed from it and the per-group μ and
1/σ) instead of the ~6 a chain of elementwise ops would keep.

**Second derivatives.**  The backward is written with operators and reductions
only, so under ``create_graph`` it runs on Tensors: x is then the input Tensor and,
with batch statistics, μ and 1/σ are recomputed from it as Tensors, so the
gradient's own dependence on x (through x̂, μ and σ) is differentiated too.

When the statistics are *given* (eval mode: the running estimates) they are
constants, the groups decouple and ``dL/dx = γ/√(σ²+ε) · g``.

Running statistics (``running_mean`` / ``running_var`` arrays passed as
hyper-parameters) are updated IN PLACE during a training forward, as torch's
kernels do::

    running_mean ← (1 − momentum)·running_mean + momentum·μ
    running_var  ← (1 − momentum)·running_var  + momentum·σ²·m/(m − 1)   (unbiased)
"""
from ..backend import get_array_module
from ..function import Function
from .elementwise import Sqrt


class BatchNorm(Function):
    """y = γ·(x − μ)/√(σ²+ε) + β with μ, σ² per channel over all axes but 1.

    x (N, C, *), weight γ and bias β (C,) or None.  ``training=True``: batch
    statistics (biased σ² for normalising), running estimates updated in
    place with the unbiased σ²; ``training=False``: the running estimates.
    Gradients: see the module docstring.
    """
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean=None, running_var=None, training=True,
                momentum=0.1, eps=1e-5):
        xp = get_array_module(x, weight, bias, running_mean, running_var, op='batch_norm')
        if x.size == 0:  # an empty batch: an empty result, running estimates untouched (as torch)
            return xp.zeros(x.shape, dtype=x.dtype)
        axes = (0,) + tuple(range(2, x.ndim))
        cshape = _channel_shape(x.ndim, x.shape[1])
        if training:
            xhat, invstd, mean, var = _normalize(xp, x, axes, None, None, eps)
            m = x.size // x.shape[1]
            if running_mean is not None:
                _update_running(running_mean, mean.reshape(-1), momentum)
            if running_var is not None:
                _update_running(running_var, var.reshape(-1) * (m / (m - 1)), momentum)
        else:
            xhat, invstd, mean, _ = _normalize(xp, x, axes, running_mean.reshape(cshape).astype(x.dtype, copy=False),
                                               running_var.reshape(cshape).astype(x.dtype, copy=False), eps)
        ctx.batch_stats, ctx.eps = training, eps
        ctx.save_for_backward(x, mean, invstd, weight)
        return _affine(xhat, weight, bias, cshape)

    @staticmethod
    def backward(ctx, grad):
        return _backward(ctx, grad, (0,) + tuple(range(2, grad.ndim)))


class InstanceNorm(Function):
    """y = γ·(x − μ)/√(σ²+ε) + β with μ, σ² per (sample, channel) over the spatial axes.

    x (N, C, *spatial), weight γ and bias β (C,) or None.
    ``use_input_stats=True``: each instance's own statistics; running
    estimates (if given) move towards the batch average of the per-instance
    μ and unbiased σ².  ``use_input_stats=False``: the running estimates (per
    channel).  Gradients: see the module docstring (groups of m = H·W).
    """
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean=None, running_var=None, use_input_stats=True,
                momentum=0.1, eps=1e-5):
        xp = get_array_module(x, weight, bias, running_mean, running_var, op='instance_norm')
        if x.size == 0:  # an empty batch: an empty result, running estimates untouched (torch makes them NaN)
            if weight is not None or bias is not None:
                raise ValueError(f"instance_norm: an empty input of shape {tuple(x.shape)} with affine "
                                 "parameters (torch raises here too)")
            return xp.zeros(x.shape, dtype=x.dtype)
        axes = tuple(range(2, x.ndim))
        cshape = _channel_shape(x.ndim, x.shape[1])
        if use_input_stats:
            xhat, invstd, mean, var = _normalize(xp, x, axes, None, None, eps)
            m = x.size // (x.shape[0] * x.shape[1])
            n, c = x.shape[:2]
            if running_mean is not None:
                _update_running(running_mean, mean.reshape(n, c).mean(axis=0), momentum)
            if running_var is not None:
                _update_running(running_var, (var.reshape(n, c) * (m / (m - 1))).mean(axis=0), momentum)
        else:
            xhat, invstd, mean, _ = _normalize(xp, x, axes, running_mean.reshape(cshape).astype(x.dtype, copy=False),
                                               running_var.reshape(cshape).astype(x.dtype, copy=False), eps)
        ctx.batch_stats, ctx.eps = use_input_stats, eps
        ctx.save_for_backward(x, mean, invstd, weight)
        return _affine(xhat, weight, bias, cshape)

    @staticmethod
    def backward(ctx, grad):
        return _backward(ctx, grad, tuple(range(2, grad.ndim)))


def _channel_shape(ndim, channels):
    shape = [1] * ndim
    shape[1] = channels
    return tuple(shape)


def _normalize(xp, x, axes, mean, var, eps):
    """x̂ and 1/√(σ²+ε); ``mean``/``var`` are None to use x's own statistics over ``axes``."""
    if mean is None:
        mean = x.mean(axis=axes, keepdims=True)
        centered = x - mean
        var = (centered * centered).mean(axis=axes, keepdims=True)
    else:
        centered = x - mean
    invstd = 1 / xp.sqrt(var + x.dtype.type(eps))
    centered *= invstd  # centered is a fresh array: reuse it for x̂
    return centered, invstd, mean, var


def _affine(xhat, weight, bias, cshape):
    out = xhat * weight.reshape(cshape) if weight is not None else xhat.copy()
    if bias is not None:
        out += bias.reshape(cshape)
    return out


def _update_running(running, value, momentum):
    """running ← (1 − momentum)·running + momentum·value, in place, keeping running's dtype."""
    running *= running.dtype.type(1 - momentum)
    running += (momentum * value).astype(running.dtype, copy=False)


def _backward(ctx, grad, stat_axes):
    """The shared backward; ``stat_axes`` are the axes one statistics group spans.  Written with
    operators and reductions only, so it runs on arrays and, under ``create_graph``, on Tensors."""
    param_axes = tuple(i for i in range(grad.ndim) if i != 1)
    if grad.size == 0:  # an empty batch: an empty input gradient, zero parameter gradients (as torch)
        return grad, grad.sum(axis=param_axes), grad.sum(axis=param_axes)
    x, mean, invstd, weight = ctx.saved
    if ctx.create_graph and ctx.batch_stats:  # μ and 1/σ as functions of the input Tensor x
        mean = x.mean(axis=stat_axes, keepdims=True)
        centered = x - mean
        invstd = 1 / Sqrt.apply((centered * centered).mean(axis=stat_axes, keepdims=True) + ctx.eps)
        xhat = centered * invstd
    elif ctx.create_graph:                    # given statistics: constants
        xhat = (x - mean) * invstd
    else:                                     # arrays: x̂ in one fresh buffer
        xhat = x - mean
        xhat *= invstd
    cshape = _channel_shape(grad.ndim, grad.shape[1])
    need_x, need_w, need_b = ctx.needs_input_grad
    dw = (grad * xhat).sum(axis=param_axes) if need_w else None
    db = grad.sum(axis=param_axes) if need_b else None
    dx = None
    if need_x:
        scale = invstd if weight is None else invstd * weight.reshape(cshape)
        if not ctx.batch_stats:
            dx = grad * scale
        else:
            g_mean = grad.mean(axis=stat_axes, keepdims=True)
            gx_mean = (grad * xhat).mean(axis=stat_axes, keepdims=True)
            if ctx.create_graph:
                dx = scale * (grad - g_mean - xhat * gx_mean)
            else:  # the same on arrays, in x̂'s own (fresh) buffer: no full-size temporaries
                dx = xhat
                dx *= gx_mean
                dx += g_mean
                get_array_module(grad).subtract(grad, dx, out=dx)
                dx *= scale
    return dx, dw, db
