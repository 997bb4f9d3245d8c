"""BatchNorm / InstanceNorm (ops/norm.py and nn/norm.py): forward against NumPy formulas,
running-statistic updates (momentum, cumulative average, unbiased variance), eval mode,
float64 gradchecks of the fused backward, and (when installed) torch."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn
from minigrad.testing import assert_close, t64


def _bn_reference(x, weight, bias, eps=1e-5):
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    var = x.var(axis=(0, 2, 3), keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight.reshape(1, -1, 1, 1) + bias.reshape(1, -1, 1, 1)


def test_batchnorm_train_forward_and_running_stats():
    rng = np.random.default_rng(0)
    bn = nn.BatchNorm2d(3, momentum=0.2)
    mg.nn.init.normal_(bn.weight)
    mg.nn.init.normal_(bn.bias)
    w, b = bn.weight.numpy().copy(), bn.bias.numpy().copy()
    rm, rv = np.zeros(3), np.ones(3)
    for step in range(3):
        x = (rng.standard_normal((4, 3, 5, 6)) * 2 + 1).astype(np.float32)
        y = bn(mg.tensor(x))
        assert y.dtype == np.float32
        assert_close(y, _bn_reference(x, w, b), rtol=1e-4, atol=1e-5)
        m = 4 * 5 * 6
        rm = 0.8 * rm + 0.2 * x.mean(axis=(0, 2, 3))
        rv = 0.8 * rv + 0.2 * x.var(axis=(0, 2, 3)) * m / (m - 1)  # unbiased, as torch
        assert_close(bn.running_mean, rm, rtol=1e-5, atol=1e-6)
        assert_close(bn.running_var, rv, rtol=1e-5, atol=1e-6)
        assert bn.num_batches_tracked.item() == step + 1
    # eval: the running statistics, no update
    bn.eval()
    x = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
    expected = (x - rm.reshape(1, 3, 1, 1)) / np.sqrt(rv.reshape(1, 3, 1, 1) + 1e-5) * w.reshape(1, 3, 1, 1) \
        + b.reshape(1, 3, 1, 1)
    assert_close(bn(mg.tensor(x)), expected, rtol=1e-4, atol=1e-5)
    assert_close(bn.running_mean, rm, rtol=1e-5, atol=1e-6)
    assert bn.num_batches_tracked.item() == 3
    # each sample is normalised alone in eval mode
    assert_close(bn(mg.tensor(x[:1])), expected[:1], rtol=1e-4, atol=1e-5)


def test_batchnorm_momentum_none_is_cumulative_average():
    bn = nn.BatchNorm2d(2, momentum=None)
    rng = np.random.default_rng(1)
    batches = [rng.standard_normal((3, 2, 4, 4)).astype(np.float32) + k for k in range(4)]
    for x in batches:
        bn(mg.tensor(x))
    assert_close(bn.running_mean, np.mean([x.mean(axis=(0, 2, 3)) for x in batches], axis=0), rtol=1e-5, atol=1e-6)
    assert_close(bn.running_var, np.mean([x.var(axis=(0, 2, 3), ddof=1) for x in batches], axis=0),
                 rtol=1e-5, atol=1e-6)


def test_batchnorm_batch_one_and_errors():
    bn = nn.BatchNorm2d(2)
    y = bn(mg.randn(1, 2, 3, 3))  # batch 1 is fine: 9 values per channel
    assert_close(y.numpy().mean(axis=(0, 2, 3)), np.zeros(2), atol=1e-6)
    with pytest.raises(ValueError, match='more than 1 value per channel'):
        bn(mg.randn(1, 2, 1, 1))
    with pytest.raises(ValueError, match='4D'):
        bn(mg.randn(2, 2, 3))
    with pytest.raises(ValueError, match=r'shape \(2,\)'):
        nn.BatchNorm2d(3)(mg.randn(2, 2, 3, 3))
    bn.eval()
    assert bn(mg.randn(1, 2, 1, 1)).shape == (1, 2, 1, 1)  # eval: no batch statistics needed


def test_batchnorm_without_tracking_uses_batch_stats_in_eval():
    bn = nn.BatchNorm2d(2, track_running_stats=False, affine=False).eval()
    assert bn.running_mean is None and list(bn.state_dict()) == []
    x = np.random.default_rng(2).standard_normal((3, 2, 4, 4)).astype(np.float32)
    assert_close(bn(mg.tensor(x)), _bn_reference(x, np.ones(2), np.zeros(2)), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('shape', [(3, 2, 3, 2), (1, 3, 2, 3), (4, 2)])
def test_batchnorm_train_gradcheck(shape):
    rng = np.random.default_rng(3)
    x = t64(rng.standard_normal(shape))
    w, b = t64(rng.standard_normal(shape[1])), t64(rng.standard_normal(shape[1]))
    rm, rv = mg.zeros(shape[1], dtype=mg.float64), mg.ones(shape[1], dtype=mg.float64)
    assert mg.gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=True), [x, w, b])
    assert mg.gradcheck(lambda x: F.batch_norm(x, None, None, training=True), [x])


def test_batchnorm_module_gradcheck_train_and_eval():
    bn = nn.BatchNorm2d(2).double()
    x = t64(np.random.default_rng(4).standard_normal((2, 2, 3, 3)))
    assert mg.gradcheck(lambda x, w, b: bn(x), [x, bn.weight, bn.bias])
    bn.eval()
    bn.running_mean.array[...] = mg.tensor([0.3, -0.2], dtype=mg.float64).array
    bn.running_var.array[...] = mg.tensor([0.5, 2.0], dtype=mg.float64).array
    assert mg.gradcheck(lambda x, w, b: bn(x), [x, bn.weight, bn.bias])


def test_instance_norm_forward_defaults_and_gradcheck():
    x = np.random.default_rng(5).standard_normal((2, 3, 4, 5))
    norm = nn.InstanceNorm2d(3)
    assert not norm.affine and not norm.track_running_stats and norm.weight is None
    mean = x.mean(axis=(2, 3), keepdims=True)
    expected = (x - mean) / np.sqrt(x.var(axis=(2, 3), keepdims=True) + 1e-5)
    assert_close(norm(mg.tensor(x.astype(np.float32))), expected, rtol=1e-4, atol=1e-5)
    assert_close(norm.eval()(mg.tensor(x.astype(np.float32))), expected, rtol=1e-4, atol=1e-5)  # same in eval
    assert_close(norm(mg.tensor(x[0].astype(np.float32))), expected[0], rtol=1e-4, atol=1e-5)  # unbatched
    affine = nn.InstanceNorm2d(3, affine=True).double()
    mg.nn.init.normal_(affine.weight)
    xt = t64(np.random.default_rng(6).standard_normal((2, 3, 3, 2)))
    assert mg.gradcheck(lambda x, w, b: affine(x), [xt, affine.weight, affine.bias])
    assert mg.gradcheck(lambda x: F.instance_norm(x), [t64(np.random.default_rng(7).standard_normal((1, 2, 2, 3)))])
    with pytest.raises(ValueError, match='more than 1 spatial element'):
        norm.train()(mg.randn(2, 3, 1, 1))


def test_instance_norm_running_stats():
    norm = nn.InstanceNorm2d(2, track_running_stats=True, momentum=0.5)
    x = np.random.default_rng(8).standard_normal((3, 2, 4, 4)).astype(np.float32)
    norm(mg.tensor(x))
    assert_close(norm.running_mean, 0.5 * x.mean(axis=(2, 3)).mean(axis=0), rtol=1e-5, atol=1e-6)
    assert_close(norm.running_var, 0.5 + 0.5 * x.var(axis=(2, 3), ddof=1).mean(axis=0), rtol=1e-5, atol=1e-6)
    norm.eval()
    rm, rv = norm.running_mean.numpy().reshape(1, 2, 1, 1), norm.running_var.numpy().reshape(1, 2, 1, 1)
    assert_close(norm(mg.tensor(x)), (x - rm) / np.sqrt(rv + 1e-5), rtol=1e-4, atol=1e-5)


def test_norms_match_torch():
    torch = pytest.importorskip('torch')
    x = np.random.default_rng(9).standard_normal((4, 3, 5, 5)).astype(np.float32) * 3 + 2
    for ours, theirs in [(nn.BatchNorm2d(3, momentum=0.3), torch.nn.BatchNorm2d(3, momentum=0.3)),
                         (nn.BatchNorm2d(3, momentum=None), torch.nn.BatchNorm2d(3, momentum=None)),
                         (nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
                          torch.nn.InstanceNorm2d(3, affine=True, track_running_stats=True))]:
        xt = torch.from_numpy(x).requires_grad_(True)
        for _ in range(2):
            yt = theirs(xt)
            y = ours(mg.tensor(x, requires_grad=True))
            assert_close(y, yt.detach().numpy(), rtol=1e-4, atol=1e-4)
        for key, value in theirs.state_dict().items():
            assert_close(ours.state_dict()[key], value.numpy(), rtol=1e-5, atol=1e-5)
        g = np.random.default_rng(10).standard_normal(x.shape).astype(np.float32)
        xm = mg.tensor(x, requires_grad=True)
        ours(xm).backward(g)
        yt = theirs(xt)
        yt.backward(torch.from_numpy(g))
        assert_close(xm.grad, xt.grad.numpy(), rtol=1e-3, atol=1e-4)
        assert_close(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-3, atol=1e-3)
        ours.eval(), theirs.eval()
        with torch.no_grad():
            assert_close(ours(mg.tensor(x)), theirs(torch.from_numpy(x)).numpy(), rtol=1e-4, atol=1e-4)


def test_fused_norms_keep_one_activation_sized_array_for_backward():
    x = mg.randn(4, 8, 16, 16, requires_grad=True)
    for layer in (nn.BatchNorm2d(8), nn.InstanceNorm2d(8, affine=True)):
        y = layer(x)
        assert x.array.nbytes <= mg.graph_bytes(y) <= x.array.nbytes + 1024  # x̂ plus per-channel vectors
    with mg.no_grad():
        assert mg.graph_bytes(nn.BatchNorm2d(8)(x)) == 0
