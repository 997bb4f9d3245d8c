"""Naive loop versions of the spatial ops: what you would write first.

Every function here loops explicitly over output positions and kernel
offsets, so each line is one term of the formula in the docstring.  They are
slow (use them on tiny inputs) and exist for two reasons: to read, and to test
the fast versions in :mod:`minigrad.ops.conv` against.  They work on plain
arrays (NumPy or CuPy), not Tensors, and return gradients explicitly instead of
building a graph.  Inside the loops only the batch and channel axes are
vectorised, as a small matrix product per (position, offset).

Conventions match PyTorch: NCHW, conv weight (C_out, C_in/groups, kH, kW),
transposed-conv weight (C_in, C_out/groups, kH, kW).
"""
from ..backend import get_array_module


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _conv_padding(padding, kernel, dilation):
    """(top, bottom, left, right) from an int, a pair, 'valid' or 'same'."""
    if padding == 'valid':
        return 0, 0, 0, 0
    if padding == 'same':  # total d·(k−1); an odd total puts the extra row/column at the bottom/right
        th, tw = dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1)
        return th // 2, th - th // 2, tw // 2, tw - tw // 2
    ph, pw = _pair(padding)
    return ph, ph, pw, pw


def _zero_pad(x, top, bottom, left, right):
    xp = get_array_module(x)
    n, c, h, w = x.shape
    out = xp.zeros((n, c, h + top + bottom, w + left + right), dtype=x.dtype)
    out[:, :, top:top + h, left:left + w] = x
    return out


# ----------------------------------------------------------------------------- conv2d


