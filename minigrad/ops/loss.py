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

**Cross entropy** (:func:`cross_entropy`) is one fused Function: log-softmax,
the gather of the true class and the reduction happen in one forward, and the
backward is the classic ``softmax − target distribution`` without ever
building a one-hot array.  It handles class-index targets (classification,
segmentation) and probability targets (the colorization loss
−1/HW Σ_{h,w} Σ_q Z_{h,w,q} log Ẑ_{h,w,q}).
"""
import numpy

from ..backend import get_array_module
from ..function import Function
from ..tensor import Tensor

_REDUCTIONS = ('mean', 'sum', 'none')


# ------------------------------------------------------------------ helpers
def _check_reduction(reduction, op):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _shape(x):
    return tuple(x.shape) if hasattr(x, 'shape') else ()


def _arr(x):
    return x.data if isinstance(x, Tensor) else x


def _check_same_shape(input, target, op):
    if _shape(input) != _shape(target):
        raise ValueError(f"{op}: input and target must have the same shape, got input "
                         f"{_shape(input)} and target {_shape(target)} (minigrad does not "
                         "broadcast losses: a silent (N, 1) vs (N,) broadcast is a classic bug)")


def _check_float(x, op, name='input'):
    dtype = getattr(x, 'dtype', None)
    if dtype is None or numpy.dtype(dtype).kind != 'f':
        raise TypeError(f"{op}: {name} must be a floating-point tensor, got dtype {dtype}")


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
    return None if g is None else g.astype(dtype, copy=False)


# ------------------------------------------------------------- regression
class MSELoss(Function):
    """ℓ_i = (x_i − y_i)²;   ∂ℓ_i/∂x_i = 2 (x_i − y_i) = −∂ℓ_i/∂y_i."""

    @staticmethod
    def forward(ctx, input, target, reduction='mean'):
        ctx.target_dtype, ctx.reduction, ctx.count = target.dtype, reduction, input.size
        diff = input - target.astype(input.dtype, copy=False)
        ctx.save_for_backward(diff)
        return _reduce(diff * diff, reduction)

    @staticmethod
    def backward(ctx, grad):
        diff, = ctx.saved
        g = 2 * diff * _grad_scale(grad, ctx.reduction, ctx.count)
        return g, (_cast_back(-g, ctx.target_dtype) if ctx.needs_input_grad[1] else None)


class L1Loss(Function):
    """ℓ_i = |x_i − y_i|;   ∂ℓ_i/∂x_i = sign(x_i − y_i) (0 at a tie, as torch) = −∂ℓ_i/∂y_i."""

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
    β = 0 is plain L1 (as torch)."""

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
        ctx.save_for_backward(diff, quad)
        ctx.beta = beta
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        diff, quad = ctx.saved
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
        xp = get_array_module(x)
        scale = _grad_scale(grad, ctx.reduction, ctx.count)
        if w is not None:
            scale = scale * w
        gx = gy = None
        if ctx.needs_input_grad[0]:
            gx = scale * (x - y) / xp.maximum(x * (1 - x), x.dtype.type(1e-12))
        if ctx.needs_input_grad[1]:
            gy = _cast_back(scale * (log_1mx - log_x), ctx.target_dtype)
        return gx, gy, None


def _softplus(xp, z):
    """log(1 + e^z) = max(z, 0) + log1p(e^−|z|): no overflow for any z."""
    return xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))


class BinaryCrossEntropyWithLogits(Function):
    """Logits in.  With σ the sigmoid, p the pos_weight and w the weight:

    ℓ = −w [p·y log σ(x) + (1 − y) log(1 − σ(x))]
      =  w [p·y softplus(−x) + (1 − y) softplus(x)]        (the stable form: no exp overflow)

    ∂ℓ/∂x = w [(1 − y) σ(x) − p·y (1 − σ(x))]        (= w (σ(x) − y) when p = 1)
    ∂ℓ/∂y = w [p softplus(−x) − softplus(x)]
    """

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
        xp = get_array_module(x)
        scale = _grad_scale(grad, ctx.reduction, ctx.count)
        if w is not None:
            scale = scale * w
        e = xp.exp(-xp.abs(x))                       # in (0, 1]
        sig = xp.where(x >= 0, 1 / (1 + e), e / (1 + e))
        gx = gy = None
        if ctx.needs_input_grad[0]:
            gx = scale * (sig - y if pw is None else (1 - y) * sig - pw * y * (1 - sig))
        if ctx.needs_input_grad[1]:
            sp_pos = _softplus(xp, x)
            sp_neg = sp_pos - x
            gy = _cast_back(scale * ((sp_neg if pw is None else pw * sp_neg) - sp_pos), ctx.target_dtype)
        return gx, gy, None, None


