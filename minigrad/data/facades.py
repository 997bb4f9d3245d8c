"""ProceduralFacades: labels -> photo pairs in the spirit of the CMP Facades set."""
import numpy

from . import render as R
from .dataset import RenderedPairs

FACADE_CLASSES = ('background', 'wall', 'window', 'door', 'balcony', 'cornice')


def jet(t):
    """The 'jet' colour map (dark blue -> cyan -> yellow -> dark red) at t in [0, 1], (3,) float32."""
    t = float(t)
    return numpy.clip([1.5 - abs(4 * t - 3), 1.5 - abs(4 * t - 2), 1.5 - abs(4 * t - 1)], 0, 1
                      ).astype(numpy.float32)


#: Colour of each class in the label image, (K, 3) in [0, 1]: evenly spaced on the
#: jet map, as the CMP label images are (background darkest blue).
FACADE_PALETTE = numpy.stack([jet(0.1 + 0.8 * k / (len(FACADE_CLASSES) - 1))
                              for k in range(len(FACADE_CLASSES))])

_WALLS = [(0.85, 0.78, 0.62), (0.62, 0.30, 0.22), (0.60, 0.60, 0.58), (0.90, 0.88, 0.84),
          (0.80, 0.60, 0.32), (0.75, 0.55, 0.50), (0.70, 0.75, 0.65)]


