"""Grey images whose colours are ambiguous by construction: the controlled data of lesson 5.

Every image is a textured grey background (a = b = 0) with two flat objects on it:

* a **disc** at lightness ``DISC_L``, whose colour is drawn per disc from
  ``DISC_PALETTE``: red with probability 0.6, green 0.2, blue 0.2 — three hues of the same
  Lab lightness and chroma, so the grey image says *that* a disc is coloured but never
  *which* colour it has;
* a **square** at lightness ``SQUARE_L``, always purple: the unambiguous control.

So the answer to "what colour is this pixel?" is known exactly: grey for the background,
purple for the squares, a three-way lottery for the discs.  The ab that minimises the
expected L2 error on a disc is the probability-weighted mean of the three colours,
:func:`palette_mean` — a dull greyish red with 0.40x their chroma — while the likeliest
colour, red, keeps all of it.  What cross entropy is minimised by on a disc, the mixture of
the three soft-encoded colours, decodes to :func:`ideal_disc_chroma`.
"""
import numpy as np

from minigrad import color

DISC_L = 55.0          # every disc's lightness (all three hues below exist in sRGB there)
CHROMA = 45.0          # every object's chroma √(a² + b²)
#: (name, Lab hue angle in degrees, probability) of the disc colours.
DISC_PALETTE = (('red', 30.0, 0.6), ('green', 150.0, 0.2), ('blue', 270.0, 0.2))
SQUARE_HUE = 330.0     # purple: the squares' one colour
SQUARE_L = 70.0        # the squares' lightness (purple exists at chroma 45 there too)
BACKGROUND = (25.0, 85.0)  # range of the background's mean lightness (its ab is 0: grey)
TEXTURE = 6.0          # std of the background's per-pixel lightness noise (objects are flat)
BACKGROUND_KIND, DISC, SQUARE = 0, 1, 2


def hue_ab(degrees):
    """(a, b) of chroma ``CHROMA`` at a Lab hue angle."""
    t = np.radians(degrees)
    return np.array([CHROMA * np.cos(t), CHROMA * np.sin(t)], dtype=np.float32)


def palette_mean():
    """The L2-optimal ab on a disc: Σ_k p_k ab_k over ``DISC_PALETTE``."""
    return sum(p * hue_ab(h) for _, h, p in DISC_PALETTE)


def make_images(n, size, seed):
    """n images of ``size`` x ``size``.

    Returns L (n, 1, H, W) and ab (n, 2, H, W) float32 (Lab), ``kind`` (n, H, W) uint8
    (BACKGROUND_KIND, DISC, SQUARE) and ``disc_colour`` (n,) int, the index into
    ``DISC_PALETTE`` of each image's disc.  Everything is drawn from
    ``np.random.default_rng(seed)``.
    """
    rng = np.random.default_rng(seed)
    probs = np.array([p for *_, p in DISC_PALETTE])
    disc_colour = rng.choice(len(DISC_PALETTE), size=n, p=probs)
    y, x = (np.arange(size, dtype=np.float32) + 0.5)[:, None], (np.arange(size, dtype=np.float32) + 0.5)[None, :]
    # background: a random level and tilt, plus per-pixel noise (a texture the flat objects lack)
    level = rng.uniform(*BACKGROUND, size=(n, 1, 1))
    tilt = rng.uniform(-10, 10, size=(n, 2, 1, 1)) / size
    L = level + tilt[:, 0] * (x - size / 2) + tilt[:, 1] * (y - size / 2)
    L = (L + rng.normal(0.0, TEXTURE, size=(n, size, size))).astype(np.float32)
    r, cd, h, cs = _layout(rng, n, size)
    disc = (x - cd[:, 0, None, None]) ** 2 + (y - cd[:, 1, None, None]) ** 2 <= (r * r)[:, None, None]
    square = (np.abs(x - cs[:, 0, None, None]) <= h[:, None, None]) & \
             (np.abs(y - cs[:, 1, None, None]) <= h[:, None, None])
    kind = np.where(disc, DISC, np.where(square, SQUARE, BACKGROUND_KIND)).astype(np.uint8)
    L = np.clip(np.where(disc, DISC_L, np.where(square, SQUARE_L, L)), 0.0, 100.0)[:, None]
    disc_ab = np.stack([hue_ab(h) for _, h, _ in DISC_PALETTE])[disc_colour]        # (n, 2)
    ab = np.where(disc[:, None], disc_ab[:, :, None, None], 0.0)
    ab = np.where(square[:, None], hue_ab(SQUARE_HUE)[:, None, None], ab)
    return L.astype(np.float32), ab.astype(np.float32), kind, disc_colour


def _layout(rng, n, size):
    """Disc radii and centres, square half sides and centres (x, y) of n images, fully inside
    the image and at least 2 pixels apart (layouts that break this are drawn again)."""
    r, cd, h, cs = np.zeros(n), np.zeros((n, 2)), np.zeros(n), np.zeros((n, 2))
    todo = np.arange(n)
    while len(todo):
        k = len(todo)
        r[todo] = rng.uniform(0.22, 0.3, size=k) * size
        h[todo] = rng.uniform(0.18, 0.25, size=k) * size
        cd[todo] = rng.uniform(r[todo, None], size - r[todo, None], size=(k, 2))
        cs[todo] = rng.uniform(h[todo, None], size - h[todo, None], size=(k, 2))
        # distance from the disc's centre to the nearest point of the square, minus the radius
        gap = np.hypot(*np.maximum(np.abs(cd[todo] - cs[todo]) - h[todo, None], 0.0).T) - r[todo]
        todo = todo[gap < 2.0]
    return r, cd, h, cs


def pure_cells(kind, value, down):
    """(N, H/down, W/down) mask of the down x down cells that lie wholly inside ``kind == value``:
    where the network's quarter-resolution target is exactly the object's colour."""
    n, H, W = kind.shape
    blocks = (kind == value).reshape(n, H // down, down, W // down, down)
    return blocks.all(axis=(2, 4))


def ideal_disc_chroma(method='annealed', T=color.TEMPERATURE):
    """The disc chroma a perfect classifier would decode.  Its distribution on a disc is the
    palette's mixture of soft-encoded targets, Σ_k p_k Z(ab_k) (what cross entropy is minimised
    by); decode it with :func:`minigrad.color.decode` (``method``, ``T``)."""
    colours = np.stack([hue_ab(h) for _, h, _ in DISC_PALETTE], axis=1)[None, :, None, :]  # (1, 2, 1, K)
    probs = np.array([p for *_, p in DISC_PALETTE], dtype=np.float32)
    mixture = color.soft_encode(colours)[0, :, 0, :] @ probs                                 # (Q,)
    ab = color.decode(mixture[None, :, None, None], method=method, T=T)[0, :, 0, 0]
    return float(np.hypot(ab[0], ab[1]))
