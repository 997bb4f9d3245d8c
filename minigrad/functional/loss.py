"""The losses with torch.nn.functional's names, arguments and reductions, checked, over
:mod:`minigrad.ops.loss` and :mod:`minigrad.ops.cross_entropy` (where the math is documented)."""
import numpy

from ..ops.cross_entropy import CrossEntropy, NLLLoss, _pixels_shape
from ..ops.loss import BinaryCrossEntropy, BinaryCrossEntropyWithLogits, L1Loss, MSELoss, SmoothL1Loss
from ..tensor import Tensor

_REDUCTIONS = ('mean', 'sum', 'none')


def check_reduction(reduction, op):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _shape(x):
    return tuple(x.shape) if hasattr(x, 'shape') else ()


def _arr(x):
    return x.array if isinstance(x, Tensor) else x


def _check_same_shape(input, target, op):
    if _shape(input) != _shape(target):
        raise ValueError(f"{op}: input and target must have the same shape, got input "
                         f"{_shape(input)} and target {_shape(target)} (minigrad does not "
                         "broadcast losses: a silent (N, 1) vs (N,) broadcast is a classic bug)")


def _check_float(x, op, name='input'):
    dtype = getattr(x, 'dtype', None)
    if dtype is None or numpy.dtype(dtype).kind != 'f':
        raise TypeError(f"{op}: {name} must be a floating-point tensor, got dtype {dtype}")


def _prepare(input, target, op, reduction):
    check_reduction(reduction, op)
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
    check_reduction(reduction, op)
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
    check_reduction(reduction, op)
    _check_class_input(input, target, weight, op, allow_soft=False)
    return NLLLoss.apply(input, target, weight, ignore_index=int(ignore_index), reduction=reduction)


__all__ = ['mse_loss', 'l1_loss', 'smooth_l1_loss', 'binary_cross_entropy',
           'binary_cross_entropy_with_logits', 'cross_entropy', 'nll_loss']