class ProceduralFacades(RenderedPairs):
    """Building facades: a label map rendered as a colour-coded label image and as a "photo".

    ``ds[i] = (label_image, photo)``, both (3, size, size) float32 in **[-1, 1]**
    (pix2pix convention: the generator ends in tanh), for the lecture's
    "labels -> facade" task.  ``ds.class_map(i)`` gives the (size, size) int64
    classes; with ``return_class_map=True`` samples are (label_image, photo, class_map).

    Classes (``FACADE_CLASSES``): 0 background (sky), 1 wall, 2 window,
    3 door, 4 balcony, 5 cornice; label colours ``FACADE_PALETTE`` follow the
    jet colour map like the CMP Facades labels (Tyleček & Šára 2013; the
    real set has 12 classes and 606 photos — download it and use
    :class:`AlignedImageFolder` to train on it).

    Each facade: a sky band of random height, 3-6 floors x 3-6 window columns
    (a taller ground floor with 1-2 doors), per-building window proportions,
    cornices under the roof and sometimes between floors, balconies on some
    floors (per window or running the full width), a few windows bricked up.
    The photo has a wall colour and texture (noise, brick courses), glass with
    sky reflections and frames, wooden doors, railings, shadows under cornices
    and balconies, a lighting gradient and sensor noise.

    Source: generated here (no data files); licence: the project's (MIT).
    Deterministic: sample i depends only on (seed, i).
    """

    num_labels = len(FACADE_CLASSES)
    class_names = FACADE_CLASSES
    palette = FACADE_PALETTE

    # ------------------------------------------------------------- layout
    def _layout(self, rng):
        """Class map (H, W) int64 and a list of (class, top, bottom, left, right) boxes in pixels."""
        s = self.size
        cls = numpy.zeros((s, s), numpy.int64)
        boxes = []

        def box(c, t, b, l, r):
            t, b, l, r = (int(round(v)) for v in (t, b, l, r))
            b, r = max(b, t + 1), max(r, l + 1)
            cls[t:b, l:r] = c
            boxes.append((c, t, b, l, r))

        sky = rng.uniform(0.0, 0.18) * s if rng.random() < 0.8 else 0.0
        left = rng.uniform(0, 0.12) * s if rng.random() < 0.3 else 0.0
        right = s - (rng.uniform(0, 0.12) * s if rng.random() < 0.3 else 0.0)
        box(1, sky, s, left, right)
        top = sky + max(1.0, rng.uniform(0.03, 0.06) * s)
        box(5, sky, top, left, right)  # roof cornice

        floors, cols = int(rng.integers(3, 7)), int(rng.integers(3, 7))
        ground = rng.uniform(1.1, 1.5)
        fh = (s - top) / (floors - 1 + ground)
        cw = (right - left) / cols
        win_w, win_h = rng.uniform(0.35, 0.65) * cw, rng.uniform(0.4, 0.7) * fh
        win_top = rng.uniform(0.12, 0.9 - win_h / fh) * fh
        mid_cornice = rng.random() < 0.4
        balcony_kind = rng.choice(['none', 'window', 'full'], p=[0.35, 0.4, 0.25])
        doors = set(rng.choice(cols, size=1 + int(rng.random() < 0.3 and cols > 3), replace=False).tolist())
        for f in range(floors):
            y0 = top + f * fh
            is_ground = f == floors - 1
            y1 = s if is_ground else y0 + fh
            if mid_cornice and 0 < f:
                box(5, y0, y0 + max(1.0, 0.06 * fh), left, right)
            has_balcony = not is_ground and f > 0 and balcony_kind != 'none' and rng.random() < 0.6
            for c in range(cols):
                cx = left + (c + 0.5) * cw
                if is_ground and c in doors:
                    dw, dh = min(cw * 0.8, win_w * 1.3), (y1 - y0) * rng.uniform(0.65, 0.85)
                    box(3, y1 - dh, y1, cx - dw / 2, cx + dw / 2)
                    continue
                if rng.random() < 0.06:
                    continue  # bricked-up window
                h = win_h * (ground if is_ground else 1.0)
                box(2, y0 + win_top, y0 + win_top + h, cx - win_w / 2, cx + win_w / 2)
                if has_balcony and balcony_kind == 'window':
                    bh = max(1.0, 0.22 * fh)
                    yb = y0 + win_top + h
                    box(4, yb - bh, yb, cx - win_w * 0.65, cx + win_w * 0.65)
            if has_balcony and balcony_kind == 'full':
                bh = max(1.0, 0.22 * fh)
                yb = y0 + win_top + win_h
                box(4, yb - bh, yb, left, right)
        return cls, boxes

    # ------------------------------------------------------------- rendering
    def _render(self, index):
        rng = self.rng(index)
        s = self.size
        yy, xx = R.coords(s)
        cls, boxes = self._layout(rng)
        label_image = FACADE_PALETTE[cls].transpose(2, 0, 1)

        sky_top, sky_bottom = R.jitter(rng, (0.45, 0.62, 0.85), 0.1), R.jitter(rng, (0.80, 0.86, 0.92), 0.06)
        t = yy / s
        photo = sky_top[:, None, None] * (1 - t) + sky_bottom[:, None, None] * t
        wall = R.jitter(rng, _WALLS[rng.integers(len(_WALLS))], 0.06)
        wall_tex = R.fill(wall, s) * (0.88 + 0.24 * R.value_noise(rng, s, rng.uniform(4, 10), octaves=2))
        if rng.random() < 0.5:  # brick / stone courses
            course = rng.uniform(0.025, 0.05) * s
            wall_tex *= numpy.where((yy % course) < 0.6, 0.85, 1.0).astype(numpy.float32)
        R.paint(photo, cls == 1, wall_tex)
        stone = numpy.clip(wall * 1.15 + 0.05, 0, 1)
        glass = R.jitter(rng, (0.16, 0.2, 0.26), 0.05)
        frame = R.jitter(rng, (0.92, 0.92, 0.88) if rng.random() < 0.7 else (0.3, 0.22, 0.16), 0.04)
        wood = R.jitter(rng, (0.38, 0.24, 0.14) if rng.random() < 0.7 else (0.15, 0.25, 0.2), 0.05)
        metal = R.jitter(rng, (0.15, 0.15, 0.16), 0.04)
        for c, t0, b0, l0, r0 in boxes:
            region = numpy.zeros((s, s), bool)
            region[t0:b0, l0:r0] = True
            if c == 2:  # glass with a sky reflection towards the top, framed if big enough
                shine = 1 + rng.uniform(0.2, 1.0) * numpy.clip((b0 - yy) / max(b0 - t0, 1) - 0.5, 0, 1)
                pane = R.fill(glass * rng.uniform(0.8, 1.3), s) * shine
                if b0 - t0 >= 4 and r0 - l0 >= 3:
                    edge = region & ~numpy.pad(numpy.ones((b0 - t0 - 2, r0 - l0 - 2), bool),
                                               ((t0 + 1, s - b0 + 1), (l0 + 1, s - r0 + 1)))
                    pane[:, edge] = frame[:, None]
                    mid = region & (numpy.abs(xx - (l0 + r0) / 2) < 0.5)
                    pane[:, mid] = frame[:, None]
                R.paint(photo, region, pane)
            elif c == 3:
                R.paint(photo, region, R.fill(wood, s) * (0.85 + 0.3 * (yy - t0) / max(b0 - t0, 1)))
            elif c == 4:  # railing: bars over whatever is behind, with a slab at the bottom
                bars = region & ((xx.astype(int) % 2 == 0) | (yy >= b0 - 1))
                R.paint(photo, bars, metal)
                R.paint(photo, region & ~bars, photo * 0.6)
                shadow = (yy >= b0) & (yy < b0 + max(1, s // 40)) & (xx >= l0) & (xx < r0) & (cls == 1)
                R.paint(photo, shadow, photo * 0.75)
            elif c == 5:
                R.paint(photo, region, R.fill(stone, s))
                shadow = (yy >= b0) & (yy < b0 + max(1, s // 50)) & (cls == 1)
                R.paint(photo, shadow, photo * 0.7)
        light = (1 + rng.uniform(-0.25, 0.25) * (xx / s - 0.5) + rng.uniform(-0.25, 0.25) * (yy / s - 0.5))
        photo = R.finish(rng, photo * light, noise=0.025)
        return R.to_signed(label_image), R.to_signed(photo), cls
