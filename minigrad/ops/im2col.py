"""Moving pixels for the convolutions: padding, im2col / col2im, and chunking.

:mod:`.conv` does the arithmetic (GEMMs); this module builds the matrices it
multiplies.  **im2col** copies every receptive field of a padded input into a
column, ``cols`` (C·kH·kW, N·Ho·Wo), with ONE assignment from a strided view
(:func:`windows`); **col2im** is its adjoint: it adds each column back onto
the pixels it came from.

**Chunks.** On the CPU a convolution's columns are built chunk by chunk
(:func:`chunks`): runs of whole images, or bands of output rows of one image,
whose columns fit :data:`CHUNK_BYTES` (8 MB).  A whole batch's ``cols`` is 9x
its input — 151 MB for the U-Net's widest conv — so the copy that writes it and
the GEMM that reads it would both wait on main memory; here a copy into 8 MB
runs at ~24 GB/s, into 75 MB at ~8.  A one-image chunk's GEMM result is
already NCHW (no layout copy), and the scratch memory no longer grows with the
batch (the largest buffer left is one padded image).  On the GPU the whole
batch is one chunk: there, big kernels are what is fast.

**Scratch buffers** (``cols``, the padded input, GEMM results) are reused
between calls, because touching freshly mapped memory costs page faults that
can double the time of a copy.  They are overwritten completely before each
use and never returned or saved for backward.  Everything takes ``xp`` from
its inputs, so it runs on CuPy unchanged (there the memory pool recycles).
"""
import threading

from ..backend import get_array_module

# --------------------------------------------------------------------------- scratch memory


class _Scratch(threading.local):
    """Per-thread reusable NumPy buffers, one per (slot, dtype)."""

    def __init__(self):
        self.buffers = {}


_scratch = _Scratch()


def _buffer(xp, slot, shape, dtype):
    """An uninitialised array of ``shape``; on NumPy a view of a reused buffer.

    Callers overwrite it completely and never let it escape (not returned, not
    saved): the next call with the same ``slot`` writes over it.
    """
    size = 1
    for n in shape:
        size *= n
    if xp.__name__ != 'numpy':
        return xp.empty(shape, dtype=dtype)
    key = (slot, xp.dtype(dtype).str)
    buf = _scratch.buffers.get(key)
    if buf is None or buf.size < size:
        buf = xp.empty(size, dtype=dtype)
        _scratch.buffers[key] = buf
    return buf[:size].reshape(shape)


def clear_scratch():
    """Free the reused scratch buffers of this thread (they regrow on the next conv)."""
    _scratch.buffers.clear()


# --------------------------------------------------------------------------- array kernels


def pad2d(x, top, bottom, left, right, slot=None):
    """Zero-pad the last two axes; a negative amount crops instead.

    Returns ``x`` itself when nothing changes, a view when only cropping.  With
    ``slot`` the result lives in a scratch buffer (use it only transiently).
    """
    if top == bottom == left == right == 0:
        return x
    xp = get_array_module(x)
    h, w = x.shape[-2:]
    # First crop (negative amounts), then pad (positive amounts).
    x = x[..., max(-top, 0):h - max(-bottom, 0), max(-left, 0):w - max(-right, 0)]
    top, bottom, left, right = (max(v, 0) for v in (top, bottom, left, right))
    if top == bottom == left == right == 0:
        return x
    h, w = x.shape[-2:]
    shape = x.shape[:-2] + (h + top + bottom, w + left + right)
    if slot is None:
        out = xp.zeros(shape, dtype=x.dtype)
    else:  # a reused buffer: zero the four borders (stale values there), copy the inside
        out = _buffer(xp, slot, shape, x.dtype)
        out[..., :top, :] = 0
        out[..., top + h:, :] = 0
        out[..., top:top + h, :left] = 0
        out[..., top:top + h, left + w:] = 0
    out[..., top:top + h, left:left + w] = x
    return out


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


