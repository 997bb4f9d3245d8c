"""GroupNorm, LayerNorm, PixelShuffle/Unshuffle, AdaptiveAvgPool2d, Embedding; nn.utils gradient
clipping; init.orthogonal_: torch's state_dict keys and init, outputs and gradients equal to
torch's with the same weights (when torch is importable), and independent checks without it."""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad.testing import as_numpy, assert_close


@pytest.fixture
def torch():
    return pytest.importorskip('torch')


LAYERS = {  # name -> (constructor args, input shape)
    'GroupNorm': ((3, 6), (2, 6, 4, 5)),
    'GroupNorm_no_affine': ((2, 4, 1e-3, False), (3, 4, 5)),
    'LayerNorm': (((4, 5),), (2, 3, 4, 5)),
    'LayerNorm_no_bias': ((5, 1e-5, True, False), (2, 3, 5)),
    'LayerNorm_no_affine': ((5, 1e-5, False), (2, 5)),
    'PixelShuffle': ((2,), (2, 8, 3, 4)),
    'PixelUnshuffle': ((2,), (2, 3, 4, 6)),
    'AdaptiveAvgPool2d': (((3, None),), (2, 3, 7, 5)),
}


@pytest.mark.parametrize('name', sorted(LAYERS))
def test_layers_match_torch(name, torch, rng):
    args, shape = LAYERS[name]
    cls = name.split('_')[0]
    ours, theirs = getattr(nn, cls)(*args), getattr(torch.nn, cls)(*args).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        assert_close(ours.state_dict()[key], value.numpy())  # the same init (ones / zeros)
        value.copy_(torch.tensor(np.random.default_rng(7).standard_normal(tuple(value.shape))))
    ours = ours.to(mg.float64)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    a = rng.standard_normal(shape)
    x, t = mg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, r = ours(x), theirs(t)
    assert_close(y, r.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = rng.standard_normal(y.shape)
    y.backward(mg.tensor(g))
    r.backward(torch.tensor(g))
    assert_close(x.grad, t.grad.numpy(), rtol=1e-9, atol=1e-12)
    for (k, p), q in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(p.grad, q.grad.numpy(), rtol=1e-9, atol=1e-12, msg=k)
    assert repr(ours).startswith(cls + '(')


def test_norm_layers_state_dict_and_init_without_torch():
    g = nn.GroupNorm(2, 4)
    assert list(g.state_dict()) == ['weight', 'bias'] and g.weight.tolist() == [1.0] * 4 and g.bias.tolist() == [0.0] * 4
    ln = nn.LayerNorm([2, 3], bias=False)
    assert list(ln.state_dict()) == ['weight'] and ln.weight.shape == (2, 3) and ln.bias is None
    assert list(nn.LayerNorm(3, elementwise_affine=False).state_dict()) == []
    assert nn.GroupNorm(2, 4, dtype=mg.float64).weight.dtype == np.float64
    x = mg.randn(1, 4, 3, 3)
    assert_close(nn.GroupNorm(4, 4)(x), mg.functional.instance_norm(x), rtol=1e-4, atol=1e-5)  # batch 1 works


def test_norm_layer_errors():
    with pytest.raises(ValueError, match=r'GroupNorm: num_channels \(6\) must be divisible by num_groups \(4\)'):
        nn.GroupNorm(4, 6)
    with pytest.raises(ValueError, match=r'GroupNorm: expected 4 channels \(dim 1\), got input of shape \(2, 3, 5\)'):
        nn.GroupNorm(2, 4)(mg.randn(2, 3, 5))
    with pytest.raises(ValueError, match='layer_norm: given normalized_shape'):
        nn.LayerNorm(4)(mg.randn(2, 3))


def test_adaptive_avg_pool_module_is_global_pooling_at_1():
    x = mg.randn(2, 3, 5, 7)
    assert_close(nn.AdaptiveAvgPool2d(1)(x), x.mean((2, 3), keepdim=True), rtol=1e-5, atol=1e-6)
    assert nn.AdaptiveAvgPool2d((2, 4))(x).shape == (2, 3, 2, 4)


def test_embedding_init_padding_and_state_dict(torch):
    mg.manual_seed(0)
    emb = nn.Embedding(10, 3, padding_idx=2)
    assert list(emb.state_dict()) == list(torch.nn.Embedding(10, 3).state_dict()) == ['weight']
    w = as_numpy(emb.weight)
    assert w.shape == (10, 3) and not w[2].any()
    big = as_numpy(nn.Embedding(1000, 50).weight)
    assert abs(big.mean()) < 0.01 and abs(big.std() - 1.0) < 0.01  # N(0, 1), as torch
    idx = mg.tensor([[2, 5], [5, 0]])
    emb(idx).sum().backward()
    grad = as_numpy(emb.weight.grad)
    assert not grad[2].any() and grad[5].tolist() == [2.0] * 3 and grad[0].tolist() == [1.0] * 3
    assert nn.Embedding(4, 2, padding_idx=-1).padding_idx == 3
    assert repr(emb) == 'Embedding(10, 3, padding_idx=2)'


def test_embedding_matches_torch(torch, rng):
    w = rng.standard_normal((6, 4))
    ours = nn.Embedding.from_pretrained(mg.tensor(w), freeze=False, padding_idx=1)
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(w), freeze=False, padding_idx=1)
    idx = np.array([[1, 3, 3], [0, 5, 1]])
    y, r = ours(mg.tensor(idx)), theirs(torch.tensor(idx))
    assert_close(y, r.detach().numpy(), rtol=0, atol=0)
    g = rng.standard_normal(y.shape)
    y.backward(mg.tensor(g))
    r.backward(torch.tensor(g))
    assert_close(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-12)


