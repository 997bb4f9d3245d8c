"""Multi-class cross entropy and NLL: one fused Function for every target kind.

For logits z (N, C[, H, W]) the per-sample (per-pixel) loss against a target
distribution t over the C classes is

    ℓ = − Σ_c t_c · log softmax(z)_c,        dℓ/dz = softmax(z) − t

with t one-hot for class-index targets (classification, segmentation: the
lecture's "argmax over labels" is the matching prediction), smoothed for
``label_smoothing`` and given directly for probability targets (colorization's
−1/HW Σ_{h,w} Σ_q Z_{h,w,q} log Ẑ_{h,w,q}).  Log-softmax is computed with the
max subtracted, so logits of ±1e4 stay finite.  The array helpers are shared
with :mod:`minigrad.ops.loss`; the argument checks and ``cross_entropy`` /
``nll_loss`` are in :mod:`minigrad.functional.loss`.
"""
from ..backend import get_array_module
from ..function import Function
from .activation import LogSoftmax, Softmax
from .loss import _cast_back, _mean_over
from .shape import ScatterAdd


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
    The losses never materialise log p: Σ_c t_c log p_c = Σ_c t_c s_c − (Σ_c t_c) log S, with
    s = x − μ, μ = max_c x_c and S = Σ_c e^{s_c}, so log-sum-exp(x) = μ + log S.

    What is saved: x itself (a reference, no copy; under ``create_graph`` the engine hands back its
    Tensor) and, per position, μ and S (two arrays shaped like x without its class axis).  Backward
    recomputes

        p = e^{x − μ} / S        (and log p = (x − μ) − log S for a soft target's gradient)

    with the very operations the forward used to normalise p, so the gradient is bitwise what it was
    when p was kept; the graph holds one input-sized array (x), as torch's does (log-softmax's output).
    The forward writes e^s over s once everything that reads s is done: it allocates one
    input-sized temporary and keeps none.

    Under ``create_graph`` the backward is the same formula made of ops on the saved x (and soft
    target q): p = Softmax(x), log p = LogSoftmax(x), the true class's share a ScatterAdd, so
    ∂²ℓ/∂x² = diag(p) − p pᵀ (times the target mass and coef) and the mixed terms in q and in the
    incoming gradient follow; weights, smoothing, the ignore mask and the 'mean' denominator are
    constants.  The saved μ, S and Σt are not used there (values derived from x).
    """

    differentiable_backward = True

    @staticmethod
    def forward(ctx, input, target, weight, pixel_weight, ignore_index=-100, reduction='mean',
                label_smoothing=0.0):
        xp = get_array_module(input)
        op, dt, eps = 'cross_entropy', input.dtype, label_smoothing
        x = _as_ncm(input)
        n, c, m = x.shape
        soft = target.dtype.kind == 'f'
        w = None if weight is None else weight.astype(dt, copy=False)
        xmax = x.max(axis=1, keepdims=True)                           # μ, (N, 1, M)
        shifted = x - xmax                                            # s = x − μ ≤ 0
        pixels = _pixels_shape(input.shape)
        pw = _pixel_weight(xp, pixel_weight, pixels, n, m, dt, op)
        # Everything that reads s comes first: e^s then overwrites s, so the forward allocates
        # one input-sized array, which dies with it.
        if soft:
            q = target.astype(dt, copy=False).reshape(n, c, m)
            t = q * (1 - eps) + eps / c if eps else q
            if w is not None:
                t = t * w.reshape(1, c, 1)
            mass = t.sum(axis=1)                                      # Σ_c t_c, (N, M)
            ts = (t * shifted).sum(axis=1)                            # Σ_c t_c s_c
            denom = n * m
            ctx.save_for_backward(input, target)
        else:
            y, valid = _class_targets(xp, target, n, c, m, ignore_index, op)
            idx_n = xp.arange(n).reshape(n, 1)
            idx_m = xp.arange(m).reshape(1, m)
            shifted_y = shifted[idx_n, y, idx_m]                      # (N, M)
            valid = valid.astype(dt)                                  # 1.0, or 0.0 where ignored
            w_y = valid if w is None else w[y] * valid                # w_{y_i}, 0 where ignored
            if eps:
                w_sum = c if w is None else w.sum()
                ws = shifted.sum(axis=1) if w is None else xp.matmul(w, shifted)   # Σ_c w_c s_c
            denom = w_y.sum()
            ctx.save_for_backward(input, y, valid, w_y)
        sumexp = xp.exp(shifted, out=shifted).sum(axis=1, keepdims=True)   # S = Σ e^s, in [1, C]
        log_lse = xp.log(sumexp)[:, 0, :]                             # log S, (N, M)
        if soft:
            loss = mass * log_lse - ts
        else:
            loss = (1 - eps) * w_y * (log_lse - shifted_y)
            if eps:                                                   # ε/C Σ_c w_c (−log p_c)
                loss = loss + (eps / c) * valid * (w_sum * log_lse - ws)
        if pw is not None:
            loss = loss * pw
        if ctx.requires_grad:
            ctx.soft, ctx.w, ctx.pw, ctx.eps, ctx.denom = soft, w, pw, eps, denom
            ctx.reduction, ctx.shape, ctx.target_dtype = reduction, input.shape, target.dtype
            ctx.mass = mass if soft else None
            ctx.xmax, ctx.sumexp = xmax, sumexp                       # log-sum-exp = μ + log S, (N, 1, M)
        if reduction == 'none':
            return loss.reshape(pixels)
        total = xp.asarray(loss.sum(), dtype=dt)
        return _mean_over(total, denom) if reduction == 'mean' else total

    @staticmethod
    def backward(ctx, grad):
        if ctx.create_graph:  # on Tensors: the in-place array code below cannot record a graph
            return _cross_entropy_backward_ops(ctx, grad)
        w, pw, eps = ctx.w, ctx.pw, ctx.eps
        xp = get_array_module(grad)
        x = _as_ncm(ctx.saved[0])
        n, c, m = x.shape
        if ctx.reduction == 'none':
            coef = grad.reshape(n, m)
        else:
            coef = xp.broadcast_to(_mean_over(grad, ctx.denom) if ctx.reduction == 'mean' else grad, (n, m))
        if not ctx.soft and ctx.reduction == 'mean':
            # An ignored pixel gets exactly 0 even when every target is ignored (denominator 0: 1/0 · 0
            # would be NaN); torch does the same.  (Zero class weights without ignoring stay NaN, as torch.)
            coef = xp.where(ctx.saved[2] > 0, coef, 0)
        if pw is not None:
            coef = coef * pw
        gx = gq = None
        if ctx.soft:
            _, target = ctx.saved
            q = target.astype(coef.dtype, copy=False).reshape(n, c, m)
            t = q * (1 - eps) + eps / c if eps else q
            if w is not None:
                t = t * w.reshape(1, c, 1)
            if ctx.needs_input_grad[0]:                               # (p·Σt − t)·coef, in place
                gx = _softmax(xp, x, ctx.xmax, ctx.sumexp)
                gx *= ctx.mass[:, None, :]
                gx -= t
                gx *= coef[:, None, :]
            if ctx.needs_input_grad[1]:                               # log p = s − log S
                logp = (x - ctx.xmax) - xp.log(ctx.sumexp)
                wl = logp if w is None else logp * w.reshape(1, c, 1)
                gq = _cast_back(-(1 - eps) * wl * coef[:, None, :], ctx.target_dtype).reshape(ctx.shape)
        elif ctx.needs_input_grad[0]:
            _, y, valid, w_y = ctx.saved
            hit = (1 - eps) * w_y                                     # weight on the true class
            mass = hit + (eps * valid if w is None else (eps / c) * w.sum() * valid)
            gx = _softmax(xp, x, ctx.xmax, ctx.sumexp)
            gx *= (coef * mass)[:, None, :]
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
    ∂ℓ_i/∂x_{i,c} = −w_{y_i} [c = y_i].

    The gradient does not depend on x (its second derivative in x is 0); it is linear in the
    incoming gradient, and under ``create_graph`` it is built as a ScatterAdd of it (whose own
    gradient is the gather of the true class)."""
    differentiable_backward = True

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
        ctx.save_for_backward(y, w_y, valid)
        ctx.reduction, ctx.shape, ctx.denom = reduction, input.shape, denom
        if reduction == 'none':
            return loss.reshape(_pixels_shape(input.shape))
        total = xp.asarray(loss.sum(), dtype=input.dtype)
        return _mean_over(total, denom) if reduction == 'mean' else total

    @staticmethod
    def backward(ctx, grad):
        y, w_y, valid = ctx.saved
        n, m = y.shape
        c = ctx.shape[0] if len(ctx.shape) == 1 else ctx.shape[1]
        if ctx.create_graph:  # on Tensors: the assignment below as an op (−coef·w_y added at the true class)
            coef = _coef_ops(grad, ctx.reduction, ctx.denom, valid, None, n, m)
            gx = ScatterAdd.apply(-coef * w_y.reshape(n, 1, m), y.reshape(n, 1, m), dim=1, shape=(n, c, m))
            return gx.reshape(ctx.shape), None, None
        xp = get_array_module(grad)
        if ctx.reduction == 'none':
            coef = grad.reshape(n, m)
        else:
            coef = _mean_over(grad, ctx.denom) if ctx.reduction == 'mean' else grad
        gx = xp.zeros((n, c, m), dtype=grad.dtype)
        # ignored targets get exactly 0, even when all are ignored (then 1/denom is inf), as torch
        gx[xp.arange(n).reshape(n, 1), y, xp.arange(m).reshape(1, m)] = xp.where(valid > 0, -coef, 0) * w_y
        return gx.reshape(ctx.shape), None, None


