"""Assignment 5 (assignments/a5_unet.md): the U-Net's forward pass and receptive fields.

The forward is checked through shapes and through the skip connection itself
(silence the up-sampling path: the output must still see the input, through
the copied level-0 activation).  The recurrences are checked against hand
values and against the exact dependency-set computation of minigrad.calc.
"""
from fractions import Fraction

import numpy as np
import pytest

import minigrad as mg
from minigrad import calc
from minigrad.calc.receptive_field import recurrence
from minigrad.models.unet import UNet, valid_output_size
from minigrad.testing import as_numpy, assert_close


def _input(rng, *shape):
    return mg.tensor(rng.standard_normal(shape).astype(np.float32))


# ------------------------------------------------------------------ a5_unet_forward
@pytest.mark.a5_unet_forward
def test_unet_same_padding_keeps_the_size(rng):
    """'same' padding: (N, in, H, W) -> (N, out, H, W), also for sizes that do not halve evenly."""
    model = UNet(3, 2, depth=2, base_width=4)
    for h, w in ((16, 16), (13, 10)):
        with mg.no_grad():
            assert model(_input(rng, 2, 3, h, w)).shape == (2, 2, h, w), f"input {h}x{w}"


@pytest.mark.a5_unet_forward
def test_unet_valid_padding_crops(rng):
    """'valid' padding: every 3x3 conv trims the map and the copies are centre-cropped."""
    model = UNet(1, 2, depth=2, base_width=2, padding='valid')
    size = 44
    with mg.no_grad():
        out = model(_input(rng, 1, 1, size, size))
    expected = valid_output_size(size, depth=2)
    assert out.shape == (1, 2, expected, expected), f"got {out.shape}, expected (1, 2, {expected}, {expected})"


@pytest.mark.a5_unet_forward
def test_unet_skip_connection(rng):
    """Silence the up-sampling path: the output is head(decoder[0](cat[copy of level 0, zeros]))."""
    model = UNet(2, 3, depth=2, base_width=4)
    for p in model.ups[0].parameters():
        p.array[...] = 0
    x = _input(rng, 1, 2, 8, 8)
    with mg.no_grad():
        out = model(x)
        copy = model.encoder[0](x)
        expected = model.head(model.decoder[0](mg.cat([copy, mg.zeros_like(copy)], dim=1)))
    assert_close(out, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.a5_unet_forward
def test_unet_without_skip_ignores_the_input_when_silenced(rng):
    """Without copies, a silenced up-sampling path leaves nothing that depends on the input."""
    model = UNet(2, 3, depth=2, base_width=4, skip=False)
    for p in model.ups[0].parameters():
        p.array[...] = 0
    with mg.no_grad():
        a, b = as_numpy(model(_input(rng, 1, 2, 8, 8))), as_numpy(model(_input(rng, 1, 2, 8, 8)))
    assert_close(a, b, rtol=1e-6, atol=1e-6)


@pytest.mark.a5_unet_forward
def test_unet_unpool_mode(rng):
    """up='unpool' hands each level's max-pool indices to its Up block."""
    model = UNet(1, 2, depth=2, base_width=4, up='unpool')
    with mg.no_grad():
        assert model(_input(rng, 2, 1, 12, 8)).shape == (2, 2, 12, 8)


# --------------------------------------------------------------- a5_receptive_field
@pytest.mark.a5_receptive_field
def test_recurrence_conv_stack():
    """n stacked 3x3 convs see 2n + 1 pixels; 200 pixels need 100 of them."""
    rows = recurrence('conv3x3*5')
    assert [r for r, _, _ in rows] == [3, 5, 7, 9, 11]
    assert all(j == 1 for _, j, _ in rows)
    assert calc.layers_to_reach(200, 'conv3x3') == (100, 201)
    assert calc.layers_to_reach(200, 'conv4s2') == (7, 382)


@pytest.mark.a5_receptive_field
def test_recurrence_unet_contracting_path():
    """The contracting path of a depth-2 U-Net: two 3x3 convs per level, 2x2 max-pools between."""
    rows = recurrence('conv3x3*2,pool2,conv3x3*2,pool2,conv3x3*2')
    assert [r for r, _, _ in rows] == [3, 5, 6, 10, 14, 16, 24, 32]
    assert [j for _, j, _ in rows] == [1, 1, 2, 2, 2, 4, 4, 4]
    assert [s for _, _, s in rows] == [0, 0, Fraction(1, 2), Fraction(1, 2), Fraction(1, 2),
                                       Fraction(3, 2), Fraction(3, 2), Fraction(3, 2)]


@pytest.mark.a5_receptive_field
def test_recurrence_matches_exact_on_the_model():
    """On a real U-Net's layers down to the bottleneck the recurrence equals the exact calculation."""
    model = UNet(1, 1, depth=3, base_width=2)
    layers = []
    for level in range(model.depth):
        layers += [model.encoder[level], model.downs[level]]
    layers.append(model.encoder[model.depth])
    r, j, _ = recurrence(layers)[-1]
    assert (r, j) == (calc.receptive_field(layers).rf, 8)


@pytest.mark.a5_receptive_field
def test_recurrence_upsampling():
    """A transposed conv or an up-sampling layer divides the jump."""
    rows = recurrence('conv3x3,pool2,conv3x3,tconv2s2p0,conv3x3')
    assert [(r, j) for r, j, _ in rows] == [(3, 1), (4, 2), (8, 2), (9, 1), (11, 1)]
    assert [(r, j) for r, j, _ in recurrence('conv3x3d2,conv4s2p1,up2')] == [(5, 1), (8, 2), (8, 1)]
