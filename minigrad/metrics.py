"""Evaluation metrics for image-to-image work: segmentation scores, PSNR, colourfulness.

Inputs may be NumPy or CuPy arrays or minigrad Tensors (their ``.array`` is used);
work happens on the inputs' backend.  Results are plain Python floats, or small
NumPy arrays (a confusion matrix, per-class scores, per-image values), ready to
print or plot.  Nothing here is differentiable: these are for measuring, not training.

Segmentation (the lecture's "Evaluating semantic segmentation"): with the
confusion matrix M[t, p] = number of pixels of true class t predicted as p,

    pixel accuracy       = Σ_c M[c, c] / Σ M
    class accuracy (c)   = M[c, c] / Σ_p M[c, p]                 (recall of class c)
    IoU (c)              = M[c, c] / (Σ_p M[c, p] + Σ_t M[t, c] − M[c, c])
    mean IoU             = mean of IoU over classes present in the truth or the prediction

Pixel accuracy rewards predicting the big classes (sky, road) and ignores thin
ones; mean IoU weighs every class equally; :func:`boundary_accuracy` looks only
at pixels near label edges, where an encoder–decoder without skips loses
detail ("missing details").
"""
import math

import numpy

from .backend import get_array_module, to_numpy
from .tensor import Tensor


def _array(a):
    if isinstance(a, Tensor):
        a = a.array
    if not hasattr(a, 'shape'):
        a = numpy.asarray(a)
    return a, get_array_module(a)


def _labels(pred, target, op):
    """Integer label arrays of the same shape; float scores (one extra class axis) are argmax'ed."""
    pred, xp = _array(pred)
    target, _ = _array(target)
    get_array_module(pred, target, op=op)
    if pred.ndim == target.ndim + 1 and pred.dtype.kind == 'f':
        # scores: (C, H, W) for one (H, W) image, else (N, C, ...) for (N, ...) targets
        pred = pred.argmax(axis=0 if target.ndim == 2 else 1)
    if pred.shape != target.shape:
        raise ValueError(f"{op}: pred must be labels of the target's shape {tuple(target.shape)} "
                         f"or float scores with a class axis ((C, H, W) for an (H, W) target, "
                         f"(N, C, ...) for (N, ...)), got {tuple(pred.shape)}")
    for name, a in (('pred', pred), ('target', target)):
        if a.dtype.kind not in 'iub':
            raise TypeError(f"{op}: {name} must hold integer class labels, got dtype {a.dtype}")
    return pred.astype('int64', copy=False), target.astype('int64', copy=False), xp


def _keep(target, ignore_index, xp):
    return xp.ones(target.shape, dtype=bool) if ignore_index is None else target != ignore_index


def confusion_matrix(pred, target, num_classes, ignore_index=None):
    """M[t, p]: how many pixels of true class t were predicted as class p ((C, C) int64 NumPy).

    ``pred`` holds labels of the target's shape, or float scores/logits with a class axis
    ((C, H, W) for an (H, W) target, (N, C, ...) for an (N, ...) one), argmax'ed here; the
    same holds for every segmentation metric below.
    Rows are the truth and columns the prediction (as scikit-learn).  Pixels whose target is
    ``ignore_index`` are skipped.  Any other label outside [0, num_classes) is an error.
    """
    op = 'confusion_matrix'
    pred, target, xp = _labels(pred, target, op)
    if int(num_classes) < 1:
        raise ValueError(f"{op}: num_classes must be >= 1, got {num_classes}")
    c = int(num_classes)
    keep = _keep(target, ignore_index, xp)
    t, p = target[keep], pred[keep]
    for name, a in (('target', t), ('pred', p)):
        if a.size and (int(a.min()) < 0 or int(a.max()) >= c):
            raise ValueError(f"{op}: {name} holds labels in [{int(a.min())}, {int(a.max())}], outside "
                             f"[0, {c}) (set ignore_index for void pixels)")
    counts = xp.bincount(t * c + p, minlength=c * c)
    return to_numpy(counts).reshape(c, c).astype(numpy.int64)


