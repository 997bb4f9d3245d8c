"""minigrad.color: sRGB <-> Lab, ab bins, soft-encoding, rebalancing, decoding."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import color as C
from minigrad.backend import to_numpy


def on_backend(a):
    """``a`` on the default backend (CuPy under MINIGRAD_BACKEND=cupy), dtype kept."""
    return mg.tensor(a).array


def cube(levels, dtype=np.float64):
    v = np.linspace(0, 1, levels)
    return np.stack(np.meshgrid(v, v, v, indexing='ij')).reshape(3, levels, levels * levels).astype(dtype)


# ----------------------------------------------------------------- sRGB <-> Lab
def test_lab_round_trip_over_the_rgb_cube():
    rgb = cube(33)[None]                                   # (1, 3, 33, 1089), float64
    lab = C.rgb_to_lab(on_backend(rgb))
    back = to_numpy(C.lab_to_rgb(lab, clip=False))
    assert back.dtype == np.float64
    assert np.abs(back - rgb).max() < 1e-4


@pytest.mark.parametrize('rgb, lab', [
    ((1, 1, 1), (100.0, 0.0, 0.0)),
    ((0, 0, 0), (0.0, 0.0, 0.0)),
    ((1, 0, 0), (53.2408, 80.0925, 67.2032)),
    ((0, 1, 0), (87.7347, -86.1827, 83.1793)),
    ((0, 0, 1), (32.2970, 79.1875, -107.8602)),
    ((0.5, 0.5, 0.5), (53.3890, 0.0, 0.0)),
])
def test_published_lab_values(rgb, lab):
    got = to_numpy(C.rgb_to_lab(on_backend(np.array(rgb, np.float64)), axis=0))
    np.testing.assert_allclose(got, lab, atol=2e-3)


def test_matches_skimage():
    skcolor = pytest.importorskip('skimage.color')
    rgb = np.random.default_rng(0).random((2, 3, 8, 8))
    ours = to_numpy(C.rgb_to_lab(on_backend(rgb)))
    theirs = np.moveaxis(skcolor.rgb2lab(np.moveaxis(rgb, 1, -1)), -1, 1)
    assert np.abs(ours - theirs).max() < 0.02    # skimage rounds the sRGB matrix differently
    back = np.moveaxis(skcolor.lab2rgb(np.moveaxis(ours, 1, -1)), -1, 1)
    assert np.abs(back - rgb).max() < 1e-3


def test_axis_dtype_and_errors():
    rgb = np.random.default_rng(1).random((5, 7, 3)).astype(np.float32)
    last = C.rgb_to_lab(rgb, axis=-1)
    first = C.rgb_to_lab(np.moveaxis(rgb, -1, 0), axis=0)
    assert last.dtype == np.float32
    np.testing.assert_allclose(np.moveaxis(first, 0, -1), last, atol=1e-4)
    assert C.lab_to_rgb(np.array([[[200.0]], [[0.0]], [[0.0]]])).max() == 1.0   # clipped
    with pytest.raises(ValueError, match='3 channels'):
        C.rgb_to_lab(np.zeros((2, 4, 8, 8)))


# ----------------------------------------------------------------- ab bins
def test_gamut_bins():
    centers = C.ab_gamut_bins()
    assert C.num_ab_bins() == len(centers) == 261
    assert np.all(centers % 10 == 0) and len(np.unique(centers, axis=0)) == len(centers)
    assert [0, 0] in centers.tolist()
    # every sRGB colour's nearest bin is the cell it falls in, and that cell is kept
    ab = C.rgb_to_lab(np.random.default_rng(2).random((3, 2000)), axis=0)[1:]
    q = C.quantize_ab(ab.T[:, :, None, None])
    assert np.abs(centers[q[:, 0, 0]] - ab.T).max() <= 5 + 1e-9
    assert len(C.ab_gamut_bins(levels=33)) <= 261       # a coarser cube can only miss cells


def in_gamut_ab(n=4, h=6, w=5, seed=3, dtype=np.float64):
    rgb = np.random.default_rng(seed).random((n, 3, h, w)).astype(dtype)
    return C.rgb_to_lab(rgb)[:, 1:]


def test_soft_encode():
    ab = in_gamut_ab()
    z = to_numpy(C.soft_encode(on_backend(ab)))
    Q = C.num_ab_bins()
    assert z.shape == (4, Q, 6, 5) and z.dtype == np.float64
    np.testing.assert_allclose(z.sum(axis=1), 1.0, atol=1e-12)
    assert np.all((z > 0).sum(axis=1) == 5)
    np.testing.assert_array_equal(z.argmax(axis=1), C.quantize_ab(ab))
    mean = C.decode(z, method='mean')
    assert np.abs(mean - ab).max() < 5.0                 # within half a grid cell
    z1 = C.soft_encode(ab.astype(np.float32), k=1)
    assert z1.dtype == np.float32 and np.all(z1.max(axis=1) == 1)


def test_bin_distribution_and_rebalancing():
    ab = in_gamut_ab(n=8, h=8, w=8)
    p = C.bin_distribution(ab)
    assert p.shape == (261,) and abs(p.sum() - 1) < 1e-12
    np.testing.assert_allclose(C.bin_distribution([ab[:3], ab[3:]]), p, atol=1e-15)
    hard = np.bincount(C.quantize_ab(ab).ravel(), minlength=261)
    assert (p > 1e-6).sum() > (hard > 0).sum()            # smoothing lends mass to neighbours
    w = C.rebalance_weights(p, lam=0.5)
    assert abs((p * w).sum() - 1) < 1e-12                # E_p[w] = 1
    common, rare = p.argmax(), p.argmin()
    assert w[rare] > 1 > w[common]
    np.testing.assert_allclose(C.rebalance_weights(p, lam=1.0), 1.0)
    expected = 1 / (0.5 * p + 0.5 / 261)
    np.testing.assert_allclose(w, expected / (p * expected).sum())


def test_decode_mode_mean_annealed():
    rng = np.random.default_rng(4)
    logits = rng.normal(0, 2, (2, 261, 3, 4))
    peak = rng.integers(0, 261, (2, 1, 3, 4))
    np.put_along_axis(logits, peak, logits.max(axis=1, keepdims=True) + 1.0, axis=1)  # a clear mode
    z = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    c = C.ab_gamut_bins()
    mean = np.einsum('nqhw,qc->nchw', z, c)
    mode = np.moveaxis(c[z.argmax(axis=1)], -1, 1)
    np.testing.assert_allclose(to_numpy(C.decode(on_backend(z), method='mean')), mean, atol=1e-9)
    np.testing.assert_allclose(C.decode(z, method='mode'), mode)
    np.testing.assert_allclose(C.decode(z, method='annealed', T=1.0), mean, atol=1e-9)
    np.testing.assert_allclose(C.decode(z, method='annealed', T=0.01), mode, atol=1e-3)
    # lowering T moves the estimate monotonically from the mean towards the mode
    dists = [np.abs(C.decode(z, T=T) - mode).mean() for T in (1.0, 0.7, 0.38, 0.2, 0.05)]
    assert all(a > b for a, b in zip(dists, dists[1:]))
    f = C.annealed_softmax(z, T=0.38)
    np.testing.assert_allclose(f.sum(axis=1), 1.0, atol=1e-12)
    with pytest.raises(ValueError, match='method'):
        C.decode(z, method='median')
    with pytest.raises(ValueError, match='Q=10 bins but there are 261'):
        C.decode(z[:, :10])
