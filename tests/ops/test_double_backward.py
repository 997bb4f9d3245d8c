"""Second derivatives (``create_graph=True``) of every op a GAN discriminator uses.

Two checks per op family, over small grids of configurations, in float64:

* ``gradgradcheck``: finite differences of the gradient itself (independent of any oracle);
* where torch is importable, the first gradients and a Hessian-vector product,
  ∂/∂inputs Σ u ⊙ ∂(Σ v ⊙ f)/∂inputs, against torch's to 1e-10 (the cotangent v is an
  input too, so the mixed terms are checked as well).

The same lambdas run on both libraries: ``F`` is ``minigrad.functional`` or
``torch.nn.functional`` and the tensors are the library's own.
"""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as mF
from minigrad import gradgradcheck
from minigrad.function import Function
from minigrad.ops.dropout import Dropout
from minigrad.testing import t64


def _inputs(shapes, seed=0, positive=()):
    """Random float64 arrays; those whose index is in ``positive`` lie in (0.1, 0.9) (probabilities)."""
    rng = np.random.default_rng(seed)
    return [rng.uniform(0.1, 0.9, s) if i in positive else rng.standard_normal(s) for i, s in enumerate(shapes)]


def _check(fn, shapes, positive=(), constants=(), **tol):
    """gradgradcheck of ``fn(mg.functional, *tensors)``, then the comparison with torch.
    Inputs whose index is in ``constants`` want no gradient (loss weights: torch has none for them)."""
    arrays = _inputs(shapes, positive=positive)
    assert gradgradcheck(lambda *ts: fn(mF, *ts), [t64(a, i not in constants) for i, a in enumerate(arrays)], **tol)
    _compare_with_torch(fn, arrays, constants)


def _second_order(lib, F, fn, arrays, make, constants=()):
    """(first gradients, Hessian-vector products) of Σ v ⊙ fn(x) for fixed random v and u."""
    rng = np.random.default_rng(1)
    args = [make(a, i not in constants) for i, a in enumerate(arrays)]
    xs = [x for i, x in enumerate(args) if i not in constants]
    arrays = [a for i, a in enumerate(arrays) if i not in constants]
    out = fn(F, *args)
    v = make(rng.standard_normal(tuple(out.shape)))
    grads = lib.autograd.grad((out * v).sum(), xs, create_graph=True)
    s = sum((g * make(rng.standard_normal(tuple(g.shape)), False)).sum() for g in grads)
    hv = lib.autograd.grad(s, xs + [v], allow_unused=True)
    numpy = [np.asarray(g.detach().cpu().numpy() if lib is not mg else g.numpy()) for g in grads]
    return numpy, [np.zeros(np.shape(a)) if h is None else
                   np.asarray(h.detach().numpy() if lib is not mg else h.numpy())
                   for a, h in zip(arrays + [v.detach().numpy() if lib is not mg else v.numpy()], hv)]


def _compare_with_torch(fn, arrays, constants=()):
    torch = pytest.importorskip('torch')
    ours = _second_order(mg, mF, fn, arrays, lambda a, g=True: mg.tensor(np.asarray(a), requires_grad=g), constants)
    theirs = _second_order(torch, torch.nn.functional, fn, arrays,
                           lambda a, g=True: torch.tensor(np.asarray(a), requires_grad=g), constants)
    for kind, a, b in (('gradient', ours[0], theirs[0]), ('Hessian-vector product', ours[1], theirs[1])):
        for i, (x, y) in enumerate(zip(a, b)):
            np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-10, err_msg=f'{kind} of input {i}')


# ----------------------------------------------------------------------------- convolutions

CONV = [  # stride, padding, dilation, groups, bias
    (1, 0, 1, 1, True), (2, 1, 1, 1, False), (1, 2, 2, 1, True), (2, 1, 1, 2, True), (3, 0, 1, 1, True)]