def _softmax(xp, x, xmax, sumexp):
    """p = e^{x − μ} / S from the saved logits x (N, C, M) and the forward's per-position max μ and
    S = Σ_c e^{x_c − μ} (N, 1, M): one new array, made in place (the forward's operations, so its
    rounding)."""
    p = x - xmax
    xp.exp(p, out=p)
    p /= sumexp
    return p


# ------------------------------------------------------- backward on Tensors (create_graph)
def _cross_entropy_backward_ops(ctx, grad):
    """CrossEntropy's gradient as ops on the saved x (and soft target q), for ``create_graph``:

        ∂L/∂x = coef · (p Σ_c t_c − t),   ∂L/∂q = −(1 − ε) w coef log p

    with p and log p recomputed from x (so their dependence on x is in the graph) and, for class
    targets, the true class's share −coef·(1 − ε) w_y scattered in by a ScatterAdd (no one-hot)."""
    eps, w = ctx.eps, ctx.w
    x = _as_ncm(ctx.saved[0])
    n, c, m = x.shape
    w3 = None if w is None else w.reshape(1, c, 1)
    valid = None if ctx.soft else ctx.saved[2]
    coef = _coef_ops(grad, ctx.reduction, ctx.denom, valid, ctx.pw, n, m)    # (N, 1, M) or (1, 1, 1)
    gx = gq = None
    if ctx.soft:
        q = _cast_back(ctx.saved[1], x.dtype).reshape(n, c, m)
        t = q * (1 - eps) + eps / c if eps else q
        if w3 is not None:
            t = t * w3
        if ctx.needs_input_grad[0]:
            gx = (Softmax.apply(x, dim=1) * t.sum(axis=1, keepdims=True) - t) * coef
        if ctx.needs_input_grad[1]:
            wl = LogSoftmax.apply(x, dim=1)
            if w3 is not None:
                wl = wl * w3
            gq = _cast_back(-(1 - eps) * wl * coef, ctx.target_dtype).reshape(ctx.shape)
    elif ctx.needs_input_grad[0]:
        _, y, valid, w_y = ctx.saved
        hit = ((1 - eps) * w_y).reshape(n, 1, m)                       # constants: weights, mask, ε
        mass = hit + (eps if w is None else (eps / c) * w.sum()) * valid.reshape(n, 1, m)
        gx = Softmax.apply(x, dim=1) * (coef * mass)
        gx = gx - ScatterAdd.apply(coef * hit, y.reshape(n, 1, m), dim=1, shape=(n, c, m))
        if eps:
            spread = (eps / c) * valid.reshape(n, 1, m)
            gx = gx - coef * (spread if w3 is None else spread * w3)
    if gx is not None:
        gx = gx.reshape(ctx.shape)
    return gx, gq, None, None


