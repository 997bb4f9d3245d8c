"""Edge maps for the edges -> photo task: a Sobel detector built on minigrad's conv2d.

The lecture's point that a convolution is just a learnable filter works both
ways: a hand-set 3x3 kernel is an edge detector.  ``sobel_edges`` blurs with
a small Gaussian, takes horizontal and vertical Sobel derivatives, and keeps
pixels whose gradient magnitude clears a threshold.  There is no non-maximum
suppression, so edges are 1-3 pixels thick — good enough as a sketch.
"""
import numpy

LESSONS_HINT = "install the lessons extra: pip install -e '.[lessons]'"

#: Sobel kernels, scaled by 1/8 so that a ramp rising by 1 per pixel gives 1.
SOBEL_X = numpy.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], numpy.float32) / 8
SOBEL_Y = SOBEL_X.T.copy()


def gaussian_kernel(sigma, radius=None):
    """A normalised 2-D Gaussian (2r+1, 2r+1), r = ceil(2 sigma) by default."""
    r = int(numpy.ceil(2 * sigma)) if radius is None else int(radius)
    t = numpy.arange(-r, r + 1, dtype=numpy.float32)
    g = numpy.exp(-t ** 2 / (2 * sigma ** 2))
    k = numpy.outer(g, g)
    return (k / k.sum()).astype(numpy.float32)


def _as_batch(gray, name):
    g = numpy.asarray(gray, numpy.float32)
    shape = g.shape
    if g.ndim == 2:
        g = g[None, None]
    elif g.ndim == 3 and g.shape[0] == 1:
        g = g[None]
    elif not (g.ndim == 4 and g.shape[1] == 1):
        raise ValueError(f"{name}: expected a grey image (H, W), (1, H, W) or (N, 1, H, W), got {shape}")
    return g, shape


def sobel_magnitude(gray, blur=1.0):
    """Gradient magnitude sqrt(gx^2 + gy^2) of a grey image, same shape as ``gray``.

    Computed with ``minigrad.functional.conv2d`` (edges padded by replication,
    so the border is not mistaken for an edge); the optional Gaussian ``blur``
    (sigma in pixels, 0 for none) suppresses noise and fine texture first.
    """
    from .. import functional as F
    from ..function import no_grad
    from ..tensor import Tensor
    g, shape = _as_batch(gray, 'sobel_magnitude')
    with no_grad():
        x = Tensor(g)
        if blur > 0:
            k = gaussian_kernel(blur)
            r = k.shape[0] // 2
            x = F.conv2d(F.pad(x, (r, r, r, r), mode='replicate'), Tensor(k[None, None]))
        w = Tensor(numpy.stack([SOBEL_X, SOBEL_Y])[:, None])          # (2, 1, 3, 3)
        d = F.conv2d(F.pad(x, (1, 1, 1, 1), mode='replicate'), w).numpy()
    return numpy.sqrt(d[:, :1] ** 2 + d[:, 1:] ** 2).reshape(shape)


def sobel_edges(gray, threshold=None, quantile=0.85, floor=0.02, blur=1.0):
    """Boolean edge map of a grey image in [0, 1] (same shape as ``gray``).

    A pixel is an edge when its Sobel magnitude exceeds ``threshold``; by
    default the threshold adapts per image: the ``quantile`` of its
    magnitudes (keeps the strongest ~15 %), but never below ``floor`` so a
    flat image has no edges.
    """
    mag = sobel_magnitude(gray, blur)
    if threshold is not None:
        return mag > threshold
    batch = mag.reshape(-1, *mag.shape[-2:]) if mag.ndim > 2 else mag[None]
    t = numpy.maximum(numpy.quantile(batch.reshape(len(batch), -1), quantile, axis=1), floor)
    return (batch > t[:, None, None]).reshape(mag.shape)


def canny_edges(gray, sigma=1.5):
    """Boolean edge map from scikit-image's Canny detector (thin edges, hysteresis)."""
    try:
        from skimage.feature import canny
    except ImportError as exc:
        raise ImportError(f"canny_edges needs scikit-image; {LESSONS_HINT}") from exc
    g, shape = _as_batch(gray, 'canny_edges')
    return numpy.stack([canny(im[0].astype(numpy.float64), sigma=sigma) for im in g])[:, None].reshape(shape)
