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


# ----------------------------------------------------------------------------- the contract

def test_an_op_without_a_differentiable_backward_is_a_clear_error():
    x = t64(np.ones((2, 3)))
    y = mF.smooth_l1_loss(x, t64(np.zeros((2, 3)), requires_grad=False))
    with pytest.raises(RuntimeError, match="SmoothL1Loss's backward is not written"):
        mg.autograd.grad(y, x, create_graph=True)


def test_saved_indices_and_masks_stay_constants_under_create_graph():
    """A max-pool's returned indices are a saved output, a dropout mask a saved input: neither
    becomes a Tensor that wants a gradient when the backward runs on Tensors."""
    x = t64(np.random.default_rng(0).standard_normal((1, 1, 4, 4)))
    y, idx = mF.max_pool2d(x * x, 2, return_indices=True)
    g, = mg.autograd.grad(y.sum(), x, create_graph=True)
    assert g.requires_grad and not idx.requires_grad
    h, = mg.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), 2 * (g.numpy() != 0))   # d/dx Σ 2x·[x is a window's max]
