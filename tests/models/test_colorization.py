"""Colorization network: output shapes for both resolutions and both heads, the paper's dilated
middle, and decoding the predicted distribution into ab."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import color, nn
from minigrad.models import ColorizationNet
from minigrad.models.colorization import AB_SCALE, normalize_l


@pytest.mark.parametrize('size', [(16, 16), (24, 32)])
def test_shapes(size):
    h, w = size
    L = mg.randn(2, 1, h, w)
    net = ColorizationNet(width=2, convs=(1,) * 8)
    assert net.num_bins == color.num_ab_bins()
    assert net(L).shape == (2, color.num_ab_bins(), h // 4, w // 4)
    assert ColorizationNet(num_bins=13, width=2, convs=(1,) * 8, out_resolution='full')(L).shape == (2, 13, h, w)
    assert ColorizationNet(width=2, convs=(1,) * 8, regression=True)(L).shape == (2, 2, h // 4, w // 4)
    with pytest.raises(ValueError, match='divisible by 8'):
        net(mg.randn(1, 1, 20, 16))
    with pytest.raises(ValueError, match='out_resolution'):
        ColorizationNet(out_resolution='half')


def test_paper_layout():
    net = ColorizationNet(width=4)
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 2 + 2 + 3 + 3 + 3 + 3 + 3 + 2 + 1              # conv1..conv8 (+ the 1x1 head)
    for name in ('conv5', 'conv6'):
        assert all(m.dilation == (2, 2) for m in getattr(net, name).modules() if isinstance(m, nn.Conv2d))
    assert [m.out_channels for m in (net.conv1[2], net.conv4[0], net.conv8[0])] == [4, 32, 16]
    assert isinstance(net.conv8[0], nn.ConvTranspose2d)
    assert all(isinstance(getattr(net, f'conv{i}')[-1], nn.BatchNorm2d) for i in range(1, 9))


def test_predict_ab(rng):
    L = mg.tensor(normalize_l(rng.uniform(0, 100, (2, 1, 16, 16))).astype(np.float32))
    net = ColorizationNet(width=2, convs=(1,) * 8)
    net.eval()
    for method in ('annealed', 'mean', 'mode'):
        ab = mg.Tensor(net.predict_ab(L, method=method)).numpy()
        assert ab.shape == (2, 2, 4, 4) and np.abs(ab).max() <= 130
    reg = ColorizationNet(width=2, convs=(1,) * 8, regression=True)
    reg.eval()
    with mg.no_grad():
        np.testing.assert_allclose(mg.Tensor(reg.predict_ab(L)).numpy(), reg(L).numpy() * AB_SCALE, rtol=1e-6)
    assert normalize_l(50.0) == 0.0 and normalize_l(100.0) == 0.5
