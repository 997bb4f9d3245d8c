"""Transforms on NumPy images, channels-first: ``(C, H, W)`` images, ``(H, W)`` label maps.

Every transform takes either one array or a *paired* sample (a tuple/list of
arrays, e.g. ``(input, target)`` or ``(image, labels)``) and returns the same
structure.  Random choices (crop position, flip) are drawn **once per call**
and applied to every array of the pair, so an input and its target stay
pixel-aligned.  Non-array entries (an int label) pass through untouched.

Randomness comes from :func:`minigrad.random.generator` (looked up at each
call, so ``minigrad.manual_seed`` makes augmentation reproducible), or from
the ``rng`` a transform was built with.

Integer arrays (label maps) are resized with nearest neighbour and left out of
value transforms such as :class:`Normalize`.
"""
import numpy

from .. import random as _random

__all__ = ['resize', 'resize_weights', 'Compose', 'Resize', 'RandomCrop', 'CenterCrop',
           'RandomHorizontalFlip', 'Pix2PixJitter', 'Normalize', 'Denormalize',
           'normalize', 'denormalize']


# --------------------------------------------------------------------- helpers
def _pair(size, name):
    """int or (height, width) of positive ints; a float such as 2.7 is refused, never truncated."""
    pair = (size, size) if not isinstance(size, (tuple, list)) else tuple(size)
    if len(pair) != 2 or any(isinstance(s, bool) or not isinstance(s, (int, numpy.integer)) or s < 1 for s in pair):
        raise ValueError(f"{name}: expected a positive int size or (height, width) of them, got {size!r}")
    return tuple(int(s) for s in pair)


def _is_array(x):
    return isinstance(x, numpy.ndarray) and x.ndim >= 2


def _map(sample, fn):
    """Apply ``fn`` to every image/label array of ``sample`` (array, tuple, list or dict)."""
    if isinstance(sample, (tuple, list)):
        return type(sample)(_map(s, fn) for s in sample)
    if isinstance(sample, dict):
        return {k: _map(v, fn) for k, v in sample.items()}
    return fn(sample) if _is_array(sample) else sample


def _spatial_size(sample, name):
    """The common (H, W) of all arrays in ``sample``; ValueError if they differ."""
    sizes = []
    _map(sample, lambda a: sizes.append(a.shape[-2:]) or a)
    if not sizes:
        raise ValueError(f"{name}: expected an image array (C, H, W) or (H, W), or a tuple of them")
    if len(set(sizes)) != 1:
        raise ValueError(f"{name}: the arrays of a paired sample must have the same height and width, "
                         f"got {[tuple(s) for s in sizes]}")
    return sizes[0]


def _rng(rng):
    return rng if rng is not None else _random.generator()


# --------------------------------------------------------------------- resize
def resize_weights(n_in, n_out, antialias=True, dtype=numpy.float32):
    """The (n_out, n_in) matrix of a 1-D linear resize (half-pixel centres, as
    ``align_corners=False`` in PyTorch).

    Output pixel i sits at input coordinate c_i = (i + 0.5) * n_in / n_out - 0.5.
    Its value is a weighted average of input pixels j with the tent weight
    max(0, 1 - |j - c_i| / s), renormalised to sum to 1 (which also handles the
    borders).  s = 1 is plain bilinear interpolation.  When shrinking
    (n_in > n_out) and ``antialias`` is on, the tent is widened to
    s = n_in / n_out so that every input pixel contributes (no aliasing).
    """
    scale = n_in / n_out
    support = max(scale, 1.0) if antialias else 1.0
    centre = (numpy.arange(n_out) + 0.5) * scale - 0.5
    w = numpy.maximum(0.0, 1.0 - numpy.abs(numpy.arange(n_in)[None, :] - centre[:, None]) / support)
    empty = w.sum(axis=1) == 0
    if empty.any():  # a centre farther than `support` from every pixel: take the nearest one
        w[empty, numpy.clip(numpy.round(centre[empty]).astype(int), 0, n_in - 1)] = 1.0
    return (w / w.sum(axis=1, keepdims=True)).astype(dtype)