def pixel_accuracy(pred, target, ignore_index=None):
    """Fraction of (non-ignored) pixels whose predicted label is right; NaN if there are none."""
    pred, target, xp = _labels(pred, target, 'pixel_accuracy')
    keep = _keep(target, ignore_index, xp)
    n = int(keep.sum())
    return float(((pred == target) & keep).sum()) / n if n else math.nan


def _ratio(num, den):
    """num / den elementwise, NaN where den == 0 (without a warning)."""
    out = numpy.full(num.shape, numpy.nan)
    numpy.divide(num, den, out=out, where=den > 0)
    return out


def _nanmean(a):
    a = a[~numpy.isnan(a)]
    return float(a.mean()) if a.size else math.nan


def class_accuracy(pred, target, num_classes, ignore_index=None):
    """Per-class accuracy (recall) M[c, c] / Σ_p M[c, p]; NaN for classes absent from the truth."""
    m = confusion_matrix(pred, target, num_classes, ignore_index)
    return _ratio(numpy.diag(m).astype(float), m.sum(axis=1).astype(float))


def mean_class_accuracy(pred, target, num_classes, ignore_index=None):
    """Mean of :func:`class_accuracy` over the classes present in the truth."""
    return _nanmean(class_accuracy(pred, target, num_classes, ignore_index))


def iou_from_confusion(m):
    """Per-class IoU from a confusion matrix: TP / (TP + FP + FN), NaN where that is 0/0."""
    m = numpy.asarray(m, dtype=float)
    tp = numpy.diag(m)
    return _ratio(tp, m.sum(axis=0) + m.sum(axis=1) - tp)


def iou(pred, target, num_classes, ignore_index=None):
    """Per-class intersection over union (NumPy, shape (C,)).

    A class absent from both prediction and truth has IoU 0/0 = NaN (it says nothing); a
    class predicted but absent from the truth (or the reverse) has IoU 0.
    """
    return iou_from_confusion(confusion_matrix(pred, target, num_classes, ignore_index))


def mean_iou(pred, target, num_classes, ignore_index=None):
    """Mean IoU over classes present in the prediction or the truth (NaN entries skipped)."""
    return _nanmean(iou(pred, target, num_classes, ignore_index))


def boundary_mask(target, width=1):
    """True at pixels within ``width`` of a label boundary (target (H, W) or (..., H, W)).

    A pixel is in the band if some pixel at chessboard distance ≤ ``width`` (a
    (2·width+1)² window, clipped at the image border) has a different label — so both
    sides of every edge are included.  An ``ignore_index`` label counts as a label
    (a void band drawn around objects, as in PASCAL VOC, marks their boundary).
    """
    target, xp = _array(target)
    if target.ndim < 2:
        raise ValueError(f"boundary_mask: target must be (H, W) or (..., H, W), got shape {tuple(target.shape)}")
    width = int(width)
    if width < 1:
        raise ValueError(f"boundary_mask: width must be >= 1, got {width}")
    h, w = target.shape[-2:]
    band = xp.zeros(target.shape, dtype=bool)
    for dy in range(-width, width + 1):
        for dx in range(-width, width + 1):
            if (dy == 0 and dx == 0) or abs(dy) >= h or abs(dx) >= w:
                continue
            # compare each pixel with its neighbour at (dy, dx), where that neighbour exists
            ys, yn = slice(max(0, -dy), h - max(0, dy)), slice(max(0, dy), h - max(0, -dy))
            xs, xn = slice(max(0, -dx), w - max(0, dx)), slice(max(0, dx), w - max(0, -dx))
            band[..., ys, xs] |= target[..., ys, xs] != target[..., yn, xn]
    return band


def boundary_accuracy(pred, target, width=1, ignore_index=None):
    """Pixel accuracy restricted to the band of :func:`boundary_mask` (NaN if the band is empty).

    Blurry, detail-free segmentations (an encoder–decoder without skip connections) can
    score a high pixel accuracy while getting the band around every object wrong: this
    number shows the "missing details" of the lecture.
    """
    pred, target, xp = _labels(pred, target, 'boundary_accuracy')
    band = boundary_mask(target, width) & _keep(target, ignore_index, xp)
    n = int(band.sum())
    return float(((pred == target) & band).sum()) / n if n else math.nan


