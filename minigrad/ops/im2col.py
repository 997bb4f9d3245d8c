"""Moving pixels for the convolutions: padding, im2col and its adjoint col2im.

:mod:`.conv` does the arithmetic (GEMMs); this module builds the matrices it
multiplies.  **im2col** copies every receptive field of a padded input into a
column, ``cols`` (C·kH·kW, N·Ho·Wo), with ONE assignment from a strided view
(:func:`windows`); **col2im** is its adjoint: it adds each column back onto
the pixels it came from.  These are the plain whole-batch kernels; the
CPU-tuned twins (cache-sized chunks, reused buffers) are in
:mod:`minigrad.ops.fast.columns`.
"""
from ..backend import get_array_module


def pad2d(x, top, bottom, left, right):
    """Zero-pad the last two axes; a negative amount crops instead.

    Returns ``x`` itself when nothing changes.
    """
    if top == bottom == left == right == 0:
        return x
    xp = get_array_module(x)
    x, (top, bottom, left, right) = crop_negative(x, top, bottom, left, right)
    if top == bottom == left == right == 0:  # only cropped: a view
        return x
    h, w = x.shape[-2:]
    out = xp.zeros(x.shape[:-2] + (h + top + bottom, w + left + right), dtype=x.dtype)
    out[..., top:top + h, left:left + w] = x
    return out


def crop_negative(x, top, bottom, left, right):
    """(x cropped by the negative amounts (a view), the amounts left to pad (each ≥ 0))."""
    h, w = x.shape[-2:]
    x = x[..., max(-top, 0):h - max(-bottom, 0), max(-left, 0):w - max(-right, 0)]
    return x, tuple(max(v, 0) for v in (top, bottom, left, right))


def windows(xpad, kernel, out_hw, stride, dilation):
    """Strided view of shape (C, kH, kW, N, Ho, Wo): element [c,i,j,n,h,w] is
    ``xpad[n, c, s·h + d·i, s·w + d·j]``.  No copy; do not write to it."""
    xp = get_array_module(xpad)
    # BEGIN SOLUTION a3_im2col
    # BEGIN PROMPT
    # xpad.strides gives the bytes to step along each axis of xpad (N, C, Hp, Wp).  Build the
    # view's shape, then for each of its six axes ask: one step along it moves how far in xpad?
    # xp.lib.stride_tricks.as_strided(xpad, shape, strides) makes the view without copying.
    # END PROMPT
    sn, sc, sh, sw = xpad.strides
    shape = (xpad.shape[1], kernel[0], kernel[1], xpad.shape[0], out_hw[0], out_hw[1])
    strides = (sc, sh * dilation[0], sw * dilation[1], sn, sh * stride[0], sw * stride[1])
    return xp.lib.stride_tricks.as_strided(xpad, shape, strides)
    # END SOLUTION


def im2col(xpad, kernel, out_hw, stride, dilation):
    """cols (C·kH·kW, N·Ho·Wo) of the already padded input: a fresh array."""
    xp = get_array_module(xpad)
    view = windows(xpad, kernel, out_hw, stride, dilation)
    cols = xp.ascontiguousarray(view)  # the one copy: every receptive field becomes a column
    return cols.reshape(view.shape[0] * kernel[0] * kernel[1], -1)


def col2im(dcols, pad_shape, kernel, out_hw, stride, dilation):
    """Adjoint of im2col: sum each column back onto the padded-input pixels it came from.

    ``dcols`` (C·kH·kW, N·Ho·Wo) -> array of ``pad_shape`` (N, C, Hp, Wp).  One
    strided ``+=`` per kernel offset (i, j); overlapping windows accumulate.
    The sums run in a (C, N, Hp, Wp) buffer, the axis order of ``dcols``, so
    both sides of each ``+=`` walk memory in the same order; the result is a
    transposed view of that buffer.
    """
    xp = get_array_module(dcols)
    n, c = pad_shape[:2]
    (kh, kw), (ho, wo), (sh, sw), (dh, dw) = kernel, out_hw, stride, dilation
    # BEGIN SOLUTION a3_col2im
    # BEGIN PROMPT
    # Reshape dcols to (C, kH, kW, N, Ho, Wo).  For each kernel offset (i, j) the Ho x Wo
    # values land on rows i·dh, i·dh + sh, … and columns j·dw, j·dw + sw, … of the padded
    # input: one strided slice per offset, added with += (windows overlap).  Return an array
    # of pad_shape (N, C, Hp, Wp).
    # END PROMPT
    dcols = dcols.reshape(c, kh, kw, n, ho, wo)
    out = xp.zeros((c, n) + tuple(pad_shape[2:]), dtype=dcols.dtype)
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
            cols = slice(j * dw, j * dw + sw * (wo - 1) + 1, sw)
            out[:, :, rows, cols] += dcols[:, i, j]
    return out.transpose(1, 0, 2, 3)
    # END SOLUTION
