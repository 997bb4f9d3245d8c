"""Small NumPy drawing kit for the procedural datasets: coordinates, masks of
simple shapes, smooth noise, colours.  Everything is float32, (H, W) masks and
(3, H, W) images, and all randomness comes from the generator passed in.
"""
import colorsys

import numpy

from .transforms import resize


def coords(size):
    """Pixel-centre coordinates (yy, xx), each (size, size) float32, in pixels."""
    r = numpy.arange(size, dtype=numpy.float32) + 0.5
    return numpy.meshgrid(r, r, indexing='ij')


def disc(yy, xx, cy, cx, r):
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r


def ring(yy, xx, cy, cx, r, thickness):
    d = numpy.sqrt((yy - cy) ** 2 + (xx - cx) ** 2)
    return numpy.abs(d - r) <= thickness / 2


def convex_polygon(yy, xx, ys, xs):
    """Inside a convex polygon whose vertices (ys, xs) go round in either direction."""
    inside_pos = numpy.ones(yy.shape, bool)
    inside_neg = numpy.ones(yy.shape, bool)
    n = len(ys)
    for k in range(n):
        y0, x0, y1, x1 = ys[k], xs[k], ys[(k + 1) % n], xs[(k + 1) % n]
        cross = (x1 - x0) * (yy - y0) - (y1 - y0) * (xx - x0)
        inside_pos &= cross >= 0
        inside_neg &= cross <= 0
    return inside_pos | inside_neg


def regular_polygon(yy, xx, cy, cx, r, sides, angle):
    t = angle + 2 * numpy.pi * numpy.arange(sides) / sides
    return convex_polygon(yy, xx, cy + r * numpy.sin(t), cx + r * numpy.cos(t))


def segment(yy, xx, y0, x0, y1, x1, width):
    """Pixels within width/2 of the segment (y0, x0)-(y1, x1)."""
    dy, dx = y1 - y0, x1 - x0
    t = numpy.clip(((yy - y0) * dy + (xx - x0) * dx) / max(dy * dy + dx * dx, 1e-9), 0, 1)
    return (yy - y0 - t * dy) ** 2 + (xx - x0 - t * dx) ** 2 <= (width / 2) ** 2


def value_noise(rng, size, cells, octaves=1):
    """Smooth random field (size, size) in [0, 1]: random values on a coarse
    ``cells`` x ``cells`` grid, bilinearly upsampled; octaves add finer grids
    with half the amplitude each."""
    total = numpy.zeros((size, size), numpy.float32)
    amp, norm = 1.0, 0.0
    for o in range(octaves):
        n = max(2, int(cells * 2 ** o))
        total += amp * resize(rng.random((n, n)).astype(numpy.float32), size)
        norm += amp
        amp /= 2
    total /= norm
    lo, hi = total.min(), total.max()
    return (total - lo) / max(hi - lo, 1e-6)


def hsv(h, s, v):
    """An RGB colour (3,) float32 from hue, saturation, value in [0, 1]."""
    return numpy.array(colorsys.hsv_to_rgb(h % 1.0, s, v), numpy.float32)


def random_colour(rng, s=(0.3, 1.0), v=(0.3, 1.0)):
    return hsv(rng.random(), rng.uniform(*s), rng.uniform(*v))


def jitter(rng, colour, amount=0.06):
    return numpy.clip(numpy.asarray(colour, numpy.float32) + rng.uniform(-amount, amount, 3), 0, 1
                      ).astype(numpy.float32)


def fill(colour, size):
    return numpy.broadcast_to(numpy.asarray(colour, numpy.float32)[:, None, None], (3, size, size)).copy()


def paint(img, mask, colour_or_image):
    """img[:, mask] = colour (3,) or the same pixels of a (3, H, W) image; in place."""
    src = numpy.asarray(colour_or_image, numpy.float32)
    img[:, mask] = src[:, mask] if src.ndim == 3 else src[:, None]
    return img


def finish(rng, img, noise=0.02):
    """Add pixel noise and clip to [0, 1] (float32)."""
    img = img + rng.normal(0, noise, img.shape).astype(numpy.float32)
    return numpy.clip(img, 0, 1).astype(numpy.float32)


def to_signed(img):
    """[0, 1] -> [-1, 1] float32 (pix2pix convention)."""
    return (img * 2 - 1).astype(numpy.float32)
