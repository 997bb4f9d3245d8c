"""Dropout / Dropout2d: statistics of the mask, inverted scaling, eval identity,
gradient through the same mask, reproducibility from the seed."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn
from minigrad.testing import assert_close, t64


@pytest.mark.parametrize('p', [0.2, 0.5, 0.8])
def test_dropout_zeroes_fraction_p_and_preserves_mean(p):
    x = mg.ones(200, 500)
    y = nn.Dropout(p)(x).numpy()
    zero_fraction = (y == 0).mean()
    assert abs(zero_fraction - p) < 0.01  # 1e5 draws: std of the fraction ≈ 0.0016
    assert np.allclose(y[y != 0], 1 / (1 - p))  # survivors scaled
    assert abs(y.mean() - 1.0) < 0.03
    assert y.dtype == np.float32


def test_dropout_eval_and_p0_are_identity_and_p1_zeroes():
    x = mg.randn(4, 5)
    d = nn.Dropout(0.5).eval()
    assert d(x) is x
    assert F.dropout(x, 0.0) is x
    assert F.dropout(x, 0.5, training=False) is x
    assert_close(F.dropout(x, 1.0), np.zeros((4, 5)))
    with pytest.raises(ValueError, match='between 0 and 1'):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match='between 0 and 1'):
        F.dropout2d(mg.randn(1, 2, 3, 3), -0.1)


def test_dropout_gradient_uses_the_forward_mask():
    x = mg.randn(6, 7, requires_grad=True)
    y = F.dropout(x, 0.4)
    y.sum().backward()
    kept = y.numpy() != 0
    assert_close(x.grad, kept / 0.6, rtol=1e-6)
    # gradcheck with a fixed mask: reseed before every forward
    xt = t64(np.random.default_rng(0).standard_normal((3, 4)))

    def fn(x):
        mg.manual_seed(5)
        return F.dropout(x, 0.3)
    assert mg.gradcheck(fn, [xt])


def test_dropout2d_drops_whole_channels():
    x = mg.ones(50, 40, 3, 3)
    y = nn.Dropout2d(0.25)(x).numpy()
    per_map = y.reshape(50, 40, 9)
    assert np.all((per_map == 0).all(axis=2) | (per_map == per_map[:, :, :1]).all(axis=2))
    dropped = (per_map == 0).all(axis=2).mean()
    assert abs(dropped - 0.25) < 0.05  # 2000 maps: std ≈ 0.01
    assert np.allclose(per_map[per_map != 0], 1 / 0.75)
    assert F.dropout2d(mg.ones(4, 3, 3), 0.5).shape == (4, 3, 3)  # unbatched (C, H, W)
    with pytest.raises(ValueError, match='3-D'):
        F.dropout2d(mg.ones(4, 3), 0.5)


def test_dropout_masks_follow_the_seed():
    mg.manual_seed(3)
    a = F.dropout(mg.ones(10, 10), 0.5).numpy()
    mg.manual_seed(3)
    b = F.dropout(mg.ones(10, 10), 0.5).numpy()
    assert np.array_equal(a, b)
