"""RMSprop and the schedulers MultiStepLR, CosineAnnealingLR and ReduceLROnPlateau: against
written-out formulas, against torch step by step when it is importable, state_dict round
trips, and errors."""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.optim as optim
from minigrad.testing import as_numpy, assert_close


@pytest.fixture
def torch():
    return pytest.importorskip('torch')


def _quadratic_run(make_opt, steps, w0=(1.5, -2.0)):
    """Minimise L = w1² + 3·w2² + w1·w2 from w0; the parameter values after each step."""
    w = nn.Parameter(mg.tensor(np.array(w0), dtype=mg.float64))
    opt = make_opt([w])
    history = []
    for _ in range(steps):
        opt.zero_grad()
        (w[0] * w[0] + 3 * w[1] * w[1] + w[0] * w[1]).backward()
        opt.step()
        history.append(as_numpy(w).copy())
    return np.array(history), opt


def test_rmsprop_plain_step_by_hand():
    lr, alpha, eps = 0.01, 0.99, 1e-8
    history, _ = _quadratic_run(lambda p: optim.RMSprop(p), 3)
    w, v = np.array([1.5, -2.0]), np.zeros(2)
    for k in range(3):
        g = np.array([2 * w[0] + w[1], 6 * w[1] + w[0]])
        v = alpha * v + (1 - alpha) * g * g
        w = w - lr * g / (np.sqrt(v) + eps)
        assert_close(history[k], w, rtol=1e-12)


def test_rmsprop_centered_momentum_weight_decay_step_by_hand():
    lr, alpha, eps, mu, wd = 0.02, 0.9, 1e-6, 0.5, 0.1
    history, opt = _quadratic_run(lambda p: optim.RMSprop(p, lr, alpha, eps, wd, mu, centered=True), 3)
    w, v, m, b = np.array([1.5, -2.0]), np.zeros(2), np.zeros(2), np.zeros(2)
    for k in range(3):
        g = np.array([2 * w[0] + w[1], 6 * w[1] + w[0]]) + wd * w
        v = alpha * v + (1 - alpha) * g * g
        m = alpha * m + (1 - alpha) * g
        b = mu * b + g / (np.sqrt(v - m * m) + eps)
        w = w - lr * b
        assert_close(history[k], w, rtol=1e-12)
    assert sorted(next(iter(opt.state.values()))) == ['grad_avg', 'momentum_buffer', 'square_avg', 'step']


@pytest.mark.parametrize('kwargs', [{}, dict(lr=0.05, momentum=0.9), dict(centered=True, weight_decay=0.01),
                                    dict(alpha=0.5, eps=1e-3, momentum=0.3, centered=True), dict(maximize=True)])
def test_rmsprop_matches_torch(kwargs, torch, rng):
    start = rng.standard_normal((3, 4))
    grads = [rng.standard_normal((3, 4)) for _ in range(6)]
    ours = nn.Parameter(mg.tensor(start))
    theirs = torch.nn.Parameter(torch.tensor(start))
    a, b = optim.RMSprop([ours], **kwargs), torch.optim.RMSprop([theirs], **kwargs)
    for g in grads:
        ours.grad, theirs.grad = mg.tensor(g), torch.tensor(g)
        a.step()
        b.step()
        assert_close(ours, theirs.detach().numpy(), rtol=1e-11, atol=1e-13)


def test_rmsprop_state_dict_round_trip_continues_identically():
    def run(steps, resume_from=None):
        w = nn.Parameter(mg.tensor([1.0, -1.0], dtype=mg.float64))
        opt = optim.RMSprop([w], lr=0.1, momentum=0.5, centered=True)
        if resume_from is not None:
            w.array[...] = resume_from[0]
            opt.load_state_dict(resume_from[1])
        for _ in range(steps):
            opt.zero_grad()
            (w * w * mg.tensor([1.0, 2.0], dtype=mg.float64)).sum().backward()
            opt.step()
        return as_numpy(w).copy(), opt.state_dict()
    straight, _ = run(4)
    half, state = run(2)
    resumed, _ = run(2, (half, state))
    assert_close(resumed, straight, rtol=0, atol=0)


def test_rmsprop_errors_and_float32():
    p = nn.Parameter(mg.ones(2))
    for kwargs, what in [(dict(lr=-1), 'learning rate'), (dict(eps=-1), 'epsilon value'),
                         (dict(momentum=-0.1), 'momentum value'), (dict(alpha=-0.5), 'alpha value'),
                         (dict(weight_decay=-1), 'weight_decay value')]:
        with pytest.raises(ValueError, match=f'RMSprop: invalid {what}'):
            optim.RMSprop([p], **kwargs)
    opt = optim.RMSprop([p])
    p.grad = mg.ones(2)
    opt.step()
    assert p.dtype == np.float32 and p.tolist()[0] < 1.0


# ------------------------------------------------------------------ schedulers
def _lrs(make_sched, epochs, lr=0.5, metrics=None):
    opt = optim.SGD([nn.Parameter(mg.zeros(1))], lr=lr)
    sched = make_sched(opt)
    out = []
    for e in range(epochs):
        opt.step()
        sched.step(metrics[e]) if metrics is not None else sched.step()
        out.append(opt.param_groups[0]['lr'])
    return out, sched


