"""gradcheck itself: passes correct ops, catches a wrong gradient and names the worst element."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.function import Function
from minigrad.testing import t64


class WrongSquare(Function):
    """z = a²  with a deliberately wrong backward (3a instead of 2a) at one element."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * a

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved
        g = 2 * a * grad
        g.reshape(-1)[3] *= 1.5
        return g


def test_gradcheck_passes_correct_op(rng):
    assert mg.gradcheck(lambda x: x * x, [t64(rng.standard_normal((2, 3)))])


def test_gradcheck_reports_worst_element(rng):
    a = rng.uniform(1, 2, (2, 3))
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(WrongSquare.apply, [t64(a)])
    worst = info.value.worst
    assert worst['input'] == 0 and worst['index'] == (1, 0)
    assert 'analytic' in str(info.value) and 'numeric' in str(info.value)
    assert not mg.gradcheck(WrongSquare.apply, [t64(a)], raise_exception=False)


def test_gradcheck_requires_float64():
    with pytest.raises(TypeError, match='float64'):
        mg.gradcheck(lambda x: x * 2, [mg.tensor([1.0], requires_grad=True)])


def test_gradcheck_multiple_outputs(rng):
    a = rng.standard_normal(4)
    assert mg.gradcheck(lambda x: (x * 2, x.exp()), [t64(a)])


def test_gradcheck_names_the_function_and_shapes_of_a_wrong_gradient():
    class Doubled(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, grad):
            return grad[:1]          # one row short

    x = t64(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"Doubled\.backward returned a gradient of shape \(1, 3\) "
                                         r"for input 0 of shape \(2, 3\)"):
        mg.gradcheck(Doubled.apply, [x])