def _coef_ops(grad, reduction, denom, valid, pw, n, m):
    """dL/dℓ_i as a Tensor of shape (N, 1, M) (or (1, 1, 1)): the incoming gradient times constants.

    'mean' over class targets scales by 1/Σ w_{y_i} on kept pixels and by exactly 0 on ignored
    ones, as the array path does (so 1/0, when every target is ignored, never meets the graph)."""
    coef = grad.reshape(n, 1, m) if reduction == 'none' else grad.reshape(1, 1, 1)
    scale = None
    if reduction == 'mean' and valid is None:                     # soft targets: 1/(N·M)
        scale = 1.0 / denom
    elif reduction == 'mean':
        xp = get_array_module(valid)
        inverse = _mean_over(xp.ones((), dtype=valid.dtype), denom)
        scale = xp.where(valid > 0, inverse, 0).astype(valid.dtype).reshape(n, 1, m)
    if pw is not None:
        scale = pw.reshape(n, 1, m) if scale is None else scale * pw.reshape(n, 1, m)
    return coef if scale is None else coef * scale


# ------------------------------------------------------- multi-class CE
def _as_ncm(a):
    """(C,) -> (1, C, 1);  (N, C, d1, …) -> (N, C, d1·…) (a view when contiguous; an array or a Tensor)."""
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
