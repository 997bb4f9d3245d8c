"""Colour for the colorization lesson: sRGB <-> CIE Lab and the ab classification recipe.

Zhang, Isola & Efros (ECCV 2016) predict a grey image's colours as a
*classification* per pixel instead of a regression:

1. Convert to CIE Lab.  ``L`` (lightness, 0..100) is the input; ``ab`` (two
   opponent colour axes, roughly -110..110) is what must be predicted.
2. Quantise the ab plane on a grid of 10 and keep the Q cells that real
   colours reach (:func:`ab_gamut_bins`).
3. Turn each pixel's true ab into a *soft* target over its k nearest cells
   (:func:`soft_encode`), train with cross entropy.
4. Weight rare colours up (:func:`bin_distribution`, :func:`rebalance_weights`),
   otherwise the network paints everything brownish-grey.
5. Turn the predicted distribution back into one ab per pixel with the
   *annealed mean* (:func:`decode`): between the mean (desaturated, safe) and
   the mode (vivid, patchy).

Every function here takes NumPy or CuPy arrays (or minigrad Tensors, whose
``.array`` is used) and returns arrays of the same backend; float32 stays
float32.  Images are channels-first: ``(..., 3, H, W)`` with the channel axis
given by ``axis`` (default ``-3``), so a batch ``(N, 3, H, W)`` and a single
image ``(3, H, W)`` both work.  Pass ``axis=-1`` for ``(H, W, 3)`` arrays.
"""
import functools

import numpy

from .backend import get_array_module, to_numpy
from .tensor import Tensor

# --------------------------------------------------------------------- constants
#: Linear sRGB -> XYZ (D65), IEC 61966-2-1 primaries.  Its rows sum to the white point,
#: so RGB = (1, 1, 1) maps exactly to Lab = (100, 0, 0).
XYZ_FROM_RGB = numpy.array([[0.4124564, 0.3575761, 0.1804375],
                            [0.2126729, 0.7151522, 0.0721750],
                            [0.0193339, 0.1191920, 0.9503041]])
RGB_FROM_XYZ = numpy.linalg.inv(XYZ_FROM_RGB)

#: Reference white of the D65 illuminant (X, Y, Z), about (0.95047, 1, 1.08883): the image
#: of RGB white, so that white is exactly L = 100, a = b = 0.
D65_WHITE = XYZ_FROM_RGB.sum(axis=1)

_EPS = (6.0 / 29.0) ** 3          # Lab's switch between the cube root and its linear segment
_KAPPA = 3.0 * (6.0 / 29.0) ** 2  # slope of that linear segment is 1 / _KAPPA

#: Defaults of Zhang et al.: grid 10, sigma 5 for soft-encoding and smoothing, k = 5
#: neighbours, lambda = 0.5 for rebalancing, temperature 0.38 for the annealed mean.
GRID = 10
SIGMA = 5.0
K_NEIGHBOURS = 5
LAMBDA = 0.5
TEMPERATURE = 0.38


def _array(a):
    """The backend array behind ``a`` (a Tensor's ``.array``), floats kept, ints -> float32."""
    if isinstance(a, Tensor):
        a = a.array
    xp = get_array_module(a)
    a = xp.asarray(a)
    if a.dtype.kind != 'f':
        a = a.astype(numpy.float32)
    return a, xp


def _check_axis(a, axis, channels, name):
    if a.ndim == 0 or not -a.ndim <= axis < a.ndim or a.shape[axis] != channels:
        raise ValueError(f"{name}: expected {channels} channels on axis {axis} "
                         f"(channels-first (..., {channels}, H, W) by default), got shape {tuple(a.shape)}")


def _mix(a, matrix, axis, xp):
    """Apply a 3x3 colour matrix along ``axis``: out_i = sum_j M_ij a_j."""
    m = xp.asarray(matrix, dtype=a.dtype)
    moved = xp.moveaxis(a, axis, -1)
    return xp.moveaxis(moved @ m.T, -1, axis)


