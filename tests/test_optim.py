"""Optimizers and schedulers: SGD (momentum, dampening, Nesterov, weight decay), Adam and AdamW
against hand-computed steps on a 2-parameter quadratic, parameter groups, state_dict round
trips that continue bit-identically, schedulers, errors, and (when installed) torch."""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.optim as optim
from minigrad.ops.fast import adam as fast_adam
from minigrad.testing import assert_close


def _grad(w1, w2):
    """∇ of L(w1, w2) = w1² + 3·w2² + w1·w2."""
    return 2 * w1 + w2, 6 * w2 + w1


def _params(dtype=mg.float64):
    return nn.Parameter(mg.tensor([1.5], dtype=dtype)), nn.Parameter(mg.tensor([-2.0], dtype=dtype))


def _run(opt, w1, w2, steps):
    history = []
    for _ in range(steps):
        opt.zero_grad()
        loss = w1 * w1 + 3 * w2 * w2 + w1 * w2
        loss.sum().backward()
        opt.step()
        history.append((w1.item(), w2.item()))
    return history


@pytest.mark.parametrize('momentum,dampening,nesterov,wd', [(0.0, 0.0, False, 0.0), (0.9, 0.0, False, 0.0),
                                                            (0.9, 0.0, True, 0.0), (0.8, 0.3, False, 0.1),
                                                            (0.5, 0.0, True, 0.05)])
def test_sgd_matches_hand_computed_steps(momentum, dampening, nesterov, wd):
    lr = 0.05
    w1, w2 = _params()
    got = _run(optim.SGD([w1, w2], lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov,
                         weight_decay=wd), w1, w2, 6)
    x = [1.5, -2.0]
    buf = None
    for step in range(6):
        g = list(_grad(*x))
        g = [gi + wd * xi for gi, xi in zip(g, x)]
        if momentum:
            buf = list(g) if buf is None else [momentum * b + (1 - dampening) * gi for b, gi in zip(buf, g)]
            d = [gi + momentum * b for gi, b in zip(g, buf)] if nesterov else buf
        else:
            d = g
        x = [xi - lr * di for xi, di in zip(x, d)]
        assert got[step] == pytest.approx(tuple(x), rel=1e-12, abs=1e-14)


@pytest.mark.parametrize('cls,wd,amsgrad', [(optim.Adam, 0.0, False), (optim.Adam, 0.1, False),
                                            (optim.AdamW, 0.1, False), (optim.Adam, 0.0, True)])
def test_adam_and_adamw_match_hand_computed_steps(cls, wd, amsgrad):
    lr, b1, b2, eps = 0.1, 0.9, 0.99, 1e-8
    w1, w2 = _params()
    got = _run(cls([w1, w2], lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd, amsgrad=amsgrad), w1, w2, 8)
    x, m, v, vmax = [1.5, -2.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]
    for t in range(1, 9):
        g = list(_grad(*x))
        if cls is optim.AdamW:
            x = [xi * (1 - lr * wd) for xi in x]
        else:
            g = [gi + wd * xi for gi, xi in zip(g, x)]
        m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(m, g)]
        v = [b2 * vi + (1 - b2) * gi * gi for vi, gi in zip(v, g)]
        vmax = [max(a, b) for a, b in zip(vmax, v)]
        vv = vmax if amsgrad else v
        m_hat = [mi / (1 - b1 ** t) for mi in m]
        v_hat = [vi / (1 - b2 ** t) for vi in vv]
        x = [xi - lr * mh / (math.sqrt(vh) + eps) for xi, mh, vh in zip(x, m_hat, v_hat)]
        assert got[t - 1] == pytest.approx(tuple(x), rel=1e-10, abs=1e-12)


@pytest.mark.parametrize('cls,wd,amsgrad', [(optim.Adam, 0.0, False), (optim.Adam, 0.1, True),
                                           (optim.AdamW, 0.1, False)])