def conv2d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """y[n,o,h,w] = b[o] + Σ_{c in o's group} Σ_{i,j} w[o,c,i,j] · xpad[n, c, s·h + d·i, s·w + d·j].

    x (N, C, H, W), weight (O, C/g, kH, kW) -> y (N, O, Ho, Wo),
    Ho = (H + pad_top + pad_bottom − d·(kH − 1) − 1) // s + 1.
    """
    xp = get_array_module(x, weight, bias)
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    o, cg, kh, kw = weight.shape
    xpad = _zero_pad(x, *_conv_padding(padding, (kh, kw), (dh, dw)))
    n, _, hp, wp = xpad.shape
    ho, wo = (hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1
    # BEGIN SOLUTION a2_conv_forward
    # BEGIN PROMPT
    # y has shape (n, o, ho, wo); xpad is x with its zero border.  Output channel group g
    # reads input channels g·cg … (g+1)·cg − 1.  Loop over groups, output pixels and kernel
    # offsets; per step, a (N, C/g) slice of xpad times a (C/g, O/g) slice of weight.
    # END PROMPT
    og = o // groups
    y = xp.zeros((n, o, ho, wo), dtype=x.dtype)
    for g in range(groups):
        ins, outs = slice(g * cg, (g + 1) * cg), slice(g * og, (g + 1) * og)
        for oh in range(ho):
            for ow in range(wo):
                for i in range(kh):
                    for j in range(kw):
                        pixel = xpad[:, ins, oh * sh + i * dh, ow * sw + j * dw]   # (N, C/g)
                        y[:, outs, oh, ow] += pixel @ weight[outs, :, i, j].T       # (N, O/g)
    if bias is not None:
        y += bias.reshape(1, o, 1, 1)
    # END SOLUTION
    return y


def conv2d_backward(grad, x, weight, stride=1, padding=0, dilation=1, groups=1):
    """Gradients (dx, dweight, dbias) of conv2d_forward given grad = dL/dy.

    Each term  y[n,o,h,w] += w[o,c,i,j] · xpad[n,c,r,q]  (r = s·h + d·i, q = s·w + d·j)
    sends  grad·w  to xpad[n,c,r,q]  and  grad·xpad  to w[o,c,i,j];  dbias[o] = Σ_{n,h,w} grad.
    The padded border's gradient is dropped at the end.
    """
    xp = get_array_module(grad, x, weight)
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    o, cg, kh, kw = weight.shape
    top, bottom, left, right = _conv_padding(padding, (kh, kw), (dh, dw))
    xpad = _zero_pad(x, top, bottom, left, right)
    ho, wo = grad.shape[2:]
    # BEGIN SOLUTION a2_conv_backward
    # BEGIN PROMPT
    # Walk the same loops as the forward.  Every term of y adds grad·weight to the xpad pixel
    # it read and grad·xpad to the weight it used; accumulate both (+=), into a gradient of
    # xpad first, then cut the padded border off.  Return (dx, dweight, dbias).
    # END PROMPT
    og = o // groups
    dxpad = xp.zeros_like(xpad)
    dweight = xp.zeros_like(weight)
    for g in range(groups):
        ins, outs = slice(g * cg, (g + 1) * cg), slice(g * og, (g + 1) * og)
        for oh in range(ho):
            for ow in range(wo):
                g_pixel = grad[:, outs, oh, ow]                                     # (N, O/g)
                for i in range(kh):
                    for j in range(kw):
                        r, q = oh * sh + i * dh, ow * sw + j * dw
                        dxpad[:, ins, r, q] += g_pixel @ weight[outs, :, i, j]      # (N, C/g)
                        dweight[outs, :, i, j] += g_pixel.T @ xpad[:, ins, r, q]    # (O/g, C/g)
    h, w = x.shape[2:]
    dx = dxpad[:, :, top:top + h, left:left + w]
    return dx, dweight, grad.sum(axis=(0, 2, 3))
    # END SOLUTION


# ----------------------------------------------------------------------------- conv_transpose2d


def _transpose_full_size(x_hw, kernel, stride, dilation, output_padding):
    """Rows/columns every input pixel can reach, before cutting the padding off."""
    return tuple((x_hw[a] - 1) * stride[a] + dilation[a] * (kernel[a] - 1) + 1 + output_padding[a]
                 for a in range(2))


def conv_transpose2d_forward(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                             dilation=1):
    """Each input pixel scatters a weighted copy of the kernel:

        yfull[n, o, s·h + d·i, s·w + d·j] += x[n,c,h,w] · w[c,o,i,j]      (c, o in the same group)
        y = yfull with ``padding`` rows/columns cut from each side (+ b[o])

    x (N, C, H, W), weight (C, O/g, kH, kW) -> y (N, O, Ho, Wo),
    Ho = (H − 1)·s − 2p + d·(kH − 1) + output_padding + 1.
    """
    xp = get_array_module(x, weight, bias)
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    (ph, pw), opad = _pair(padding), _pair(output_padding)
    c, og, kh, kw = weight.shape
    n, _, h, w = x.shape
    cg = c // groups
    hf, wf = _transpose_full_size((h, w), (kh, kw), (sh, sw), (dh, dw), opad)
    # BEGIN SOLUTION a4_conv_transpose
    # BEGIN PROMPT
    # Scatter instead of gather: loop over INPUT pixels and kernel offsets, adding
    # x-pixel @ weight-slice into an uncut output yfull of size (hf, wf); then cut
    # ``padding`` rows/columns from every side and add the bias.
    # END PROMPT
    yfull = xp.zeros((n, og * groups, hf, wf), dtype=x.dtype)
    for g in range(groups):
        ins, outs = slice(g * cg, (g + 1) * cg), slice(g * og, (g + 1) * og)
        for ih in range(h):
            for iw in range(w):
                pixel = x[:, ins, ih, iw]                                            # (N, C/g)
                for i in range(kh):
                    for j in range(kw):
                        yfull[:, outs, ih * sh + i * dh, iw * sw + j * dw] += pixel @ weight[ins, :, i, j]
    y = yfull[:, :, ph:hf - ph, pw:wf - pw]
    if bias is not None:
        y = y + bias.reshape(1, -1, 1, 1)
    return y
    # END SOLUTION


def conv_transpose2d_backward(grad, x, weight, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Gradients (dx, dweight, dbias) of conv_transpose2d_forward given grad = dL/dy.

    Put grad back into the uncut frame (zeros where padding was cut), then each
    term  yfull[n,o,r,q] += x[n,c,h,w] · w[c,o,i,j]  sends  gfull[n,o,r,q]·w  to x
    and  x·gfull[n,o,r,q]  to w;  dbias[o] = Σ_{n,h,w} grad.
    """
    xp = get_array_module(grad, x, weight)
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    (ph, pw), opad = _pair(padding), _pair(output_padding)
    c, og, kh, kw = weight.shape
    n, _, h, w = x.shape
    cg = c // groups
    hf, wf = _transpose_full_size((h, w), (kh, kw), (sh, sw), (dh, dw), opad)
    # BEGIN SOLUTION a4_conv_transpose_backward
    # BEGIN PROMPT
    # Put grad back into the uncut frame (zeros where the padding was cut off), then walk
    # the forward's loops: each term sends the output gradient it produced back to its
    # x pixel and to its weight.  Return (dx, dweight, dbias).
    # END PROMPT
    gfull = xp.zeros((n, og * groups, hf, wf), dtype=grad.dtype)
    gfull[:, :, ph:hf - ph, pw:wf - pw] = grad
    dx = xp.zeros_like(x)
    dweight = xp.zeros_like(weight)
    for g in range(groups):
        ins, outs = slice(g * cg, (g + 1) * cg), slice(g * og, (g + 1) * og)
        for ih in range(h):
            for iw in range(w):
                for i in range(kh):
                    for j in range(kw):
                        g_pixel = gfull[:, outs, ih * sh + i * dh, iw * sw + j * dw]   # (N, O/g)
                        dx[:, ins, ih, iw] += g_pixel @ weight[ins, :, i, j].T         # (N, C/g)
                        dweight[ins, :, i, j] += x[:, ins, ih, iw].T @ g_pixel         # (C/g, O/g)
    return dx, dweight, grad.sum(axis=(0, 2, 3))
    # END SOLUTION


# Pooling / unpooling references live in their own file and are re-exported here,
# so ``minigrad.ops.reference`` is the one place to find every naive version.
from .reference_pool import *  # noqa: E402,F401,F403
