"""Activations.  Each backward uses what the forward already computed
(the output for sigmoid/tanh/softmax, a mask for ReLU) so no transcendental
function is evaluated twice.

Every backward here is written with operators (and :class:`~.elementwise.Exp`), so it
also runs on Tensors and can be differentiated again (``create_graph=True``): the saved
output is then the output Tensor, and the second derivative flows through it
(e.g. d/da of g·z(1 − z) for the sigmoid).  ReLU's and LeakyReLU's masks are constants:
their second derivative is 0 (almost everywhere), as torch's.
"""
from ..backend import get_array_module
from ..function import Function
from .elementwise import Exp


class ReLU(Function):
    """z = max(a, 0);  dL/da = g · [a > 0]."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a):
        xp = get_array_module(a)
        out = xp.maximum(a, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        # BEGIN SOLUTION a1_relu_backward
        # BEGIN PROMPT
        # forward saved its output; where was the input positive?
        # END PROMPT
        out, = ctx.saved
        return grad * (out > 0)
        # END SOLUTION


class LeakyReLU(Function):
    """z = a if a > 0 else slope·a;  dL/da = g · (1 if a > 0 else slope).

    No ``xp.where``: on a random sign pattern it is far slower than plain arithmetic
    in NumPy (docs/performance.md).  The forward is
    max(a, slope·a) (min for slope > 1), exact; the backward multiplies by
    :func:`_slopes`.  The saved sign is a 1-byte mask, not the input.
    """
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, negative_slope=0.01):
        xp = get_array_module(a)
        ctx.save_for_backward(a > 0)
        ctx.slope = negative_slope
        scaled = a * a.dtype.type(negative_slope)
        return (xp.maximum if negative_slope <= 1 else xp.minimum)(scaled, a, out=scaled)

    @staticmethod
    def backward(ctx, grad):
        positive, = ctx.saved
        return grad * _slopes(positive, ctx.slope, grad.dtype)


def _slopes(positive, slope, dtype):
    """1.0 where ``positive``, else ``slope`` — exactly (1 − m, times slope, plus m: every
    term is 0 or exact), in four whole-array passes."""
    m = positive.astype(dtype)
    out = 1 - m
    out *= dtype.type(slope)
    out += m
    return out


class Sigmoid(Function):
    """z = 1 / (1 + e^-a), computed without overflow for large |a|;  dL/da = g · z(1 - z)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a):
        xp = get_array_module(a)
        e = xp.exp(-xp.abs(a))  # in (0, 1]: never overflows
        out = xp.where(a >= 0, 1 / (1 + e), e / (1 + e))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved
        return grad * out * (1 - out)


class Tanh(Function):
    """z = tanh(a);  dL/da = g · (1 - z²)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a):
        out = get_array_module(a).tanh(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved
        return grad * (1 - out * out)


def _log_softmax(xp, a, axis):
    shifted = a - a.max(axis=axis, keepdims=True)  # largest logit becomes 0: exp cannot overflow
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


class Softmax(Function):
    """z_i = e^{a_i} / Σ_j e^{a_j} along ``dim``;  dL/da = z · (g - Σ_j g_j z_j)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, dim=-1):
        xp = get_array_module(a)
        out = xp.exp(_log_softmax(xp, a, dim))
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved
        return out * (grad - (grad * out).sum(axis=ctx.dim, keepdims=True))


class LogSoftmax(Function):
    """z_i = a_i - log Σ_j e^{a_j} (max-shifted, stable for logits of ±1e4);
    dL/da = g - softmax(a) · Σ_j g_j."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, dim=-1):
        xp = get_array_module(a)
        out = _log_softmax(xp, a, dim)
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved
        return grad - Exp.apply(out) * grad.sum(axis=ctx.dim, keepdims=True)
