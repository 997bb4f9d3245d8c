"""Hidden graded tests of assignment 1: run by the teacher's grader, left out of a
release made with ``--no-hidden-tests`` (see docs/assignments.md)."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.testing import t32, t64


@pytest.mark.a1_mul_backward
def test_mul_backward_keeps_float32(rng):
    """Gradients of float32 inputs stay float32."""
    a = t32(rng.standard_normal((3, 4)), requires_grad=True)
    b = t32(rng.standard_normal((3, 4)), requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float32, \
        f"gradient dtypes {a.grad.dtype}, {b.grad.dtype}; expected float32"


@pytest.mark.a1_unbroadcast
def test_broadcast_both_ways(rng):
    """A column (3, 1) plus a row (1, 4): both operands are stretched."""
    mg.gradcheck(lambda a, b: a * b + a, [t64(rng.standard_normal((3, 1))), t64(rng.standard_normal((1, 4)))])