# ------------------------------------------------------- multi-class CE
def _as_ncm(a):
    """(C,) -> (1, C, 1);  (N, C, d1, …) -> (N, C, d1·…) (a view when contiguous)."""
    if a.ndim == 1:
        return a.reshape(1, a.shape[0], 1)
    return a.reshape(a.shape[0], a.shape[1], -1)


def _pixels_shape(input_shape):
    """Shape of the per-sample loss: the input without its class axis."""
    return () if len(input_shape) == 1 else (input_shape[0],) + tuple(input_shape[2:])


def _class_targets(xp, target, n, c, m, ignore_index, op):
    """Labels as (N, M), a validity mask, and labels with ignored ones replaced by 0 (safe to index)."""
    y = target.reshape(n, m)
    valid = y != ignore_index
    bad = valid & ((y < 0) | (y >= c))
    if bool(bad.any()):
        raise ValueError(f"{op}: target holds class {int(y[bad][0])}, outside [0, {c}) "
                         f"and not ignore_index={ignore_index}")
    return xp.where(valid, y, 0), valid


def _pixel_weight(xp, pixel_weight, pixels_shape, n, m, dtype, op):
    if pixel_weight is None:
        return None
    try:
        pw = xp.broadcast_to(pixel_weight.astype(dtype, copy=False), pixels_shape)
    except ValueError:
        raise ValueError(f"{op}: pixel_weight of shape {tuple(pixel_weight.shape)} does not broadcast "
                         f"to the per-pixel loss shape {pixels_shape}") from None
    return pw.reshape(n, m)