def test_multistep_by_formula():
    lrs, sched = _lrs(lambda o: optim.lr_scheduler.MultiStepLR(o, [2, 5, 5], gamma=0.5), 7)
    expected = [0.5 * 0.5 ** sum(m <= e for m in (2, 5, 5)) for e in range(1, 8)]
    assert lrs == pytest.approx(expected, rel=1e-12)
    assert sched.get_last_lr() == [lrs[-1]]


def test_cosine_by_the_closed_form():
    lrs, _ = _lrs(lambda o: optim.lr_scheduler.CosineAnnealingLR(o, T_max=6, eta_min=0.05), 18)
    expected = [0.05 + (0.5 - 0.05) * (1 + math.cos(math.pi * e / 6)) / 2 for e in range(1, 19)]
    assert lrs == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert min(lrs) == pytest.approx(0.05) and lrs[5] == pytest.approx(0.05)


def test_reduce_on_plateau_by_hand():
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95]
    lrs, sched = _lrs(lambda o: optim.lr_scheduler.ReduceLROnPlateau(o, patience=2, factor=0.5), 8, metrics=metrics)
    # best 0.9 at epoch 2; epochs 3, 4, 5 are bad; the third (> patience) cuts: then 3 more bad
    assert lrs == [0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]
    lrs, _ = _lrs(lambda o: optim.lr_scheduler.ReduceLROnPlateau(o, 'max', patience=0, min_lr=0.2), 4,
                  metrics=[1, 0, 0, 0])
    assert lrs == [0.5, 0.2, 0.2, 0.2]  # one bad epoch (> patience 0) cuts, down to min_lr at once


SCHEDULERS = {
    'MultiStepLR': (dict(milestones=[3, 7, 7], gamma=0.3), None),
    'CosineAnnealingLR': (dict(T_max=5, eta_min=0.01), None),
    'CosineAnnealingLR_default': (dict(T_max=3), None),
    'ReduceLROnPlateau': (dict(patience=2, cooldown=1), [1.0, 0.9] + [0.95] * 10 + [0.5] + [0.6] * 12),
    'ReduceLROnPlateau_max_abs': (dict(mode='max', threshold=0.1, threshold_mode='abs', patience=1, factor=0.5,
                                       min_lr=0.01), [0.0, 0.05, 0.2, 0.25, 0.26] * 5),
}


@pytest.mark.parametrize('name', sorted(SCHEDULERS))
def test_schedulers_match_torch(name, torch):
    kwargs, metrics = SCHEDULERS[name]
    cls = name.split('_')[0]
    ours, _ = _lrs(lambda o: getattr(optim.lr_scheduler, cls)(o, **kwargs), 25, metrics=metrics)
    theirs = []
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.5)
    sched = getattr(torch.optim.lr_scheduler, cls)(opt, **kwargs)
    for e in range(25):
        opt.step()
        sched.step(metrics[e]) if metrics is not None else sched.step()
        theirs.append(opt.param_groups[0]['lr'])
    assert ours == pytest.approx(theirs, rel=1e-13, abs=1e-15)


def test_scheduler_state_dict_round_trip():
    opt = optim.SGD([nn.Parameter(mg.zeros(1))], lr=1.0)
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    sched.step(1.0)
    sched.step(2.0)
    state = sched.state_dict()
    assert 'optimizer' not in state and state['best'] == 1.0
    fresh = optim.lr_scheduler.ReduceLROnPlateau(optim.SGD([nn.Parameter(mg.zeros(1))], lr=1.0), patience=0)
    fresh.load_state_dict(state)
    assert fresh.best == 1.0 and fresh.last_epoch == 2
    cos = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4)
    cos.step()
    assert cos.state_dict()['T_max'] == 4 and 'optimizer' not in cos.state_dict()


def test_scheduler_errors():
    opt = optim.SGD([nn.Parameter(mg.zeros(1))], lr=1.0)
    with pytest.raises(ValueError, match='CosineAnnealingLR: T_max must be a positive int'):
        optim.lr_scheduler.CosineAnnealingLR(opt, 0)
    with pytest.raises(ValueError, match='ReduceLROnPlateau: factor should be < 1.0'):
        optim.lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="ReduceLROnPlateau: mode must be 'min' or 'max'"):
        optim.lr_scheduler.ReduceLROnPlateau(opt, mode='up')
    with pytest.raises(ValueError, match="ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs'"):
        optim.lr_scheduler.ReduceLROnPlateau(opt, threshold_mode='x')
    with pytest.raises(ValueError, match='ReduceLROnPlateau: expected 1 min_lrs'):
        optim.lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0.1, 0.2])
    with pytest.raises(TypeError, match='ReduceLROnPlateau: list is not an Optimizer'):
        optim.lr_scheduler.ReduceLROnPlateau([])
    assert optim.MultiStepLR is optim.lr_scheduler.MultiStepLR
