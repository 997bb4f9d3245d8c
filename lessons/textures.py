"""Striped regions: a label-map -> texture task whose ambiguity is known and controlled.

Each image (``size`` x ``size``) has two rectangles on a dark background, one in
each half.  The input is a label map with two one-hot channels: channel 0 marks
"horizontal stripes here", channel 1 "vertical stripes here" (both in {-1, 1}).
The target draws, inside each rectangle, a sinusoid of period ``period`` pixels
across the labelled orientation,

    y(r, c) = 0.1 + 0.8 sin(2π r / period + φ)      (horizontal; c instead of r for vertical),

with a phase φ drawn uniformly in [0, 2π) for every rectangle.  The input says
where the stripes go and which way they run; it says nothing about φ.  So every
phase is an equally good answer: p(y | x) has a continuum of modes, and we know
exactly what they are.

What a pixel-wise L1 regressor must do here: at each pixel the target is
0.1 + 0.8 sin(θ) with θ uniform, a symmetric distribution whose median is its
mean 0.1, so the L1-optimal prediction is a flat 0.1 inside every rectangle —
no stripes at all (expected |error| 0.8 · 2/π = 0.509 per pixel).  A sharp
sinusoid of the right orientation with a phase of its own scores worse by L1
(0.8 · 8/π² = 0.648: it is right only when its phase happens to match).

The measures (:func:`stripe_energies`) look at each rectangle's spectrum: the
image inside the rectangle minus its mean (zero outside), its 2-D DFT power,
and the energy in three sets of frequencies: the labelled orientation's stripe
band (``right``), the other orientation's band (``wrong``) and all detail above
the smoothest shading (``detail``).  A checkerboard has its energy at the
Nyquist corner, in neither stripe band; a grid of both orientations splits it
evenly between them; a flat region has none.
"""
from collections import namedtuple

import numpy as np

StripedRegions = namedtuple('StripedRegions', ['x', 'y', 'regions', 'orientation', 'phase'])
StripedRegions.__doc__ = """x (N, 2, S, S) label maps in {-1, 1}; y (N, 1, S, S) targets in [-1, 1];
regions (N, S, S) int: 0 background, k + 1 inside rectangle k; orientation (N, 2): 0 horizontal,
1 vertical stripes in rectangle k; phase (N, 2) in [0, 2π)."""

AMPLITUDE, LEVEL, BACKGROUND = 0.8, 0.1, -1.0


def stripe(size, period, orientation, phase):
    """The full-image sinusoid 0.1 + 0.8 sin(2π·coord/period + phase), coord = row (0) or column (1)."""
    coord = np.arange(size, dtype=np.float64)
    wave = LEVEL + AMPLITUDE * np.sin(2 * np.pi * coord / period + phase)
    return np.repeat(wave[:, None], size, 1) if orientation == 0 else np.repeat(wave[None, :], size, 0)