# --------------------------------------------------------------------- sRGB <-> Lab
def srgb_to_linear(c):
    """Undo the sRGB gamma: c/12.92 below 0.04045, else ((c + 0.055)/1.055)^2.4."""
    c, xp = _array(c)
    return xp.where(c <= 0.04045, c / 12.92, ((xp.maximum(c, 0.04045) + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(c):
    """Apply the sRGB gamma: 12.92 c below 0.0031308, else 1.055 c^(1/2.4) - 0.055."""
    c, xp = _array(c)
    return xp.where(c <= 0.0031308, 12.92 * c, 1.055 * xp.maximum(c, 0.0031308) ** (1 / 2.4) - 0.055)


def rgb_to_lab(rgb, axis=-3):
    """sRGB in [0, 1] -> CIE Lab (D65): L in [0, 100], a and b roughly in [-110, 110].

    rgb -> linear rgb (gamma undone) -> XYZ (matrix) -> divide by the white ->
    f(t) = t^(1/3) (or the linear piece t/(3(6/29)^2) + 4/29 near black) ->
    L = 116 f(Y) - 16,  a = 500 (f(X) - f(Y)),  b = 200 (f(Y) - f(Z)).
    """
    rgb, xp = _array(rgb)
    _check_axis(rgb, axis, 3, 'rgb_to_lab')
    xyz = _mix(srgb_to_linear(rgb), XYZ_FROM_RGB / D65_WHITE[:, None], axis, xp)
    f = xp.where(xyz > _EPS, xp.cbrt(xp.maximum(xyz, _EPS)), xyz / _KAPPA + 4.0 / 29.0)
    fx, fy, fz = (xp.take(f, i, axis=axis) for i in range(3))
    return xp.stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], axis=axis).astype(rgb.dtype)


def lab_to_rgb(lab, axis=-3, clip=True):
    """CIE Lab (D65) -> sRGB; the exact inverse of :func:`rgb_to_lab`.

    Lab values outside the sRGB gamut (easy to produce when a network predicts
    ab) give RGB outside [0, 1]; ``clip=True`` clips them so the result can be
    shown.  Use ``clip=False`` for round trips.
    """
    lab, xp = _array(lab)
    _check_axis(lab, axis, 3, 'lab_to_rgb')
    L, a, b = (xp.take(lab, i, axis=axis) for i in range(3))
    fy = (L + 16.0) / 116.0
    f = xp.stack([fy + a / 500.0, fy, fy - b / 200.0], axis=axis)
    xyz = xp.where(f > 6.0 / 29.0, f ** 3, _KAPPA * (f - 4.0 / 29.0))
    rgb = linear_to_srgb(_mix(xyz, RGB_FROM_XYZ * D65_WHITE[None, :], axis, xp))
    rgb = rgb.astype(lab.dtype)
    return xp.clip(rgb, 0.0, 1.0) if clip else rgb


def rgb_to_gray(rgb, axis=-3):
    """Luma of sRGB (ITU-R BT.601 weights 0.299, 0.587, 0.114), keeping a channel axis of size 1."""
    rgb, xp = _array(rgb)
    _check_axis(rgb, axis, 3, 'rgb_to_gray')
    w = xp.asarray([0.299, 0.587, 0.114], dtype=rgb.dtype)
    return _mix(rgb, w[None, :], axis, xp)


# --------------------------------------------------------------------- ab quantisation
@functools.lru_cache(maxsize=8)
def _gamut_bins(grid, levels):
    v = numpy.linspace(0.0, 1.0, levels)
    cube = numpy.stack(numpy.meshgrid(v, v, v, indexing='ij'), axis=0).reshape(3, -1)
    ab = rgb_to_lab(cube, axis=0)[1:]
    cells = numpy.unique(numpy.round(ab / grid).astype(numpy.int64), axis=1)
    centers = (cells.T * grid).astype(numpy.float64)
    centers.setflags(write=False)
    return centers


def ab_gamut_bins(grid=GRID, levels=65):
    """Centres ``(Q, 2)`` of the ab cells (side ``grid``) that some sRGB colour falls into.

    Cells are centred on multiples of ``grid`` (a colour goes to the cell
    ``round(ab / grid) * grid``).  We sample the RGB cube on ``levels^3``
    points (every L, not just one), convert to Lab and keep every cell hit.
    With ``grid=10`` this gives **Q = 261** cells; ``levels=65`` already hits
    all the cells that all 256^3 8-bit colours hit.  Rows are sorted by a,
    then b.

    Why not Zhang et al.'s 313?  Their 313 "in-gamut" bins (also centred on
    multiples of 10) come from their own gamut computation — the released
    file is called ``pts_in_hull`` — which the paper does not spell out.  Only
    269 cells of this grid even touch the region of the ab plane that sRGB
    colours reach (with this standard D65 conversion), so at least 44 of the
    313 cells hold no sRGB colour at all and never receive a training target.
    With 261, every class is a colour that can occur in an image.  Any Q works
    with the functions below: pass ``centers``.
    """
    if grid <= 0 or levels < 2:
        raise ValueError(f"ab_gamut_bins: expected grid > 0 and levels >= 2, got grid={grid}, levels={levels}")
    return _gamut_bins(float(grid), int(levels))


def num_ab_bins(grid=GRID, levels=65):
    """How many ab cells of side ``grid`` sRGB reaches (261 for grid 10); see :func:`ab_gamut_bins`."""
    return len(ab_gamut_bins(grid, levels))


def _centers(centers, xp, dtype):
    c = ab_gamut_bins() if centers is None else centers
    c = xp.asarray(getattr(c, 'array', c), dtype=dtype)
    if c.ndim != 2 or c.shape[1] != 2:
        raise ValueError(f"ab bins: expected centers of shape (Q, 2), got {tuple(c.shape)}")
    return c


def _sq_dist(ab, c, xp):
    """Squared distances (N, H, W, Q) from each pixel's ab (N, 2, H, W) to each centre (Q, 2)."""
    d0 = ab[:, 0, :, :, None] - c[:, 0]
    d1 = ab[:, 1, :, :, None] - c[:, 1]
    return d0 * d0 + d1 * d1


def _check_ab(ab, name):
    if ab.ndim != 4 or ab.shape[1] != 2:
        raise ValueError(f"{name}: expected ab of shape (N, 2, H, W), got {tuple(ab.shape)}")


def quantize_ab(ab, centers=None):
    """Index (N, H, W) int64 of the nearest bin to each pixel's ab (N, 2, H, W): the hard label."""
    ab, xp = _array(ab)
    _check_ab(ab, 'quantize_ab')
    c = _centers(centers, xp, ab.dtype)
    return xp.argmin(_sq_dist(ab, c, xp), axis=-1).astype(numpy.int64)


def soft_encode(ab, centers=None, k=K_NEIGHBOURS, sigma=SIGMA):
    """Soft targets (N, Q, H, W) from ab (N, 2, H, W): each pixel spread over its k nearest bins.

    For pixel ab value y and its k nearest centres c_1..c_k,
    Z_q = exp(-|y - c_q|^2 / (2 sigma^2)) / sum_j exp(-|y - c_j|^2 / (2 sigma^2)),
    and Z_q = 0 for every other bin.  Each pixel's Z sums to 1, the nearest
    bin gets the most weight, and the mean sum_q Z_q c_q lies close to y.
    """
    ab, xp = _array(ab)
    _check_ab(ab, 'soft_encode')
    c = _centers(centers, xp, ab.dtype)
    Q = c.shape[0]
    if not 1 <= k <= Q or sigma <= 0:
        raise ValueError(f"soft_encode: expected 1 <= k <= Q={Q} and sigma > 0, got k={k}, sigma={sigma}")
    n, _, h, w = ab.shape
    # BEGIN SOLUTION a7_soft_encode
    # BEGIN PROMPT
    # _sq_dist(ab, c, xp) gives squared distances from every pixel to every centre; make it
    # (pixels, Q).  Find each pixel's k nearest bins (xp.argpartition), Gaussian weights
    # from their distances (subtract the smallest distance first: exp cannot underflow to
    # all zeros), normalise them to sum 1, scatter them into zeros (pixels, Q), and return
    # (N, Q, H, W).
    # END PROMPT
    d2 = _sq_dist(ab, c, xp).reshape(-1, Q)
    nearest = xp.argpartition(d2, k - 1, axis=1)[:, :k] if k < Q else xp.broadcast_to(xp.arange(Q), d2.shape)
    near_d2 = xp.take_along_axis(d2, nearest, axis=1)
    weights = xp.exp(-(near_d2 - near_d2.min(axis=1, keepdims=True)) / (2.0 * sigma * sigma))
    weights /= weights.sum(axis=1, keepdims=True)
    out = xp.zeros((n * h * w, Q), dtype=ab.dtype)
    rows = xp.arange(n * h * w)[:, None]
    out[rows, nearest] = weights
    return xp.moveaxis(out.reshape(n, h, w, Q), -1, 1)
    # END SOLUTION


def bin_distribution(ab, centers=None, sigma=SIGMA):
    """Smoothed empirical distribution p~ (Q,) of ab bins over a dataset.

    ``ab`` is (N, 2, H, W) (all the pixels of a training set, or a big sample
    of them), or an iterable of such arrays, which is counted chunk by chunk.
    Every pixel counts once for its nearest bin; the histogram p is then
    smoothed with a Gaussian of ``sigma`` ab units over the bin centres,
    p~_q = sum_r G(c_q - c_r) p_r / sum_q' sum_r G(c_q' - c_r) p_r,
    so a colour that occurs a little also lends weight to its neighbours.
    Returns float64 on the CPU (a small vector, accumulated exactly).
    """
    c = _centers(None if centers is None else to_numpy(getattr(centers, 'array', centers)),
                 numpy, numpy.float64)
    chunks = [ab] if hasattr(ab, 'shape') else ab
    counts = numpy.zeros(len(c))
    for chunk in chunks:
        labels = quantize_ab(chunk, centers)
        xp = get_array_module(labels)
        counts += to_numpy(xp.bincount(labels.ravel(), minlength=len(c)))
    if counts.sum() == 0:
        raise ValueError("bin_distribution: no pixels were given")
    # BEGIN SOLUTION a7_rebalance
    # BEGIN PROMPT
    # counts[q] = pixels whose nearest bin is q.  Smooth the normalised histogram with a
    # Gaussian over the distances between bin centres c (Q, 2), then normalise to sum 1.
    # END PROMPT
    d2 = ((c[:, None, :] - c[None, :, :]) ** 2).sum(-1)
    smooth = numpy.exp(-d2 / (2.0 * sigma * sigma)) @ (counts / counts.sum())
    return smooth / smooth.sum()
    # END SOLUTION


def rebalance_weights(p_smooth, lam=LAMBDA):
    """Class weights w (Q,) that boost rare colours: w ∝ ((1 - λ) p~ + λ / Q)^-1, E_p~[w] = 1.

    λ = 1 weights every bin equally (w = 1); λ = 0 would fully invert the
    distribution.  Normalising so that sum_q p~_q w_q = 1 keeps the average
    loss on the same scale as unweighted cross entropy.  Used per pixel as
    w[argmax_q Z_q] (the weight of the pixel's nearest bin).
    """
    p, xp = _array(p_smooth)
    if p.ndim != 1 or not 0.0 <= lam <= 1.0:
        raise ValueError(f"rebalance_weights: expected a 1-D distribution and 0 <= lam <= 1, "
                         f"got shape {tuple(p.shape)}, lam={lam}")
    # BEGIN SOLUTION a7_rebalance
    # BEGIN PROMPT
    # Mix p with the uniform distribution (weight lam), invert, and scale so that the
    # expected weight under p is 1.
    # END PROMPT
    p = p / p.sum()
    w = 1.0 / ((1.0 - lam) * p + lam / p.shape[0])
    return w / (p * w).sum()
    # END SOLUTION


# --------------------------------------------------------------------- decoding
def annealed_softmax(probs, T=TEMPERATURE, axis=1):
    """f_T(z) = exp(log z / T) / sum_q exp(log z_q / T): sharpen (T < 1) or keep (T = 1) a distribution."""
    z, xp = _array(probs)
    if T <= 0:
        raise ValueError(f"annealed_softmax: expected a temperature T > 0, got {T}")
    logits = xp.log(xp.maximum(z, xp.finfo(z.dtype).tiny)) / T
    logits -= logits.max(axis=axis, keepdims=True)
    e = xp.exp(logits)
    return e / e.sum(axis=axis, keepdims=True)


def decode(probs, centers=None, method='annealed', T=TEMPERATURE):
    """ab (N, 2, H, W) from bin probabilities (N, Q, H, W).

    ``method='mode'``: centre of the most likely bin (vivid but patchy);
    ``'mean'``: sum_q z_q c_q (smooth but greyish: averaging red and green gives grey);
    ``'annealed'``: the mean of f_T(z) (:func:`annealed_softmax`), which is the
    mean at T = 1 and tends to the mode as T -> 0; Zhang et al. use T = 0.38.
    """
    z, xp = _array(probs)
    if z.ndim != 4:
        raise ValueError(f"decode: expected probabilities of shape (N, Q, H, W), got {tuple(z.shape)}")
    c = _centers(centers, xp, z.dtype)
    if z.shape[1] != c.shape[0]:
        raise ValueError(f"decode: probabilities have Q={z.shape[1]} bins but there are {c.shape[0]} centres")
    if method == 'mode':
        return xp.moveaxis(c[xp.argmax(z, axis=1)], -1, 1)
    if method == 'annealed':
        z = annealed_softmax(z, T, axis=1)
    elif method != 'mean':
        raise ValueError(f"decode: method must be 'mode', 'mean' or 'annealed', got {method!r}")
    return xp.einsum('nqhw,qc->nchw', z, c)
