"""ProceduralMaps: aerial-like image <-> flat-coloured map, in the spirit of pix2pix's maps set."""
import numpy

from . import render as R
from .dataset import RenderedPairs

MAP_CLASSES = ('ground', 'road', 'water', 'park', 'building')

#: Flat map colours (like a web map's style), (K, 3) in [0, 1].
MAP_PALETTE = numpy.array([[0.93, 0.92, 0.89],   # ground
                           [1.00, 1.00, 1.00],   # road
                           [0.67, 0.80, 0.97],   # water
                           [0.78, 0.90, 0.74],   # park
                           [0.85, 0.82, 0.78]],  # building
                          numpy.float32)


class ProceduralMaps(RenderedPairs):
    """Aerial-photo-like textures paired with the flat map of the same place.

    ``ds[i] = (aerial, map)``, both (3, size, size) float32 in **[-1, 1]**
    (pix2pix convention), matching the direction of pix2pix's maps set
    (A = aerial, B = map; swap them for map -> aerial).  ``ds.class_map(i)``
    gives the (size, size) int64 classes (``MAP_CLASSES``: 0 ground, 1 road,
    2 water, 3 park, 4 building); ``return_class_map=True`` appends it to
    every sample.  Main roads are drawn yellow on the map.

    Each tile: maybe a winding river or a lake, a jittered street grid (a few
    wider main roads, bridges over water), parks as smooth blobs, and
    rectangular buildings filling the blocks.  The aerial image renders
    asphalt, dark water with ripples, tree crowns, roofs of varied colours
    with cast shadows, patchy ground, a colour cast and noise — so going
    aerial -> map means recognising textures, and map -> aerial means
    inventing them.

    Source: generated here (no data files); licence: the project's (MIT).
    Deterministic: sample i depends only on (seed, i).
    """

    num_labels = len(MAP_CLASSES)
    class_names = MAP_CLASSES
    palette = MAP_PALETTE

    def _layout(self, rng, yy, xx):
        s = self.size
        cls = numpy.zeros((s, s), numpy.int64)
        water = numpy.zeros((s, s), bool)
        kind = rng.choice(['river', 'lake', 'none'], p=[0.4, 0.25, 0.35])
        if kind == 'river':
            w = rng.uniform(0.06, 0.14) * s
            centre = (rng.uniform(0.2, 0.8) * s + rng.uniform(0.05, 0.15) * s
                      * numpy.sin(2 * numpy.pi * (xx / s * rng.uniform(0.5, 1.5) + rng.random())))
            water = numpy.abs(yy - centre) < w / 2
            if rng.random() < 0.5:
                water = water.T
        elif kind == 'lake':
            water = R.value_noise(rng, s, 3) > rng.uniform(0.65, 0.8)
        cls[water] = 2

        park = (R.value_noise(rng, s, 4) > rng.uniform(0.65, 0.85)) & ~water
        cls[park] = 3

        roads = numpy.zeros((s, s), bool)
        main = numpy.zeros((s, s), bool)
        spacing = rng.uniform(0.18, 0.32) * s
        angle = rng.uniform(-0.3, 0.3)
        u = xx * numpy.cos(angle) + yy * numpy.sin(angle)
        v = -xx * numpy.sin(angle) + yy * numpy.cos(angle)
        for coord, offset in ((u, rng.uniform(0, spacing)), (v, rng.uniform(0, spacing))):
            for k, line in enumerate(numpy.arange(offset - s, 2 * s, spacing)):
                big = rng.random() < 0.2
                width = (rng.uniform(0.05, 0.07) if big else rng.uniform(0.02, 0.035)) * s
                street = numpy.abs(coord - line) < max(width, 1.0) / 2
                if not big and rng.random() < 0.25:
                    continue
                roads |= street
                if big:
                    main |= street
        # Roads cross water only on a few bridges; elsewhere they stop at the shore.
        bridge = rng.random() < 0.6
        roads &= ~water | (main if bridge else numpy.zeros_like(main))
        main &= roads
        cls[roads] = 1

        blocks = (cls == 0)
        buildings = []
        for _ in range(int(rng.integers(20, 60))):
            cy, cx = rng.uniform(0, s, 2)
            h, w = rng.uniform(0.03, 0.1, 2) * s
            box = (numpy.abs(yy - cy) < h / 2) & (numpy.abs(xx - cx) < w / 2)
            if box.any() and not (box & ~blocks).any():
                buildings.append(box)
                cls[box] = 4
        return cls, main, buildings

    def _render(self, index):
        rng = self.rng(index)
        s = self.size
        yy, xx = R.coords(s)
        cls, main, buildings = self._layout(rng, yy, xx)
        flat = MAP_PALETTE[cls].transpose(2, 0, 1).copy()
        R.paint(flat, main, (0.98, 0.86, 0.55))

        ground = (R.fill(R.jitter(rng, (0.55, 0.55, 0.45), 0.06), s) * (0.8 + 0.4 * R.value_noise(rng, s, 8, 3))
                  + R.fill((-0.08, 0.06, -0.06), s) * R.value_noise(rng, s, 4))
        aerial = ground
        asphalt = R.fill(R.jitter(rng, (0.42, 0.42, 0.43), 0.04), s) * (0.92 + 0.16 * rng.random((s, s)))
        R.paint(aerial, cls == 1, asphalt)
        R.paint(aerial, main, asphalt * 1.15)
        ripples = 0.85 + 0.3 * R.value_noise(rng, s, 16)
        R.paint(aerial, cls == 2, R.fill(R.jitter(rng, (0.12, 0.22, 0.27), 0.04), s) * ripples)
        crowns = R.value_noise(rng, s, s / 4)
        trees = R.fill(R.jitter(rng, (0.16, 0.3, 0.12), 0.04), s) * (0.6 + 0.8 * crowns)
        R.paint(aerial, cls == 3, trees)
        roofs = numpy.zeros((3, s, s), numpy.float32)
        for box in buildings:
            colour = [(0.55, 0.3, 0.25), (0.7, 0.7, 0.7), (0.45, 0.45, 0.48), (0.85, 0.84, 0.8)][rng.integers(4)]
            R.paint(roofs, box, R.jitter(rng, colour, 0.06))
        building = cls == 4
        shadow = numpy.roll(numpy.roll(building, 1, axis=0), 1, axis=1) & ~building & (cls != 2)
        R.paint(aerial, shadow, aerial * 0.55)
        R.paint(aerial, building, roofs)
        cast = R.jitter(rng, (1.0, 1.0, 1.0), 0.08)
        aerial = R.finish(rng, aerial * cast[:, None, None], noise=0.03)
        return R.to_signed(aerial), R.to_signed(flat), cls

