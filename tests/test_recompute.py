"""Gradient checkpointing: the same gradients as the plain run, a smaller graph."""
import copy

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.recompute import checkpoint, checkpoint_module, checkpoint_sequential
from minigrad.instrument import graph_arrays
from minigrad.models import UNet
from minigrad.testing import assert_close

N, C, H, W = 2, 8, 16, 16
ACT = N * C * H * W * 4          # bytes of one float32 activation (N, C, H, W)
WEIGHT = C * C * 3 * 3 * 4       # bytes of one conv weight (no bias)


def _chain(layers=8):
    """conv3x3 (no bias) -> ReLU, ``layers`` times: every activation has the same size."""
    mods = []
    for _ in range(layers):
        mods += [nn.Conv2d(C, C, 3, padding=1, bias=False), nn.ReLU()]
    return nn.Sequential(*mods)


def _grads(model, loss_fn, x):
    model.zero_grad()
    x.grad = None
    loss = loss_fn(model, x)
    before = mg.graph_bytes(loss)
    loss.backward()
    return before, {name: p.grad.clone() for name, p in model.named_parameters()}, x.grad.clone()


def _input(rng, shape=(N, C, H, W)):
    return mg.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)


def _loss(out):
    """Σ out·G with a fixed random G: the Mul keeps G (one activation's bytes), the Sum nothing."""
    g = np.random.default_rng(5).standard_normal(tuple(out.shape)).astype(np.float32)
    return (out * mg.tensor(g)).sum()


def test_checkpoint_sequential_same_gradients_smaller_graph(rng):
    model = _chain(8)
    x = _input(rng)
    plain_bytes, plain_grads, plain_dx = _grads(model, lambda m, x: _loss(m(x)), x)
    ckpt_bytes, ckpt_grads, ckpt_dx = _grads(model, lambda m, x: _loss(checkpoint_sequential(m, 4, x)), x)
    for name in plain_grads:
        assert_close(ckpt_grads[name], plain_grads[name], rtol=1e-5, atol=1e-6)
    assert_close(ckpt_dx, plain_dx, rtol=1e-5, atol=1e-6)
    # Plain: the input, the 8 ReLU outputs (each also the next conv's saved input), 8 weights,
    # and the loss's constant G -> 10 activations + 8 weights.
    assert plain_bytes == 10 * ACT + 8 * WEIGHT
    # Checkpointed, 4 segments of 2 layers: the 3 checkpoint nodes keep only their inputs
    # (x, out_2, out_4); the last segment runs normally (out_6, out_7, out_8 and 2 weights); G.
    assert ckpt_bytes == 7 * ACT + 2 * WEIGHT
    assert ckpt_bytes < plain_bytes


def test_checkpoint_peak_during_backward_is_lower(rng):
    """The peak: the outer graph plus ONE recomputed segment at a time."""
    model = _chain(8)
    x = _input(rng)
    pieces = [model[i:i + 4] for i in range(0, 16, 4)]  # 4 pieces of 2 conv+relu each
    recomputed = []

    def run(piece):
        def fn(t):
            out = piece(t)
            if mg.is_grad_enabled():          # only during the recomputation in backward
                recomputed.append(mg.graph_bytes(out))
            return out
        fn.parameters = piece.parameters
        return fn

    h = x
    for piece in pieces:
        h = checkpoint(run(piece), h)
    loss = _loss(h)
    outer = mg.graph_bytes(loss)
    loss.backward()
    assert outer == 4 * ACT + ACT                   # the 4 checkpoint inputs + the loss's G
    assert recomputed == [3 * ACT + 2 * WEIGHT] * 4  # one segment: its input, 2 ReLU outputs, 2 weights
    peak = outer + max(recomputed)
    assert peak == 8 * ACT + 2 * WEIGHT
    assert peak < 10 * ACT + 8 * WEIGHT             # the plain graph (previous test)


def test_checkpoint_function_and_params_keyword(rng):
    w = mg.tensor(rng.standard_normal((3, 3)).astype(np.float32), requires_grad=True)
    a = _input(rng, (4, 3))

    def fn(t):
        return (t @ w).tanh() * t

    out = (fn(a) ** 2).sum()
    out.backward()
    ref_a, ref_w = a.grad.clone(), w.grad.clone()
    a.grad = w.grad = None
    out = (checkpoint(fn, a, params=[w]) ** 2).sum()
    out.backward()
    assert_close(a.grad, ref_a, rtol=1e-5, atol=1e-6)
    assert_close(w.grad, ref_w, rtol=1e-5, atol=1e-6)