def test_adam_in_pieces_is_bit_identical(cls, wd, amsgrad, monkeypatch):
    """The fast Adam updates big parameters in cache-sized pieces (ops.fast.adam.PIECE elements);
    a piece of 7 elements (and a non-contiguous gradient, which takes the whole-array path)
    must give exactly the numbers of one whole-array update, and the plain three-line
    update the same numbers up to rounding."""
    rng = np.random.default_rng(0)
    data = [rng.standard_normal(shape).astype(np.float32) for shape in ((5, 9), (31,), (3, 4, 2))]
    grads = [[rng.standard_normal(d.shape).astype(np.float32) for d in data] for _ in range(4)]
    grads[2][0] = np.asfortranarray(grads[2][0])
    results = []
    for piece, fast in ((1 << 20, True), (7, True), (7, False)):
        monkeypatch.setattr(fast_adam, 'PIECE', piece)
        params = [mg.tensor(d.copy(), requires_grad=True) for d in data]
        opt = cls(params, lr=0.01, weight_decay=wd, amsgrad=amsgrad)
        previous = mg.backend.use_fast_kernels(fast)
        try:
            for step in grads:
                for p, g in zip(params, step):
                    p.grad = mg.tensor(g)
                opt.step()
        finally:
            mg.backend.use_fast_kernels(previous)
        results.append([p.numpy().copy() for p in params])
    for whole, pieces, plain in zip(*results):
        assert np.array_equal(whole, pieces)
        np.testing.assert_allclose(plain, whole, rtol=1e-6, atol=1e-7)


def test_first_adam_step_moves_each_weight_by_lr():
    w1, w2 = _params()
    _run(optim.Adam([w1, w2], lr=0.01), w1, w2, 1)
    assert (w1.item(), w2.item()) == pytest.approx((1.5 - 0.01, -2.0 + 0.01), rel=1e-6)


def test_updates_are_in_place_float32_and_build_no_graph():
    m = nn.Linear(4, 3)
    weight, array = m.weight, m.weight.array
    for opt in (optim.SGD(m.parameters(), lr=0.1, momentum=0.9), optim.Adam(m.parameters()),
                optim.AdamW(m.parameters())):
        for _ in range(2):
            opt.zero_grad()
            (m(mg.randn(5, 4)) ** 2).sum().backward()
            opt.step()
        assert m.weight is weight and m.weight.array is array
        assert m.weight.dtype == np.float32 and m.weight.is_leaf
        assert all(v.dtype == np.float32 for s in opt.state.values() for v in s.values() if hasattr(v, 'dtype'))


def test_parameter_groups_and_skipping_params_without_grad():
    a, b, c = (nn.Parameter(mg.ones(2)) for _ in range(3))
    opt = optim.SGD([{'params': [a]}, {'params': [b], 'lr': 1.0}, {'params': c, 'momentum': 0.5}], lr=0.1)
    assert [g['lr'] for g in opt.param_groups] == [0.1, 1.0, 0.1]
    assert opt.param_groups[2]['momentum'] == 0.5 and opt.param_groups[0]['momentum'] == 0
    (a.sum() + b.sum()).backward()  # c gets no gradient: untouched, no state
    opt.step()
    assert_close(a, [0.9, 0.9]) and assert_close(b, [0.0, 0.0]) and assert_close(c, [1.0, 1.0])
    assert c not in opt.state
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    with pytest.raises(ValueError, match='more than one parameter group'):
        opt.add_param_group({'params': [a]})
    with pytest.raises(ValueError, match='empty parameter list'):
        optim.Adam([])
    with pytest.raises(ValueError, match='Nesterov'):
        optim.SGD([a], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match='learning rate'):
        optim.SGD([a], lr=-1)
    with pytest.raises(ValueError, match='beta'):
        optim.Adam([a], betas=(0.9, 1.0))
    with pytest.raises(TypeError, match='list'):
        optim.Adam(a)


def _train(model, opt, steps, seed):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        x = mg.tensor(rng.standard_normal((4, 3)).astype(np.float32))
        opt.zero_grad()
        ((model(x) - 1) ** 2).mean().backward()
        opt.step()


@pytest.mark.parametrize('make', [lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
                                  lambda p: optim.Adam(p, lr=0.01, amsgrad=True),
                                  lambda p: optim.AdamW(p, lr=0.01)])
