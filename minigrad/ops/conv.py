"""2-D convolution and transposed convolution: im2col + one GEMM.

Shapes (PyTorch's layouts, NCHW)::

    conv2d            x (N, C, H, W),   w (O, C/g, kH, kW)  ->  y (N, O, Ho, Wo)
    conv_transpose2d  x (N, C, H, W),   w (C, O/g, kH, kW)  ->  y (N, O, Ho, Wo)

with g groups, stride s, dilation d and padding p per axis.

The forward formula of a convolution (a cross-correlation, as in every
framework), for output channel o in group G(o) and output pixel (h, w)::

    y[n,o,h,w] = b[o] + Σ_{c∈G(o), i, j} w[o,c,i,j] · xpad[n, c, s·h + d·i, s·w + d·j]

**im2col.** Copy every receptive field into a column: ``cols`` has one row
per (c, i, j) and one column per output pixel (n, h, w), i.e. shape
(C·kH·kW, N·Ho·Wo).  The copy is ONE assignment from a strided *view* of the
padded input (``as_strided``: no data moves until the copy).  The whole
convolution is then one matrix product per group::

    y (O, N·Ho·Wo) = w (O, C·kH·kW) @ cols (C·kH·kW, N·Ho·Wo)

**Gradients** of that product are two more matrix products::

    dL/dw    = g (O, N·Ho·Wo) @ colsᵀ                 (weight gradient)
    dL/dcols = wᵀ (C·kH·kW, O) @ g (O, N·Ho·Wo)       (then col2im)

``col2im`` adds every column back onto the pixel it was copied from: one
strided ``+=`` per kernel offset (i, j), kH·kW in all.  For stride 1 the same
input gradient is also an ordinary convolution of the (padded) output gradient
with the spatially flipped, channel-swapped kernel ("full" correlation); that
needs no scatter-add and is faster, so stride-1 layers use it.

**Transposed convolution is the input gradient of a convolution** (and a
convolution's input gradient is a transposed convolution): conv_transpose2d's
forward calls :func:`conv_input_grad`, its backward calls :func:`conv_forward`
(input gradient) and :func:`conv_weight_grad`.  One mechanism, three kernels.

Speed notes (this is the hot path of every lesson): float32 stays float32;
``cols`` is laid out so the GEMMs need no transposed copy; on the CPU the work
runs in cache-sized chunks with reused scratch buffers (:mod:`.im2col`), and
stride-1 convolutions on big maps share one column copy between the kernel's
rows (:func:`shared_rows_forward`).  Everything uses ``xp`` from the inputs,
so it runs on CuPy unchanged.
"""
from ..backend import get_array_module
from ..function import Function
from .args import pair
from .im2col import (_buffer, channels_first, chunks, col2im, column_chunks, flat_rows, kernel_row,
                     shared_row_chunks)


def conv_out_size(size, kernel, stride, pad_before, pad_after, dilation):
    """floor((size + pads − d·(k−1) − 1) / s) + 1 output positions along one axis."""
    return (size + pad_before + pad_after - dilation * (kernel - 1) - 1) // stride + 1


