"""Elementwise ops: values against NumPy, float64 gradchecks, broadcasting, extremes."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.testing import as_numpy, assert_close, t64

SHAPE_PAIRS = [((3, 4), (3, 4)), ((2, 3, 4, 5), (1, 3, 1, 1)), ((3, 4), ()), ((4,), (2, 3, 4)), ((2, 1), (1, 3))]
BINARY = {
    'add': (lambda a, b: a + b, np.add),
    'sub': (lambda a, b: a - b, np.subtract),
    'mul': (lambda a, b: a * b, np.multiply),
    'div': (lambda a, b: a / b, np.divide),
    'pow': (lambda a, b: a ** b, np.power),
    'maximum': (mg.maximum, np.maximum),
    'minimum': (mg.minimum, np.minimum),
}


@pytest.mark.parametrize('name', sorted(BINARY))
@pytest.mark.parametrize('shapes', SHAPE_PAIRS)
def test_binary_value_and_grad(name, shapes, rng):
    fn, ref = BINARY[name]
    a = rng.uniform(0.5, 2.0, shapes[0])
    b = rng.uniform(0.5, 2.0, shapes[1])
    out = fn(t64(a), t64(b))
    assert out.shape == np.broadcast_shapes(a.shape, b.shape)
    assert_close(out, ref(a, b), rtol=1e-12)
    assert mg.gradcheck(fn, [t64(a), t64(b)])


@pytest.mark.parametrize('name,ref', [('exp', np.exp), ('log', np.log), ('sqrt', np.sqrt),
                                      ('abs', np.abs), ('neg', np.negative), ('tanh', np.tanh)])
def test_unary_value_and_grad(name, ref, rng):
    a = rng.uniform(0.3, 2.0, (3, 5)) * rng.choice([-1, 1], (3, 5)) if name in ('abs', 'neg', 'tanh') \
        else rng.uniform(0.3, 2.0, (3, 5))
    fn = (lambda x: -x) if name == 'neg' else (lambda x: getattr(x, name)())
    assert_close(fn(t64(a)), ref(a), rtol=1e-12)
    assert mg.gradcheck(fn, [t64(a)])


def test_python_scalars_do_not_upcast_float32():
    x = mg.tensor([1.0, 2.0])
    for y in (x + 1, 1 + x, x * 2.5, 2.5 / x, x ** 2, 1 - x, x / 3):
        assert y.dtype == np.float32


def test_reverse_operators_match(rng):
    a = rng.uniform(1, 2, (4,))
    assert_close(2 - t64(a), 2 - a)
    assert_close(2 / t64(a), 2 / a)
    assert_close(2 ** t64(a), 2 ** a)
    assert mg.gradcheck(lambda x: 2 ** x, [t64(a)])


def test_clamp_gradient_is_masked(rng):
    a = np.array([-2.0, -0.5, 0.2, 0.7, 3.0])
    x = t64(a)
    y = x.clamp(-1, 1)
    assert_close(y, np.clip(a, -1, 1))
    y.sum().backward()
    assert_close(x.grad, [0, 1, 1, 1, 0])
    assert mg.gradcheck(lambda t: t.clamp(min=0.0), [t64(rng.uniform(0.1, 1, 4) * [1, -1, 1, -1])])


def test_where_routes_gradient(rng):
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    cond = a > b
    out = mg.where(mg.tensor(cond), t64(a), t64(b))
    assert_close(out, np.where(cond, a, b))
    assert mg.gradcheck(lambda x, y: mg.where(mg.tensor(cond), x, y), [t64(a), t64(b)])


def test_maximum_ties_split_gradient():
    x, y = t64([1.0, 2.0]), t64([1.0, 0.0])
    mg.maximum(x, y).sum().backward()
    assert_close(x.grad, [0.5, 1.0])
    assert_close(y.grad, [0.5, 0.0])


def test_gradient_accumulates_and_reuse():
    x = t64([3.0])
    (x * x + x).sum().backward()       # d/dx (x² + x) = 2x + 1 = 7
    assert_close(x.grad, [7.0])
    (x * 2).sum().backward()            # accumulates
    assert_close(x.grad, [9.0])


def test_empty_and_size_one_axes(rng):
    a = np.zeros((0, 3))
    out = t64(a) * 2
    assert out.shape == (0, 3)
    out.sum().backward()
    b = rng.standard_normal((1, 3, 1))
    assert mg.gradcheck(lambda x, y: x * y, [t64(b), t64(rng.standard_normal((4, 1, 5)))])


def test_extreme_values_stay_finite():
    x = mg.tensor([1e4, -1e4, 0.0], requires_grad=True)
    y = x.sigmoid()
    assert np.all(np.isfinite(y.numpy()))
    assert_close(y, [1.0, 0.0, 0.5])
    y.sum().backward()
    assert np.all(np.isfinite(as_numpy(x.grad)))


def test_mixed_backends_error_names_both():
    backend = pytest.importorskip('cupy')
    if not mg.backend.cupy_available():
        pytest.skip('no GPU: mixing backends needs one')
    a = mg.tensor(np.ones(3)).to('cpu')
    b = mg.tensor(np.ones(3)).to('gpu')
    with pytest.raises(ValueError, match='numpy.*cupy|cupy.*numpy'):
        a + b