def test_checkpoint_gradcheck_float64():
    rng = np.random.default_rng(3)
    x = mg.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    w = mg.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    assert mg.gradcheck(lambda x, w: checkpoint(lambda t: (t @ w).sigmoid() * t, x, params=[w]), [x, w])


def test_checkpoint_accumulates_into_existing_grad_once(rng):
    model = _chain(2)
    x = _input(rng)
    (model(x) ** 2).mean().backward()
    once = {n: p.grad.clone() for n, p in model.named_parameters()}
    (checkpoint(model, x) ** 2).mean().backward()  # adds the same gradient again
    for n, p in model.named_parameters():
        assert_close(p.grad, 2 * once[n], rtol=1e-5, atol=1e-6)


def test_checkpoint_input_without_grad_still_reaches_params(rng):
    """Only the parameters need gradients (the first block of a net): the node must still record."""
    model = _chain(2)
    x = mg.tensor(rng.standard_normal((N, C, H, W)).astype(np.float32))
    (model(x) ** 2).mean().backward()
    ref = {n: p.grad.clone() for n, p in model.named_parameters()}
    model.zero_grad()
    (checkpoint(model, x) ** 2).mean().backward()
    for n, p in model.named_parameters():
        assert_close(p.grad, ref[n], rtol=1e-5, atol=1e-6)


def test_checkpoint_replays_dropout_and_keeps_running_stats(rng):
    model = nn.Sequential(nn.Conv2d(C, C, 3, padding=1), nn.BatchNorm2d(C), nn.ReLU(), nn.Dropout(0.5))
    twin = copy.deepcopy(model)
    x = rng.standard_normal((N, C, H, W)).astype(np.float32)
    mg.manual_seed(7)
    xa = mg.tensor(x, requires_grad=True)
    (model(xa) ** 2).mean().backward()
    mg.manual_seed(7)
    xb = mg.tensor(x, requires_grad=True)
    (checkpoint(twin, xb) ** 2).mean().backward()
    assert_close(xb.grad, xa.grad, rtol=1e-5, atol=1e-6)
    for (n, p), (_, q) in zip(model.named_parameters(), twin.named_parameters()):
        assert_close(q.grad, p.grad, rtol=1e-5, atol=1e-6)
    for (n, b), (_, c) in zip(model.named_buffers(), twin.named_buffers()):
        assert_close(c.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)   # updated once, not twice
    assert int(twin[1].num_batches_tracked.item()) == 1


def test_checkpoint_no_grad_is_plain_call(rng):
    model = _chain(2)
    x = _input(rng)
    with mg.no_grad():
        out = checkpoint(model, x)
    assert not out.requires_grad
    assert_close(out.numpy(), model(x).numpy())


def test_checkpoint_errors():
    with pytest.raises(TypeError, match="checkpoint"):
        checkpoint(42, mg.zeros(2))
    with pytest.raises(TypeError, match="one Tensor"):
        checkpoint(lambda t: (t, t), mg.zeros(2, requires_grad=True))
    with pytest.raises(ValueError, match="segments"):
        checkpoint_sequential(_chain(2), 0, mg.zeros(1, C, 4, 4))


def test_memory_lean_unet(rng):
    """checkpoint_module on every DoubleConv: same gradients, the graph shrinks to the
    blocks' inputs (the lecture's point: activations, not weights, eat the memory)."""
    x = rng.standard_normal((2, 3, 32, 32)).astype(np.float32)
    y = rng.integers(0, 2, (2, 32, 32))
    model = UNet(3, 2, depth=2, base_width=8)
    lean = copy.deepcopy(model)
    for block in list(lean.encoder) + list(lean.decoder):
        checkpoint_module(block)
    assert list(lean.state_dict()) == list(model.state_dict())
    results = []
    for m in (model, lean):
        loss = mg.functional.cross_entropy(m(mg.tensor(x)), mg.tensor(y))
        results.append(mg.graph_bytes(loss))
        loss.backward()
    plain_bytes, lean_bytes = results
    for (n, p), (_, q) in zip(model.named_parameters(), lean.named_parameters()):
        assert_close(q.grad, p.grad, rtol=1e-4, atol=1e-6)
    weights = sum(p.array.nbytes for p in model.parameters())
    assert weights < plain_bytes / 4            # weights are a small part of the graph …
    # … and checkpointing the blocks removes about half of it (0.88 MB -> 0.46 MB here; what is
    # left: the blocks' inputs, max-pool indices, the up-convs' and the head's inputs, the loss)
    assert lean_bytes < 0.6 * plain_bytes
    assert graph_arrays(loss) == []             # and backward freed what the lean graph kept
    checkpoint_module(lean.encoder[0], enabled=False)
    assert 'forward' not in vars(lean.encoder[0])
