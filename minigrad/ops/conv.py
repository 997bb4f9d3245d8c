"""2-D convolution and transposed convolution: pad → im2col → one GEMM → col2im.

Shapes (PyTorch's layouts, NCHW), g groups, stride s, dilation d, and padding
``p = (top, bottom, left, right)`` (negative entries crop)::

    conv2d            x (N, C, H, W),   w (O, C/g, kH, kW)  ->  y (N, O, Ho, Wo)
    conv_transpose2d  x (N, C, H, W),   w (C, O/g, kH, kW)  ->  y (N, O, Ho, Wo)

The forward formula of a convolution (a cross-correlation, as in every
framework), for output channel o in group G(o) and output pixel (h, w)::

    y[n,o,h,w] = b[o] + Σ_{c∈G(o), i, j} w[o,c,i,j] · xpad[n, c, s·h + d·i, s·w + d·j]

**im2col** (:mod:`.im2col`) copies every receptive field into a column:
``cols`` (C·kH·kW, N·Ho·Wo).  The whole convolution is then one matrix product
per group, and its gradients two more::

    y (O, N·Ho·Wo)       = w (O, C·kH·kW)  @ cols (C·kH·kW, N·Ho·Wo)
    dL/dw                = g (O, N·Ho·Wo)  @ colsᵀ
    dL/dcols             = wᵀ (C·kH·kW, O) @ g (O, N·Ho·Wo)       then col2im

**Transposed convolution is the input gradient of a convolution** with the same
w, stride, padding and dilation (and a convolution's input gradient is a
transposed convolution), so both Functions run on the same three kernels:
:func:`conv_forward`, :func:`conv_input_grad`, :func:`conv_weight_grad`.  These
are the plain whole-batch kernels; :mod:`minigrad.ops.fast.conv` has twins with
the same signatures tuned for the CPU, picked by :func:`.kernels.kernels_for`.
Argument checking lives in :mod:`minigrad.functional.conv`.

**Derivatives of any order.**  Each backward calls the other Functions (the weight
gradient is :class:`Conv2dWeightGrad`, an op too), so on arrays it runs the kernels
as before and on Tensors (``create_graph=True``) it records convolutions: the set
{Conv2d, ConvTranspose2d, Conv2dWeightGrad} is closed under differentiation.
"""
from ..backend import get_array_module
from ..function import Function
from .geometry import conv_out_size, span, trailing_pad
from . import im2col as columns
from .im2col import im2col, pad2d
from .kernels import kernels_for


