"""Graded checks of assignment 2 (assignments/a2_conv_naive.md): convolution with loops.

The forward checks call ``conv2d_forward`` of minigrad/ops/reference.py; the
backward checks call ``conv2d_backward`` directly with an output gradient the
grader chose, so they never run your forward: a wrong forward costs the
forward's points only.
"""
from minigrad.assign.checks import graded
from minigrad.ops import reference as R


def _size(n, k, s, p, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def conv_case(x_shape, w_shape, stride=1, padding=0, dilation=1, bias=True):
    """inputs(rng) for a convolution: x, weight, bias and an output gradient of the right shape."""
    def make(rng):
        out = [_size(x_shape[2 + a], w_shape[2 + a], stride, padding, dilation) for a in range(2)]
        arrays = dict(x=rng.standard_normal(x_shape), weight=rng.standard_normal(w_shape),
                      grad=rng.standard_normal((x_shape[0], w_shape[0], *out)))
        if bias:
            arrays['bias'] = rng.standard_normal(w_shape[0])
        return arrays
    return make


# ------------------------------------------------------------------ a2_conv_forward
@graded('a2_conv_forward', points=2, inputs=conv_case((2, 2, 5, 5), (3, 2, 3, 3), stride=2, padding=1))
def conv_forward_stride_padding(x, weight, bias, grad):
    """2 -> 3 channels, 3x3 kernel, stride 2, padding 1, with bias."""
    return {'y': R.conv2d_forward(x, weight, bias, stride=2, padding=1)}


@graded('a2_conv_forward', inputs=conv_case((1, 4, 6, 6), (4, 2, 2, 2), dilation=2, bias=False))
def conv_forward_dilation_groups(x, weight, grad):
    """Dilation 2 and 2 groups: each output channel sees only its group's 2 input channels."""
    return {'y': R.conv2d_forward(x, weight, None, dilation=2, groups=2)}


@graded('a2_conv_forward', inputs=conv_case((2, 3, 5, 6), (2, 3, 1, 3), padding=1))
def conv_forward_rectangular_kernel(x, weight, bias, grad):
    """A 1x3 kernel with padding 1 on a 5x6 input (rows and columns handled separately)."""
    return {'y': R.conv2d_forward(x, weight, bias, padding=1)}


@graded('a2_conv_forward', inputs=conv_case((1, 2, 7, 8), (3, 2, 2, 3), stride=3, bias=False))
def conv_forward_stride_beyond_kernel(x, weight, grad):
    """Stride 3 with a 2x3 kernel: some pixels are never read."""
    return {'y': R.conv2d_forward(x, weight, None, stride=3)}


# ----------------------------------------------------------------- a2_conv_backward
CASES = [dict(stride=1, padding=1), dict(stride=2, padding=0), dict(stride=1, padding=2, dilation=2)]


def _cases(rng):
    arrays = {}
    for k, options in enumerate(CASES):
        for name, value in conv_case((2, 2, 5, 5), (3, 2, 3, 3), bias=False, **options)(rng).items():
            arrays[f'{name}{k}'] = value
    return arrays


def _backward_all(arrays):
    return [R.conv2d_backward(arrays[f'grad{k}'], arrays[f'x{k}'], arrays[f'weight{k}'], **options)
            for k, options in enumerate(CASES)]


@graded('a2_conv_backward', points=2, inputs=_cases)
def conv_backward_input(**arrays):
    """dL/dx for stride 1 / stride 2 / dilation 2."""
    return {f'{CASES[k]}: dL/dx': dx for k, (dx, _, _) in enumerate(_backward_all(arrays))}


@graded('a2_conv_backward', points=2, inputs=_cases)
def conv_backward_weight(**arrays):
    """dL/dweight for stride 1 / stride 2 / dilation 2."""
    return {f'{CASES[k]}: dL/dweight': dw for k, (_, dw, _) in enumerate(_backward_all(arrays))}


@graded('a2_conv_backward', inputs=conv_case((2, 2, 4, 4), (3, 2, 3, 3), padding=1))
def conv_backward_bias(x, weight, bias, grad):
    """dL/dbias: the output gradient summed over batch and pixels."""
    return {'dL/dbias': R.conv2d_backward(grad, x, weight, padding=1)[2]}


@graded('a2_conv_backward', inputs=conv_case((1, 4, 5, 5), (4, 2, 3, 3), stride=2, padding=1))
def conv_backward_groups(x, weight, bias, grad):
    """Everything at once: 2 groups, stride 2, padding 1."""
    dx, dw, db = R.conv2d_backward(grad, x, weight, stride=2, padding=1, groups=2)
    return {'dL/dx': dx, 'dL/dweight': dw, 'dL/dbias': db}
