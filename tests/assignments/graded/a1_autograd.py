"""Graded checks of assignment 1 (assignments/a1_autograd.md): backward passes by hand.

Each check runs one op's forward (given code) to fill the context, then *your*
backward on a gradient the grader chose, and returns what it gave back; the
grader compares it with the reference backward's result on the same arrays.
Only the backward under test runs, so every point lands on that function.
"""
from minigrad.assign.checks import graded
from minigrad.function import Context, unbroadcast
from minigrad.ops.activation import ReLU
from minigrad.ops.elementwise import Mul
from minigrad.ops.matmul import MatMul
from minigrad.ops.reduce import Sum
from minigrad.testing import t64


def _backward(op, arrays, grad, needs=None, **params):
    """op.forward then op.backward on plain arrays, as the engine would call them."""
    ctx = Context(needs or (True,) * len(arrays))
    op.forward(ctx, *arrays, **params)
    out = op.backward(ctx, grad)
    return out if isinstance(out, tuple) else (out,)


def _normal(*shapes):
    return lambda rng: {name: rng.standard_normal(shape) for name, shape in zip('abg', shapes)}


# ------------------------------------------------------------------ a1_mul_backward
@graded('a1_mul_backward', points=2, inputs=_normal((3, 4), (3, 4), (3, 4)))
def mul_backward(a, b, g):
    """z = a * b for two arrays of the same shape: dL/da and dL/db."""
    da, db = _backward(Mul, (a, b), g)
    return {'dL/da': da, 'dL/db': db}


@graded('a1_mul_backward', inputs=_normal((2, 5), (2, 5), (2, 5)))
def mul_backward_one_input_needs_grad(a, b, g):
    """Only a needs a gradient: backward returns None for b."""
    da, db = _backward(Mul, (a, b), g, needs=(True, False))
    return {'dL/da': da, 'dL/db': db}


# --------------------------------------------------------------- a1_matmul_backward
@graded('a1_matmul_backward', points=2, inputs=_normal((3, 4), (4, 5), (3, 5)))
def matmul_backward_matrices(a, b, g):
    """(3, 4) @ (4, 5): dL/da = g @ b^T and dL/db = a^T @ g."""
    da, db = _backward(MatMul, (a, b), g)
    return {'dL/da': da, 'dL/db': db}


@graded('a1_matmul_backward', inputs=lambda rng: {
    f'{name}{k}': rng.standard_normal(shape) for k, shapes in enumerate([((4,), (4, 5), (5,)), ((3, 4), (4,), (3,)),
                                                                        ((4,), (4,), ())])
    for name, shape in zip('abg', shapes)})
def matmul_backward_vectors(**arrays):
    """1-D operands: vector @ matrix, matrix @ vector and the dot product vector @ vector."""
    out = {}
    for k in range(3):
        da, db = _backward(MatMul, (arrays[f'a{k}'], arrays[f'b{k}']), arrays[f'g{k}'])
        out.update({f'case {k}: dL/da': da, f'case {k}: dL/db': db})
    return out


@graded('a1_matmul_backward', inputs=_normal((2, 3, 4), (2, 4, 5), (2, 3, 5)))
def matmul_backward_batched(a, b, g):
    """A batch of products (2, 3, 4) @ (2, 4, 5)."""
    da, db = _backward(MatMul, (a, b), g)
    return {'dL/da': da, 'dL/db': db}


# ------------------------------------------------------------------ a1_sum_backward
@graded('a1_sum_backward', inputs=_normal((3, 4), ()))
def sum_backward_all(a, b):
    """z = sum of every element: dL/da is g everywhere."""
    da, = _backward(Sum, (a,), b)
    return {'dL/da': da}


SUMS = [(0, False), (1, True), (-1, False), ((0, 2), False), ((0, 2), True)]


@graded('a1_sum_backward', points=2, inputs=lambda rng: dict(
    a=rng.standard_normal((2, 3, 4)),
    **{f'g{k}': rng.standard_normal(rng.standard_normal((2, 3, 4)).sum(axis=d, keepdims=keep).shape)
       for k, (d, keep) in enumerate(SUMS)}))
def sum_backward_axes(a, **grads):
    """Sums over one or several axes, with and without keepdim."""
    return {f'sum(axis={d}, keepdims={keep}): dL/da': _backward(Sum, (a,), grads[f'g{k}'], axis=d, keepdims=keep)[0]
            for k, (d, keep) in enumerate(SUMS)}


# ------------------------------------------------------------------- a1_unbroadcast
SHAPES = [(3, 1), (4,), (1, 1, 4), (), (2, 1, 4)]


@graded('a1_unbroadcast', points=2, inputs=lambda rng: {'g': rng.standard_normal((2, 3, 4))})
def unbroadcast_shapes(g):
    """unbroadcast itself: a (2, 3, 4) gradient summed back to shapes (3, 1), (4,), (1, 1, 4), (), (2, 1, 4)."""
    return {f'unbroadcast to {shape}': unbroadcast(g, shape) for shape in SHAPES}


@graded('a1_unbroadcast', points=2, inputs=lambda rng: dict(
    a=rng.standard_normal((2, 3, 4)), g=rng.standard_normal((2, 3, 4)),
    **{f'b{k}': rng.standard_normal(s) for k, s in enumerate([(3, 1), (4,), (1, 3, 4)])}))
def broadcast_add_backward(a, g, **bs):
    """a + b through the engine, with b broadcast from (3, 1), (4,) and (1, 3, 4) against a of shape (2, 3, 4)."""
    out = {}
    for k in range(3):
        ta, tb = t64(a), t64(bs[f'b{k}'])
        (ta + tb).backward(g)
        out.update({f'b of shape {tb.shape}: dL/da': ta.grad, f'b of shape {tb.shape}: dL/db': tb.grad})
    return out


@graded('a1_unbroadcast', inputs=_normal((2, 3, 4, 5), (3, 1, 5), (2, 3, 4, 5)))
def broadcast_sub_backward(a, b, g):
    """a - b through the engine, a (2, 3, 4, 5) and b (3, 1, 5): an axis prepended and one stretched."""
    ta, tb = t64(a), t64(b)
    (ta - tb).backward(g)
    return {'dL/da': ta.grad, 'dL/db': tb.grad}


# ----------------------------------------------------------------- a1_relu_backward
@graded('a1_relu_backward', points=2, inputs=_normal((4, 5), (4, 5)))
def relu_backward(a, b):
    """relu's backward on random values: dL/da = g where a > 0, else 0."""
    da, = _backward(ReLU, (a,), b)
    return {'dL/da': da}


@graded('a1_relu_backward', inputs=lambda rng: {'a': rng.integers(-1, 2, (3, 5)).astype(float),
                                                'g': rng.standard_normal((3, 5))})
def relu_backward_at_zero(a, g):
    """Inputs -1, 0 and 1: at exactly 0 the gradient is 0 (PyTorch's convention)."""
    da, = _backward(ReLU, (a,), g)
    return {'dL/da': da}