class Conv2d(Function):
    """y = conv2d(x, w, b): x (N, C, H, W), w (O, C/g, kH, kW), b (O,) or None -> y (N, O, Ho, Wo).

    y[n,o,h,w] = b[o] + Σ_{c in o's group, i, j} w[o,c,i,j] · xpad[n, c, s·h + d·i, s·w + d·j],
    Ho = ⌊(H + top + bottom − d·(kH − 1) − 1) / s⌋ + 1 (likewise Wo).

    Gradients (g = dL/dy):  dL/dw = g @ colsᵀ;  dL/db = Σ_{n,h,w} g;
    dL/dx = conv_transpose2d(g, w) (:func:`conv_input_grad`).
    The backward is made of ops (ConvTranspose2d, Conv2dWeightGrad), so it runs on Tensors too.
    """
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, w, b, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1):
        kernels = kernels_for(get_array_module(x), __name__)
        ctx.save_for_backward(x, w)
        ctx.params = (stride, padding, dilation, groups)
        if x.shape[0] == 0:  # an empty batch: an empty result, as torch (the kernels split the batch)
            return empty_batch(x, w.shape[0], tuple(conv_out_size(x.shape[2 + a], w.shape[2 + a], stride[a],
                                                                  padding[2 * a], padding[2 * a + 1], dilation[a])
                                                    for a in range(2)))
        return kernels.conv_forward(x, w, b, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved
        stride, padding, dilation, groups = ctx.params
        need_x, need_w, need_b = ctx.needs_input_grad
        dx = dw = None
        if need_x:  # the transposed convolution, padded at the bottom/right to give back x's size
            dx = ConvTranspose2d.apply(grad, w, None, stride=stride, dilation=dilation, groups=groups,
                                       padding=transpose_padding(padding, x.shape[2:], grad.shape[2:],
                                                                 w.shape[2:], stride, dilation))
        if need_w:
            dw = Conv2dWeightGrad.apply(x, grad, kernel=tuple(w.shape[2:]), stride=stride, padding=padding,
                                        dilation=dilation, groups=groups)
        return dx, dw, (bias_grad(grad) if need_b else None)


class ConvTranspose2d(Function):
    """y = conv_transpose2d(x, w, b): x (N, C, H, W), w (C, O/g, kH, kW) -> y (N, O, Ho, Wo).

    The adjoint of a convolution from O to C channels with the same w, stride,
    padding (top, bottom, left, right) and dilation: every input pixel scatters a
    weighted copy of the kernel,
    y[n, o, s·h + d·i − top, s·w + d·j − left] += x[n,c,h,w] · w[c,o,i,j]  (+ b[o]),
    Ho = (H − 1)·s + d·(kH − 1) + 1 − top − bottom.  (torch's ``padding=p, output_padding=q``
    is top = p, bottom = p − q.)

    Gradients (g = dL/dy):  dL/dx = conv2d(g, w) with the same arguments;
    dL/dw[c,o,i,j] = Σ x[n,c,h,w] · gpad[n, o, s·h + d·i, s·w + d·j] (:class:`Conv2dWeightGrad`
    with x and g swapped);  dL/db = Σ_{n,h,w} g.
    """
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, w, b, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1):
        kernels = kernels_for(get_array_module(x), __name__)
        out_hw = tuple((x.shape[2 + a] - 1) * stride[a] + span(w.shape[2 + a], dilation[a])
                       - padding[2 * a] - padding[2 * a + 1] for a in range(2))
        if x.shape[0] == 0:
            y = empty_batch(x, w.shape[1] * groups, out_hw)
        else:
            y = kernels.conv_input_grad(x, w, out_hw, stride, padding, dilation, groups)
        if b is not None:
            y += b.reshape(1, -1, 1, 1)
        ctx.save_for_backward(x, w)
        ctx.params = (stride, padding, dilation, groups)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved
        stride, padding, dilation, groups = ctx.params
        need_x, need_w, need_b = ctx.needs_input_grad
        params = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        dx = Conv2d.apply(grad, w, None, **params) if need_x else None
        dw = Conv2dWeightGrad.apply(grad, x, kernel=tuple(w.shape[2:]), **params) if need_w else None
        return dx, dw, (bias_grad(grad) if need_b else None)


