"""Assignment 7 (assignments/a7_colorization.md): colourization as classification.

Soft-encoding and rebalancing are checked on a 4-bin toy palette where every
number can be worked out by hand, and on the real ab gamut.
"""
import numpy as np
import pytest

from minigrad import color
from minigrad.testing import as_numpy, assert_close

CENTERS = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])


def _ab(values):
    """(N, 2, H, W) from a list of (a, b) pairs: one row of pixels."""
    v = np.asarray(values, dtype=np.float64)
    return v.T.reshape(1, 2, 1, len(v))


# ------------------------------------------------------------------- a7_soft_encode
@pytest.mark.a7_soft_encode
def test_soft_encode_toy_values():
    """ab = (2, 1), k = 2, sigma = 5: squared distances 5 and 65 to the two nearest bins,
    weights exp(-5/50) and exp(-65/50) normalised -> 0.7685, 0.2315; the far bins get 0."""
    z = as_numpy(color.soft_encode(_ab([(2.0, 1.0)]), centers=CENTERS, k=2, sigma=5.0))
    assert z.shape == (1, 4, 1, 1)
    assert_close(z.ravel(), [0.76852478, 0.23147522, 0.0, 0.0], rtol=1e-6, atol=1e-8)


@pytest.mark.a7_soft_encode
def test_soft_encode_is_a_distribution_on_k_bins(rng):
    """On the real gamut: every pixel's targets sum to 1, exactly k are non-zero, the largest is the nearest bin."""
    ab = rng.uniform(-60, 60, size=(2, 2, 3, 4))
    z = as_numpy(color.soft_encode(ab, k=5))
    assert_close(z.sum(axis=1), np.ones((2, 3, 4)), rtol=1e-6, atol=1e-6)
    assert np.all((z > 0).sum(axis=1) == 5)
    assert np.array_equal(z.argmax(axis=1), as_numpy(color.quantize_ab(ab)))


@pytest.mark.a7_soft_encode
def test_soft_encode_far_from_every_bin():
    """A pixel far from every centre still gets finite weights that sum to 1 (no 0/0)."""
    z = as_numpy(color.soft_encode(_ab([(500.0, 500.0)]), centers=CENTERS, k=3, sigma=1.0))
    assert np.all(np.isfinite(z)) and abs(z.sum() - 1) < 1e-9 and z.ravel()[3] > 0.99


# --------------------------------------------------------------------- a7_rebalance
@pytest.mark.a7_rebalance
def test_rebalance_weights_values():
    """p = (0.5, 0.3, 0.2, 0), lambda = 0.5: w proportional to 1 / (0.5 p + 0.5/4), scaled so E_p[w] = 1."""
    p = np.array([0.5, 0.3, 0.2, 0.0])
    w = as_numpy(color.rebalance_weights(p, lam=0.5))
    assert_close(w, [0.80487805, 1.09756098, 1.34146341, 2.41463415], rtol=1e-6, atol=1e-8)
    assert abs((p * w).sum() - 1) < 1e-9
    assert_close(as_numpy(color.rebalance_weights(p, lam=1.0)), np.ones(4), rtol=1e-12, atol=1e-12)


@pytest.mark.a7_rebalance
def test_bin_distribution_is_smoothed():
    """Every pixel in bin 0: the smoothed distribution is a Gaussian of the centres' distances to bin 0
    (squared distances 0, 100, 100, 200 with sigma 5 -> weights 1, e^-2, e^-2, e^-4, normalised)."""
    p = as_numpy(color.bin_distribution(_ab([(1.0, 0.5), (0.5, 1.0)]), centers=CENTERS, sigma=5.0))
    g = np.array([1.0, np.exp(-2), np.exp(-2), np.exp(-4)])
    assert_close(p, g / g.sum(), rtol=1e-9, atol=1e-12)
