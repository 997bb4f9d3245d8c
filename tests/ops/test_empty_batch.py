"""An empty batch (N = 0) gives an empty result and empty / zero gradients, as torch
(convolutions and instance norm raised ZeroDivisionError, max-pool's backward a reshape error)."""
import numpy as np
import pytest

import minigrad.functional as F
from minigrad import nn
from minigrad.testing import t64

rng = np.random.default_rng(0)
W_CONV, W_T, BIAS = rng.standard_normal((3, 4, 3, 3)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(3)

CASES = {  # name -> (fn(F-like namespace, x, params), parameter arrays)
    'conv2d': (lambda F, x, w, b: F.conv2d(x, w, b, stride=2, padding=1), (W_CONV, BIAS)),
    'conv2d_groups': (lambda F, x, w: F.conv2d(x, w, groups=2, dilation=2), (W_CONV[:2, :2],)),
    'conv_transpose2d': (lambda F, x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
                         (W_T, BIAS)),
    'max_pool2d': (lambda F, x: F.max_pool2d(x, 2), ()),
    'max_pool2d_indices': (lambda F, x: F.max_pool2d(x, 3, 2, 1, return_indices=True)[0], ()),
    'avg_pool2d': (lambda F, x: F.avg_pool2d(x, 3, 2, 1), ()),
    'interpolate': (lambda F, x: F.interpolate(x, scale_factor=2, mode='bilinear'), ()),
    'instance_norm': (lambda F, x: F.instance_norm(x), ()),
    'batch_norm_train': (lambda F, x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                         (np.ones(4), np.zeros(4))),
}


@pytest.mark.parametrize('name', sorted(CASES))
def test_empty_batch_matches_torch(name):
    fn, params = CASES[name]
    x = t64(np.zeros((0, 4, 6, 5)))
    ps = [t64(p) for p in params]
    y = fn(F, x, *ps)
    (y * 2).sum().backward()
    assert y.shape[0] == 0 and x.grad.shape == x.shape
    for p in ps:   # a sum over no samples
        np.testing.assert_array_equal(p.grad.numpy(), np.zeros(p.shape))
    torch = pytest.importorskip('torch')
    tx = torch.zeros((0, 4, 6, 5), dtype=torch.float64, requires_grad=True)
    ty = fn(torch.nn.functional, tx, *[torch.tensor(p) for p in params])
    assert tuple(ty.shape) == y.shape


def test_empty_batch_through_modules_leaves_running_statistics_alone():
    bn, inorm = nn.BatchNorm2d(4).double(), nn.InstanceNorm2d(4, track_running_stats=True).double()
    x = t64(np.zeros((0, 4, 3, 3)))
    for m in (bn, inorm):
        y = m(x)
        y.sum().backward()
        assert y.shape == (0, 4, 3, 3)
        np.testing.assert_array_equal(m.running_mean.numpy(), np.zeros(4))   # torch: NaN for instance norm
        np.testing.assert_array_equal(m.running_var.numpy(), np.ones(4))
    np.testing.assert_array_equal(bn.weight.grad.numpy(), np.zeros(4))
    with pytest.raises(ValueError, match='instance_norm: an empty input'):   # torch raises too
        nn.InstanceNorm2d(4, affine=True).double()(x)
    with pytest.raises(ValueError, match='more than 1 value'):               # still: one value per channel
        F.batch_norm(t64(np.zeros((1, 4, 1, 1))), None, None, training=True)
