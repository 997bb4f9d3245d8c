"""Sliding-window redundancy: the cost of "crop every sub-window and classify its centre".

To label every pixel of an H x W image with a patch classifier, crop one
P x P window around each pixel and run the network on it.  Pixel y then sits
in every window whose centre is within reach:

    coverage(y) = #{windows containing y} = P · P   for an interior pixel

(P choices of the centre row times P of the centre column).  The slide's
answer (2n−1)·(2n−1) is the case P = 2n − 1.  Near the border fewer windows
reach a pixel.  Along one axis, with window c covering rows [c − a, c − a + P − 1]
(a = (P − 1) // 2 rows above the centre) and centres c = 0..H−1::

    count(y) = min(y + a, H − 1) − max(y + a − P + 1, 0) + 1

and the 2-D coverage is count_H(y) · count_W(x).  ``centers='valid'`` keeps only
windows lying inside the image (start b = 0..H−P): count(y) = min(y, H − P) − max(y − P + 1, 0) + 1.

Inside each window the first layer (kernel k, stride s, padding p) filters
pixel u of the window c(u) times (the kernel placements covering u); summing
over the windows that contain a pixel gives how often the *whole pipeline*
filters it -- for an interior pixel (Σ_u c(u))² per output channel, against
the c² of ONE fully convolutional pass (e.g. k(P − k + 1) per axis for an
unpadded conv: the sliding window redoes every filtering P − k + 1 times per axis).

Everything here is checked twice: by these formulas and by literally
enumerating the windows (:func:`enumerate_coverage`, :func:`enumerate_filterings`).
"""
from dataclasses import dataclass

import numpy

from ..ops.geometry import conv_out_size
from .layers import as_layers
from .table import format_table, human_count


def _window_starts(size, patch, centers):
    """First row of every window along an axis."""
    if centers == 'all':
        a = (patch - 1) // 2
        return [c - a for c in range(size)]
    if centers == 'valid':
        return list(range(0, size - patch + 1))
    raise ValueError(f"redundancy: centers must be 'all' or 'valid', got {centers!r}")


def axis_coverage(size, patch, centers='all'):
    """Formula: how many windows contain each position of one axis (int array of ``size``)."""
    y = numpy.arange(size)
    if centers == 'all':
        a = (patch - 1) // 2
        return numpy.minimum(y + a, size - 1) - numpy.maximum(y + a - patch + 1, 0) + 1
    if centers == 'valid':
        if size < patch:
            return numpy.zeros(size, dtype=int)
        return numpy.minimum(y, size - patch) - numpy.maximum(y - patch + 1, 0) + 1
    raise ValueError(f"redundancy: centers must be 'all' or 'valid', got {centers!r}")


def coverage(image_size, patch, centers='all'):
    """Formula: (H, W) array, windows containing each pixel."""
    h, w = _hw(image_size)
    return numpy.outer(axis_coverage(h, patch, centers), axis_coverage(w, patch, centers))


def enumerate_coverage(image_size, patch, centers='all'):
    """Empirical: crop every window and add 1 to each image pixel it contains."""
    h, w = _hw(image_size)
    count = numpy.zeros((h, w), dtype=int)
    for r in _window_starts(h, patch, centers):
        for c in _window_starts(w, patch, centers):
            count[max(r, 0):max(r + patch, 0), max(c, 0):max(c + patch, 0)] += 1
    return count


def placements(patch, kernel=3, stride=1, padding=0, dilation=1):
    """c(u): how many first-layer kernel placements inside one window touch window position u."""
    n_out = max(conv_out_size(patch, kernel, stride, padding, padding, dilation), 0)
    u = numpy.add.outer(numpy.arange(n_out) * stride - padding, numpy.arange(kernel) * dilation).ravel()
    return numpy.bincount(u[(u >= 0) & (u < patch)], minlength=patch)


def axis_filterings(size, patch, c, centers='all'):
    """Formula: filterings of each position of one axis, summed over the windows containing it."""
    out = numpy.zeros(size, dtype=int)
    for b in _window_starts(size, patch, centers):   # window b adds c[y - b] to y = b .. b + P - 1
        lo, hi = max(b, 0), min(b + patch, size)
        out[lo:hi] += c[lo - b:hi - b]
    return out


