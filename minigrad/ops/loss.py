"""Loss functions, with torch.nn.functional's names, arguments and reductions.

Every loss first computes one number per element (or per pixel), ℓ_i, then
reduces them as ``reduction`` says:

    'mean' : Σ_i ℓ_i / N      (N = number of elements; cross entropy uses class weights, below)
    'sum'  : Σ_i ℓ_i
    'none' : the array of ℓ_i itself

So the backward of a reduced loss is the per-element derivative times g/N
(mean), g (sum) or the incoming gradient array g_i ('none').

**The lecture's L2 and ``mse_loss``.**  The colorization slide writes

    L2(Ŷ, Y) = ½ Σ_{h,w} ‖Y_{h,w} − Ŷ_{h,w}‖²₂

a *sum* over pixels and channels, halved.  ``mse_loss`` (like torch's) is the
*mean* over all N elements, so for one image with N = H·W·C values

    L2 = ½ · N · mse_loss(Ŷ, Y)          (and ½ · mse_loss(…, reduction='sum') = L2).

Both have the same minimiser; they differ only by a constant factor, which
acts like a different learning rate.

**Cross entropy** (``CrossEntropy``, in ``ops/cross_entropy.py``) is one fused Function: log-softmax,
the gather of the true class and the reduction happen in one forward, and the
backward is the classic ``softmax − target distribution`` without ever
building a one-hot array.  It handles class-index targets (classification,
segmentation) and probability targets (the colorization loss
−1/HW Σ_{h,w} Σ_q Z_{h,w,q} log Ẑ_{h,w,q}).
Argument checking and the public functions: :mod:`minigrad.functional.loss`.
"""
import numpy

from ..backend import get_array_module
from ..function import Function
from .activation import ReLU, Sigmoid
from .elementwise import Abs, Exp, Log, Maximum, Where


# ------------------------------------------------------------- regression
class MSELoss(Function):
    """ℓ_i = (x_i − y_i)²;   ∂ℓ_i/∂x_i = 2 (x_i − y_i) = −∂ℓ_i/∂y_i."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx, input, target, reduction='mean'):
        ctx.target_dtype, ctx.reduction, ctx.count = target.dtype, reduction, input.size
        diff = input - target.astype(input.dtype, copy=False)
        ctx.save_for_backward(input, target)  # the inputs, not diff: a second derivative needs their graph
        return _reduce(diff * diff, reduction)

    @staticmethod
    def backward(ctx, grad):
        input, target = ctx.saved
        diff = input - _cast_back(target, input.dtype)
        g = 2 * diff * _grad_scale(grad, ctx.reduction, ctx.count)
        return g, (_cast_back(-g, ctx.target_dtype) if ctx.needs_input_grad[1] else None)


class L1Loss(Function):
    """ℓ_i = |x_i − y_i|;   ∂ℓ_i/∂x_i = sign(x_i − y_i) (0 at a tie, as torch) = −∂ℓ_i/∂y_i.

    The saved sign is a constant: the second derivative is 0 (almost everywhere)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, input, target, reduction='mean'):
        xp = get_array_module(input)
        ctx.target_dtype, ctx.reduction, ctx.count = target.dtype, reduction, input.size
        diff = input - target.astype(input.dtype, copy=False)
        ctx.save_for_backward(xp.sign(diff))
        return _reduce(xp.abs(diff), reduction)

    @staticmethod
    def backward(ctx, grad):
        sign, = ctx.saved
        g = sign * _grad_scale(grad, ctx.reduction, ctx.count)
        return g, (_cast_back(-g, ctx.target_dtype) if ctx.needs_input_grad[1] else None)