def resize(img, size, mode='bilinear', antialias=True):
    """Resize the last two axes of ``img`` to ``size`` (int or (height, width)).

    Bilinear resize is a linear map applied separably: out = A_h · img · A_wᵀ
    with A from :func:`resize_weights`, summed over each output's nonzero
    weights only (so a NaN pixel stays a local NaN).  Integer arrays (label maps) and
    ``mode='nearest'`` pick the nearest input pixel instead, so labels stay
    valid class ids.  float32 stays float32.
    """
    if not isinstance(img, numpy.ndarray) or img.ndim < 2:
        raise ValueError(f"resize: expected a NumPy array (..., H, W), got "
                         f"{type(img).__name__} {getattr(img, 'shape', '')}")
    h, w = _pair(size, 'resize')
    H, W = img.shape[-2:]
    if mode not in ('bilinear', 'nearest'):
        raise ValueError(f"resize: mode must be 'bilinear' or 'nearest', got {mode!r}")
    if (H, W) == (h, w):
        return img.copy()
    if mode == 'nearest' or img.dtype.kind in 'iub':
        rows = numpy.minimum(((numpy.arange(h) + 0.5) * H / h).astype(int), H - 1)
        cols = numpy.minimum(((numpy.arange(w) + 0.5) * W / w).astype(int), W - 1)
        return img[..., rows[:, None], cols[None, :]]
    dtype = img.dtype if img.dtype.kind == 'f' else numpy.float32
    out = img.astype(dtype, copy=False)
    for axis, (n_in, n_out) in ((-2, (H, h)), (-1, (W, w))):
        out = _apply_weights(out, resize_weights(n_in, n_out, antialias, dtype), axis)
    return out


def _apply_weights(img, weights, axis):
    """out[.., i, ..] = sum_j weights[i, j] · img[.., j, ..] along ``axis``, over the taps with a
    nonzero weight only: a dense matrix product would also add 0 · x for every other pixel, and
    0 · NaN = NaN would turn one NaN pixel into a whole NaN image (PyTorch keeps it local too)."""
    taps = weights != 0
    first = taps.argmax(axis=1)
    band = int((weights.shape[1] - taps[:, ::-1].argmax(axis=1) - first).max())
    index = first[:, None] + numpy.arange(band)                      # (n_out, band), may run past the end
    inside = index < weights.shape[1]
    index = numpy.minimum(index, weights.shape[1] - 1)
    w = numpy.where(inside, numpy.take_along_axis(weights, index, axis=1), 0)
    x = numpy.moveaxis(img, axis, -1)[..., index]                    # (..., n_out, band)
    out = numpy.where(w != 0, x * w, 0).sum(axis=-1, dtype=img.dtype)
    return numpy.moveaxis(out, -1, axis)


# --------------------------------------------------------------------- transforms
class Compose:
    """Apply transforms one after another: ``Compose([Pix2PixJitter(64), Normalize()])``."""

    def __init__(self, transforms):
        self.transforms = list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise TypeError(f"Compose: every transform must be callable, got {type(t).__name__}")

    def __call__(self, sample):
        for t in self.transforms:
            sample = t(sample)
        return sample

    def __repr__(self):
        return f"Compose({self.transforms!r})"


class Resize:
    """Resize every array of the sample to ``size`` (bilinear; nearest for label maps)."""

    def __init__(self, size, antialias=True):
        self.size = _pair(size, 'Resize')
        self.antialias = antialias

    def __call__(self, sample):
        return _map(sample, lambda a: resize(a, self.size, antialias=self.antialias))

    def __repr__(self):
        return f"Resize({self.size})"


