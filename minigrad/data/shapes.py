"""SyntheticShapes: a tiny semantic-segmentation dataset drawn with NumPy."""
import numpy

from . import render as R
from .dataset import CachedDataset, check_size

SHAPE_NAMES = ('disc', 'square', 'triangle', 'ring', 'bar', 'cross')


def _texture(rng, size, yy, xx):
    """A textured colour field (3, H, W): one of plain+noise, stripes, two-colour blobs.
    Backgrounds and shapes draw from this same family, so colour alone never
    tells a shape from the background."""
    a = R.random_colour(rng)
    kind = rng.integers(3)
    if kind == 0:
        shade = 0.8 + 0.4 * R.value_noise(rng, size, rng.uniform(3, 8))
        return R.fill(a, size) * shade
    b = R.random_colour(rng)
    if kind == 1:
        theta, period = rng.uniform(0, numpy.pi), rng.uniform(0.1, 0.3) * size
        t = 0.5 + 0.5 * numpy.sin(2 * numpy.pi * (xx * numpy.cos(theta) + yy * numpy.sin(theta)) / period)
    else:
        t = R.value_noise(rng, size, rng.uniform(2, 5), octaves=2)
    return a[:, None, None] * t + b[:, None, None] * (1 - t)


class SyntheticShapes(CachedDataset):
    """Random shapes on textured backgrounds, with per-pixel labels.

    ``ds[i] = (image, labels)``: image (3, size, size) float32 in [0, 1],
    labels (size, size) int64 in {0, ..., num_classes}.  Label 0 is the
    background; shape classes in order: 1 disc, 2 square, 3 triangle, 4 ring
    (thin), 5 bar (thin), 6 cross (thin).  ``num_classes`` (1..6) counts the
    *shape* classes, so a segmentation net needs ``ds.num_labels =
    num_classes + 1`` output channels (background included).

    Each image holds 2-5 shapes of random class, size, rotation and position;
    later shapes occlude earlier ones.  Shapes and background are filled from
    the same random family of colours and textures (noise, stripes, blobs), so
    a pixel's colour says nothing about its class: a model must look at the
    context (outline, hole of a ring, corners).  Rings, bars and crosses are
    2-3 pixels thick at size 64 — any blur at the boundaries costs accuracy.

    Source: generated here (no data files); licence: the project's (MIT).
    Deterministic: sample i depends only on (seed, i).
    """

    def __init__(self, n, size=64, num_classes=4, seed=0, cache=True):
        super().__init__(n, seed, cache)
        if not 1 <= num_classes <= len(SHAPE_NAMES):
            raise ValueError(f"SyntheticShapes: num_classes must be in 1..{len(SHAPE_NAMES)}, got {num_classes}")
        self.size = check_size(size, 'SyntheticShapes', minimum=16)
        self.num_classes = int(num_classes)
        self.num_labels = self.num_classes + 1
        self.class_names = ('background',) + SHAPE_NAMES[:num_classes]

    def _shape_mask(self, rng, cls, yy, xx):
        s = self.size
        cy, cx = rng.uniform(0.15, 0.85, 2) * s
        r = rng.uniform(0.1, 0.22) * s
        angle = rng.uniform(0, 2 * numpy.pi)
        thin = max(1.6, 0.04 * s)
        name = SHAPE_NAMES[cls - 1]
        if name == 'disc':
            return R.disc(yy, xx, cy, cx, r)
        if name == 'square':
            return R.regular_polygon(yy, xx, cy, cx, r * 1.2, 4, angle)
        if name == 'triangle':
            return R.regular_polygon(yy, xx, cy, cx, r * 1.3, 3, angle)
        if name == 'ring':
            return R.ring(yy, xx, cy, cx, r, thin)
        dy, dx = numpy.sin(angle) * r * 1.4, numpy.cos(angle) * r * 1.4
        bar = R.segment(yy, xx, cy - dy, cx - dx, cy + dy, cx + dx, thin)
        if name == 'bar':
            return bar
        return bar | R.segment(yy, xx, cy - dx, cx + dy, cy + dx, cx - dy, thin)  # cross

    def make(self, index):
        rng = self.rng(index)
        s = self.size
        yy, xx = R.coords(s)
        image = _texture(rng, s, yy, xx)
        labels = numpy.zeros((s, s), numpy.int64)
        for _ in range(rng.integers(2, 6)):
            cls = int(rng.integers(1, self.num_classes + 1))
            mask = self._shape_mask(rng, cls, yy, xx)
            for _ in range(4):  # a shape may look like what is under it, but rarely invisible
                fill = _texture(rng, s, yy, xx)
                if not mask.any() or numpy.abs(fill[:, mask].mean(1) - image[:, mask].mean(1)).sum() > 0.25:
                    break
            R.paint(image, mask, fill)
            labels[mask] = cls
        light = 1 + rng.uniform(-0.2, 0.2) * (xx / s - 0.5) + rng.uniform(-0.2, 0.2) * (yy / s - 0.5)
        return R.finish(rng, image * light, noise=0.03), labels
