"""Adaptive average pooling: any (H, W) to a chosen (Ho, Wo), as torch.

Output row i averages the input rows of the window

    start(i) = ⌊i·H / Ho⌋,   end(i) = ⌈(i + 1)·H / Ho⌉      (end exclusive)

(windows overlap or differ in size when Ho does not divide H), and the same
along the width.  Averaging the rows is a matrix P_H (Ho × H) with
P_H[i, h] = 1/(end(i) − start(i)) for start(i) ≤ h < end(i), else 0, so the
whole pooling is one separable linear map on the last two axes:

    y = P_H · x · P_Wᵀ            dL/dx = P_Hᵀ · g · P_W

two batched GEMMs with tiny matrices, no loops; the loop version the tests
compare against is :mod:`minigrad.ops.reference_resize`.
"""
from ..backend import get_array_module
from ..function import Function


def adaptive_windows(size, out_size):
    """[(start, end), ...]: the ``out_size`` windows adaptive pooling takes over ``size`` positions."""
    return [((i * size) // out_size, -((-(i + 1) * size) // out_size)) for i in range(out_size)]


def pooling_matrix(size, out_size, xp, dtype):
    """P (out_size × size): row i averages the input positions of window i."""
    matrix = xp.zeros((out_size, size), dtype=dtype)
    for i, (start, end) in enumerate(adaptive_windows(size, out_size)):
        matrix[i, start:end] = 1.0 / (end - start)
    return matrix


class SeparableLinear(Function):
    """y = A · x · Bᵀ on the last two axes of x (A: (Ho, H), B: (Wo, W), constants);
    dL/dx = Aᵀ · g · B, the same map with the transposed matrices (so it can be
    differentiated again, to any order)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, left, right):
        ctx.left, ctx.right = left, right
        return left @ x @ right.T

    @staticmethod
    def backward(ctx, grad):
        return SeparableLinear.apply(grad, left=ctx.left.T, right=ctx.right.T)


class AdaptiveAvgPool2d(Function):
    """x (N, C, H, W) or (C, H, W) -> y (…, Ho, Wo), window averages (module docstring);
    dL/dx = P_Hᵀ · g · P_W."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, output_size):
        xp = get_array_module(x)
        (h, w), (ho, wo) = x.shape[-2:], output_size
        ctx.left, ctx.right = pooling_matrix(h, ho, xp, x.dtype), pooling_matrix(w, wo, xp, x.dtype)
        return SeparableLinear.forward(ctx, x, ctx.left, ctx.right)

    backward = staticmethod(SeparableLinear.backward)