def _trailing_pad(out_size, in_size, kernel, stride, pad_before, dilation):
    """The after-padding (negative = crop) for which exactly ``out_size`` windows
    fit in ``in_size`` and the last one ends on the last row."""
    return (out_size - 1) * stride + dilation * (kernel - 1) + 1 - pad_before - in_size


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
    """out (n, O, Ho, Wo) = w @ cols (+ b): the GEMM of the forward pass for one chunk.

    ``out`` may be a band of rows of a larger output (then it is not contiguous).
    """
    xp = get_array_module(cols, w)
    n, o, ho, wo = out.shape
    # BEGIN SOLUTION a3_conv_gemm
    # BEGIN PROMPT
    # cols is (C·kH·kW, n·Ho·Wo), rows ordered (c, i, j), columns (n, h, w).  Per group: a
    # (O/g, C/g·kH·kW) matrix of weights times that group's rows of cols (xp.matmul batches
    # over a leading group axis).  The product is (O, n·Ho·Wo): reorder it to (n, O, Ho, Wo)
    # and write it, plus the bias, into out (cols is a reused scratch buffer).
    # END PROMPT
    cols = cols.reshape(groups, -1, cols.shape[1])          # (g, C/g·kH·kW, n·Ho·Wo)
    wmat = w.reshape(groups, o // groups, -1)                # (g, O/g, C/g·kH·kW)
    if n == 1:  # (O, Ho·Wo) already is NCHW: multiply straight into the output
        xp.matmul(wmat, cols, out=flat_rows(out, groups)[0])
        if bias is not None:
            out += bias.reshape(1, o, 1, 1)
        return
    prod = xp.matmul(wmat, cols, out=_buffer(xp, 'gemm', (groups, o // groups, cols.shape[2]), cols.dtype))
    prod = prod.reshape(o, n, ho, wo).transpose(1, 0, 2, 3)  # (n, O, Ho, Wo) view
    if bias is None:
        out[...] = prod
    else:
        xp.add(prod, bias.reshape(1, o, 1, 1), out=out)     # bias add fused with the layout copy
    # END SOLUTION


def flip_swap(w, groups):
    """(O, C/g, kH, kW) -> (C, O/g, kH, kW) flipped in space: the kernel of the
    'full' correlation that maps an output gradient back to the input."""
    o, cg, kh, kw = w.shape
    w = w.reshape(groups, o // groups, cg, kh, kw).transpose(0, 2, 1, 3, 4)
    return w.reshape(groups * cg, o // groups, kh, kw)[:, :, ::-1, ::-1]


def conv_input_grad(g, w, in_hw, stride, pad_before, dilation, groups, method=None):
    """dL/dx of y = conv(x, w): shape (N, C, H, W) for ``in_hw`` = (H, W).

    This IS the transposed convolution of ``g`` with ``w``.  Formula::

        dx[n,c,h',w'] = Σ_{o,i,j : s·h + d·i − p = h', ...} w[o,c,i,j] · g[n,o,h,w]

    Stride 1: a convolution of g, padded by d·(k−1)−p (negative crops), with
    :func:`flip_swap` (w).  Otherwise, per batch chunk: dcols = wᵀ @ g, then
    :func:`col2im`.  ``method`` ('full' or 'col2im') overrides the choice (tests use both).
    """
    xp = get_array_module(g, w)
    n, o, ho, wo = g.shape
    _, cg, kh, kw = w.shape
    (h, wd), (pt, pl) = in_hw, pad_before
    pb = _trailing_pad(ho, h, kh, stride[0], pt, dilation[0])
    pr = _trailing_pad(wo, wd, kw, stride[1], pl, dilation[1])
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
    for start, stop, _, _ in chunks(n, 1, groups * cg * kh * kw * ho * wo * g.itemsize, xp):
        dcols = input_grad_gemm(channels_first(g[start:stop]), w, groups)
        dxpad = col2im(dcols, (stop - start, groups * cg, hp, wp), (kh, kw), (ho, wo), stride, dilation)
        dx[start:stop] = dxpad[:, :, pt:pt + h, pl:pl + wd]
    return dx


def input_grad_gemm(g_mat, w, groups):
    """dL/dcols (g, C/g·kH·kW, n·Ho·Wo) = wᵀ @ g per group, for g_mat (O, n·Ho·Wo)."""
    xp = get_array_module(g_mat, w)
    o, cg, kh, kw = w.shape
    # BEGIN SOLUTION a3_conv_gemm
    # BEGIN PROMPT
    # dcols (g, C/g·kH·kW, n·Ho·Wo) = dL/dcols: per group, the transposed weight matrix times
    # g_mat, the output gradient as (O, n·Ho·Wo).  col2im then sends it back to the pixels.
    # END PROMPT
    wmat = w.reshape(groups, o // groups, -1).transpose(0, 2, 1)          # (g, C/g·kH·kW, O/g)
    return xp.matmul(wmat, g_mat.reshape(groups, o // groups, -1),
                     out=_buffer(xp, 'dcols', (groups, cg * kh * kw, g_mat.shape[1]), g_mat.dtype))
    # END SOLUTION


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
    # BEGIN SOLUTION a3_conv_gemm
    # BEGIN PROMPT
    # dL/dw per group: the output gradient as (O/g, n·Ho·Wo) times the transposed columns.
    # Return a fresh, contiguous (g, O/g, C/g·kH·kW) array.
    # END PROMPT
    cols = cols.reshape(groups, -1, cols.shape[1])                  # (g, C/g·kH·kW, n·Ho·Wo)
    g_mat = g_mat.reshape(groups, o // groups, -1)                  # (g, O/g, n·Ho·Wo)
    if cols.shape[2] >= cols.shape[1]:
        # A long sum (over n·Ho·Wo pixels) into a small result: OpenBLAS threads meet at
        # every block of the sum in the orientation g @ colsᵀ and stall when a core is
        # busy elsewhere (10-20x slower); (cols @ gᵀ)ᵀ gives the same numbers without that.
        dw = xp.matmul(cols, g_mat.transpose(0, 2, 1)).transpose(0, 2, 1)
    else:
        dw = xp.matmul(g_mat, cols.transpose(0, 2, 1))
    return xp.ascontiguousarray(dw)
    # END SOLUTION


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

#: Output pixels per image from which stride-1 convolutions share rows.  Measured on the
#: U-Net step (A/B, interleaved): 1024 beats 2048 by ~2 %, 256 loses 5 % (8x8 and 16x16
#: maps make thin per-image GEMMs); sharing cut the 8x64x64x64 conv fwd+bwd by 20 %.
SHARED_ROWS_MIN_PIXELS = 1024
#: ... and input channels: with 1-3 channels the per-image GEMMs have an inner dimension
#: of 3-9 and one im2col GEMM over the batch is faster (classifier step 24.5 -> 22.9 ms).
SHARED_ROWS_MIN_CHANNELS = 8


def _shares_rows(xp, channels, kh, stride, ho, wo):
    return (xp.__name__ == 'numpy' and kh > 1 and stride[0] == 1 and ho * wo >= SHARED_ROWS_MIN_PIXELS
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
                out += xp.matmul(wrows[i], a, out=_buffer(xp, 'gemm', out.shape, y.dtype))
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


def bias_grad(g):
    """dL/db[o] = Σ_{n,h,w} g[n,o,h,w]."""
    return g.sum(axis=(0, 2, 3))


# --------------------------------------------------------------------------- Functions


class Conv2d(Function):
    """y = conv2d(x, w, b): x (N, C, H, W), w (O, C/g, kH, kW), b (O,) -> y (N, O, Ho, Wo).

    y[n,o,h,w] = b[o] + Σ_{c in o's group, i, j} w[o,c,i,j] · xpad[n, c, s·h + d·i, s·w + d·j],
    Ho = floor((H + pad_top + pad_bottom − d·(kH−1) − 1) / s) + 1 (same for Wo).

    Gradients (g = dL/dy):  dL/dw = g @ colsᵀ;  dL/db = Σ_{n,h,w} g;
    dL/dx = conv_transpose2d(g, w) (see :func:`conv_input_grad`).
    ``padding`` here is (top, bottom, left, right); use :func:`conv2d` for torch's arguments.
    """

    @staticmethod
    def forward(ctx, x, w, b, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1):
        y = conv_forward(x, w, b, stride, padding, dilation, groups)
        ctx.save_for_backward(x, w)
        ctx.params = (tuple(x.shape[2:]), stride, padding, dilation, groups)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved
        in_hw, stride, padding, dilation, groups = ctx.params
        need_x, need_w, need_b = ctx.needs_input_grad
        dw = conv_weight_grad(x, grad, w.shape[2:], stride, padding, dilation, groups) if need_w else None
        dx = conv_input_grad(grad, w, in_hw, stride, (padding[0], padding[2]), dilation, groups) if need_x else None
        db = bias_grad(grad) if need_b else None
        return dx, dw, db


class ConvTranspose2d(Function):
    """y = conv_transpose2d(x, w, b): x (N, C, H, W), w (C, O/g, kH, kW) -> y (N, O, Ho, Wo).

    The adjoint of a convolution from O to C channels with the same w, stride,
    padding and dilation: every input pixel scatters a weighted copy of the kernel,
    y[n, o, s·h + d·i − p, s·w + d·j − p] += x[n,c,h,w] · w[c,o,i,j]  (+ b[o]),
    Ho = (H − 1)·s − 2p + d·(kH − 1) + output_padding + 1.

    Gradients (g = dL/dy):  dL/dx = conv2d(g, w) (same stride/padding/dilation);
    dL/dw[c,o,i,j] = Σ x[n,c,h,w] · gpad[n, o, s·h + d·i, s·w + d·j];  dL/db = Σ_{n,h,w} g.
    """

    @staticmethod
    def forward(ctx, x, w, b, stride=(1, 1), padding=(0, 0), output_padding=(0, 0), dilation=(1, 1),
                groups=1):
        out_hw = tuple((x.shape[2 + a] - 1) * stride[a] - 2 * padding[a] + dilation[a] * (w.shape[2 + a] - 1)
                       + output_padding[a] + 1 for a in range(2))
        y = conv_input_grad(x, w, out_hw, stride, padding, dilation, groups)
        if b is not None:
            y += b.reshape(1, -1, 1, 1)
        ctx.save_for_backward(x, w)
        ctx.params = (stride, padding, dilation, groups)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved
        stride, (pt, pl), dilation, groups = ctx.params
        need_x, need_w, need_b = ctx.needs_input_grad
        kh, kw = w.shape[2:]
        pb = _trailing_pad(x.shape[2], grad.shape[2], kh, stride[0], pt, dilation[0])
        pr = _trailing_pad(x.shape[3], grad.shape[3], kw, stride[1], pl, dilation[1])
        padding = (pt, pb, pl, pr)
        dx = conv_forward(grad, w, None, stride, padding, dilation, groups) if need_x else None
        dw = conv_weight_grad(grad, x, (kh, kw), stride, padding, dilation, groups) if need_w else None
        db = bias_grad(grad) if need_b else None
        return dx, dw, db


# --------------------------------------------------------------------------- public functions


def _check_common(op, x, weight, bias, groups):
    """Shapes, dtypes and groups shared by conv2d and conv_transpose2d."""
    for name, a in (('input', x), ('weight', weight), ('bias', bias)):
        if a is not None and not hasattr(a, 'shape'):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(a).__name__}")
    if x.ndim != 4:
        raise ValueError(f"{op}: expected a 4-D input (N, C, H, W), got shape {tuple(x.shape)}")
    if weight.ndim != 4:
        raise ValueError(f"{op}: expected a 4-D weight, got shape {tuple(weight.shape)}")
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    for name, a in (('input', x), ('weight', weight), ('bias', bias)):
        if a is not None and a.dtype.kind != 'f':
            raise TypeError(f"{op}: {name} must be a floating-point array, got dtype {a.dtype}")
    if weight.dtype != x.dtype or (bias is not None and bias.dtype != x.dtype):
        raise TypeError(f"{op}: input, weight and bias must share one dtype, got {x.dtype}, {weight.dtype}"
                        f"{', ' + str(bias.dtype) if bias is not None else ''}")


def _check_bias(op, bias, channels, x, weight):
    if bias is not None and tuple(bias.shape) != (channels,):
        raise ValueError(f"{op}: bias must have shape ({channels},) for input {tuple(x.shape)} and weight "
                         f"{tuple(weight.shape)}, got {tuple(bias.shape)}")


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution, as ``torch.nn.functional.conv2d``.

    x (N, C, H, W), weight (O, C/groups, kH, kW), bias (O,) or None -> (N, O, Ho, Wo).
    ``stride``, ``dilation``: int or pair; ``padding``: int, pair, 'valid' (= 0) or
    'same' (stride 1 only; output size = input size; when the total padding
    d·(k−1) is odd the extra row/column goes to the bottom/right, like torch).

    A 1x1 kernel is a per-pixel linear layer over channels:
    ``conv2d(x, w)[n, :, h, w] == w[:, :, 0, 0] @ x[n, :, h, w] (+ b)``.
    """
    op = 'conv2d'
    _check_common(op, x, weight, bias, groups)
    s = pair(stride, 'stride', op, 1)
    d = pair(dilation, 'dilation', op, 1)
    (_, c, h, w), (o, cg, kh, kw) = x.shape, weight.shape
    if cg * groups != c:
        raise ValueError(f"{op}: input has {c} channels but weight {tuple(weight.shape)} with groups={groups} "
                         f"expects {cg * groups} (input shape {tuple(x.shape)})")
    if o % groups:
        raise ValueError(f"{op}: groups={groups} must divide the {o} output channels of weight "
                         f"{tuple(weight.shape)}")
    _check_bias(op, bias, o, x, weight)
    if isinstance(padding, str):
        if padding == 'valid':
            pad4 = (0, 0, 0, 0)
        elif padding == 'same':
            if s != (1, 1):
                raise ValueError(f"{op}: padding='same' needs stride 1, got stride={stride!r}")
            th, tw = d[0] * (kh - 1), d[1] * (kw - 1)
            pad4 = (th // 2, th - th // 2, tw // 2, tw - tw // 2)
        else:
            raise ValueError(f"{op}: padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
    else:
        ph, pw = pair(padding, 'padding', op, 0)
        pad4 = (ph, ph, pw, pw)
    eh, ew = d[0] * (kh - 1) + 1, d[1] * (kw - 1) + 1
    if eh > h + pad4[0] + pad4[1] or ew > w + pad4[2] + pad4[3]:
        raise ValueError(f"{op}: kernel {kh}x{kw} (dilated extent {eh}x{ew}) is larger than the padded input "
                         f"{h + pad4[0] + pad4[1]}x{w + pad4[2] + pad4[3]} (input {tuple(x.shape)}, "
                         f"padding {padding!r})")
    return Conv2d.apply(x, weight, bias, stride=s, padding=pad4, dilation=d, groups=groups)


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution, as ``torch.nn.functional.conv_transpose2d``.

    x (N, C, H, W), weight (C, O/groups, kH, kW), bias (O,) or None -> (N, O, Ho, Wo) with
    Ho = (H − 1)·stride − 2·padding + dilation·(kH − 1) + output_padding + 1.
    ``output_padding`` (< stride or < dilation) adds rows/columns at the bottom/right to pick
    one of the input sizes that a strided conv maps to the same output size.
    """
    op = 'conv_transpose2d'
    _check_common(op, x, weight, bias, groups)
    s = pair(stride, 'stride', op, 1)
    d = pair(dilation, 'dilation', op, 1)
    p = pair(padding, 'padding', op, 0)
    op_ = pair(output_padding, 'output_padding', op, 0)
    (_, c, h, w), (ci, og, kh, kw) = x.shape, weight.shape
    if ci != c:
        raise ValueError(f"{op}: input has {c} channels but weight {tuple(weight.shape)} expects {ci} "
                         f"(weight layout is (C_in, C_out/groups, kH, kW); input {tuple(x.shape)})")
    if c % groups:
        raise ValueError(f"{op}: groups={groups} must divide the {c} input channels (input {tuple(x.shape)}, "
                         f"weight {tuple(weight.shape)})")
    _check_bias(op, bias, og * groups, x, weight)
    for k in range(2):
        if op_[k] >= s[k] and op_[k] >= d[k]:
            raise ValueError(f"{op}: output_padding must be smaller than stride or dilation, got "
                             f"output_padding={output_padding!r}, stride={stride!r}, dilation={dilation!r}")
    out_hw = tuple((size - 1) * s[a] - 2 * p[a] + d[a] * (ks - 1) + op_[a] + 1
                   for a, (size, ks) in enumerate(((h, kh), (w, kw))))
    if min(out_hw) < 1:
        raise ValueError(f"{op}: output size {out_hw} is not positive for input {tuple(x.shape)}, weight "
                         f"{tuple(weight.shape)}, stride={stride!r}, padding={padding!r}")
    return ConvTranspose2d.apply(x, weight, bias, stride=s, padding=p, output_padding=op_, dilation=d,
                                 groups=groups)
