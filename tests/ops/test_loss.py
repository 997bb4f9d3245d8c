"""Losses: values against independent NumPy formulas, float64 gradchecks, torch's semantics."""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
from minigrad.functional import loss as L
from minigrad.testing import as_numpy, assert_close, t32, t64

REDUCTIONS = ('mean', 'sum', 'none')


def _reduce(values, reduction):
    return values.mean() if reduction == 'mean' else values.sum() if reduction == 'sum' else values


def _log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def _rng():
    return np.random.default_rng(1)


# ------------------------------------------------------------------ regression losses
def _np_smooth_l1(d, beta):
    if beta == 0:
        return np.abs(d)
    return np.where(np.abs(d) < beta, 0.5 * d * d / beta, np.abs(d) - 0.5 * beta)


POINTWISE = [
    ('mse', lambda x, y, r: L.mse_loss(x, y, reduction=r), lambda d: d * d),
    ('l1', lambda x, y, r: L.l1_loss(x, y, reduction=r), np.abs),
    ('smooth_l1_b1', lambda x, y, r: L.smooth_l1_loss(x, y, reduction=r), lambda d: _np_smooth_l1(d, 1.0)),
    ('smooth_l1_b03', lambda x, y, r: L.smooth_l1_loss(x, y, reduction=r, beta=0.3),
     lambda d: _np_smooth_l1(d, 0.3)),
    ('smooth_l1_b0', lambda x, y, r: L.smooth_l1_loss(x, y, reduction=r, beta=0.0), np.abs),
]


@pytest.mark.parametrize('name,fn,ref', POINTWISE, ids=[p[0] for p in POINTWISE])
@pytest.mark.parametrize('reduction', REDUCTIONS)
def test_pointwise_value_and_gradcheck(name, fn, ref, reduction):
    rng = _rng()
    x, y = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 4))
    assert_close(fn(t64(x), t64(y), reduction), _reduce(ref(x - y), reduction), rtol=1e-12, atol=1e-12)
    assert mg.gradcheck(lambda a, b: fn(a, b, reduction), [t64(x[:1, :2]), t64(y[:1, :2])])


def test_lecture_l2_is_half_n_times_mse():
    rng = _rng()
    y_hat, y = rng.standard_normal((2, 5, 6)), rng.standard_normal((2, 5, 6))   # (ab, H, W)
    lecture_l2 = 0.5 * sum(np.sum((y[:, h, w] - y_hat[:, h, w]) ** 2) for h in range(5) for w in range(6))
    mse = L.mse_loss(t64(y_hat), t64(y)).item()
    assert mse * 0.5 * y.size == pytest.approx(lecture_l2, rel=1e-12)
    assert 0.5 * L.mse_loss(t64(y_hat), t64(y), reduction='sum').item() == pytest.approx(lecture_l2, rel=1e-12)


def test_l1_gradient_is_zero_at_ties_and_float32_stays():
    x = t32([1.0, 2.0, 3.0], requires_grad=True)
    L.l1_loss(x, t32([1.0, 0.0, 5.0])).backward()
    assert_close(x.grad, np.array([0.0, 1.0, -1.0]) / 3)
    for fn in (L.mse_loss, L.l1_loss, L.smooth_l1_loss):
        x = t32(np.ones((2, 3)), requires_grad=True)
        out = fn(x, t64(np.zeros((2, 3)), requires_grad=False))
        out.backward()
        assert out.dtype == np.float32 and x.grad.dtype == np.float32


def test_pointwise_errors():
    with pytest.raises(ValueError, match='mse_loss.*same shape'):
        L.mse_loss(mg.zeros(4, 1), mg.zeros(4))
    with pytest.raises(ValueError, match="reduction"):
        L.l1_loss(mg.zeros(3), mg.zeros(3), reduction='avg')
    with pytest.raises(ValueError, match='beta'):
        L.smooth_l1_loss(mg.zeros(3), mg.zeros(3), beta=-1.0)


# ------------------------------------------------------------------ binary cross entropy
@pytest.mark.parametrize('reduction', REDUCTIONS)
def test_bce_value_and_gradcheck(reduction):
    rng = _rng()
    x, y, w = rng.uniform(0.05, 0.95, (3, 4)), rng.random((3, 4)), rng.random(4) + 0.5
    ref = -w * (y * np.log(x) + (1 - y) * np.log(1 - x))
    assert_close(L.binary_cross_entropy(t64(x), t64(y), t64(w), reduction=reduction),
                 _reduce(ref, reduction), rtol=1e-12)
    assert mg.gradcheck(lambda a, b: L.binary_cross_entropy(a, b, t64(w, False), reduction=reduction),
                        [t64(x), t64(y)])