def striped_regions(n, rng, size=32, period=4):
    """``n`` (label map, striped image) pairs drawn with the NumPy generator ``rng``."""
    if size % 2 or size < 24:
        raise ValueError(f"striped_regions: size must be even and >= 24, got {size}")
    half = size // 2
    x = np.zeros((n, 2, size, size), np.float32)
    y = np.full((n, 1, size, size), BACKGROUND, np.float32)
    regions = np.zeros((n, size, size), np.int64)
    orientation = rng.integers(0, 2, (n, 2))
    phase = rng.uniform(0, 2 * np.pi, (n, 2))
    for i in range(n):
        for k in range(2):          # rectangle k lives in half k (left, right), 2+ pixels from the edges
            h = rng.integers(size * 3 // 8, size - 3)
            w = rng.integers(size * 5 // 16, half - 1)
            top = rng.integers(2, size - 1 - h)
            left = k * half + rng.integers(1, half - w)
            box = (slice(top, top + h), slice(left, left + w))
            y[i, 0][box] = stripe(size, period, orientation[i, k], phase[i, k])[box]
            x[i, orientation[i, k]][box] = 1.0
            regions[i][box] = k + 1
    return StripedRegions(2 * x - 1, y, regions, orientation, phase)


def _bands(size, period):
    """Boolean (S, S) DFT masks: horizontal-stripe band, vertical-stripe band, detail (|k|∞ >= 3)."""
    k = np.abs(np.fft.fftfreq(size) * size)
    ky, kx = k[:, None], k[None, :]
    horizontal = (np.abs(ky - size / period) <= 1) & (kx <= 2)    # varies along rows: energy at ky = S/p
    return horizontal, horizontal.T, np.maximum(ky, kx) >= 3


def region_spectrum(image, inside):
    """|DFT|² of (image − its mean inside the region), zeroed outside, per pixel of the region."""
    v = np.where(inside, image - image[inside].mean(), 0.0)
    return np.abs(np.fft.fft2(v)) ** 2 / inside.sum()


def stripe_energies(images, data, period=4):
    """Per rectangle: (right, wrong, detail) spectral energies and the stripe phase, for (N, 1, S, S) images.

    Returns an array (N·2, 3) and the phases (N·2,), the angle of the DFT at the labelled
    stripe frequency (for a sinusoid sin(2π·coord/p + φ) that angle is φ − π/2).
    """
    images = np.asarray(images, np.float64)
    size = images.shape[-1]
    horizontal, vertical, detail = _bands(size, period)
    k0 = size // period
    energies, phases = [], []
    for i in range(len(images)):
        for k in range(2):
            inside = data.regions[i] == k + 1
            spectrum = region_spectrum(images[i, 0], inside)
            right, wrong = (horizontal, vertical) if data.orientation[i, k] == 0 else (vertical, horizontal)
            energies.append((spectrum[right].sum(), spectrum[wrong].sum(), spectrum[detail].sum()))
            v = np.where(inside, images[i, 0] - images[i, 0][inside].mean(), 0.0)
            coefficient = np.fft.fft2(v)[(k0, 0) if data.orientation[i, k] == 0 else (0, k0)]
            phases.append(np.angle(coefficient))
    return np.array(energies), np.array(phases)


def stripe_scores(images, data, period=4):
    """The controlled experiment's numbers for a set of outputs, summed over all rectangles.

    stripe_energy   Σ right(output) / Σ right(truth): 1 = as much stripe as the truth, 0 = flat
    orientation     Σ right / Σ (right + wrong): 1 = only the labelled orientation, 0.5 = a grid of both
    right_kind      Σ right / Σ detail: the share of the detail that is the labelled stripe
                    (truth 0.8: a sinusoid cut off at the rectangle's edges leaks some; checkerboard 0)
    phase_spread    1 − |mean e^{iφ}| over rectangles: ~1 for phases all over the circle, 0 for one phase
    region_l1       mean |output − truth| inside the rectangles
    """
    e, phases = stripe_energies(images, data, period)
    truth, _ = stripe_energies(data.y, data, period)
    inside = data.regions[:, None] > 0
    return dict(stripe_energy=float(e[:, 0].sum() / truth[:, 0].sum()),
                orientation=float(e[:, 0].sum() / max(e[:, 0].sum() + e[:, 1].sum(), 1e-12)),
                right_kind=float(e[:, 0].sum() / max(e[:, 2].sum(), 1e-12)),
                phase_spread=float(1 - np.abs(np.exp(1j * phases).mean())),
                region_l1=float(np.abs(np.asarray(images) - data.y)[inside].mean()))


def reference_outputs(data, period=4):
    """Hand-made outputs that show what the measures reward, each (N, 1, S, S):

    'flat (the L1 optimum)'  0.1 inside every rectangle;
    'grid (both ways)'       the true stripe plus the other orientation's, scaled to the same range;
    'checkerboard'           ±0.8 alternating pixels around 0.1 (what strided transposed convs produce).
    """
    size = data.y.shape[-1]
    inside = data.regions[:, None] > 0
    flat = np.where(inside, LEVEL, data.y)
    grid = data.y.copy()
    for i in range(len(data.y)):
        for k in range(2):
            box = data.regions[i] == k + 1
            other = stripe(size, period, 1 - data.orientation[i, k], data.phase[i, k])
            grid[i, 0][box] = LEVEL + 0.5 * (data.y[i, 0][box] - LEVEL) + 0.5 * (other[box] - LEVEL)
    parity = (np.indices((size, size)).sum(0) % 2) * 2 - 1
    checker = np.where(inside, LEVEL + AMPLITUDE * parity, data.y)
    return {'flat (the L1 optimum)': flat.astype(np.float32), 'grid (both ways)': grid.astype(np.float32),
            'checkerboard': checker.astype(np.float32)}
