"""nn.init: bounds and statistics against torch's formulas, the fan computations
(incl. ConvTranspose2d's), and every layer's default initialisation."""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad.nn import init


def test_fan_in_and_fan_out_as_torch():
    assert init._calculate_fan_in_and_fan_out(mg.zeros(5, 3)) == (3, 5)  # Linear (out, in)
    assert init._calculate_fan_in_and_fan_out(mg.zeros(8, 4, 3, 2)) == (24, 48)  # Conv (O, C, kH, kW)
    # ConvTranspose2d weight (C_in, C_out/g, kH, kW): torch's rule reads shape[1] as fan_in
    assert init._calculate_fan_in_and_fan_out(nn.ConvTranspose2d(6, 4, 3).weight) == (4 * 9, 6 * 9)
    with pytest.raises(ValueError, match='fewer than 2 dimensions'):
        init._calculate_fan_in_and_fan_out(mg.zeros(3))


def test_calculate_gain():
    assert init.calculate_gain('linear') == 1 and init.calculate_gain('conv2d') == 1
    assert init.calculate_gain('sigmoid') == 1
    assert math.isclose(init.calculate_gain('tanh'), 5 / 3)
    assert math.isclose(init.calculate_gain('relu'), math.sqrt(2))
    assert math.isclose(init.calculate_gain('leaky_relu'), math.sqrt(2 / (1 + 0.01 ** 2)))
    assert math.isclose(init.calculate_gain('leaky_relu', 0.2), math.sqrt(2 / 1.04))
    assert math.isclose(init.calculate_gain('leaky_relu', math.sqrt(5)), math.sqrt(1 / 3))
    with pytest.raises(ValueError, match='unsupported'):
        init.calculate_gain('swish')


def _uniform_ok(values, bound):
    values = np.asarray(values, dtype=np.float64).ravel()
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.95 * bound  # the range is used
    assert abs(values.std() - bound / math.sqrt(3)) < 0.05 * bound / math.sqrt(3)
    assert abs(values.mean()) < 0.05 * bound


def test_distributions_have_torch_bounds_and_moments():
    w = mg.zeros(200, 300)
    init.uniform_(w, -0.5, 2.0)
    assert w.numpy().min() >= -0.5 and w.numpy().max() <= 2.0 and abs(w.numpy().mean() - 0.75) < 0.02
    init.normal_(w, 1.0, 0.02)
    assert abs(w.numpy().mean() - 1.0) < 1e-3 and abs(w.numpy().std() - 0.02) < 1e-3
    init.constant_(w, 0.3)
    assert np.all(w.numpy() == np.float32(0.3))
    init.xavier_uniform_(w, gain=2.0)
    _uniform_ok(w.numpy(), 2.0 * math.sqrt(6 / 500))
    init.xavier_normal_(w)
    assert abs(w.numpy().std() - math.sqrt(2 / 500)) < 0.02 * math.sqrt(2 / 500)
    c = mg.zeros(64, 32, 3, 3)
    init.kaiming_uniform_(c, nonlinearity='relu')
    _uniform_ok(c.numpy(), math.sqrt(2) * math.sqrt(3 / (32 * 9)))
    init.kaiming_normal_(c, mode='fan_out', nonlinearity='relu')
    assert abs(c.numpy().std() - math.sqrt(2 / (64 * 9))) < 0.03 * math.sqrt(2 / (64 * 9))
    with pytest.raises(ValueError, match='fan_in'):
        init.kaiming_normal_(c, mode='fan_avg')
    assert c.dtype == np.float32


def test_layer_defaults_match_torch_bounds():
    lin = nn.Linear(300, 200)
    _uniform_ok(lin.weight.numpy(), 1 / math.sqrt(300))
    assert np.abs(lin.bias.numpy()).max() <= 1 / math.sqrt(300)
    conv = nn.Conv2d(16, 64, 3)
    _uniform_ok(conv.weight.numpy(), 1 / math.sqrt(16 * 9))
    assert np.abs(conv.bias.numpy()).max() <= 1 / math.sqrt(16 * 9)
    grouped = nn.Conv2d(16, 64, 3, groups=4)
    _uniform_ok(grouped.weight.numpy(), 1 / math.sqrt(4 * 9))
    up = nn.ConvTranspose2d(64, 16, 4)  # fan_in = weight.shape[1]·k·k = 16·16
    _uniform_ok(up.weight.numpy(), 1 / math.sqrt(16 * 16))
    assert np.abs(up.bias.numpy()).max() <= 1 / math.sqrt(16 * 16)
    bn = nn.BatchNorm2d(5)
    assert np.all(bn.weight.numpy() == 1) and np.all(bn.bias.numpy() == 0)
    assert np.all(bn.running_mean.numpy() == 0) and np.all(bn.running_var.numpy() == 1)
    assert bn.num_batches_tracked.item() == 0 and bn.num_batches_tracked.dtype == np.int64


def test_pix2pix_init_one_liner():
    model = nn.Sequential(nn.Conv2d(3, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.LeakyReLU(0.2),
                          nn.ConvTranspose2d(64, 64, 4, 2, 1), nn.InstanceNorm2d(64, affine=True))
    assert model.apply(init.init_weights_normal(0.02)) is model
    w = np.concatenate([model[0].weight.numpy().ravel(), model[3].weight.numpy().ravel()])
    assert abs(w.mean()) < 1e-3 and abs(w.std() - 0.02) < 1e-3
    assert np.all(model[0].bias.numpy() == 0) and np.all(model[3].bias.numpy() == 0)
    assert abs(model[1].weight.numpy().mean() - 1) < 0.01 and np.all(model[1].bias.numpy() == 0)
    assert abs(model[4].weight.numpy().std() - 0.02) < 0.01
    with pytest.raises(ValueError, match='kind'):
        init.init_weights('orthogonal')
    init.init_weights('kaiming')(model[0])
    assert abs(model[0].weight.numpy().std() - math.sqrt(2 / 48)) < 0.01


def test_init_is_reproducible_from_the_seed():
    mg.manual_seed(7)
    a = nn.Conv2d(3, 4, 3).weight.numpy()
    mg.manual_seed(7)
    b = nn.Conv2d(3, 4, 3).weight.numpy()
    assert np.array_equal(a, b)
