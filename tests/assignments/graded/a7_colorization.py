"""Graded checks of assignment 7 (assignments/a7_colorization.md): soft-encoding and rebalancing.

On a 4-bin toy palette and on the real ab gamut, with ab values the grader drew.
"""
import numpy as np

from minigrad.assign.checks import graded

CENTERS = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])


def ab_case(shape, low=-60, high=60):
    return lambda rng: {'ab': rng.uniform(low, high, shape)}


# ------------------------------------------------------------------- a7_soft_encode
@graded('a7_soft_encode', points=2, inputs=ab_case((2, 2, 1, 5), -5, 15))
def soft_encode_toy_palette(ab):
    """The 4-bin toy palette, k = 2 and k = 3, sigma = 5."""
    from minigrad import color
    return {f'k={k}': color.soft_encode(ab, centers=CENTERS, k=k, sigma=5.0) for k in (2, 3)}


@graded('a7_soft_encode', inputs=ab_case((2, 2, 3, 4)), rtol=1e-6, atol=1e-9)
def soft_encode_real_gamut(ab):
    """The real gamut's bins, k = 5 (the default sigma)."""
    from minigrad import color
    return {'soft_encode': color.soft_encode(ab, k=5)}


@graded('a7_soft_encode', inputs=ab_case((1, 2, 1, 3), 300, 600))
def soft_encode_far_from_every_bin(ab):
    """Pixels far from every centre still get finite weights that sum to 1 (no 0/0)."""
    from minigrad import color
    return {'soft_encode': color.soft_encode(ab, centers=CENTERS, k=3, sigma=1.0)}


# --------------------------------------------------------------------- a7_rebalance
@graded('a7_rebalance', points=2, inputs=lambda rng: {'p': rng.dirichlet(np.ones(6)) * (rng.random(6) > 0.2),
                                                       'lam': rng.uniform(0.1, 0.9, 1)})
def rebalance_weights_values(p, lam):
    """w proportional to 1 / ((1 - lambda) p + lambda / Q), scaled so E_p[w] = 1; and lambda = 1."""
    from minigrad import color
    p = p / p.sum()
    return {'rebalance_weights': color.rebalance_weights(p, lam=float(lam[0])),
            'rebalance_weights(lam=1)': color.rebalance_weights(p, lam=1.0)}


@graded('a7_rebalance', inputs=ab_case((2, 2, 3, 3), -3, 13))
def bin_distribution_smoothed(ab):
    """The smoothed bin distribution of the toy palette (sigma 5)."""
    from minigrad import color
    return {'bin_distribution': color.bin_distribution(ab, centers=CENTERS, sigma=5.0)}