class Conv2dWeightGrad(Function):
    """dw = conv2d_weight(x, g): the weight gradient of y = conv2d(x, w), as an op of its own.

    x (N, C, H, W), g (N, O, Ho, Wo) -> dw (O, C/groups, kH, kW) for ``kernel`` = (kH, kW),
    dw[o,c,i,j] = Σ_{n,h,w} g[n,o,h,w] · xpad[n, c, s·h + d·i, s·w + d·j]  (c in o's group).

    It is bilinear in (x, g), so for an incoming gradient G (shaped like w) its own gradients
    are the other two convolutions with G as the weight:
    dL/dx = conv_transpose2d(g, G) (back to x's size),  dL/dg = conv2d(x, G).
    With :class:`Conv2d` and :class:`ConvTranspose2d` this closes the set: derivatives of any
    order of a convolution are convolutions.
    """
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, g, kernel, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1):
        kernels = kernels_for(get_array_module(x, g), __name__)
        ctx.save_for_backward(x, g)
        ctx.params = (kernel, stride, padding, dilation, groups)
        if x.shape[0] == 0:  # a sum over an empty batch
            return get_array_module(x).zeros((g.shape[1], x.shape[1] // groups) + tuple(kernel), dtype=x.dtype)
        return kernels.conv_weight_grad(x, g, kernel, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, grad):
        x, g = ctx.saved
        kernel, stride, padding, dilation, groups = ctx.params
        dx = dg = None
        if ctx.needs_input_grad[0]:
            dx = ConvTranspose2d.apply(g, grad, None, stride=stride, dilation=dilation, groups=groups,
                                       padding=transpose_padding(padding, x.shape[2:], g.shape[2:], kernel,
                                                                 stride, dilation))
        if ctx.needs_input_grad[1]:
            dg = Conv2d.apply(x, grad, None, stride=stride, padding=padding, dilation=dilation, groups=groups)
        return dx, dg


def empty_batch(x, channels, out_hw):
    """The (0, channels, Ho, Wo) result of a convolution of an empty batch x."""
    return get_array_module(x).zeros((0, channels) + tuple(out_hw), dtype=x.dtype)


def transpose_padding(padding, in_hw, out_hw, kernel, stride, dilation):
    """The (top, bottom, left, right) padding that makes conv_transpose2d map ``out_hw`` back to
    exactly ``in_hw``: top/left as the convolution's, bottom/right = (Ho − 1)·s + d·(k − 1) + 1 − top − H,
    which may be smaller than the convolution's (rows it never read get no gradient) or negative."""
    top, _, left, _ = padding
    bottom, right = ((out_hw[a] - 1) * stride[a] + span(kernel[a], dilation[a]) - (top, left)[a] - in_hw[a]
                     for a in range(2))
    return (top, bottom, left, right)


# --------------------------------------------------------------------------- the plain kernels


def conv_forward(x, w, bias, stride, padding, dilation, groups):
    """y (N, O, Ho, Wo) = conv(x, w) + b: pad, im2col, one GEMM per group."""
    xp = get_array_module(x, w, bias)
    (n, _, h, wd), (o, _, kh, kw) = x.shape, w.shape
    ho = conv_out_size(h, kh, stride[0], padding[0], padding[1], dilation[0])
    wo = conv_out_size(wd, kw, stride[1], padding[2], padding[3], dilation[1])
    cols = im2col(pad2d(x, *padding), (kh, kw), (ho, wo), stride, dilation)
    y = xp.empty((n, o, ho, wo), dtype=x.dtype)
    forward_gemm(cols, w, bias, groups, y)
    return y


def conv_input_grad(g, w, in_hw, stride, padding, dilation, groups):
    """dL/dx (N, C, H, W) of y = conv(x, w) for ``in_hw`` = (H, W): dcols = wᵀ @ g, then col2im.

    This IS the transposed convolution of ``g`` with ``w``::

        dx[n,c,h',w'] = Σ_{o,i,j : s·h + d·i − top = h', ...} w[o,c,i,j] · g[n,o,h,w]
    """
    xp = get_array_module(g, w)
    n, o, ho, wo = g.shape
    _, cg, kh, kw = w.shape
    (h, wd), top, left = in_hw, padding[0], padding[2]
    # Pad at least enough that every window fits (rows the conv never read get no gradient).
    bottom = max(trailing_pad(ho, h, kh, stride[0], top, dilation[0]), 0)
    right = max(trailing_pad(wo, wd, kw, stride[1], left, dilation[1]), 0)
    g_mat = g.transpose(1, 0, 2, 3).reshape(o, -1)                      # (O, N·Ho·Wo)
    dcols = input_grad_gemm(g_mat, w, groups)
    col2im = kernels_for(xp, columns.__name__).col2im   # the plain one, or its CUDA twin on a GPU
    dxpad = col2im(dcols, (n, groups * cg, top + h + bottom, left + wd + right), (kh, kw), (ho, wo),
                   stride, dilation)
    return xp.ascontiguousarray(dxpad[:, :, top:top + h, left:left + wd])


def conv_weight_grad(x, g, kernel, stride, padding, dilation, groups):
    """dL/dw (O, C/g, kH, kW) = g @ colsᵀ per group, cols the windows of x (padded)."""
    n, o, ho, wo = g.shape
    c = x.shape[1]
    cols = im2col(pad2d(x, *padding), kernel, (ho, wo), stride, dilation)
    g_mat = g.transpose(1, 0, 2, 3).reshape(o, -1)                      # (O, N·Ho·Wo)
    return weight_grad_gemm(cols, g_mat, groups).reshape(o, c // groups, kernel[0], kernel[1])


def bias_grad(g):
    """dL/db[o] = Σ_{n,h,w} g[n,o,h,w]."""
    return g.sum(axis=(0, 2, 3))


# --------------------------------------------------------------------------- the three GEMMs


def forward_gemm(cols, w, bias, groups, out):
    """out (N, O, Ho, Wo) = w @ cols (+ b), per group, for cols (C·kH·kW, N·Ho·Wo)."""
    xp = get_array_module(cols, w)
    n, o, ho, wo = out.shape
    # BEGIN SOLUTION a3_conv_gemm
    # BEGIN PROMPT
    # cols is (C·kH·kW, N·Ho·Wo), rows ordered (c, i, j), columns (n, h, w).  Per group: a
    # (O/g, C/g·kH·kW) matrix of weights times that group's rows of cols (xp.matmul batches
    # over a leading group axis).  The product is (O, N·Ho·Wo): reorder it to (N, O, Ho, Wo)
    # and write it, plus the bias, into out.
    # END PROMPT
    cols = cols.reshape(groups, -1, cols.shape[1])          # (g, C/g·kH·kW, N·Ho·Wo)
    wmat = w.reshape(groups, o // groups, -1)                # (g, O/g, C/g·kH·kW)
    prod = xp.matmul(wmat, cols).reshape(o, n, ho, wo)       # (O, N, Ho, Wo)
    out[...] = prod.transpose(1, 0, 2, 3)
    if bias is not None:
        out += bias.reshape(1, o, 1, 1)
    # END SOLUTION


def input_grad_gemm(g_mat, w, groups):
    """dL/dcols (g, C/g·kH·kW, N·Ho·Wo) = wᵀ @ g per group, for g_mat (O, N·Ho·Wo)."""
    xp = get_array_module(g_mat, w)
    o = w.shape[0]
    # BEGIN SOLUTION a3_conv_gemm
    # BEGIN PROMPT
    # dcols (g, C/g·kH·kW, N·Ho·Wo) = dL/dcols: per group, the transposed weight matrix times
    # g_mat, the output gradient as (O, N·Ho·Wo).  col2im then sends it back to the pixels.
    # END PROMPT
    wmat = w.reshape(groups, o // groups, -1).transpose(0, 2, 1)          # (g, C/g·kH·kW, O/g)
    return xp.matmul(wmat, g_mat.reshape(groups, o // groups, -1))
    # END SOLUTION


def weight_grad_gemm(cols, g_mat, groups):
    """dL/dw (g, O/g, C/g·kH·kW) = g @ colsᵀ per group; a fresh array."""
    xp = get_array_module(cols, g_mat)
    o = g_mat.shape[0]
    # BEGIN SOLUTION a3_conv_gemm
    # BEGIN PROMPT
    # dL/dw per group: the output gradient as (O/g, N·Ho·Wo) times the transposed columns.
    # Return a fresh (g, O/g, C/g·kH·kW) array.
    # END PROMPT
    cols = cols.reshape(groups, -1, cols.shape[1])                  # (g, C/g·kH·kW, N·Ho·Wo)
    g_mat = g_mat.reshape(groups, o // groups, -1)                  # (g, O/g, N·Ho·Wo)
    return xp.matmul(g_mat, cols.transpose(0, 2, 1))
    # END SOLUTION