def enumerate_filterings(image_size, patch, kernel=3, stride=1, padding=0, dilation=1, centers='all'):
    """Empirical: every window, every first-layer kernel placement in it, +1 on each pixel under it."""
    h, w = _hw(image_size)
    count = numpy.zeros((h, w), dtype=int)
    n_out = (patch + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
    for r in _window_starts(h, patch, centers):
        for c in _window_starts(w, patch, centers):
            for i in range(n_out):
                for j in range(n_out):
                    rows = [r + i * stride - padding + t * dilation for t in range(kernel)]
                    cols = [c + j * stride - padding + t * dilation for t in range(kernel)]
                    rows = [y for y in rows if r <= y < r + patch and 0 <= y < h]
                    cols = [x for x in cols if c <= x < c + patch and 0 <= x < w]
                    count[numpy.ix_(rows, cols)] += 1
    return count


#: Largest image side and patch: the coverage maps are (H, W) arrays and the first layer's
#: placements are enumerated, so both stay small enough to answer in a fraction of a second.
MAX_SIDE = 2048
MAX_PLACEMENTS = 4_000_000


def _hw(size):
    hw = (size, size) if not isinstance(size, (tuple, list)) else tuple(size)[-2:]
    if len(hw) != 2 or any(isinstance(v, bool) or not isinstance(v, (int, numpy.integer)) or not 1 <= v <= MAX_SIDE
                           for v in hw):
        raise ValueError(f"redundancy: image size must be H or (H, W) of ints in 1..{MAX_SIDE}, got {size!r}")
    return tuple(int(v) for v in hw)


@dataclass
class Redundancy:
    """What :func:`redundancy` reports (see the module docstring)."""
    patch: int
    image: tuple
    centers: str
    windows: int
    interior_coverage: int          # P·P
    mean_coverage: float
    min_coverage: int
    coverage_map: numpy.ndarray
    first_layer: object = None      # the Layer whose filterings are counted
    interior_filterings: int = None  # per first-layer output channel, sliding windows
    single_pass_filterings: int = None  # the same, one fully convolutional pass
    mean_filterings: float = None
    window_macs: int = None          # the network on one P x P window
    sliding_macs: int = None         # ... on every window
    full_macs: int = None            # one fully convolutional pass on the image

    def __str__(self):
        h, w = self.image
        rows = [['patch P', f"{self.patch} x {self.patch}"],
                ['image', f"{h} x {w}  ({self.windows} windows, centers={self.centers})"],
                ['windows over an interior pixel', f"{self.interior_coverage}  (= P^2 = {self.patch}^2)"],
                ['windows over a pixel, mean / min', f"{self.mean_coverage:.2f} / {self.min_coverage}"]]
        if self.first_layer is not None:
            rows += [[f"first-layer filterings of an interior pixel ({self.first_layer.name})",
                      f"{self.interior_filterings}  (one full-image pass: {self.single_pass_filterings}, "
                      f"{_ratio(self.interior_filterings, self.single_pass_filterings, 'x{:.1f}')})"],
                     ['first-layer filterings, mean over the image', f"{self.mean_filterings:.2f}"]]
        if self.window_macs is not None:
            rows += [['MACs, one window', human_count(self.window_macs)],
                     ['MACs, all windows', human_count(self.sliding_macs)],
                     ['MACs, one fully convolutional pass', human_count(self.full_macs)],
                     ['sliding / fully convolutional', _ratio(self.sliding_macs, self.full_macs, '{:.1f} x')]]
        return format_table(['quantity', 'value'], rows)


def _ratio(a, b, fmt):
    """a / b in ``fmt``, or why there is no ratio (a net without weights has no MACs: up2, pool2 …)."""
    return fmt.format(a / b) if b else "no ratio (the full-image pass does none)"


def redundancy(patch, image_size=32, layers=None, in_channels=3, centers='all'):
    """Redundancy of sliding-window labelling with P x P windows (P = ``patch``).

    ``layers`` (optional: Layers or a spec string, e.g. ``"conv3x3c64*3"``) adds the
    first layer's filter counts and the network's multiply-accumulates: per window,
    over all windows, and for one fully convolutional pass over the image.
    Coverage is counted both by formula and by enumeration; they must agree (a
    mismatch raises AssertionError -- it would be a bug here).
    """
    if isinstance(patch, bool) or not isinstance(patch, (int, numpy.integer)) or not 1 <= patch <= MAX_SIDE:
        raise ValueError(f"redundancy: patch must be an int in 1..{MAX_SIDE}, got {patch!r}")
    if centers not in ('all', 'valid'):
        raise ValueError(f"redundancy: centers must be 'all' or 'valid', got {centers!r}")
    patch = int(patch)
    h, w = _hw(image_size)
    cov = coverage((h, w), patch, centers)
    emp = enumerate_coverage((h, w), patch, centers) if h * w <= 128 * 128 else cov
    assert numpy.array_equal(cov, emp), "redundancy: coverage formula and enumeration disagree"
    windows = len(_window_starts(h, patch, centers)) * len(_window_starts(w, patch, centers))
    interior = patch * patch
    report = Redundancy(patch, (h, w), centers, windows, interior, float(cov.mean()), int(cov.min()), cov)
    if layers is None:
        return report
    layers = as_layers(layers)
    first = next((lay for lay in layers if lay.kind in ('conv', 'maxpool', 'avgpool')), None)
    if first is not None:
        k, s, p, d = first.kernel[0], first.stride[0], first.padding[0], first.dilation[0]
        if k * max(h, w, 4 * patch) > MAX_PLACEMENTS:
            raise ValueError(f"redundancy: the first layer's kernel {k} x a side of {max(h, w, 4 * patch)} "
                             f"is more than the {MAX_PLACEMENTS:,} placement-taps counted here")
        c = placements(patch, k, s, p, d)
        axis = [axis_filterings(n, patch, c, centers) for n in (h, w)]
        fil = numpy.outer(*axis)
        once = placements(max(h, 4 * patch), k, s, p, d)
        report.first_layer = first
        report.interior_filterings = int(c.sum()) ** 2
        report.single_pass_filterings = int(once[len(once) // 2]) ** 2
        report.mean_filterings = float(fil.mean())
    from .flops import count_flops
    report.window_macs = count_flops(layers, (1, in_channels, patch, patch)).macs
    report.sliding_macs = report.window_macs * windows
    report.full_macs = count_flops(layers, (1, in_channels, h, w)).macs
    return report
