"""Layers: float64 gradchecks through the Modules (Linear, Conv2d in every padding mode,
ConvTranspose2d incl. output_size), agreement with the functional forms and NumPy
formulas, constructor attributes as torch, and (when installed) outputs equal to torch's."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn
from minigrad.io import to_torch_state_dict
from minigrad.testing import as_numpy, assert_close, t64


def _gradcheck_module(module, x):
    params = [p for p in module.parameters()]
    return mg.gradcheck(lambda x, *ps: module(x), [x] + params)


def test_linear_forward_and_gradcheck():
    m = nn.Linear(3, 2).double()
    x = t64(np.random.default_rng(0).standard_normal((4, 3)))
    assert_close(m(x), x.numpy() @ m.weight.numpy().T + m.bias.numpy())
    assert _gradcheck_module(m, x)
    assert m.weight.shape == (2, 3) and m.bias.shape == (2,)
    assert nn.Linear(3, 2, bias=False).bias is None
    assert nn.Linear(3, 2, dtype=mg.float64).weight.dtype == np.float64


@pytest.mark.parametrize('mode', ['zeros', 'reflect', 'replicate', 'circular'])
@pytest.mark.parametrize('padding,stride,dilation', [(1, 1, 1), ((2, 1), 2, 1), ('same', 1, 2)])
def test_conv2d_padding_modes_gradcheck(mode, padding, stride, dilation):
    m = nn.Conv2d(2, 3, (3, 2), stride=stride, padding=padding, dilation=dilation, padding_mode=mode).double()
    x = t64(np.random.default_rng(1).standard_normal((1, 2, 5, 6)))
    y = m(x)
    if padding == 'same':
        assert y.shape == (1, 3, 5, 6)
    assert _gradcheck_module(m, x)


def test_conv2d_reflect_equals_explicit_pad_then_conv():
    m = nn.Conv2d(2, 4, 3, padding=1, padding_mode='reflect')
    x = mg.randn(2, 2, 6, 5)
    xp = np.pad(x.numpy(), ((0, 0), (0, 0), (1, 1), (1, 1)), mode='reflect')
    ref = F.conv2d(mg.tensor(xp), m.weight, m.bias)
    assert_close(m(x), ref, rtol=1e-5, atol=1e-5)
    c = nn.Conv2d(1, 1, 3, padding=1, padding_mode='circular', bias=False)
    xc = mg.randn(1, 1, 4, 4)
    xw = np.pad(xc.numpy(), ((0, 0), (0, 0), (1, 1), (1, 1)), mode='wrap')
    assert_close(c(xc), F.conv2d(mg.tensor(xw), c.weight), rtol=1e-5, atol=1e-5)


def test_conv2d_attributes_and_errors():
    m = nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2)
    assert m.kernel_size == (3, 3) and m.stride == (2, 2) and m.padding == (1, 1) and m.dilation == (1, 1)
    assert m.weight.shape == (6, 2, 3, 3) and m.padding_mode == 'zeros' and m.groups == 2
    with pytest.raises(ValueError, match='strided'):
        nn.Conv2d(1, 1, 3, stride=2, padding='same')
    with pytest.raises(ValueError, match='padding_mode'):
        nn.Conv2d(1, 1, 3, padding_mode='mirror')
    with pytest.raises(ValueError, match='divisible by groups'):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match='4-D'):
        m(mg.randn(4, 5, 5))


def test_conv_transpose2d_gradcheck_and_output_size():
    m = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1).double()
    assert m.weight.shape == (3, 2, 3, 3)
    x = t64(np.random.default_rng(2).standard_normal((1, 3, 3, 4)))
    assert m(x).shape == (1, 2, 5, 7)
    assert m(x, output_size=(6, 8)).shape == (1, 2, 6, 8)
    assert m(x, output_size=[1, 2, 6, 7]).shape == (1, 2, 6, 7)
    with pytest.raises(ValueError, match='valid sizes range from'):
        m(x, output_size=(8, 8))
    assert _gradcheck_module(m, x)
    g = nn.ConvTranspose2d(4, 2, 2, stride=2, groups=2, output_padding=1, bias=False).double()
    assert g.weight.shape == (4, 1, 2, 2)
    assert mg.gradcheck(lambda x, w: g(x), [t64(np.random.default_rng(3).standard_normal((1, 4, 2, 3))), g.weight])
    with pytest.raises(ValueError, match="'zeros'"):
        nn.ConvTranspose2d(1, 1, 3, padding_mode='reflect')


def test_conv_transpose_undoes_strided_conv_shapes():
    down = nn.Conv2d(1, 1, 3, stride=2, padding=1)
    up = nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1)
    for size in (7, 8):
        x = mg.randn(1, 1, size, size)
        assert up(down(x), output_size=x.shape).shape == x.shape


def test_pooling_layers_call_functional():
    x = mg.randn(2, 3, 6, 6)
    pool = nn.MaxPool2d(2, return_indices=True)
    y, idx = pool(x)
    assert pool.stride == 2 and y.shape == (2, 3, 3, 3)
    assert_close(y, x.numpy().reshape(2, 3, 3, 2, 3, 2).max(axis=(3, 5)))
    unpooled = nn.MaxUnpool2d(2)(y, idx)
    assert unpooled.shape == x.shape
    flat = unpooled.numpy().reshape(2, 3, 36)
    assert_close(np.take_along_axis(flat, idx.numpy().reshape(2, 3, 9), axis=2), y.numpy().reshape(2, 3, 9))
    assert np.count_nonzero(flat) == 2 * 3 * 9
    assert_close(nn.AvgPool2d(2)(x), x.numpy().reshape(2, 3, 3, 2, 3, 2).mean(axis=(3, 5)), rtol=1e-5, atol=1e-6)
    assert_close(nn.AvgPool2d(3, 1, 1, count_include_pad=False)(x),
                 F.avg_pool2d(x, 3, 1, 1, count_include_pad=False))
    up = nn.Upsample(scale_factor=2)(x)
    assert_close(up, x.numpy().repeat(2, axis=2).repeat(2, axis=3))
    assert nn.Upsample(size=(5, 7), mode='bilinear', align_corners=True)(x).shape == (2, 3, 5, 7)
    with pytest.raises(ValueError, match='exactly one'):
        nn.Upsample()


def test_activations_and_flatten():
    x = mg.tensor([[-2.0, -0.5, 0.0, 1.5]])
    a = x.numpy()
    assert_close(nn.ReLU()(x), np.maximum(a, 0))
    assert_close(nn.LeakyReLU(0.2)(x), np.where(a > 0, a, 0.2 * a))
    assert_close(nn.Sigmoid()(x), 1 / (1 + np.exp(-a)), rtol=1e-6)
    assert_close(nn.Tanh()(x), np.tanh(a), rtol=1e-6)
    sm = np.exp(a) / np.exp(a).sum(axis=1, keepdims=True)
    assert_close(nn.Softmax(dim=1)(x), sm, rtol=1e-6)
    assert_close(nn.LogSoftmax(dim=-1)(x), np.log(sm), rtol=1e-5, atol=1e-6)
    with pytest.warns(UserWarning, match='Implicit dimension'):
        assert_close(nn.Softmax()(x), sm, rtol=1e-6)  # 2-D input: legacy dim 1
    img = mg.randn(2, 3, 4, 5)
    assert nn.Flatten()(img).shape == (2, 60)
    assert nn.Flatten(0, 1)(img).shape == (6, 4, 5)
    assert nn.Identity()(img) is img


def test_padding_layers():
    x = mg.randn(1, 1, 3, 3)
    a = x.numpy()
    assert_close(nn.ReflectionPad2d(1)(x), np.pad(a, ((0, 0), (0, 0), (1, 1), (1, 1)), mode='reflect'))
    assert_close(nn.ReplicationPad2d((1, 0, 0, 2))(x), np.pad(a, ((0, 0), (0, 0), (0, 2), (1, 0)), mode='edge'))
    assert_close(nn.ZeroPad2d(1)(x), np.pad(a, ((0, 0), (0, 0), (1, 1), (1, 1))))


def test_layers_match_torch_outputs():
    torch = pytest.importorskip('torch')
    tnn = torch.nn
    x = np.random.default_rng(4).standard_normal((2, 4, 7, 6)).astype(np.float32)
    cases = [
        (nn.Conv2d(4, 6, 3, padding=1, padding_mode='reflect'), tnn.Conv2d(4, 6, 3, padding=1, padding_mode='reflect')),
        (nn.Conv2d(4, 2, (2, 3), padding='same', dilation=2, padding_mode='replicate'),
         tnn.Conv2d(4, 2, (2, 3), padding='same', dilation=2, padding_mode='replicate')),
        (nn.Conv2d(4, 4, 3, stride=2, padding=1, groups=2, padding_mode='circular'),
         tnn.Conv2d(4, 4, 3, stride=2, padding=1, groups=2, padding_mode='circular')),
        (nn.ConvTranspose2d(4, 3, 4, stride=2, padding=1), tnn.ConvTranspose2d(4, 3, 4, stride=2, padding=1)),
    ]
    for ours, theirs in cases:
        plain = to_torch_state_dict(ours.state_dict())
        theirs.load_state_dict({k: torch.from_numpy(v) for k, v in plain.items()})
        with torch.no_grad():
            expected = theirs(torch.from_numpy(x)).numpy()
        assert_close(ours(mg.tensor(x)), expected, rtol=1e-4, atol=1e-5)
    up = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1)
    tup = tnn.ConvTranspose2d(4, 2, 3, stride=2, padding=1)
    tup.load_state_dict({k: torch.from_numpy(v) for k, v in to_torch_state_dict(up.state_dict()).items()})
    with torch.no_grad():
        expected = tup(torch.from_numpy(x), output_size=(14, 12)).numpy()
    assert_close(up(mg.tensor(x), output_size=(14, 12)), expected, rtol=1e-4, atol=1e-5)
    assert as_numpy(up(mg.tensor(x), output_size=(14, 12))).shape == (2, 2, 14, 12)