def test_bce_log_is_clamped_at_minus_100():
    x = t64([0.0, 1.0, 0.0], requires_grad=True)
    out = L.binary_cross_entropy(x, t64([1.0, 0.0, 0.0], False), reduction='none')
    assert_close(out, [100.0, 100.0, 0.0])
    out.sum().backward()
    assert np.isfinite(as_numpy(x.grad)).all()
    with pytest.raises(ValueError, match='binary_cross_entropy: input must hold probabilities'):
        L.binary_cross_entropy(t64([1.5], False), t64([1.0], False))


@pytest.mark.parametrize('reduction', REDUCTIONS)
def test_bce_with_logits_value_and_gradcheck(reduction):
    rng = _rng()
    x, y = rng.standard_normal((3, 4)) * 3, rng.random((3, 4))
    w, pw = rng.random((3, 1)) + 0.5, rng.random(4) * 3
    sig = 1 / (1 + np.exp(-x))
    ref = -w * (pw * y * np.log(sig) + (1 - y) * np.log(1 - sig))
    fn = lambda a, b: L.binary_cross_entropy_with_logits(a, b, t64(w, False), reduction=reduction,  # noqa
                                                          pos_weight=t64(pw, False))
    assert_close(fn(t64(x), t64(y)), _reduce(ref, reduction), rtol=1e-10)
    assert mg.gradcheck(fn, [t64(x), t64(y)])
    plain = lambda a, b: L.binary_cross_entropy_with_logits(a, b, reduction=reduction)  # noqa
    assert mg.gradcheck(plain, [t64(x), t64(y)])


@pytest.mark.parametrize('make', [t32, t64])
def test_bce_with_logits_extreme_logits(make):
    x = make([1e4, -1e4, 1e4, -1e4], requires_grad=True)
    y = make([1.0, 0.0, 0.0, 1.0], requires_grad=False)
    out = L.binary_cross_entropy_with_logits(x, y, reduction='none')
    assert_close(out, [0.0, 0.0, 1e4, 1e4])
    out.sum().backward()
    assert_close(x.grad, [0.0, 0.0, 1.0, -1.0])                       # σ(x) − y
    assert out.dtype == x.dtype and x.grad.dtype == x.dtype


# ------------------------------------------------------------------ cross entropy (class indices)
def _np_ce(x, y, w=None, ignore=-100, eps=0.0, reduction='mean', pixel_weight=None):
    """Independent reference: torch's documented formula, written with loops over pixels."""
    if x.ndim == 1:
        x, y = x[None], np.asarray(y)[None]
    c = x.shape[1]
    logp = _log_softmax(x, 1)
    lp = np.moveaxis(logp, 1, -1).reshape(-1, c)
    ys = y.reshape(-1)
    w = np.ones(c) if w is None else w
    losses, denom = np.zeros(len(ys)), 0.0
    for i, t in enumerate(ys):
        if t == ignore:
            continue
        losses[i] = -(1 - eps) * w[t] * lp[i, t] - eps / c * (w * lp[i]).sum()
        denom += w[t]
    if pixel_weight is not None:
        losses = losses * np.broadcast_to(pixel_weight, y.shape).reshape(-1)
    if reduction == 'none':
        return losses.reshape(y.shape)
    return losses.sum() / denom if reduction == 'mean' else losses.sum()


CE_SHAPES = [(5,), (4, 3), (2, 3, 2, 3)]


def _ce_case(shape, rng, ignore=True):
    c = shape[0] if len(shape) == 1 else shape[1]
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    x = rng.standard_normal(shape) * 2
    y = rng.integers(0, c, tshape)
    if ignore and y.ndim:
        y.reshape(-1)[1] = -100
    return x, y, rng.random(c) + 0.2


@pytest.mark.parametrize('shape', CE_SHAPES)
@pytest.mark.parametrize('reduction', REDUCTIONS)
@pytest.mark.parametrize('weighted', [False, True])
@pytest.mark.parametrize('eps', [0.0, 0.25])
def test_cross_entropy_value_and_gradcheck(shape, reduction, weighted, eps):
    x, y, w = _ce_case(shape, _rng())
    w = w if weighted else None
    wt = None if w is None else t64(w, False)
    fn = lambda a: L.cross_entropy(a, mg.tensor(y), wt, reduction=reduction, label_smoothing=eps)  # noqa
    assert_close(fn(t64(x)), _np_ce(x, y, w, eps=eps, reduction=reduction), rtol=1e-12, atol=1e-12)
    assert mg.gradcheck(fn, [t64(x)])