class CrossEntropy(Function):
    """Softmax cross entropy over the class axis 1 (axis 0 for an unbatched (C,) input).

    Shapes: input x (N, C, d1, …) logits; write p = softmax(x) and log p = log-softmax
    (max-shifted: finite for logits of ±1e4).  Each pixel i gets a *weighted target
    distribution* t_i over the C classes, and

        ℓ_i = −Σ_c t_{i,c} log p_{i,c}           ∂ℓ_i/∂x_{i,c} = p_{i,c} Σ_k t_{i,k} − t_{i,c}

    (softmax − target distribution, scaled by the target's total mass).

    * class indices y_i (ignored where y_i = ignore_index), class weights w, smoothing ε:
      t_{i,c} = (1 − ε) w_{y_i} [c = y_i] + (ε/C) w_c.   'mean' divides Σ ℓ_i by Σ_i w_{y_i}
      over non-ignored i — torch's weighted mean, smoothing term included.
    * probabilities q_i (soft targets, same shape as x):  t_{i,c} = w_c ((1 − ε) q_{i,c} + ε/C);
      'mean' divides by the number of pixels (torch's probability-target semantics).
      ∂ℓ_i/∂q_{i,c} = −(1 − ε) w_c log p_{i,c}.

    ``pixel_weight`` v_i (a minigrad extension) multiplies ℓ_i; the 'mean' denominator is unchanged.
    The losses never materialise log p: Σ_c t_c log p_c = Σ_c t_c s_c − (Σ_c t_c) log Σ_c e^{s_c},
    with s = x − max x.  Forward keeps p (one input-sized array) for backward.
    """

    @staticmethod
    def forward(ctx, input, target, weight, pixel_weight, ignore_index=-100, reduction='mean',
                label_smoothing=0.0):
        xp = get_array_module(input)
        op, dt, eps = 'cross_entropy', input.dtype, label_smoothing
        x = _as_ncm(input)
        n, c, m = x.shape
        soft = target.dtype.kind == 'f'
        w = None if weight is None else weight.astype(dt, copy=False)
        shifted = x - x.max(axis=1, keepdims=True)
        e = xp.exp(shifted)
        lse = e.sum(axis=1, keepdims=True)            # Σ e^s, in [1, C]
        log_lse = xp.log(lse)[:, 0, :]                 # (N, M)
        pixels = _pixels_shape(input.shape)
        pw = _pixel_weight(xp, pixel_weight, pixels, n, m, dt, op)
        if soft:
            q = target.astype(dt, copy=False).reshape(n, c, m)
            t = q * (1 - eps) + eps / c if eps else q
            if w is not None:
                t = t * w.reshape(1, c, 1)
            mass = t.sum(axis=1)                                      # Σ_c t_c, (N, M)
            loss = mass * log_lse - (t * shifted).sum(axis=1)
            denom = n * m
            ctx.save_for_backward(target)
        else:
            y, valid = _class_targets(xp, target, n, c, m, ignore_index, op)
            idx_n = xp.arange(n).reshape(n, 1)
            idx_m = xp.arange(m).reshape(1, m)
            shifted_y = shifted[idx_n, y, idx_m]                      # (N, M)
            valid = valid.astype(dt)                                  # 1.0, or 0.0 where ignored
            w_y = valid if w is None else w[y] * valid                # w_{y_i}, 0 where ignored
            loss = (1 - eps) * w_y * (log_lse - shifted_y)
            if eps:                                                   # ε/C Σ_c w_c (−log p_c)
                w_sum = c if w is None else w.sum()
                ws = shifted.sum(axis=1) if w is None else xp.matmul(w, shifted)
                loss = loss + (eps / c) * valid * (w_sum * log_lse - ws)
            denom = w_y.sum()
            ctx.save_for_backward(y, valid, w_y)
        if pw is not None:
            loss = loss * pw
        if ctx.requires_grad:
            ctx.soft, ctx.w, ctx.pw, ctx.eps, ctx.denom = soft, w, pw, eps, denom
            ctx.reduction, ctx.shape, ctx.target_dtype = reduction, input.shape, target.dtype
            ctx.mass = mass if soft else None
            if ctx.needs_input_grad[0]:
                e /= lse                                              # e^s / Σ e^s = softmax, in place
            ctx.p = e if ctx.needs_input_grad[0] else None
            ctx.logp = shifted - log_lse[:, None, :] if soft and ctx.needs_input_grad[1] else None
        if reduction == 'none':
            return loss.reshape(pixels)
        total = xp.asarray(loss.sum(), dtype=dt)
        return _mean_over(total, denom) if reduction == 'mean' else total

    @staticmethod
    def backward(ctx, grad):
        p, w, pw, eps = ctx.p, ctx.w, ctx.pw, ctx.eps
        xp = get_array_module(grad)
        n, c, m = (p if p is not None else ctx.logp).shape
        if ctx.reduction == 'none':
            coef = grad.reshape(n, m)
        else:
            coef = xp.broadcast_to(grad / ctx.denom if ctx.reduction == 'mean' else grad, (n, m))
        if pw is not None:
            coef = coef * pw
        gx = gq = None
        if ctx.soft:
            target, = ctx.saved
            q = target.astype(coef.dtype, copy=False).reshape(n, c, m)
            t = q * (1 - eps) + eps / c if eps else q
            if w is not None:
                t = t * w.reshape(1, c, 1)
            if p is not None:                                         # (p·Σt − t)·coef, in place
                gx = p * ctx.mass[:, None, :]
                gx -= t
                gx *= coef[:, None, :]
            if ctx.logp is not None:
                wl = ctx.logp if w is None else ctx.logp * w.reshape(1, c, 1)
                gq = _cast_back(-(1 - eps) * wl * coef[:, None, :], ctx.target_dtype).reshape(ctx.shape)
        elif p is not None:
            y, valid, w_y = ctx.saved
            hit = (1 - eps) * w_y                                     # weight on the true class
            mass = hit + (eps * valid if w is None else (eps / c) * w.sum() * valid)
            gx = p * (coef * mass)[:, None, :]
            if eps:
                spread = (eps / c) * (coef * valid)[:, None, :]
                gx -= spread if w is None else spread * w.reshape(1, c, 1)
            gx[xp.arange(n).reshape(n, 1), y, xp.arange(m).reshape(1, m)] -= coef * hit
        if gx is not None:
            gx = gx.reshape(ctx.shape)
        return gx, gq, None, None


