"""Hidden graded checks of assignment 1: graded by the teacher's grader, left out of a
student release unless ``--with-hidden-tests`` (see docs/assignments.md)."""
import numpy as np

from minigrad.assign.checks import graded
from minigrad.function import Context
from minigrad.ops.elementwise import Mul
from minigrad.testing import t64


@graded('a1_mul_backward', inputs=lambda rng: {'a': rng.standard_normal((3, 4)).astype(np.float32),
                                               'b': rng.standard_normal((3, 4)).astype(np.float32),
                                               'g': rng.standard_normal((3, 4)).astype(np.float32)},
        rtol=1e-6, atol=1e-6)
def mul_backward_keeps_float32(a, b, g):
    """Gradients of float32 inputs stay float32."""
    ctx = Context((True, True))
    Mul.forward(ctx, a, b)
    da, db = Mul.backward(ctx, g)
    return {'dL/da': da, 'dL/db': db, 'dL/da is float32': np.asarray(da).dtype == np.float32,
            'dL/db is float32': np.asarray(db).dtype == np.float32}


@graded('a1_unbroadcast', inputs=lambda rng: {'a': rng.standard_normal((3, 1)), 'b': rng.standard_normal((1, 4)),
                                              'g': rng.standard_normal((3, 4))})
def broadcast_both_ways(a, b, g):
    """A column (3, 1) minus a row (1, 4) through the engine: both operands are stretched."""
    ta, tb = t64(a), t64(b)
    (ta - tb).backward(g)
    return {'dL/da': ta.grad, 'dL/db': tb.grad}