def test_cross_entropy_hand_cases():
    ln2 = math.log(2)
    # sample 0: logits (0, 0), class 0 -> ln 2;  sample 1: logits (ln 3, 0), class 1 -> p = 1/4 -> ln 4
    x = t64([[0.0, 0.0], [math.log(3), 0.0]], False)
    y = mg.tensor(np.array([0, 1]))
    w = t64([1.0, 3.0], False)
    assert L.cross_entropy(x, y).item() == pytest.approx(1.5 * ln2)
    assert L.cross_entropy(x, y, reduction='sum').item() == pytest.approx(3 * ln2)
    # weighted mean divides by the weights of the targets: (1·ln2 + 3·ln4) / (1 + 3)
    assert L.cross_entropy(x, y, w).item() == pytest.approx(7 / 4 * ln2)
    assert_close(L.cross_entropy(x, y, w, reduction='none'), [ln2, 3 * 2 * ln2])
    # ignore_index drops the pixel from numerator and denominator
    y_ign = mg.tensor(np.array([0, -100]))
    assert L.cross_entropy(x, y_ign, w).item() == pytest.approx(ln2)
    assert L.cross_entropy(x, mg.tensor(np.array([7, 1])), w, ignore_index=7).item() == pytest.approx(2 * ln2)
    # label smoothing eps = 0.5 (C = 2): target (1 - eps) one-hot + eps/C uniform
    nll = [[ln2, ln2], [math.log(4 / 3), math.log(4)]]            # −log p per class
    smooth = 0.5 * nll[0][0] + 0.25 * sum(nll[0]), 0.5 * nll[1][1] + 0.25 * sum(nll[1])
    assert L.cross_entropy(x, y, label_smoothing=0.5).item() == pytest.approx(sum(smooth) / 2)
    # ... with weights, torch normalises the smoothing term by Σ w_{y_i} as well
    weighted = (0.5 * (1 * nll[0][0] + 3 * nll[1][1])
                + 0.25 * ((1 * nll[0][0] + 3 * nll[0][1]) + (1 * nll[1][0] + 3 * nll[1][1]))) / 4
    assert L.cross_entropy(x, y, w, label_smoothing=0.5).item() == pytest.approx(weighted)
    # every target ignored: 0 / 0 = nan under 'mean', as torch
    all_ign = mg.tensor(np.array([-100, -100]))
    assert math.isnan(L.cross_entropy(x, all_ign).item())
    assert L.cross_entropy(x, all_ign, reduction='sum').item() == 0.0