class NLLLoss(Function):
    """Negative log likelihood of log-probabilities x (N, C, d1, …) (or (C,)):
    ℓ_i = −w_{y_i} x_{i, y_i} (0 where y_i = ignore_index);  'mean' divides by Σ_i w_{y_i}.
    ∂ℓ_i/∂x_{i,c} = −w_{y_i} [c = y_i]."""

    @staticmethod
    def forward(ctx, input, target, weight, ignore_index=-100, reduction='mean'):
        xp = get_array_module(input)
        x = _as_ncm(input)
        n, c, m = x.shape
        y, valid = _class_targets(xp, target, n, c, m, ignore_index, 'nll_loss')
        valid = valid.astype(input.dtype)
        w_y = valid if weight is None else weight.astype(input.dtype)[y] * valid
        loss = -w_y * x[xp.arange(n).reshape(n, 1), y, xp.arange(m).reshape(1, m)]
        denom = w_y.sum()
        ctx.save_for_backward(y, w_y)
        ctx.reduction, ctx.shape, ctx.denom = reduction, input.shape, denom
        if reduction == 'none':
            return loss.reshape(_pixels_shape(input.shape))
        total = xp.asarray(loss.sum(), dtype=input.dtype)
        return _mean_over(total, denom) if reduction == 'mean' else total

    @staticmethod
    def backward(ctx, grad):
        y, w_y = ctx.saved
        xp = get_array_module(grad)
        n, m = y.shape
        c = ctx.shape[0] if len(ctx.shape) == 1 else ctx.shape[1]
        if ctx.reduction == 'none':
            coef = grad.reshape(n, m)
        else:
            coef = grad / ctx.denom if ctx.reduction == 'mean' else grad
        gx = xp.zeros((n, c, m), dtype=grad.dtype)
        gx[xp.arange(n).reshape(n, 1), y, xp.arange(m).reshape(1, m)] = -coef * w_y
        return gx.reshape(ctx.shape), None, None


# ------------------------------------------------------- public functions
def _prepare(input, target, op, reduction):
    _check_reduction(reduction, op)
    _check_float(input, op)
    _check_same_shape(input, target, op)


def mse_loss(input, target, *, reduction='mean'):
    """Mean squared error: ℓ_i = (x_i − y_i)², reduced by ``reduction`` ('mean' | 'sum' | 'none').

    The lecture's L2(Ŷ, Y) = ½ Σ_{h,w} ‖Y_{h,w} − Ŷ_{h,w}‖² is a halved *sum*; with N the
    number of elements, L2 = ½ · N · mse_loss(Ŷ, Y) = ½ · mse_loss(Ŷ, Y, reduction='sum').
    Unlike torch, input and target must have the same shape (no silent broadcasting).
    """
    _prepare(input, target, 'mse_loss', reduction)
    return MSELoss.apply(input, target, reduction=reduction)


def l1_loss(input, target, *, reduction='mean'):
    """Mean absolute error: ℓ_i = |x_i − y_i| (pix2pix's reconstruction term; less blurry than L2
    because its minimiser is the median, not the mean, of the plausible outputs)."""
    _prepare(input, target, 'l1_loss', reduction)
    return L1Loss.apply(input, target, reduction=reduction)


def smooth_l1_loss(input, target, *, reduction='mean', beta=1.0):
    """ℓ = ½ d²/β for |d| < β, else |d| − ½β (d = x − y): quadratic near 0, linear far away."""
    _prepare(input, target, 'smooth_l1_loss', reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    return SmoothL1Loss.apply(input, target, reduction=reduction, beta=float(beta))


def _check_weight(weight, shape, op, name='weight'):
    if weight is None:
        return
    try:
        ok = numpy.broadcast_shapes(_shape(weight), shape) == tuple(shape)
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{op}: {name} of shape {_shape(weight)} does not broadcast to the input's "
                         f"shape {tuple(shape)}")


def binary_cross_entropy(input, target, weight=None, *, reduction='mean'):
    """−w [y log x + (1 − y) log(1 − x)] for probabilities x in [0, 1] (logs clamped at −100,
    as torch, so x = 0 or 1 gives a finite loss of at most 100).  Prefer
    :func:`binary_cross_entropy_with_logits`, which is stable and does the sigmoid itself."""
    op = 'binary_cross_entropy'
    _prepare(input, target, op, reduction)
    _check_weight(weight, _shape(input), op)
    x = _arr(input)
    if bool(((x < 0) | (x > 1)).any()):
        raise ValueError(f"{op}: input must hold probabilities in [0, 1] (apply a sigmoid, or use "
                         f"binary_cross_entropy_with_logits); got values in [{float(x.min())}, {float(x.max())}]")
    return BinaryCrossEntropy.apply(input, target, weight, reduction=reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, *, reduction='mean', pos_weight=None):
    """Sigmoid + binary cross entropy in one stable formula on logits x:
    ℓ = w [p·y·softplus(−x) + (1 − y)·softplus(x)], finite for any x.

    ``weight`` broadcasts to the input (a weight per element); ``pos_weight`` p weights the
    positive term and broadcasts along the last axis (one per class, as torch).
    """
    op = 'binary_cross_entropy_with_logits'
    _prepare(input, target, op, reduction)
    _check_weight(weight, _shape(input), op)
    _check_weight(pos_weight, _shape(input), op, 'pos_weight')
    return BinaryCrossEntropyWithLogits.apply(input, target, weight, pos_weight, reduction=reduction)