def im2col(xpad, kernel, out_hw, stride, dilation, slot='cols'):
    """cols (C·kH·kW, N·Ho·Wo) of the already padded input, in a scratch buffer."""
    xp = get_array_module(xpad)
    view = windows(xpad, kernel, out_hw, stride, dilation)
    cols = _buffer(xp, slot, view.shape, xpad.dtype)
    cols[...] = view  # the one copy: every receptive field becomes a column
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


#: Scratch budget of one im2col chunk on the CPU (see :func:`chunks`).  A copy into
#: 8 MB runs at ~24 GB/s here, into 75 MB at ~8 GB/s: the chunk must stay in the cache.
CHUNK_BYTES = 8 << 20


def chunks(n, rows, row_bytes, xp):
    """Split a convolution's output into pieces whose im2col matrix fits :data:`CHUNK_BYTES`.

    Yields ``(n0, n1, h0, h1)``: images n0:n1, output rows h0:h1.  Runs of whole
    images when one image's columns fit (``row_bytes`` per output row), else bands
    of output rows of one image.  Why: a whole batch's ``cols`` is 9x its input
    (151 MB for the U-Net's widest conv), far past the cache, so the copy that
    writes it and the GEMM that reads it both wait on main memory; a chunk stays
    in the cache between the two.  One image's (band's) GEMM result is already
    NCHW (no layout copy), and the scratch memory stays bounded.  On the GPU the
    whole batch is one chunk: there, big kernels are what is fast.
    """
    if xp.__name__ != 'numpy':
        yield 0, n, 0, rows
        return
    image = rows * row_bytes
    if image <= CHUNK_BYTES:
        per = _even_split(n, CHUNK_BYTES // max(image, 1))
        for n0 in range(0, n, per):
            yield n0, min(n0 + per, n), 0, rows
        return
    band = _even_split(rows, CHUNK_BYTES // row_bytes)
    for n0 in range(n):
        for h0 in range(0, rows, band):
            yield n0, n0 + 1, h0, min(h0 + band, rows)


def _even_split(total, most):
    """The piece size that cuts ``total`` into as few pieces of at most ``most`` (≥ 1) as
    possible, all nearly equal (64 rows with at most 56: 32 + 32, not 56 + 8: a thin
    last piece would make a slow GEMM)."""
    pieces = -(-total // max(most, 1))
    return -(-total // pieces)


def column_chunks(x, padding, kernel, out_hw, stride, dilation):
    """im2col of ``x`` chunk by chunk: yields ``(n0, n1, h0, h1, cols)`` per :func:`chunks`.

    Each run of images is padded once (into a scratch buffer), so neither the
    padded batch nor its columns ever exist whole on the CPU.
    """
    xp = get_array_module(x)
    n, c = x.shape[:2]
    (kh, kw), (ho, wo) = kernel, out_hw
    run = xpad = None
    for n0, n1, h0, h1 in chunks(n, ho, c * kh * kw * wo * x.itemsize, xp):
        if run != (n0, n1):
            run, xpad = (n0, n1), pad2d(x[n0:n1], *padding, slot='xpad')
        rows = slice(h0 * stride[0], (h1 - 1) * stride[0] + dilation[0] * (kh - 1) + 1)
        yield n0, n1, h0, h1, im2col(xpad[:, :, rows], kernel, (h1 - h0, wo), stride, dilation)


def flat_rows(band, groups=1):
    """(n, O, h, W) with whole rows -> (n, g, O/g, h·W): a view, never a copy.

    A band of rows of a bigger output qualifies (its channels are just further
    apart), so a GEMM can write a chunk's result straight into it.
    """
    n, o, h, w = band.shape
    if not has_whole_rows(band):
        raise ValueError(f"flat_rows: band {band.shape} with strides {band.strides} has no whole rows")
    xp = get_array_module(band)
    s0, s1 = band.strides[:2]
    return xp.lib.stride_tricks.as_strided(band, (n, groups, o // groups, h * w),
                                           (s0, s1 * (o // groups), s1, band.itemsize))


def has_whole_rows(a):
    """Whether the last two axes (h, W) of ``a`` are one contiguous run of h·W elements
    (strides of size-1 axes do not matter)."""
    (h, w), (sh, sw) = a.shape[-2:], a.strides[-2:]
    return (w == 1 or sw == a.itemsize) and (h == 1 or sh == w * a.itemsize)


def channels_first(g, slot='gT'):
    """(n, O, Ho, Wo) -> (O, n·Ho·Wo), the layout of the GEMMs: a view for one image (or a
    band of its rows), else a copy into a scratch buffer."""
    xp = get_array_module(g)
    if g.shape[0] == 1:  # a broadcast gradient (zero strides) is copied first
        return flat_rows(g if has_whole_rows(g) else xp.ascontiguousarray(g))[0, 0]
    out = _buffer(xp, slot, (g.shape[1], g.shape[0]) + g.shape[2:], g.dtype)
    out[...] = g.transpose(1, 0, 2, 3)
    return out.reshape(g.shape[1], -1)


def shared_row_chunks(x, padding, kernel, out_hw, dilation, stride_w):
    """Per :func:`chunks`: ``(n0, n1, h0, h1, cols1)``, cols1 (C·kW, n, rows_in·Wo) the columns
    of a 1 x kW kernel over the rows_in = (h1 − h0) + d·(kH − 1) padded input rows that
    output rows h0:h1 read (see :func:`row_columns`)."""
    xp = get_array_module(x)
    n, c = x.shape[:2]
    (kh, kw), (ho, wo) = kernel, out_hw
    halo = dilation[0] * (kh - 1)
    for n0, n1, h0, h1 in chunks(n, ho, c * kw * wo * x.itemsize, xp):
        cols = row_columns(x[n0:n1], padding, h0, h1 - h0 + halo, kw, wo, stride_w, dilation[1])
        yield n0, n1, h0, h1, cols.reshape(c * kw, n1 - n0, -1)


def row_columns(x, padding, r0, rows, kw, wo, stride, dilation):
    """im2col with a 1 x kW kernel of padded rows r0:r0+rows, read from the *unpadded* x.

    Element [c, j, n, r, w] = xpad[n, c, r0 + r, s·w + d·j], xpad = x zero-padded by
    ``padding`` (top, bottom, left, right; negative crops).  The zeros are written
    straight into the columns' borders, so no padded copy of x is ever made (one
    pass over every conv input saved).  Returns a scratch (C, kW, n, rows, Wo).
    """
    xp = get_array_module(x)
    n, c, height, width = x.shape
    top, left = padding[0], padding[2]
    out = _buffer(xp, 'cols', (c, kw, n, rows, wo), x.dtype)
    lo = min(max(top - r0, 0), rows)                  # rows lo:hi lie inside x, the rest is padding
    hi = max(min(top + height - r0, rows), lo)
    out[:, :, :, :lo] = 0
    out[:, :, :, hi:] = 0
    for j in range(kw):
        first = dilation * j - left                   # x column that output column 0 reads
        w_lo = min(-(-max(-first, 0) // stride), wo)  # output columns w_lo:w_hi read inside x
        w_hi = max(min(-(-(width - first) // stride), wo), w_lo)
        out[:, j, :, lo:hi, :w_lo] = 0
        out[:, j, :, lo:hi, w_hi:] = 0
        if w_hi > w_lo and hi > lo:
            src = x[:, :, r0 + lo - top:r0 + hi - top, first + w_lo * stride:first + (w_hi - 1) * stride + 1:stride]
            out[:, j, :, lo:hi, w_lo:w_hi] = src.transpose(1, 0, 2, 3)
    return out


def kernel_row(cols1, i, dilation, wo, out_rows, groups):
    """Kernel row i's columns: (n, g, C/g·kW, out_rows·Wo), a view of cols1."""
    k, n, _ = cols1.shape
    start = dilation * i * wo
    part = cols1[:, :, start:start + out_rows * wo]
    return part.reshape(groups, k // groups, n, -1).transpose(2, 0, 1, 3)