def psnr(a, b, data_range):
    """Peak signal-to-noise ratio in dB: 10 log10(data_range² / mean((a − b)²)).

    ``data_range`` is the span of possible values (1.0 for images in [0, 1], 255 for bytes,
    100 for Lab's L).  Identical inputs give +inf.  Computed over all elements in float64.
    """
    a, xp = _array(a)
    b, _ = _array(b)
    get_array_module(a, b, op='psnr')
    if a.shape != b.shape:
        raise ValueError(f"psnr: a and b must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    if not data_range > 0:
        raise ValueError(f"psnr: data_range must be > 0, got {data_range}")
    diff = a.astype('float64') - b.astype('float64')
    mse = float((diff * diff).mean())
    return math.inf if mse == 0 else 10.0 * math.log10(float(data_range) ** 2 / mse)


def _rgb(rgb, op, axis):
    rgb, xp = _array(rgb)
    if rgb.ndim < 3 or rgb.shape[axis] != 3:
        raise ValueError(f"{op}: expected RGB images with 3 channels on axis {axis} "
                         f"((3, H, W) or (N, 3, H, W)), got shape {tuple(rgb.shape)}")
    if rgb.dtype.kind != 'f':
        rgb = rgb.astype('float32')
    return xp.moveaxis(rgb, axis, -3), xp


def _finish(per_image):
    """A float for one image, a NumPy array for a batch."""
    out = to_numpy(per_image).astype(numpy.float64)
    return float(out) if out.ndim == 0 else out


def mean_chroma_lab(rgb, axis=-3):
    """Mean chroma √(a² + b²) of sRGB images in [0, 1], in CIE Lab units (0 for grey).

    (3, H, W) -> a float; (N, 3, H, W) -> a NumPy array of N values.  A regression (L2)
    colorization model predicts the *mean* of the plausible colours, which is close to grey:
    its outputs have a much lower mean chroma than the photos.
    """
    from .color import rgb_to_lab
    rgb, xp = _rgb(rgb, 'mean_chroma_lab', axis)
    lab = rgb_to_lab(rgb, axis=-3).astype('float64')
    chroma = xp.sqrt(lab[..., 1, :, :] ** 2 + lab[..., 2, :, :] ** 2)
    return _finish(chroma.reshape(chroma.shape[:-2] + (-1,)).mean(axis=-1))


def colorfulness(rgb, data_range=1.0, axis=-3):
    """Hasler & Süsstrunk's (2003) colourfulness M of sRGB images.

        rg = R − G,   yb = ½(R + G) − B
        M  = √(σ_rg² + σ_yb²) + 0.3 · √(μ_rg² + μ_yb²)

    (σ, μ: standard deviation and mean over each image's pixels.)  Values are computed on the
    0..255 scale of the paper (``rgb`` is rescaled by 255 / data_range), so their rough
    guide applies: 0 not colourful (grey), ~15 slightly, ~33 moderately, ~45 averagely,
    ~59 quite, ~82 highly, ~109 extremely colourful.
    (3, H, W) -> a float; (N, 3, H, W) -> a NumPy array of N values.
    """
    if not data_range > 0:
        raise ValueError(f"colorfulness: data_range must be > 0, got {data_range}")
    rgb, xp = _rgb(rgb, 'colorfulness', axis)
    rgb = rgb.astype('float64') * (255.0 / data_range)
    r, g, b = rgb[..., 0, :, :], rgb[..., 1, :, :], rgb[..., 2, :, :]
    flat = r.shape[:-2] + (-1,)
    rg = (r - g).reshape(flat)
    yb = (0.5 * (r + g) - b).reshape(flat)
    sigma = xp.sqrt(rg.var(axis=-1) + yb.var(axis=-1))
    mu = xp.sqrt(rg.mean(axis=-1) ** 2 + yb.mean(axis=-1) ** 2)
    return _finish(sigma + 0.3 * mu)


__all__ = ['confusion_matrix', 'pixel_accuracy', 'class_accuracy', 'mean_class_accuracy',
           'iou_from_confusion', 'iou', 'mean_iou', 'boundary_mask', 'boundary_accuracy', 'psnr',
           'mean_chroma_lab', 'colorfulness']
