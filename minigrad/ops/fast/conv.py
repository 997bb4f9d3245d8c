"""The convolution kernels of :mod:`minigrad.ops.conv`, tuned for NumPy on a CPU.

Same names, signatures and results as the plain kernels (tests hold them
equal); only the schedule differs, each for a reason measured in
docs/performance.md:

* im2col runs in cache-sized chunks (runs of images, or bands of output rows)
  into reused scratch buffers (:mod:`.columns`), so the copy and the GEMM that
  reads it stay in the cache;
* a one-image chunk's GEMM writes straight into the NCHW output (no layout copy);
* stride-1 input gradients are a 'full' correlation with the flipped kernel
  (no scatter-add); other strides use col2im per image run;
* big stride-1 convolutions share one 1 x kW column copy between the kernel's
  rows (:func:`shared_rows_forward`);
* the weight gradient is computed as (cols @ gᵀ)ᵀ, which keeps OpenBLAS's
  threads from stalling on a busy core.
"""
from ...backend import get_array_module
from ..geometry import conv_out_size, trailing_pad
from ..im2col import col2im
from .columns import (buffer, channels_first, chunks, column_chunks, flat_rows, kernel_row,
                      shared_row_chunks)


def conv_forward(x, w, bias, stride, padding, dilation, groups):
    """y = conv(x, w) + b as im2col + one GEMM per group (batched in one call), per chunk.

    ``padding`` = (top, bottom, left, right), negative entries crop.
    Returns a fresh (N, O, Ho, Wo).  Big stride-1 images take :func:`shared_rows_forward`.
    """
    xp = get_array_module(x, w, bias)
    (n, _, h, wd), (o, _, kh, kw) = x.shape, w.shape
    ho = conv_out_size(h, kh, stride[0], padding[0], padding[1], dilation[0])
    wo = conv_out_size(wd, kw, stride[1], padding[2], padding[3], dilation[1])
    y = xp.empty((n, o, ho, wo), dtype=x.dtype)
    if _shares_rows(xp, x.shape[1], kh, stride, ho, wo):
        return shared_rows_forward(x, w, bias, (ho, wo), stride, padding, dilation, groups, y)
    for n0, n1, h0, h1, cols in column_chunks(x, padding, (kh, kw), (ho, wo), stride, dilation):
        forward_gemm(cols, w, bias, groups, y[n0:n1, :, h0:h1])
    return y