@pytest.mark.parametrize('stride,padding,dilation,groups,bias', CONV)
def test_conv2d(stride, padding, dilation, groups, bias):
    def fn(F, x, w, *b):
        return F.conv2d(x, w, *b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    _check(fn, [(1, 2, 5, 4), (2, 2 // groups, 2, 2)] + [(2,)] * bias)


CONV_T = [  # stride, padding, output_padding, dilation, groups, bias
    (1, 0, 0, 1, 1, True), (2, 1, 1, 1, 1, False), (2, 0, 1, 2, 2, True), (3, 1, 2, 1, 1, True)]


@pytest.mark.parametrize('stride,padding,output_padding,dilation,groups,bias', CONV_T)
def test_conv_transpose2d(stride, padding, output_padding, dilation, groups, bias):
    def fn(F, x, w, *b):
        return F.conv_transpose2d(x, w, *b, stride=stride, padding=padding, output_padding=output_padding,
                                  dilation=dilation, groups=groups)
    _check(fn, [(1, 2, 3, 2), (2, 4 // groups, 2, 2)] + [(4,)] * bias)


def test_conv2d_stack_with_a_larger_grid_against_torch():
    """Larger shapes than finite differences afford: a conv -> leaky_relu -> conv_transpose chain."""
    def fn(F, x, w1, b1, w2):
        h = F.leaky_relu(F.conv2d(x, w1, b1, stride=2, padding=1, groups=2), 0.2)
        return F.conv_transpose2d(h, w2, stride=2, padding=1, output_padding=1, dilation=1)
    _compare_with_torch(fn, _inputs([(2, 4, 9, 8), (6, 2, 3, 3), (6,), (6, 3, 3, 3)]))


# ----------------------------------------------------------------------------- dense and activations

@pytest.mark.parametrize('case', ['linear', 'linear_no_bias', 'batched', 'vector_left', 'vector_right'])
def test_linear_and_matmul(case):
    fn, shapes = {
        'linear': (lambda F, x, w, b: F.linear(x, w, b), [(3, 4), (2, 4), (2,)]),
        'linear_no_bias': (lambda F, x, w: F.linear(x, w), [(2, 3, 4), (5, 4)]),
        'batched': (lambda F, a, b: a @ b, [(2, 3, 4), (4, 2)]),
        'vector_left': (lambda F, a, b: a @ b, [(4,), (2, 4, 3)]),
        'vector_right': (lambda F, a, b: a @ b, [(3, 4), (4,)]),
    }[case]
    _check(fn, shapes)


ACTIVATIONS = {
    'relu': lambda F, x: F.relu(x),
    'leaky_relu': lambda F, x: F.leaky_relu(x, 0.2),
    'sigmoid': lambda F, x: F.sigmoid(x) if F is mF else x.sigmoid(),
    'tanh': lambda F, x: F.tanh(x) if F is mF else x.tanh(),
    'softmax': lambda F, x: F.softmax(x, dim=1),
    'log_softmax': lambda F, x: F.log_softmax(x, dim=-1),
}


@pytest.mark.parametrize('name', sorted(ACTIVATIONS))
def test_activations(name):
    _check(ACTIVATIONS[name], [(3, 4)])


# ----------------------------------------------------------------------------- pooling and resampling

@pytest.mark.parametrize('kernel,stride,padding,dilation,ceil', [
    (2, 2, 0, 1, False), (3, 2, 1, 1, True), (2, 1, 1, 2, False), (3, 3, 1, 1, True)])
def test_max_pool2d(kernel, stride, padding, dilation, ceil):
    def fn(F, x):  # squared, so the second derivative is not zero: 2·scatter(v)
        return F.max_pool2d(x * x, kernel, stride, padding, dilation, ceil_mode=ceil)
    _check(fn, [(1, 2, 5, 6)])


def test_max_pool2d_with_indices_and_unpool():
    def fn(F, x):
        y, idx = F.max_pool2d(x * x, 2, return_indices=True)
        return F.max_unpool2d(y * y, idx, 2, output_size=(5, 4))
    _check(fn, [(2, 1, 5, 4)])


@pytest.mark.parametrize('kernel,stride,padding,ceil,count_include_pad,divisor', [
    (2, 2, 0, False, True, None), (3, 2, 1, True, False, None), (3, 1, 1, False, True, 5)])
def test_avg_pool2d(kernel, stride, padding, ceil, count_include_pad, divisor):
    def fn(F, x):
        return F.avg_pool2d(x * x, kernel, stride, padding, ceil, count_include_pad, divisor)
    _check(fn, [(1, 2, 5, 4)])


@pytest.mark.parametrize('mode,align_corners', [('nearest', None), ('bilinear', False), ('bilinear', True)])
def test_interpolate(mode, align_corners):
    def fn(F, x):
        return F.interpolate(x * x, size=(5, 3), mode=mode, align_corners=align_corners)
    _check(fn, [(1, 2, 3, 2)])


# ----------------------------------------------------------------------------- normalisation

@pytest.mark.parametrize('kind', ['batch', 'instance'])
@pytest.mark.parametrize('training', [True, False])
@pytest.mark.parametrize('affine', [True, False])
def test_norms(kind, training, affine):
    rng = np.random.default_rng(3)
    stats = (rng.standard_normal(2), rng.uniform(0.5, 2, 2))

    def fn(F, x, *wb):
        lib = mg if F is mF else __import__('torch')
        mean, var = (lib.tensor(s.copy()) for s in stats)   # fresh copies: training updates them
        if kind == 'batch':
            return F.batch_norm(x, mean, var, *wb, training=training)
        return F.instance_norm(x, mean, var, *wb, use_input_stats=training)
    _check(fn, [(3, 2, 2, 2)] + [(2,), (2,)] * affine, atol=1e-5, rtol=1e-3)


# ----------------------------------------------------------------------------- dropout, losses, var

def test_dropout_with_a_fixed_mask():
    keep = np.random.default_rng(5).random((3, 4)) > 0.5

    def fn(F, x):
        if F is mF:
            return Dropout.apply(x * x, keep=mg.tensor(keep).array, scale=2.0)   # (on the active backend)
        return x * x * __import__('torch').tensor(keep) * 2.0
    _check(fn, [(3, 4)])


LOSSES = {  # fn, inputs in (0, 1), inputs without a gradient (weights)
    'mse': (lambda F, x, y: F.mse_loss(x, y), [], []),
    'mse_sum': (lambda F, x, y: F.mse_loss(x * x, y, reduction='sum'), [], []),
    'l1': (lambda F, x, y: F.l1_loss(x * x, y), [], []),
    'bce_logits': (lambda F, x, y: F.binary_cross_entropy_with_logits(x, y), [1], []),
    'bce_logits_weights': (lambda F, x, y, w, p: F.binary_cross_entropy_with_logits(
        x, y, weight=w, pos_weight=p, reduction='none'), [1, 2, 3], [2, 3]),
    'bce': (lambda F, x, y: F.binary_cross_entropy(x, y), [0, 1], []),
    'bce_weight': (lambda F, x, y, w: F.binary_cross_entropy(x, y, weight=w, reduction='sum'), [0, 1, 2], [2]),
}


@pytest.mark.parametrize('name', sorted(LOSSES))
def test_losses(name):
    fn, positive, constants = LOSSES[name]
    shapes = [(3, 4), (3, 4), (3, 4), (4,)][:fn.__code__.co_argcount - 1]
    _check(fn, shapes, positive=positive, constants=constants)


@pytest.mark.parametrize('dim,unbiased', [(None, True), (1, True), (0, False)])
def test_var(dim, unbiased):
    _check(lambda F, x: x.var(dim, unbiased=unbiased) if dim is not None else x.var(unbiased=unbiased), [(3, 4)])


# ----------------------------------------------------------------------------- cross entropy, NLL, smooth L1

def _class_indices(input_shape, ignore_index, seed=4):
    """Integer targets for logits of ``input_shape``, one pixel set to ``ignore_index`` (and, when
    that is a class, another one to it too) unless the input is unbatched (one pixel only)."""
    c = input_shape[0] if len(input_shape) == 1 else input_shape[1]
    pixels = () if len(input_shape) == 1 else (input_shape[0],) + tuple(input_shape[2:])
    y = np.random.default_rng(seed).integers(0, c, pixels)
    if y.ndim:
        y.reshape(-1)[0] = ignore_index
        if 0 <= ignore_index < c:
            y.reshape(-1)[-1] = (ignore_index + 1) % c   # a kept pixel too
            y.reshape(-1)[1] = ignore_index
    return y


def _lib(F):
    return mg if F is mF else __import__('torch')


CE = [  # target kind, input shape, reduction, class weights, label_smoothing, ignore_index
    ('index', (3, 4), 'mean', False, 0.0, -100),
    ('index', (3, 4), 'sum', True, 0.0, -100),
    ('index', (3, 4), 'none', False, 0.2, -100),
    ('index', (2, 4, 3, 2), 'mean', True, 0.2, -100),
    ('index', (2, 4, 3, 2), 'mean', False, 0.0, 2),
    ('index', (2, 4, 3, 2), 'none', True, 0.0, -100),
    ('index', (2, 4, 3, 2), 'sum', True, 0.3, 1),
    ('index', (4,), 'mean', True, 0.1, -100),
    ('index', (4,), 'none', False, 0.0, -100),
    ('prob', (3, 4), 'mean', False, 0.0, -100),
    ('prob', (3, 4), 'sum', True, 0.2, -100),
    ('prob', (2, 4, 3, 2), 'mean', True, 0.2, -100),
    ('prob', (2, 4, 3, 2), 'none', False, 0.1, -100),
    ('prob', (2, 4, 3, 2), 'sum', False, 0.0, -100),
    ('prob', (4,), 'none', True, 0.0, -100),
    ('prob', (4,), 'mean', False, 0.3, -100),
]


@pytest.mark.parametrize('kind,shape,reduction,weighted,eps,ignore_index', CE)
def test_cross_entropy(kind, shape, reduction, weighted, eps, ignore_index):
    """Every target kind, reduction and option; soft targets are differentiated too."""
    c = shape[0] if len(shape) == 1 else shape[1]
    y = _class_indices(shape, ignore_index)
    opts = dict(reduction=reduction, label_smoothing=eps)

    def fn(F, x, *rest):
        if kind == 'index':
            w = rest[0] if weighted else None
            return F.cross_entropy(x, _lib(F).tensor(y), w, ignore_index=ignore_index, **opts)
        return F.cross_entropy(x, rest[0], rest[1] if weighted else None, **opts)
    shapes = [shape] + [shape] * (kind == 'prob') + [(c,)] * weighted
    _check(fn, shapes, positive=range(1, len(shapes)), constants=[len(shapes) - 1] if weighted else [])


@pytest.mark.parametrize('kind', ['index', 'prob'])
@pytest.mark.parametrize('reduction', ['mean', 'sum', 'none'])
def test_cross_entropy_pixel_weight(kind, reduction):
    """minigrad's per-pixel weight v (with class weights and smoothing): torch spells it out as
    v · (per-pixel loss), then the same reduction (class targets: 'mean' divides by Σ w_{y_i})."""
    shape, eps = (2, 3, 2, 2), 0.1
    y = _class_indices(shape, -100)

    def fn(F, x, *rest):
        *q, w, v = rest
        target = q[0] if q else _lib(F).tensor(y)
        if F is mF:
            return F.cross_entropy(x, target, w, reduction=reduction, label_smoothing=eps, pixel_weight=v)
        per = F.cross_entropy(x, target, w, reduction='none', label_smoothing=eps) * v
        if reduction == 'mean':
            denom = per.numel() if q else (w[target.clamp(min=0)] * (target >= 0)).sum()
            return per.sum() / denom
        return per.sum() if reduction == 'sum' else per
    shapes = [shape] + [shape] * (kind == 'prob') + [(3,), (2, 2, 2)]
    n = len(shapes)
    _check(fn, shapes, positive=range(1, n), constants=[n - 2, n - 1])


def test_cross_entropy_soft_target_without_gradient_and_a_conv_before_it():
    """A segmentation head: logits from a convolution, probability targets that are data."""
    q = _inputs([(2, 3, 3, 3)], seed=6, positive=[0])[0]
    q /= q.sum(axis=1, keepdims=True)

    def fn(F, x, w):
        return F.cross_entropy(F.conv2d(x, w, padding=1), _lib(F).tensor(q), label_smoothing=0.1)
    _check(fn, [(2, 2, 3, 3), (3, 2, 3, 3)])


@pytest.mark.parametrize('loss', ['cross_entropy', 'nll_loss'])
def test_every_target_ignored(loss):
    """'mean' over no kept pixel is NaN (0/0) and its gradient exactly 0 (as torch), so every
    derivative of that gradient is 0 too: in x (as torch) and in the cotangent v (torch: NaN)."""
    x = t64(np.random.default_rng(0).standard_normal((3, 4)))
    v = t64(np.array(1.5))
    out = getattr(mF, loss)(x * x, mg.tensor(np.full(3, -100)), reduction='mean')
    assert np.isnan(out.item())
    g, = mg.autograd.grad(out, x, v, create_graph=True)
    hx, hv = mg.autograd.grad((g * g).sum() + (g * x).sum(), [x, v])
    for a in (g, hx, hv):
        np.testing.assert_array_equal(a.numpy(), 0.0)


NLL = [  # input shape, reduction, class weights, ignore_index
    ((3, 4), 'mean', False, -100), ((3, 4), 'sum', True, 1), ((2, 4, 3, 2), 'mean', True, -100),
    ((2, 4, 3, 2), 'none', False, 2), ((4,), 'none', True, -100), ((4,), 'mean', False, -100)]


@pytest.mark.parametrize('shape,reduction,weighted,ignore_index', NLL)
@pytest.mark.parametrize('before', ['log_softmax', 'square'])
def test_nll_loss(shape, reduction, weighted, ignore_index, before):
    """NLL's own second derivative in x is 0; through log_softmax (or a square) it is not, and the
    mixed term with the cotangent is checked in either case."""
    y = _class_indices(shape, ignore_index)
    dim = 0 if len(shape) == 1 else 1

    def fn(F, x, *w):
        z = F.log_softmax(x, dim=dim) if before == 'log_softmax' else x * x
        return F.nll_loss(z, _lib(F).tensor(y), *w, ignore_index=ignore_index, reduction=reduction)
    c = shape[dim]
    _check(fn, [shape] + [(c,)] * weighted, positive=[1], constants=[1])


@pytest.mark.parametrize('beta', [0.0, 0.5, 1.0, 2.5])
@pytest.mark.parametrize('reduction', ['mean', 'sum', 'none'])
def test_smooth_l1_loss(beta, reduction):
    """Both zones (|d| < β: d²/2β, else |d| − β/2) occur with these inputs; β = 0 is L1."""
    def fn(F, x, y):
        return F.smooth_l1_loss(x * x, y, reduction=reduction, beta=beta)
    _check(fn, [(3, 4), (3, 4)])


# ----------------------------------------------------------------------------- reflect / replicate pad

PADS = [  # input shape, pad (from the last axis)
    ((2, 5), (2, 1)), ((1, 2, 5), (0, 3)), ((1, 2, 4, 5), (1, 2, 2, 0)), ((1, 1, 3, 4, 3), (1, 0, 2, 1, 1, 1))]


@pytest.mark.parametrize('mode', ['reflect', 'replicate'])
@pytest.mark.parametrize('shape,pad', PADS)
def test_pad(mode, shape, pad):
    def fn(F, x):  # squared: the second derivative is 2·PadGrad(v), not 0
        return F.pad(x * x, pad, mode=mode)
    _check(fn, [shape])


@pytest.mark.parametrize('mode', ['reflect', 'replicate'])
def test_pad_then_conv_and_a_third_derivative(mode):
    """pix2pix's ResNet blocks pad by reflection before a convolution; the grad of the grad is a
    pad again (PadGrad's backward), so a third derivative exists too."""
    def fn(F, x, w):
        return F.conv2d(F.pad(x, (1, 1, 1, 1), mode=mode), w)
    _check(fn, [(1, 2, 4, 5), (2, 2, 3, 3)])
    x = t64(np.random.default_rng(7).standard_normal((1, 1, 3, 4)))
    count, = mg.autograd.grad(mF.pad(x, (2, 1, 1, 2), mode=mode).sum(), x)   # copies of each pixel
    g, = mg.autograd.grad(mF.pad(x * x * x, (2, 1, 1, 2), mode=mode).sum(), x, create_graph=True)
    h, = mg.autograd.grad(g.sum(), x, create_graph=True)
    k, = mg.autograd.grad(h.sum(), x)
    np.testing.assert_allclose(g.numpy(), 3 * x.numpy() ** 2 * count.numpy(), rtol=1e-12)
    np.testing.assert_allclose(h.numpy(), 6 * x.numpy() * count.numpy(), rtol=1e-12)
    np.testing.assert_allclose(k.numpy(), 6 * count.numpy(), rtol=1e-12)
    assert count.numpy().min() >= 1 and count.numpy().max() > 1


# ----------------------------------------------------------------------------- the contract

class _ArrayOnlyTwice(Function):
    """z = 2a, with a backward that does not declare itself differentiable."""

    @staticmethod
    def forward(ctx, a):
        return 2 * a

    @staticmethod
    def backward(ctx, grad):
        return 2 * grad


def test_an_op_without_a_differentiable_backward_is_a_clear_error():
    x = t64(np.ones((2, 3)))
    y = _ArrayOnlyTwice.apply(x).sum()
    with pytest.raises(RuntimeError, match="_ArrayOnlyTwice's backward is not written"):
        mg.autograd.grad(y, x, create_graph=True)
    g, = mg.autograd.grad(_ArrayOnlyTwice.apply(x).sum(), x)   # first order: fine
    np.testing.assert_array_equal(g.numpy(), 2.0)


def test_saved_indices_and_masks_stay_constants_under_create_graph():
    """A max-pool's returned indices are a saved output, a dropout mask a saved input: neither
    becomes a Tensor that wants a gradient when the backward runs on Tensors."""
    x = t64(np.random.default_rng(0).standard_normal((1, 1, 4, 4)))
    y, idx = mF.max_pool2d(x * x, 2, return_indices=True)
    g, = mg.autograd.grad(y.sum(), x, create_graph=True)
    assert g.requires_grad and not idx.requires_grad
    h, = mg.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), 2 * (g.numpy() != 0))   # d/dx Σ 2x·[x is a window's max]


def test_every_op_has_a_differentiable_backward():
    """Every Function in minigrad.ops (plain and fast kernels alike) can be differentiated again:
    a new op without it fails here, not silently in somebody's gradient penalty."""
    import importlib
    import inspect
    import pkgutil

    import minigrad.ops
    missing = []
    for info in pkgutil.walk_packages(minigrad.ops.__path__, 'minigrad.ops.'):
        module = importlib.import_module(info.name)
        missing += [f'{module.__name__}.{name}' for name, cls in vars(module).items()
                    if inspect.isclass(cls) and issubclass(cls, Function) and cls.__module__ == module.__name__
                    and not cls.differentiable_backward]
    assert not missing