def test_cross_entropy_gradient_is_softmax_minus_onehot():
    rng = _rng()
    x = rng.standard_normal((4, 3, 2, 2))
    y = rng.integers(0, 3, (4, 2, 2))
    xt = t64(x)
    L.cross_entropy(xt, mg.tensor(y), reduction='sum').backward()
    p = np.exp(_log_softmax(x, 1))
    onehot = np.moveaxis(np.eye(3)[y], -1, 1)
    assert_close(xt.grad, p - onehot, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize('make', [t32, t64])
@pytest.mark.parametrize('soft', [False, True])
def test_cross_entropy_extreme_logits(make, soft):
    x = make([[1e4, -1e4, 0.0], [-1e4, 1e4, -1e4]], requires_grad=True)
    y = np.array([1, 1])
    target = mg.tensor(np.eye(3)[y].astype(x.dtype)) if soft else mg.tensor(y)
    out = L.cross_entropy(x, target, reduction='none', label_smoothing=0.1)
    out.sum().backward()
    assert np.isfinite(as_numpy(out)).all() and np.isfinite(as_numpy(x.grad)).all()
    plain = L.cross_entropy(x.detach(), target, reduction='none')
    assert_close(plain, [2e4, 0.0], rtol=1e-6)
    assert out.dtype == x.dtype and x.grad.dtype == x.dtype


def test_cross_entropy_errors():
    x = mg.zeros(2, 3, 4, 4)
    with pytest.raises(ValueError, match=r'cross_entropy: target holds class 3'):
        L.cross_entropy(x, mg.tensor(np.full((2, 4, 4), 3)))
    with pytest.raises(ValueError, match=r'cross_entropy: input of shape \(2, 3, 4, 4\) needs'):
        L.cross_entropy(x, mg.tensor(np.zeros((2, 4), dtype=np.int64)))
    with pytest.raises(ValueError, match='probabilities'):
        L.cross_entropy(x, mg.zeros(2, 4, 4))
    with pytest.raises(ValueError, match='one entry per class'):
        L.cross_entropy(x, mg.tensor(np.zeros((2, 4, 4), dtype=np.int64)), mg.ones(4))
    with pytest.raises(ValueError, match='label_smoothing'):
        L.cross_entropy(x, mg.tensor(np.zeros((2, 4, 4), dtype=np.int64)), label_smoothing=1.5)
    with pytest.raises(ValueError, match='pixel_weight'):
        L.cross_entropy(x, mg.tensor(np.zeros((2, 4, 4), dtype=np.int64)), pixel_weight=mg.ones(3, 4, 4))
    with pytest.raises(TypeError, match='nll_loss: target must hold integer'):
        L.nll_loss(mg.zeros(2, 3), mg.zeros(2, 3))


# ------------------------------------------------------------------ cross entropy (soft targets)
def _soft(shape, rng):
    q = rng.random(shape)
    return q / q.sum(axis=1, keepdims=True)


@pytest.mark.parametrize('reduction', REDUCTIONS)
def test_soft_cross_entropy_is_the_colorization_loss(reduction):
    rng = _rng()
    n, q_bins, h, w = 2, 5, 3, 4
    logits, z = rng.standard_normal((n, q_bins, h, w)), _soft((n, q_bins, h, w), rng)
    v = rng.random((n, h, w)) + 0.5                                   # rebalancing weights per pixel
    per_pixel = -(z * _log_softmax(logits, 1)).sum(axis=1) * v        # Σ_q Z log Ẑ, weighted
    expected = {'mean': per_pixel.sum() / (n * h * w), 'sum': per_pixel.sum(), 'none': per_pixel}[reduction]
    fn = lambda a, b, v: L.cross_entropy(a, b, reduction=reduction, pixel_weight=t64(v, False))  # noqa
    assert_close(fn(t64(logits), t64(z), v), expected, rtol=1e-12)
    assert mg.gradcheck(lambda a, b: fn(a, b, v[:1, :2, :2]),
                        [t64(logits[:1, :, :2, :2]), t64(z[:1, :, :2, :2])])


@pytest.mark.parametrize('weighted', [False, True])
@pytest.mark.parametrize('eps', [0.0, 0.3])
def test_soft_cross_entropy_gradcheck_with_weight_and_smoothing(weighted, eps):
    rng = _rng()
    x, q = rng.standard_normal((2, 4, 2)), _soft((2, 4, 2), rng)
    w = t64(rng.random(4) + 0.5, False) if weighted else None
    for reduction in REDUCTIONS:
        fn = lambda a, b: L.cross_entropy(a, b, w, reduction=reduction, label_smoothing=eps)  # noqa
        assert mg.gradcheck(fn, [t64(x), t64(q)])


@pytest.mark.parametrize('shape', CE_SHAPES)
@pytest.mark.parametrize('eps', [0.0, 0.2])
def test_soft_targets_equal_hard_targets_when_one_hot(shape, eps):
    x, y, w = _ce_case(shape, _rng(), ignore=False)
    c = w.size
    onehot = np.moveaxis(np.eye(c)[y], -1, 1) if y.ndim else np.eye(c)[y]
    for reduction in REDUCTIONS:
        hard, soft = t64(x), t64(x)
        a = L.cross_entropy(hard, mg.tensor(y), reduction=reduction, label_smoothing=eps)
        b = L.cross_entropy(soft, t64(onehot, False), reduction=reduction, label_smoothing=eps)
        assert_close(a, b, rtol=1e-12, atol=1e-12)
        (a * 1.7).sum().backward(), (b * 1.7).sum().backward()
        assert_close(hard.grad, soft.grad, rtol=1e-12, atol=1e-12)
    # with class weights the per-pixel losses agree; only 'mean' differs (Σ w_y vs pixel count)
    for reduction in ('sum', 'none'):
        a = L.cross_entropy(t64(x), mg.tensor(y), t64(w, False), reduction=reduction, label_smoothing=eps)
        b = L.cross_entropy(t64(x), t64(onehot, False), t64(w, False), reduction=reduction, label_smoothing=eps)
        assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_hard_cross_entropy_pixel_weight():
    rng = _rng()
    x, y, w = _ce_case((2, 3, 2, 3), rng)
    v = rng.random((2, 2, 3)) + 0.5
    for reduction in REDUCTIONS:
        fn = lambda a: L.cross_entropy(a, mg.tensor(y), t64(w, False), reduction=reduction,  # noqa
                                       pixel_weight=t64(v, False))
        assert_close(fn(t64(x)), _np_ce(x, y, w, reduction=reduction, pixel_weight=v), rtol=1e-12)
        assert mg.gradcheck(fn, [t64(x)])


@pytest.mark.parametrize('soft', [False, True])
@pytest.mark.parametrize('options', [{}, {'weighted': True, 'label_smoothing': 0.1, 'pixel_weight': True}])
def test_cross_entropy_keeps_no_input_sized_array_of_its_own(soft, options):
    """The graph of F.cross_entropy(logits, target) holds the logits (and a soft target) by
    reference and otherwise only per-position arrays: no softmax, no log-softmax (as torch, which
    keeps one input-sized array here).  A soft target that wants a gradient changes nothing."""
    from minigrad.instrument import graph_arrays
    rng = _rng()
    n, c, h, w = 2, 7, 3, 5                                   # N·H·W = 30 per-position values, C = 7
    x = t32(rng.standard_normal((n, c, h, w)), True)
    target = t32(_soft((n, c, h, w), rng), soft) if soft else mg.tensor(rng.integers(0, c, (n, h, w)))
    weight = t32(rng.random(c) + 0.5, False) if options.get('weighted') else None
    pw = t32(rng.random((n, h, w)), False) if options.get('pixel_weight') else None
    loss = L.cross_entropy(x, target, weight, label_smoothing=options.get('label_smoothing', 0.0),
                           pixel_weight=pw)
    held = graph_arrays(loss)
    ours = [a for a in held if a is not x.array and a is not target.array]
    assert any(a is x.array for a in held) and max(a.size for a in ours) <= n * h * w
    if not soft:
        assert mg.graph_bytes(loss) - x.array.nbytes <= 4 * n * h * w * 8
    loss.backward()
    assert x.grad.shape == x.shape

# ------------------------------------------------------------------ nll_loss
@pytest.mark.parametrize('shape', CE_SHAPES)
@pytest.mark.parametrize('reduction', REDUCTIONS)
def test_nll_matches_cross_entropy_and_gradchecks(shape, reduction):
    x, y, w = _ce_case(shape, _rng())
    lp = _log_softmax(x, 0 if len(shape) == 1 else 1)
    fn = lambda a: L.nll_loss(a, mg.tensor(y), t64(w, False), reduction=reduction)  # noqa
    assert_close(fn(t64(lp)), _np_ce(x, y, w, reduction=reduction), rtol=1e-12, atol=1e-12)
    assert mg.gradcheck(fn, [t64(lp)])
    via = L.nll_loss(F.log_softmax(t64(x, False), dim=0 if len(shape) == 1 else 1), mg.tensor(y),
                     reduction=reduction)
    assert_close(via, L.cross_entropy(t64(x, False), mg.tensor(y), reduction=reduction), rtol=1e-12)


def test_functional_exports_losses():
    for name in L.__all__:
        assert getattr(F, name) is getattr(L, name)


# ------------------------------------------------------------------ against torch
def test_against_torch():
    torch = pytest.importorskip('torch')
    tf = torch.nn.functional
    rng = _rng()
    for shape in CE_SHAPES:
        x, y, w = _ce_case(shape, rng)
        q = _soft(shape, rng) if len(shape) > 1 else rng.dirichlet(np.ones(shape[0]))
        for target in (y, q):
            for reduction in REDUCTIONS:
                for weight in (None, w):
                    for eps in (0.0, 0.3):
                        xt = torch.tensor(x, requires_grad=True)
                        ref = tf.cross_entropy(xt, torch.tensor(target), None if weight is None else
                                               torch.tensor(weight), reduction=reduction, label_smoothing=eps)
                        cot = rng.standard_normal(tuple(ref.shape))
                        (ref * torch.tensor(cot)).sum().backward()
                        xm = t64(x)
                        out = L.cross_entropy(xm, mg.tensor(target), None if weight is None else t64(weight, False),
                                              reduction=reduction, label_smoothing=eps)
                        (out * t64(cot, False)).sum().backward()
                        assert_close(out, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
                        assert_close(xm.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    x, y = rng.standard_normal((3, 4)), rng.random((3, 4))
    p = rng.uniform(0.05, 0.95, (3, 4))
    w, pw = rng.random(4) + 0.5, rng.random(4) * 2
    T = torch.tensor
    for reduction in REDUCTIONS:
        pairs = [
            (L.mse_loss(t64(x), t64(y), reduction=reduction), tf.mse_loss(T(x), T(y), reduction=reduction)),
            (L.l1_loss(t64(x), t64(y), reduction=reduction), tf.l1_loss(T(x), T(y), reduction=reduction)),
            (L.smooth_l1_loss(t64(x), t64(y), reduction=reduction, beta=0.4),
             tf.smooth_l1_loss(T(x), T(y), reduction=reduction, beta=0.4)),
            (L.binary_cross_entropy(t64(p), t64(y), t64(w), reduction=reduction),
             tf.binary_cross_entropy(T(p), T(y), T(w), reduction=reduction)),
            (L.binary_cross_entropy_with_logits(t64(x), t64(y), t64(w), reduction=reduction, pos_weight=t64(pw)),
             tf.binary_cross_entropy_with_logits(T(x), T(y), T(w), reduction=reduction, pos_weight=T(pw))),
        ]
        for ours, theirs in pairs:
            assert_close(ours, theirs.numpy(), rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ nn wrappers
def test_nn_loss_modules():
    nn_loss = pytest.importorskip('minigrad.nn.loss')
    rng = _rng()
    x, y, w = _ce_case((2, 3, 2, 2), rng)
    xt, yt, wt = t64(x, False), mg.tensor(y), t64(w, False)
    ce = nn_loss.CrossEntropyLoss(weight=wt, ignore_index=-100, reduction='sum', label_smoothing=0.1)
    assert_close(ce(xt, yt), L.cross_entropy(xt, yt, wt, reduction='sum', label_smoothing=0.1))
    lp = F.log_softmax(xt, dim=1)
    assert_close(nn_loss.NLLLoss(wt)(lp, yt), L.nll_loss(lp, yt, wt))
    a, b = t64(rng.standard_normal((3, 4)), False), t64(rng.random((3, 4)), False)
    assert_close(nn_loss.MSELoss()(a, b), L.mse_loss(a, b))
    assert_close(nn_loss.L1Loss(reduction='none')(a, b), L.l1_loss(a, b, reduction='none'))
    assert_close(nn_loss.SmoothL1Loss(beta=0.5)(a, b), L.smooth_l1_loss(a, b, beta=0.5))
    assert_close(nn_loss.BCEWithLogitsLoss(pos_weight=t64(np.full(4, 2.0), False))(a, b),
                 L.binary_cross_entropy_with_logits(a, b, pos_weight=t64(np.full(4, 2.0), False)))
    pa = a.sigmoid()
    assert_close(nn_loss.BCELoss()(pa, b), L.binary_cross_entropy(pa, b))
    with pytest.raises(ValueError, match='reduction'):
        nn_loss.MSELoss(reduction='avg')
    assert 'reduction' in repr(nn_loss.MSELoss(reduction='sum'))
    assert list(ce.state_dict()) == ['weight'] and not nn_loss.MSELoss().state_dict()   # as torch


@pytest.mark.parametrize('op,kwargs', [('cross_entropy', {}), ('cross_entropy', dict(label_smoothing=0.1)),
                                       ('cross_entropy', dict(weight=True)), ('nll_loss', {}),
                                       ('cross_entropy', dict(reduction='sum'))])
def test_every_target_ignored_gives_a_zero_gradient(op, kwargs):
    """torch: the mean over no pixels is NaN, but the gradient is exactly 0 (it was NaN here)."""
    rng = _rng()
    x = t64(rng.standard_normal((3, 4, 2)))
    y = mg.tensor(np.full((3, 2), -100))
    if kwargs.get('weight'):
        kwargs = dict(weight=t64(rng.random(4), False))
    with np.errstate(all='raise'):          # and no warning on the way
        loss = getattr(L, op)(x, y, **kwargs)
        loss.backward()
    reduction = kwargs.get('reduction', 'mean')
    assert np.isnan(loss.item()) if reduction == 'mean' else loss.item() == 0
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((3, 4, 2)))
    # one pixel ignored among others with a zero class weight: that pixel's gradient is 0 (torch's too)
    x.grad = None
    w = t64(np.array([1.0, 0.0, 0.0, 1.0]), False)
    with np.errstate(invalid='ignore', divide='ignore'):
        L.cross_entropy(x[:, :, 0], mg.tensor(np.array([1, 2, -100])), w).backward()
    np.testing.assert_array_equal(x.grad.numpy()[2], np.zeros((4, 2)))