def _check_class_input(input, target, weight, op, allow_soft):
    _check_float(input, op)
    shape = _shape(input)
    if len(shape) == 0:
        raise ValueError(f"{op}: input must have a class axis: (C,), (N, C) or (N, C, d1, ...), got a scalar")
    c = shape[0] if len(shape) == 1 else shape[1]
    tdtype = numpy.dtype(getattr(target, 'dtype', numpy.float64))
    if tdtype.kind == 'f':
        if not allow_soft:
            raise TypeError(f"{op}: target must hold integer class indices, got dtype {tdtype}")
        if _shape(target) != shape:
            raise ValueError(f"{op}: a floating-point target holds class probabilities and must have "
                             f"the input's shape {shape}, got {_shape(target)} (for class indices "
                             f"use an integer target of shape {_pixels_shape(shape)})")
    elif tdtype.kind in 'iu':
        if _shape(target) != _pixels_shape(shape):
            raise ValueError(f"{op}: input of shape {shape} needs integer class indices of shape "
                             f"{_pixels_shape(shape)}, got target of shape {_shape(target)}")
    else:
        raise TypeError(f"{op}: target must be integer class indices or float probabilities, got dtype {tdtype}")
    if weight is not None and _shape(weight) != (c,):
        raise ValueError(f"{op}: weight must have one entry per class, shape ({c},), got {_shape(weight)}")


def cross_entropy(input, target, weight=None, *, ignore_index=-100, reduction='mean',
                  label_smoothing=0.0, pixel_weight=None):
    """Softmax cross entropy, as torch.nn.functional.cross_entropy — one fused op.

    input : logits (N, C), (N, C, H, W) (one distribution per pixel: segmentation,
            colorization) or (C,) unbatched.  Any logits are fine, even ±1e4.
    target: either integer class indices of shape (N,), (N, H, W) or () — pixels equal to
            ``ignore_index`` contribute nothing — or float class *probabilities* of the
            input's shape (soft targets; ``ignore_index`` does not apply to them).
    weight: (C,) class weights w.  'mean' is then torch's weighted mean
            Σ_i w_{y_i} ℓ_i / Σ_i w_{y_i} over non-ignored i (soft targets: divide by N·H·W).
    label_smoothing ε: the target becomes (1 − ε)·target + ε/C (uniform), exactly as torch,
            weights included.
    pixel_weight (minigrad extension, not in torch): a per-pixel weight map v of shape
            (N, H, W) (anything broadcastable to the per-pixel loss) multiplying each pixel's
            loss — Zhang et al.'s class rebalancing, v_{h,w} = w(argmax_q Z_{h,w,q}).  The
            'mean' denominator is unchanged, so with soft targets
                cross_entropy(Ẑ_logits, Z, pixel_weight=v) = −1/(N·H·W) Σ v_{h,w} Σ_q Z_{h,w,q} log Ẑ_{h,w,q},
            the lecture's colorization loss (times v).  Not differentiated.

    Gradient w.r.t. the logits: (softmax − target distribution) times each pixel's weight and
    the reduction's scale; soft targets also receive a gradient, as in torch.
    """
    op = 'cross_entropy'
    _check_reduction(reduction, op)
    _check_class_input(input, target, weight, op, allow_soft=True)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")
    return CrossEntropy.apply(input, target, weight, pixel_weight, ignore_index=int(ignore_index),
                              reduction=reduction, label_smoothing=float(label_smoothing))


def nll_loss(input, target, weight=None, *, ignore_index=-100, reduction='mean'):
    """Negative log likelihood of log-probabilities (the output of log_softmax):
    ℓ_i = −w_{y_i}·input[i, y_i]; 'mean' is Σ ℓ_i / Σ w_{y_i} over non-ignored i, as torch.
    nll_loss(log_softmax(x, 1), y) == cross_entropy(x, y)."""
    op = 'nll_loss'
    _check_reduction(reduction, op)
    _check_class_input(input, target, weight, op, allow_soft=False)
    return NLLLoss.apply(input, target, weight, ignore_index=int(ignore_index), reduction=reduction)


__all__ = ['mse_loss', 'l1_loss', 'smooth_l1_loss', 'binary_cross_entropy',
           'binary_cross_entropy_with_logits', 'cross_entropy', 'nll_loss']