class RandomCrop:
    """Cut the same random ``size`` window out of every array of the sample."""

    def __init__(self, size, rng=None):
        self.size = _pair(size, 'RandomCrop')
        self.rng = rng

    def __call__(self, sample):
        H, W = _spatial_size(sample, 'RandomCrop')
        h, w = self.size
        if h > H or w > W:
            raise ValueError(f"RandomCrop: crop {h}x{w} is larger than the image {H}x{W}")
        g = _rng(self.rng)
        top, left = int(g.integers(0, H - h + 1)), int(g.integers(0, W - w + 1))
        return _map(sample, lambda a: a[..., top:top + h, left:left + w])

    def __repr__(self):
        return f"RandomCrop({self.size})"


class CenterCrop:
    """Cut the central ``size`` window (for validation, where nothing should be random)."""

    def __init__(self, size):
        self.size = _pair(size, 'CenterCrop')

    def __call__(self, sample):
        H, W = _spatial_size(sample, 'CenterCrop')
        h, w = self.size
        if h > H or w > W:
            raise ValueError(f"CenterCrop: crop {h}x{w} is larger than the image {H}x{W}")
        top, left = (H - h) // 2, (W - w) // 2
        return _map(sample, lambda a: a[..., top:top + h, left:left + w])


class RandomHorizontalFlip:
    """Mirror left-right with probability ``p``: all arrays of the sample, or none."""

    def __init__(self, p=0.5, rng=None):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"RandomHorizontalFlip: p must be in [0, 1], got {p}")
        self.p = p
        self.rng = rng

    def __call__(self, sample):
        _spatial_size(sample, 'RandomHorizontalFlip')
        if _rng(self.rng).random() < self.p:
            return _map(sample, lambda a: a[..., ::-1])
        return sample

    def __repr__(self):
        return f"RandomHorizontalFlip(p={self.p})"


class Pix2PixJitter:
    """pix2pix's random jitter, scaled to any size: resize to ``load_size``,
    random-crop ``size``, random horizontal flip — the same for both images.

    Isola et al. train at 256 by resizing to 286 and cropping 256, so by
    default ``load_size = round(size * 286 / 256)`` (72 for 64, 36 for 32).
    """

    def __init__(self, size, load_size=None, flip=True, rng=None):
        self.size = _pair(size, 'Pix2PixJitter')
        if load_size is None:
            load_size = tuple(int(round(s * 286 / 256)) for s in self.size)
        self.load_size = _pair(load_size, 'Pix2PixJitter')
        if self.load_size[0] < self.size[0] or self.load_size[1] < self.size[1]:
            raise ValueError(f"Pix2PixJitter: load_size {self.load_size} must be at least size {self.size}")
        self.resize = Resize(self.load_size)
        self.crop = RandomCrop(self.size, rng=rng)
        self.flip = RandomHorizontalFlip(0.5 if flip else 0.0, rng=rng)

    def __call__(self, sample):
        return self.flip(self.crop(self.resize(sample)))

    def __repr__(self):
        return f"Pix2PixJitter(size={self.size}, load_size={self.load_size})"


def normalize(x):
    """[0, 1] -> [-1, 1] (x * 2 - 1): the range pix2pix's tanh generator outputs."""
    return x * 2 - 1


def denormalize(x, clip=True):
    """[-1, 1] -> [0, 1] ((x + 1) / 2), clipped by default, ready to show or save.
    Works on arrays and minigrad Tensors alike."""
    y = (x + 1) / 2
    if not clip:
        return y
    return y.clamp(0, 1) if hasattr(y, 'clamp') else numpy.clip(y, 0, 1)


class Normalize:
    """Map float arrays from [0, 1] to [-1, 1]; integer label maps are left alone."""

    def __call__(self, sample):
        return _map(sample, lambda a: normalize(a) if a.dtype.kind == 'f' else a)

    def __repr__(self):
        return "Normalize()"


class Denormalize:
    """Map float arrays from [-1, 1] back to [0, 1] (clipped); integer label maps untouched."""

    def __call__(self, sample):
        return _map(sample, lambda a: denormalize(a) if a.dtype.kind == 'f' else a)

    def __repr__(self):
        return "Denormalize()"
