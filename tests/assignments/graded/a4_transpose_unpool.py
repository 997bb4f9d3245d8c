"""Graded checks of assignment 4 (assignments/a4_transpose_unpool.md): going up.

The transposed convolution's forward and backward loops (minigrad/ops/reference.py)
are called separately, and so are the unpooling scatter and gather (both the
vectorised ``unpool_forward``/``unpool_backward`` of minigrad/ops/pool.py and
the loops of reference_pool.py), with pooling indices the grader drew.
"""
import numpy as np

from minigrad.assign.checks import graded
from minigrad.ops import pool as P
from minigrad.ops import reference as R
from minigrad.ops import reference_pool as RP


def _size(n, k, s, p, d, op):
    return (n - 1) * s - 2 * p + d * (k - 1) + op + 1


def transpose_case(x_shape, w_shape, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    def make(rng):
        out = [_size(x_shape[2 + a], w_shape[2 + a], stride, padding, dilation, output_padding) for a in range(2)]
        return dict(x=rng.standard_normal(x_shape), weight=rng.standard_normal(w_shape),
                    bias=rng.standard_normal(w_shape[1] * groups),
                    grad=rng.standard_normal((x_shape[0], w_shape[1] * groups, *out)))
    return make


# ---------------------------------------------------------------- a4_conv_transpose
@graded('a4_conv_transpose', points=2, inputs=transpose_case((1, 2, 3, 3), (2, 2, 3, 3), 2, 1, 1))
def conv_transpose_output_padding(x, weight, bias, grad):
    """2 -> 2 channels, 3x3 kernel, stride 2, padding 1, output_padding 1, with bias."""
    return {'y': R.conv_transpose2d_forward(x, weight, bias, stride=2, padding=1, output_padding=1)}


@graded('a4_conv_transpose', inputs=transpose_case((2, 4, 3, 2), (4, 1, 2, 3), 2, 0, 0, dilation=2, groups=2))
def conv_transpose_groups_dilation(x, weight, bias, grad):
    """2 groups, dilation 2, stride 2, no bias."""
    return {'y': R.conv_transpose2d_forward(x, weight, None, stride=2, dilation=2, groups=2)}


# ------------------------------------------------------- a4_conv_transpose_backward
CASES = [dict(stride=2, padding=1, output_padding=1), dict(stride=1, padding=0), dict(stride=2, padding=0, dilation=2)]


def _cases(rng):
    return {f'{name}{k}': value for k, options in enumerate(CASES)
            for name, value in transpose_case((2, 2, 3, 3), (2, 3, 3, 3), **options)(rng).items()}


def _backward_all(arrays):
    return [R.conv_transpose2d_backward(arrays[f'grad{k}'], arrays[f'x{k}'], arrays[f'weight{k}'], **options)
            for k, options in enumerate(CASES)]


@graded('a4_conv_transpose_backward', points=2, inputs=_cases)
def conv_transpose_backward_input(**arrays):
    """dL/dx for stride 2 with output_padding / stride 1 / dilation 2."""
    return {f'{CASES[k]}: dL/dx': dx for k, (dx, _, _) in enumerate(_backward_all(arrays))}


@graded('a4_conv_transpose_backward', points=2, inputs=_cases)
def conv_transpose_backward_weight(**arrays):
    """dL/dweight, same cases."""
    return {f'{CASES[k]}: dL/dweight': dw for k, (_, dw, _) in enumerate(_backward_all(arrays))}


@graded('a4_conv_transpose_backward', inputs=transpose_case((1, 4, 3, 3), (4, 1, 3, 3), 2, 1, groups=2))
def conv_transpose_backward_groups_bias(x, weight, bias, grad):
    """Everything at once: 2 groups, stride 2, padding 1, and dL/dbias."""
    dx, dw, db = R.conv_transpose2d_backward(grad, x, weight, stride=2, padding=1, groups=2)
    return {'dL/dx': dx, 'dL/dweight': dw, 'dL/dbias': db}


# -------------------------------------------------------------------- a4_max_unpool
def pool_case(n, c, h, w):
    """Values of a pooled map and the flat indices a 2x2 max-pool of an (h, w) map could have produced."""
    def make(rng):
        hh, ww = np.meshgrid(np.arange(h // 2), np.arange(w // 2), indexing='ij')
        di, dj = rng.integers(0, 2, (n, c, h // 2, w // 2)), rng.integers(0, 2, (n, c, h // 2, w // 2))
        return dict(x=rng.standard_normal((n, c, h // 2, w // 2)), indices=(2 * hh + di) * w + 2 * ww + dj,
                    grad=rng.standard_normal((n, c, h, w)))
    return make


@graded('a4_max_unpool', points=2, inputs=pool_case(2, 3, 6, 4))
def max_unpool_vectorised(x, indices, grad):
    """unpool_forward: each value at its index, zeros elsewhere."""
    return {'y': P.unpool_forward(x, indices, (6, 4))}


@graded('a4_max_unpool', inputs=pool_case(1, 2, 4, 6))
def max_unpool_loops(x, indices, grad):
    """The loop version max_unpool2d_forward in minigrad/ops/reference_pool.py."""
    return {'y': RP.max_unpool2d_forward(x, indices, (4, 6))}


# ----------------------------------------------------------- a4_max_unpool_backward
@graded('a4_max_unpool_backward', points=2, inputs=pool_case(2, 2, 6, 6))
def max_unpool_backward_vectorised(x, indices, grad):
    """unpool_backward: the gradient read back at the indices."""
    return {'dL/dx': P.unpool_backward(grad, indices)}


@graded('a4_max_unpool_backward', inputs=pool_case(1, 3, 4, 4))
def max_unpool_backward_loops(x, indices, grad):
    """The loop version max_unpool2d_backward."""
    return {'dL/dx': RP.max_unpool2d_backward(grad, indices)}
