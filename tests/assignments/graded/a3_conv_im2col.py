"""Graded checks of assignment 3 (assignments/a3_conv_im2col.md): im2col, one GEMM, col2im.

Each check calls one function of minigrad/ops/im2col.py or conv.py on arrays
the grader chose (random columns for the matrix products), so a mistake in
``windows`` never costs ``col2im`` or the GEMMs points, and the other way round.
"""
import numpy as np

from minigrad.assign.checks import graded
from minigrad.ops import conv as C
from minigrad.ops import im2col as I

GEOMETRIES = [((2, 3), (2, 1), (1, 2)), ((3, 3), (1, 1), (1, 1)), ((1, 2), (3, 2), (2, 1))]
SHAPE = (2, 3, 7, 8)


def _out_hw(shape, kernel, stride, dilation):
    return tuple((shape[2 + a] - dilation[a] * (kernel[a] - 1) - 1) // stride[a] + 1 for a in range(2))


# ------------------------------------------------------------------------ a3_im2col
@graded('a3_im2col', points=2, inputs=lambda rng: {'xpad': rng.standard_normal(SHAPE)})
def windows_three_geometries(xpad):
    """windows(xpad, ...)[c, i, j, n, h, w] == xpad[n, c, s*h + d*i, s*w + d*j] for three geometries."""
    return {f'kernel {k}, stride {s}, dilation {d}': np.array(I.windows(xpad, k, _out_hw(SHAPE, k, s, d), s, d))
            for k, s, d in GEOMETRIES}


@graded('a3_im2col', inputs=lambda rng: {'xpad': rng.standard_normal((1, 2, 4, 5))})
def windows_kernel_as_big_as_the_input(xpad):
    """A 4x5 kernel on a 4x5 input: one window, the whole image."""
    return {'windows': np.array(I.windows(xpad, (4, 5), (1, 1), (1, 1), (1, 1)))}


# ------------------------------------------------------------------------ a3_col2im
@graded('a3_col2im', inputs=lambda rng: {'dcols': np.ones((9, 9))})
def col2im_counts_overlaps(dcols):
    """col2im of all-ones columns counts how many 3x3 windows cover each pixel of a 5x5 input."""
    return {'col2im': I.col2im(dcols, (1, 1, 5, 5), (3, 3), (3, 3), (1, 1), (1, 1))}


@graded('a3_col2im', points=2, inputs=lambda rng: {
    f'dcols{k}': rng.standard_normal((SHAPE[1] * g[0][0] * g[0][1], SHAPE[0] * np.prod(_out_hw(SHAPE, *g))))
    for k, g in enumerate(GEOMETRIES)})
def col2im_three_geometries(**dcols):
    """col2im of random columns back onto a (2, 3, 7, 8) padded input, for three geometries."""
    return {f'kernel {k}, stride {s}, dilation {d}':
            I.col2im(dcols[f'dcols{n}'], SHAPE, k, _out_hw(SHAPE, k, s, d), s, d)
            for n, (k, s, d) in enumerate(GEOMETRIES)}


# --------------------------------------------------------------------- a3_conv_gemm
def _gemm_case(n, c, o, k, hw, groups):
    def make(rng):
        return dict(cols=rng.standard_normal((c * k * k, n * hw[0] * hw[1])),
                    w=rng.standard_normal((o, c // groups, k, k)), bias=rng.standard_normal(o),
                    g=rng.standard_normal((o, n * hw[0] * hw[1])))
    return make


@graded('a3_conv_gemm', points=2, inputs=_gemm_case(2, 4, 6, 3, (3, 4), 2))
def forward_gemm_batch(cols, w, bias, g):
    """forward_gemm for a batch of 2, 2 groups, with and without bias: out (n, O, Ho, Wo)."""
    with_bias, without = np.zeros((2, 6, 3, 4)), np.zeros((2, 6, 3, 4))
    C.forward_gemm(cols, w, bias, 2, with_bias)
    C.forward_gemm(cols, w, None, 2, without)
    return {'out with bias': with_bias, 'out without bias': without}


@graded('a3_conv_gemm', inputs=_gemm_case(1, 3, 4, 2, (5, 2), 1))
def forward_gemm_one_image(cols, w, bias, g):
    """forward_gemm for one image (the output already is (O, Ho*Wo))."""
    out = np.zeros((1, 4, 5, 2))
    C.forward_gemm(cols, w, bias, 1, out)
    return {'out': out}


@graded('a3_conv_gemm', inputs=_gemm_case(2, 4, 6, 3, (3, 4), 2))
def input_grad_gemm_groups(cols, w, bias, g):
    """dL/dcols = w^T @ g per group (2 groups)."""
    return {'dL/dcols': np.array(C.input_grad_gemm(g, w, 2))}


@graded('a3_conv_gemm', points=2, inputs=_gemm_case(2, 4, 6, 3, (3, 4), 2))
def weight_grad_gemm_groups(cols, w, bias, g):
    """dL/dw = g @ cols^T per group (2 groups), and for one group on the same arrays."""
    return {'dL/dw, 2 groups': C.weight_grad_gemm(cols, g, 2), 'dL/dw, 1 group': C.weight_grad_gemm(cols, g, 1)}