def forward_gemm(cols, w, bias, groups, out):
    """out (n, O, Ho, Wo) = w @ cols (+ b) for one chunk; ``out`` may be a band of rows of a
    larger output.  One image: the GEMM writes NCHW directly; more: via a scratch product."""
    xp = get_array_module(cols, w)
    n, o, ho, wo = out.shape
    cols = cols.reshape(groups, -1, cols.shape[1])          # (g, C/g·kH·kW, n·Ho·Wo)
    wmat = w.reshape(groups, o // groups, -1)                # (g, O/g, C/g·kH·kW)
    if n == 1:  # (O, Ho·Wo) already is NCHW: multiply straight into the output
        xp.matmul(wmat, cols, out=flat_rows(out, groups)[0])
        if bias is not None:
            out += bias.reshape(1, o, 1, 1)
        return
    prod = xp.matmul(wmat, cols, out=buffer(xp, 'gemm', (groups, o // groups, cols.shape[2]), cols.dtype))
    prod = prod.reshape(o, n, ho, wo).transpose(1, 0, 2, 3)  # (n, O, Ho, Wo) view
    if bias is None:
        out[...] = prod
    else:
        xp.add(prod, bias.reshape(1, o, 1, 1), out=out)     # bias add fused with the layout copy


def flip_swap(w, groups):
    """(O, C/g, kH, kW) -> (C, O/g, kH, kW) flipped in space: the kernel of the
    'full' correlation that maps an output gradient back to the input."""
    o, cg, kh, kw = w.shape
    w = w.reshape(groups, o // groups, cg, kh, kw).transpose(0, 2, 1, 3, 4)
    return w.reshape(groups * cg, o // groups, kh, kw)[:, :, ::-1, ::-1]


def conv_input_grad(g, w, in_hw, stride, padding, dilation, groups, method=None):
    """dL/dx (N, C, H, W) of y = conv(x, w), as the plain kernel.

    Stride 1: a convolution of g, padded by d·(k−1)−p (negative crops), with
    :func:`flip_swap` (w).  Otherwise, per run of images: dcols = wᵀ @ g, then
    col2im.  ``method`` ('full' or 'col2im') overrides the choice (tests use both).
    """
    xp = get_array_module(g, w)
    n, o, ho, wo = g.shape
    _, cg, kh, kw = w.shape
    (h, wd), pt, pl = in_hw, padding[0], padding[2]
    pb = trailing_pad(ho, h, kh, stride[0], pt, dilation[0])
    pr = trailing_pad(wo, wd, kw, stride[1], pl, dilation[1])
    if method is None:
        method = 'full' if stride == (1, 1) else 'col2im'
    if method == 'full' and stride == (1, 1):
        full = (dilation[0] * (kh - 1) - pt, dilation[0] * (kh - 1) - pb,
                dilation[1] * (kw - 1) - pl, dilation[1] * (kw - 1) - pr)
        w_flip = xp.ascontiguousarray(flip_swap(w, groups))
        return conv_forward(g, w_flip, None, (1, 1), full, dilation, groups)
    # Pad at least enough that (a) every window fits and (b) every input row exists.
    hp, wp = pt + h + max(pb, 0), pl + wd + max(pr, 0)
    dx = xp.empty((n, groups * cg, h, wd), dtype=g.dtype)
    # Whole images only (col2im adds overlapping windows): "one row" of an image's bytes.
    for start, stop, _, _ in chunks(n, 1, groups * cg * kh * kw * ho * wo * g.itemsize):
        dcols = input_grad_gemm(channels_first(g[start:stop]), w, groups)
        dxpad = col2im(dcols, (stop - start, groups * cg, hp, wp), (kh, kw), (ho, wo), stride, dilation)
        dx[start:stop] = dxpad[:, :, pt:pt + h, pl:pl + wd]
    return dx


def input_grad_gemm(g_mat, w, groups):
    """dL/dcols (g, C/g·kH·kW, n·Ho·Wo) = wᵀ @ g per group, for g_mat (O, n·Ho·Wo)."""
    xp = get_array_module(g_mat, w)
    o, cg, kh, kw = w.shape
    wmat = w.reshape(groups, o // groups, -1).transpose(0, 2, 1)          # (g, C/g·kH·kW, O/g)
    return xp.matmul(wmat, g_mat.reshape(groups, o // groups, -1),
                     out=buffer(xp, 'dcols', (groups, cg * kh * kw, g_mat.shape[1]), g_mat.dtype))


def conv_weight_grad(x, g, kernel, stride, padding, dilation, groups):
    """dL/dw = Σ over chunks of g @ colsᵀ per group, shape (O, C/g, kH, kW);
    cols are x's (padded) windows."""
    xp = get_array_module(x, g)
    n, o, ho, wo = g.shape
    c = x.shape[1]
    if _shares_rows(xp, c, kernel[0], stride, ho, wo):
        return shared_rows_weight_grad(x, g, kernel, stride, padding, dilation, groups)
    dw = None
    for n0, n1, h0, h1, cols in column_chunks(x, padding, kernel, (ho, wo), stride, dilation):
        part = weight_grad_gemm(cols, channels_first(g[n0:n1, :, h0:h1]), groups)
        dw = part if dw is None else xp.add(dw, part, out=dw)
    return dw.reshape(o, c // groups, kernel[0], kernel[1])


def weight_grad_gemm(cols, g_mat, groups):
    """dL/dw (g, O/g, C/g·kH·kW) = g @ colsᵀ per group for one batch chunk; a fresh array."""
    xp = get_array_module(cols, g_mat)
    o = g_mat.shape[0]
    cols = cols.reshape(groups, -1, cols.shape[1])                  # (g, C/g·kH·kW, n·Ho·Wo)
    g_mat = g_mat.reshape(groups, o // groups, -1)                  # (g, O/g, n·Ho·Wo)
    if cols.shape[2] >= cols.shape[1]:  # a long sum into a small result: (cols @ gᵀ)ᵀ keeps
        # OpenBLAS's threads from meeting at every block of the sum (see docs/performance.md)
        dw = xp.matmul(cols, g_mat.transpose(0, 2, 1)).transpose(0, 2, 1)
    else:
        dw = xp.matmul(g_mat, cols.transpose(0, 2, 1))
    return xp.ascontiguousarray(dw)


# --------------------------------------------------------------------------- shared rows
# For stride 1 along the height, kernel row i of output row h reads input row h + d·i: the
# columns of kernel row i are the columns of kernel row 0 moved down d·i rows.  So build
# the columns of a 1 x kW kernel once, over every input row a chunk needs (kH times less
# copying than im2col), and hand each kernel row a view that starts d·i·Wo columns later:
#
#     y (O, Ho·Wo) = Σ_i  w[:, :, i, :] (O, C·kW)  @  cols1[:, d·i·Wo : d·i·Wo + Ho·Wo]
#
# The view runs inside one image only (the next image's rows are not "below"), so every
# image gets its own GEMMs: worth it when an image is big, a loss on 8x8 feature maps.

#: Output pixels per image from which stride-1 convolutions share rows (smaller maps make
#: thin per-image GEMMs; the measurements are in docs/performance.md).
SHARED_ROWS_MIN_PIXELS = 1024
#: ... and input channels (with 1-3 channels one im2col GEMM over the batch is faster).
SHARED_ROWS_MIN_CHANNELS = 8


def _shares_rows(xp, channels, kh, stride, ho, wo):
    return (kh > 1 and stride[0] == 1 and ho * wo >= SHARED_ROWS_MIN_PIXELS
            and channels >= SHARED_ROWS_MIN_CHANNELS)


def shared_rows_forward(x, w, bias, out_hw, stride, padding, dilation, groups, y):
    """conv_forward for stride 1 along the height, into ``y`` (N, O, Ho, Wo), sharing rows."""
    xp = get_array_module(x, w)
    o, cg, kh, kw = w.shape
    wrows = [xp.ascontiguousarray(w[:, :, i, :]).reshape(groups, o // groups, cg * kw) for i in range(kh)]
    for n0, n1, h0, h1, cols1 in shared_row_chunks(x, padding, (kh, kw), out_hw, dilation, stride[1]):
        band = y[n0:n1, :, h0:h1]
        out = flat_rows(band, groups)
        for i in range(kh):
            a = kernel_row(cols1, i, dilation[0], out_hw[1], h1 - h0, groups)
            if i == 0:
                xp.matmul(wrows[0], a, out=out)
            else:  # no beta=1 in matmul: multiply into scratch, then add (the band is in cache)
                out += xp.matmul(wrows[i], a, out=buffer(xp, 'gemm', out.shape, y.dtype))
        if bias is not None:
            band += bias.reshape(1, o, 1, 1)
    return y


def shared_rows_weight_grad(x, g, kernel, stride, padding, dilation, groups):
    """conv_weight_grad for stride 1 along the height: dw[:, :, i, :] = Σ g @ (kernel row i's columns)ᵀ."""
    xp = get_array_module(x, g)
    n, o, ho, wo = g.shape
    (kh, kw), cg = kernel, x.shape[1] // groups
    g = xp.ascontiguousarray(g)  # a broadcast gradient (zero strides) has no rows to view
    dw = xp.zeros((kh, groups, cg * kw, o // groups), dtype=x.dtype)
    for n0, n1, h0, h1, cols1 in shared_row_chunks(x, padding, kernel, (ho, wo), dilation, stride[1]):
        g_t = flat_rows(g[n0:n1, :, h0:h1], groups).transpose(0, 1, 3, 2)   # (n, g, h·W, O/g)
        for i in range(kh):
            # (cols @ gᵀ), the orientation that keeps OpenBLAS's threads apart (weight_grad_gemm)
            part = xp.matmul(kernel_row(cols1, i, dilation[0], wo, h1 - h0, groups), g_t)
            dw[i] += part.sum(axis=0) if n1 - n0 > 1 else part[0]
    dw = dw.reshape(kh, groups, cg, kw, o // groups).transpose(1, 4, 2, 0, 3)    # (g, O/g, C/g, kH, kW)
    return xp.ascontiguousarray(dw).reshape(o, cg, kh, kw)
