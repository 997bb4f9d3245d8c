"""Elementwise arithmetic.  Inputs broadcast by NumPy rules; the engine
(:func:`minigrad.function.unbroadcast`) sums gradients back to each input's
shape, so every backward below is written for equal shapes.
"""
from ..backend import get_array_module
from ..function import Function


class Add(Function):
    """z = a + b;  dz/da = 1, dz/db = 1."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Sub(Function):
    """z = a - b;  dz/da = 1, dz/db = -1."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.needs_input_grad[1] else None)


class Mul(Function):
    """z = a * b;  dL/da = g * b, dL/db = g * a."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None,
                              b if ctx.needs_input_grad[0] else None)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        # BEGIN SOLUTION a1_mul_backward
        # BEGIN PROMPT
        # ctx.saved holds what forward saved: (a, b), with None where no gradient needs it.
        # Return one gradient per input, and None where ctx.needs_input_grad[i] is False.
        # END PROMPT
        a, b = ctx.saved
        return (grad * b if ctx.needs_input_grad[0] else None,
                grad * a if ctx.needs_input_grad[1] else None)
        # END SOLUTION


class Div(Function):
    """z = a / b;  dL/da = g / b, dL/db = -g * a / b² = -g * z / b."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, b):
        out = a / b
        ctx.save_for_backward(b, out if ctx.needs_input_grad[1] else None)
        return out

    @staticmethod
    def backward(ctx, grad):
        b, out = ctx.saved
        ga = grad / b if ctx.needs_input_grad[0] else None
        gb = -grad * out / b if ctx.needs_input_grad[1] else None
        return ga, gb


class Neg(Function):
    """z = -a;  dL/da = -g."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Pow(Function):
    """z = a ** b;  dL/da = g * b * a^(b-1),  dL/db = g * z * log(a) (where a > 0, else 0)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, b):
        out = a ** b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved
        ga = grad * b * a ** (b - 1) if ctx.needs_input_grad[0] else None
        gb = None
        if ctx.needs_input_grad[1]:
            positive = a > 0
            gb = grad * out * Where.apply(positive, Log.apply(Where.apply(positive, a, 1)), 0)
        return ga, gb


class Exp(Function):
    """z = exp(a);  dL/da = g * z."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a):
        out = get_array_module(a).exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.saved[0]


class Log(Function):
    """z = log(a);  dL/da = g / a."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return get_array_module(a).log(a)

    @staticmethod
    def backward(ctx, grad):
        return grad / ctx.saved[0]


class Sqrt(Function):
    """z = √a;  dL/da = g / (2 z)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a):
        out = get_array_module(a).sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad / (2 * ctx.saved[0])


class Abs(Function):
    """z = |a|;  dL/da = g * sign(a)  (0 at a = 0, as torch)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a):
        xp = get_array_module(a)
        ctx.save_for_backward(xp.sign(a))  # a constant of the gradient, even a second one
        return xp.abs(a)

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.saved[0]


class Clip(Function):
    """z = min(max(a, lo), hi);  dL/da = g where lo ≤ a ≤ hi, else 0 (torch.clamp)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, min=None, max=None):
        xp = get_array_module(a)
        inside = xp.ones(a.shape, dtype=bool)
        out = a
        if min is not None:
            inside &= a >= min
            out = xp.maximum(out, xp.asarray(min, dtype=a.dtype))
        if max is not None:
            inside &= a <= max
            out = xp.minimum(out, xp.asarray(max, dtype=a.dtype))
        ctx.save_for_backward(inside)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.saved[0]


class Maximum(Function):
    """z = max(a, b) elementwise; the gradient goes to the larger input, split evenly on ties."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, b):
        xp = get_array_module(a, b)
        out = xp.maximum(a, b)
        ctx.save_for_backward(((a > b) + 0.5 * (a == b)).astype(out.dtype))  # a's share of g
        return out

    @staticmethod
    def backward(ctx, grad):
        share, = ctx.saved
        return grad * share, grad * (1 - share)


class Minimum(Function):
    """z = min(a, b) elementwise; the gradient goes to the smaller input, split evenly on ties."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, b):
        xp = get_array_module(a, b)
        out = xp.minimum(a, b)
        ctx.save_for_backward(((a < b) + 0.5 * (a == b)).astype(out.dtype))  # a's share of g
        return out

    @staticmethod
    def backward(ctx, grad):
        share, = ctx.saved
        return grad * share, grad * (1 - share)


class Where(Function):
    """z = a where cond else b;  dL/da = g·cond, dL/db = g·(1-cond).  ``cond`` is a boolean array."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, cond, a, b):
        xp = get_array_module(cond, a, b)
        cond = cond.astype(bool)
        ctx.save_for_backward(cond)
        return xp.where(cond, a, b)

    @staticmethod
    def backward(ctx, grad):
        cond, = ctx.saved
        return None, Where.apply(cond, grad, 0), Where.apply(cond, 0, grad)