def test_optimizer_state_dict_resumes_bit_identically(make, tmp_path):
    mg.manual_seed(0)
    ref = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    opt = make(ref.parameters())
    _train(ref, opt, 3, seed=1)
    mg.save({'model': ref.state_dict(), 'optim': opt.state_dict()}, tmp_path / 'ckpt.npz')
    _train(ref, opt, 3, seed=2)

    mg.manual_seed(1)  # different init: everything must come from the checkpoint
    resumed = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    opt2 = make(resumed.parameters())
    ckpt = mg.load(tmp_path / 'ckpt.npz')
    resumed.load_state_dict(ckpt['model'])
    opt2.load_state_dict(ckpt['optim'])
    _train(resumed, opt2, 3, seed=2)
    for (k, v), v2 in zip(ref.state_dict().items(), resumed.state_dict().values()):
        assert np.array_equal(v.numpy(), v2.numpy()), k


def test_optimizer_state_dict_layout_is_torchs():
    m = nn.Linear(2, 1)
    opt = optim.SGD([{'params': [m.weight]}, {'params': [m.bias], 'lr': 0.5}], lr=0.1, momentum=0.9)
    (m(mg.ones(1, 2)) ** 2).sum().backward()
    opt.step()
    sd = opt.state_dict()
    assert set(sd) == {'state', 'param_groups'}
    assert list(sd['state']) == [0, 1] and list(sd['state'][0]) == ['momentum_buffer']
    assert [g['params'] for g in sd['param_groups']] == [[0], [1]]
    assert sd['param_groups'][1]['lr'] == 0.5
    saved = sd['state'][0]['momentum_buffer'].numpy().copy()
    opt.step()
    assert np.array_equal(sd['state'][0]['momentum_buffer'].numpy(), saved)  # a snapshot, not a view
    other = optim.SGD([m.weight, m.bias], lr=0.1)
    with pytest.raises(ValueError, match='parameter groups'):
        other.load_state_dict(sd)


def test_step_lr_and_lambda_lr():
    p = nn.Parameter(mg.ones(1))
    opt = optim.SGD([p], lr=1.0)
    sched = optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    lrs = []
    for _ in range(7):
        lrs.append(opt.param_groups[0]['lr'])
        opt.step()
        sched.step()
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]
    assert sched.get_last_lr() == [0.25] and sched.last_epoch == 7
    opt2 = optim.Adam([{'params': [nn.Parameter(mg.ones(1))]}, {'params': [nn.Parameter(mg.ones(1))], 'lr': 0.1}],
                      lr=0.2)
    n = 2
    sched2 = optim.LambdaLR(opt2, lambda e: 1.0 - max(0, e - n) / (n + 1))  # pix2pix's linear decay
    seen = []
    for _ in range(6):
        seen.append([g['lr'] for g in opt2.param_groups])
        sched2.step()
    np.testing.assert_allclose(seen, [[0.2, 0.1], [0.2, 0.1], [0.2, 0.1], [0.2 * 2 / 3, 0.1 * 2 / 3],
                                      [0.2 / 3, 0.1 / 3], [0.0, 0.0]], rtol=1e-12, atol=1e-15)
    state = sched.state_dict()
    assert 'optimizer' not in state and state['last_epoch'] == 7
    opt3 = optim.SGD([p], lr=1.0)
    sched3 = optim.StepLR(opt3, step_size=3, gamma=0.5)
    sched3.load_state_dict(state)
    assert sched3.last_epoch == 7 and sched3.base_lrs == [1.0]


def test_optimizers_match_torch():
    torch = pytest.importorskip('torch')
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((3, 4)).astype(np.float32)
    data = [rng.standard_normal((5, 3)).astype(np.float32) for _ in range(5)]
    configs = [('SGD', dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
               ('SGD', dict(lr=0.1, momentum=0.9, nesterov=True)),
               ('Adam', dict(lr=0.01, betas=(0.5, 0.999), weight_decay=0.1)),
               ('AdamW', dict(lr=0.01, weight_decay=0.1, amsgrad=True))]
    for name, kwargs in configs:
        ours = nn.Parameter(mg.tensor(w0.copy()))
        theirs = torch.nn.Parameter(torch.from_numpy(w0.copy()))
        o, t = getattr(optim, name)([ours], **kwargs), getattr(torch.optim, name)([theirs], **kwargs)
        for x in data:
            o.zero_grad()
            t.zero_grad()
            (mg.tensor(x) @ ours).tanh().sum().backward()
            (torch.from_numpy(x) @ theirs).tanh().sum().backward()
            o.step()
            t.step()
        assert_close(ours, theirs.detach().numpy(), rtol=1e-5, atol=1e-6, msg=name)