def test_embedding_from_pretrained_shares_and_freezes():
    table = mg.tensor([[1.0, 2.0], [3.0, 4.0]])
    emb = nn.Embedding.from_pretrained(table, padding_idx=0)
    assert not emb.weight.requires_grad and emb.weight.tolist() == [[1.0, 2.0], [3.0, 4.0]]  # padding row kept
    table.array[1, 1] = 9.0
    assert emb(mg.tensor([1])).tolist() == [[3.0, 9.0]]
    with pytest.raises(ValueError, match='Embedding.from_pretrained: embeddings must be a 2-D Tensor'):
        nn.Embedding.from_pretrained(mg.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match=r'Embedding: padding_idx must be within num_embeddings \(3\)'):
        nn.Embedding(3, 2, padding_idx=3)
    with pytest.raises(ValueError, match='Embedding: max_norm, scale_grad_by_freq and sparse are not supported'):
        nn.Embedding(3, 2, max_norm=1.0)


# ------------------------------------------------------------------ gradient clipping
def _with_grads(grads, dtype=mg.float64):
    params = []
    for g in grads:
        p = nn.Parameter(mg.zeros(*np.shape(g), dtype=dtype))
        p.grad = mg.tensor(np.asarray(g, dtype=dtype))
        params.append(p)
    return params


@pytest.mark.parametrize('norm_type', [2.0, 1, 3.0, float('inf')])
def test_clip_grad_norm_scales_every_gradient_by_one_factor(norm_type):
    grads = [np.array([3.0, -4.0]), np.array([[1.0, 2.0], [0.0, -2.0]])]
    flat = np.concatenate([g.ravel() for g in grads])
    expected_total = np.linalg.norm(flat, ord=norm_type)
    params = _with_grads(grads)
    total = nn.utils.clip_grad_norm_(params, max_norm=1.5, norm_type=norm_type)
    assert isinstance(total, mg.Tensor) and total.shape == ()
    assert math.isclose(float(total), expected_total, rel_tol=1e-12)
    scale = 1.5 / (expected_total + 1e-6)
    for p, g in zip(params, grads):
        assert_close(p.grad, g * scale, rtol=1e-12)
    kept = _with_grads(grads)
    nn.utils.clip_grad_norm_(kept, max_norm=100.0, norm_type=norm_type)  # under the cap: unchanged
    for p, g in zip(kept, grads):
        assert_close(p.grad, g, rtol=0, atol=0)


