"""Activations.  Each backward uses what the forward already computed
(the output for sigmoid/tanh/softmax, a mask for ReLU) so no transcendental
function is evaluated twice.
"""
from ..backend import get_array_module
from ..function import Function


class ReLU(Function):
    """z = max(a, 0);  dL/da = g · [a > 0]."""

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
    """z = a if a > 0 else slope·a;  dL/da = g · (1 if a > 0 else slope)."""

    @staticmethod
    def forward(ctx, a, negative_slope=0.01):
        xp = get_array_module(a)
        positive = a > 0
        ctx.save_for_backward(positive)
        ctx.slope = negative_slope
        return xp.where(positive, a, a * a.dtype.type(negative_slope))

    @staticmethod
    def backward(ctx, grad):
        positive, = ctx.saved
        xp = get_array_module(grad)
        return xp.where(positive, grad, grad * grad.dtype.type(ctx.slope))


class Sigmoid(Function):
    """z = 1 / (1 + e^-a), computed without overflow for large |a|;  dL/da = g · z(1 - z)."""

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
        xp = get_array_module(grad)
        return grad - xp.exp(out) * grad.sum(axis=ctx.dim, keepdims=True)
