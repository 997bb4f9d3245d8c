"""Hidden graded tests of assignment 2 (left out of a ``--no-hidden-tests`` release)."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.ops import reference as R
from minigrad.testing import as_numpy, t64


class NaiveConv2d(mg.Function):
    """conv2d through the loop references of minigrad/ops/reference.py."""

    @staticmethod
    def forward(ctx, x, weight, bias, **options):
        ctx.save_for_backward(x, weight)
        ctx.options = options
        return R.conv2d_forward(x, weight, bias, **options)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved
        dx, dweight, dbias = R.conv2d_backward(grad, x, weight, **ctx.options)
        return dx, dweight, dbias


@pytest.mark.a2_conv_backward
def test_conv_backward_stride_beyond_kernel(rng):
    """A 1x1 kernel with stride 3: most input pixels get no gradient at all."""
    x, w, b = t64(rng.standard_normal((2, 2, 7, 8))), t64(rng.standard_normal((3, 2, 1, 1))), \
        t64(rng.standard_normal(3))
    mg.gradcheck(lambda x, w, b: NaiveConv2d.apply(x, w, b, stride=3), [x, w, b])
    untouched = as_numpy(x.grad)[:, :, :, 1::3]
    assert np.all(untouched == 0), "columns the stride skips must get a zero gradient"