def test_clip_grad_norm_matches_torch(torch, rng):
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    ours = _with_grads(grads)
    theirs = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
    for p, g in zip(theirs, grads):
        p.grad = torch.tensor(g)
    for norm_type in (2.0, float('inf')):
        a = nn.utils.clip_grad_norm_(ours, 0.7, norm_type)
        b = torch.nn.utils.clip_grad_norm_(theirs, 0.7, norm_type)
        assert math.isclose(float(a), float(b), rel_tol=1e-12)
        for p, q in zip(ours, theirs):
            assert_close(p.grad, q.grad.numpy(), rtol=1e-12)
    nn.utils.clip_grad_value_(ours, 0.1)
    torch.nn.utils.clip_grad_value_(theirs, 0.1)
    for p, q in zip(ours, theirs):
        assert_close(p.grad, q.grad.numpy(), rtol=0, atol=0)


def test_clip_grad_edge_cases():
    p = nn.Parameter(mg.zeros(2))
    assert float(nn.utils.clip_grad_norm_([p], 1.0)) == 0.0  # no gradients: total 0
    p.grad = mg.tensor([3.0, 4.0])
    total = nn.utils.clip_grad_norm_(p, 1.0)  # a single Tensor is accepted
    assert total.dtype == np.float32 and math.isclose(float(total), 5.0)
    assert_close(p.grad, [0.6, 0.8], rtol=1e-5)
    p.grad = mg.tensor([float('nan'), 1.0])
    with pytest.raises(RuntimeError, match='clip_grad_norm_: the total norm of order 2.0 of the gradients is non-finite'):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    p.grad = mg.tensor([-3.0, 0.5])
    nn.utils.clip_grad_value_([p], 1.0)
    assert p.grad.tolist() == [-1.0, 0.5]


# ------------------------------------------------------------------ orthogonal init
@pytest.mark.parametrize('shape', [(4, 4), (3, 7), (7, 3), (6, 2, 3, 3)])
def test_orthogonal_init_gives_orthonormal_rows_or_columns(shape):
    w = nn.Parameter(mg.zeros(*shape, dtype=mg.float64))
    assert nn.init.orthogonal_(w, gain=2.0) is w
    m = as_numpy(w).reshape(shape[0], -1)
    small = min(m.shape)
    gram = m @ m.T if m.shape[0] == small else m.T @ m
    assert_close(gram, 4.0 * np.eye(small), rtol=1e-10, atol=1e-10)
    assert w._version.value == 1


def test_orthogonal_init_is_seeded_and_checks_its_input():
    mg.manual_seed(3)
    a = nn.init.orthogonal_(mg.zeros(3, 5)).numpy().copy()
    mg.manual_seed(3)
    assert_close(nn.init.orthogonal_(mg.zeros(3, 5)), a, rtol=0, atol=0)
    with pytest.raises(ValueError, match=r'orthogonal_: only tensors with 2 or more dimensions are supported, got shape \(3,\)'):
        nn.init.orthogonal_(mg.zeros(3))


def test_orthogonal_init_is_distributed_like_torchs(torch):
    """Not the same draws (different generators), the same law: entries of a uniformly
    random orthogonal n×n matrix have mean 0 and variance 1/n."""
    entries = np.concatenate([nn.init.orthogonal_(mg.zeros(8, 8, dtype=mg.float64)).numpy().ravel()
                              for _ in range(200)])
    theirs = np.concatenate([torch.nn.init.orthogonal_(torch.zeros(8, 8, dtype=torch.float64)).numpy().ravel()
                             for _ in range(200)])
    for values in (entries, theirs):
        assert abs(values.mean()) < 0.02 and abs(values.var() - 1 / 8) < 0.01