class SmoothL1Loss(Function):
    """Huber-like: with d = x − y,
    ℓ = ½ d²/β if |d| < β, else |d| − ½β;   ∂ℓ/∂x = d/β if |d| < β, else sign(d)  (= −∂ℓ/∂y).
    β = 0 is plain L1 (as torch).

    Second derivative: ∂²ℓ/∂x² = [|d| < β]/β (torch's): the zone mask and the slope sign(d)
    outside it are constants, d is recomputed from the saved x and y (not saved itself)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, input, target, reduction='mean', beta=1.0):
        xp = get_array_module(input)
        ctx.target_dtype, ctx.reduction, ctx.count = target.dtype, reduction, input.size
        diff = input - target.astype(input.dtype, copy=False)
        ad = xp.abs(diff)
        if beta == 0:
            quad = xp.zeros(diff.shape, dtype=bool)
            loss = ad
        else:
            quad = ad < beta
            b = diff.dtype.type(beta)
            loss = xp.where(quad, diff * diff * (0.5 / b), ad - 0.5 * b)
        ctx.save_for_backward(input, target, quad)  # the inputs, not diff: a second derivative needs their graph
        ctx.beta = beta
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        input, target, quad = ctx.saved
        diff = input - _cast_back(target, input.dtype)
        if ctx.create_graph:  # on Tensors: sign(d) from comparisons (a constant slope, as torch's)
            sign = (diff > 0).astype(diff.dtype) - (diff < 0).astype(diff.dtype)
            local = Where.apply(quad, diff / (ctx.beta or 1), sign)
        else:
            xp = get_array_module(diff)
            local = xp.where(quad, diff / diff.dtype.type(ctx.beta or 1), xp.sign(diff))
        g = local * _grad_scale(grad, ctx.reduction, ctx.count)
        return g, (_cast_back(-g, ctx.target_dtype) if ctx.needs_input_grad[1] else None)


# -------------------------------------------------------------- binary CE
class BinaryCrossEntropy(Function):
    """Probabilities in:  ℓ = −w [y log x + (1 − y) log(1 − x)], each log clamped at −100 (torch).

    ∂ℓ/∂x = w (x − y) / max(x(1 − x), 1e−12)   (torch's formula; exact wherever no clamp is active)
    ∂ℓ/∂y = w (log(1 − x) − log x)   (clamped logs)
    """
    differentiable_backward = True

    @staticmethod
    def forward(ctx, input, target, weight, reduction='mean'):
        xp = get_array_module(input)
        ctx.target_dtype, ctx.reduction, ctx.count = target.dtype, reduction, input.size
        y = target.astype(input.dtype, copy=False)
        w = None if weight is None else weight.astype(input.dtype, copy=False)
        with numpy.errstate(divide='ignore'):  # log(0) = -inf, then clamped; CuPy never warns
            log_x = xp.maximum(xp.log(input), -100)
            log_1mx = xp.maximum(xp.log1p(-input), -100)
        loss = -(y * log_x + (1 - y) * log_1mx)
        if w is not None:
            loss = loss * w
        ctx.save_for_backward(input, y, w, log_x if ctx.needs_input_grad[1] else None,
                              log_1mx if ctx.needs_input_grad[1] else None)
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        x, y, w, log_x, log_1mx = ctx.saved
        scale = _grad_scale(grad, ctx.reduction, ctx.count)
        if w is not None:
            scale = scale * w
        if ctx.create_graph:  # on Tensors: the clamps and logs as ops of x (the saved logs are constants)
            x_1mx = Maximum.apply(x * (1 - x), 1e-12)
            log_x, log_1mx = Maximum.apply(Log.apply(x), -100), Maximum.apply(Log.apply(1 - x), -100)
        else:
            x_1mx = get_array_module(x).maximum(x * (1 - x), x.dtype.type(1e-12))
        gx = gy = None
        if ctx.needs_input_grad[0]:
            gx = scale * (x - y) / x_1mx
        if ctx.needs_input_grad[1]:
            gy = _cast_back(scale * (log_1mx - log_x), ctx.target_dtype)
        return gx, gy, None


def _softplus(xp, z):
    """log(1 + e^z) = max(z, 0) + log1p(e^−|z|): no overflow for any z."""
    return xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))


def _softplus_ops(z):
    """:func:`_softplus` made of ops (for a backward on Tensors); log(1 + e) for log1p(e)."""
    return ReLU.apply(z) + Log.apply(1 + Exp.apply(-Abs.apply(z)))


class BinaryCrossEntropyWithLogits(Function):
    """Logits in.  With σ the sigmoid, p the pos_weight and w the weight:

    ℓ = −w [p·y log σ(x) + (1 − y) log(1 − σ(x))]
      =  w [p·y softplus(−x) + (1 − y) softplus(x)]        (the stable form: no exp overflow)

    ∂ℓ/∂x = w [(1 − y) σ(x) − p·y (1 − σ(x))]        (= w (σ(x) − y) when p = 1)
    ∂ℓ/∂y = w [p softplus(−x) − softplus(x)]
    """
    differentiable_backward = True

    @staticmethod
    def forward(ctx, input, target, weight, pos_weight, reduction='mean'):
        xp = get_array_module(input)
        ctx.target_dtype, ctx.reduction, ctx.count = target.dtype, reduction, input.size
        dt = input.dtype
        y = target.astype(dt, copy=False)
        w = None if weight is None else weight.astype(dt, copy=False)
        pw = None if pos_weight is None else pos_weight.astype(dt, copy=False)
        sp_pos = _softplus(xp, input)        # −log(1 − σ(x))
        sp_neg = sp_pos - input              # −log σ(x) = softplus(−x)
        pos = y * sp_neg if pw is None else pw * y * sp_neg
        loss = pos + (1 - y) * sp_pos
        if w is not None:
            loss = loss * w
        ctx.save_for_backward(input, y, w, pw)
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        x, y, w, pw = ctx.saved
        scale = _grad_scale(grad, ctx.reduction, ctx.count)
        if w is not None:
            scale = scale * w
        gx = gy = None
        if ctx.needs_input_grad[0]:
            sig = Sigmoid.apply(x)                   # (an op: on Tensors, differentiable again)
            gx = scale * (sig - y if pw is None else (1 - y) * sig - pw * y * (1 - sig))
        if ctx.needs_input_grad[1]:
            sp_pos = _softplus_ops(x) if ctx.create_graph else _softplus(get_array_module(x), x)
            sp_neg = sp_pos - x
            gy = _cast_back(scale * ((sp_neg if pw is None else pw * sp_neg) - sp_pos), ctx.target_dtype)
        return gx, gy, None, None


# ------------------------------------------------------------------ array helpers
def _reduce(loss, reduction, count=None):
    """Reduce per-element losses; ``count`` is the mean's denominator (default: loss.size)."""
    if reduction == 'none':
        return loss
    xp = get_array_module(loss)
    total = xp.asarray(loss.sum(), dtype=loss.dtype)
    if reduction == 'sum':
        return total
    return total / (loss.size if count is None else count)


def _mean_over(total, denom):
    """total / denom; 0 / 0 (every target ignored) is NaN, as torch, without a warning."""
    with numpy.errstate(invalid='ignore', divide='ignore'):
        return total / denom


def _grad_scale(grad, reduction, count):
    """dL/dℓ_i for every element: g/count (mean), g (sum), or the array g_i (none)."""
    if reduction == 'mean':
        return grad / count
    return grad


def _cast_back(g, dtype):
    """``g`` in ``dtype`` (itself when it already is; array or Tensor)."""
    return g if g is None or g.dtype == dtype else g.astype(dtype)
