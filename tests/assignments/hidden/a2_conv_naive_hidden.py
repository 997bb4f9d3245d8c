"""Hidden graded checks of assignment 2 (left out of a release unless ``--with-hidden-tests``)."""
from minigrad.assign.checks import graded
from minigrad.ops import reference as R


def _case(rng):
    return dict(x=rng.standard_normal((2, 2, 7, 8)), weight=rng.standard_normal((3, 2, 1, 1)),
                grad=rng.standard_normal((2, 3, 3, 3)))


@graded('a2_conv_backward', inputs=_case)
def conv_backward_stride_beyond_kernel(x, weight, grad):
    """A 1x1 kernel with stride 3: most input pixels get no gradient at all."""
    dx, dw, db = R.conv2d_backward(grad, x, weight, stride=3)
    return {'dL/dx': dx, 'dL/dweight': dw, 'dL/dbias': db}


@graded('a2_conv_forward', inputs=lambda rng: dict(x=rng.standard_normal((1, 1, 4, 4)),
                                                   weight=rng.standard_normal((2, 1, 4, 4))))
def conv_forward_kernel_as_big_as_the_input(x, weight):
    """A 4x4 kernel on a 4x4 input: one output pixel per channel."""
    return {'y': R.conv2d_forward(x, weight)}
