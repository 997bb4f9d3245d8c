"""The columns of the fast convolutions: chunked im2col into reused scratch buffers.

The plain :mod:`minigrad.ops.im2col` builds one whole-batch ``cols``
(C·kH·kW, N·Ho·Wo): for the U-Net's widest conv 9x its input, far past the
cache, so the copy that writes it and the GEMM that reads it both wait on main
memory.  Here the columns are built chunk by chunk (:func:`chunks`): runs of
whole images, or bands of output rows of one image, whose columns fit
:data:`CHUNK_BYTES`; a one-image chunk's GEMM result is already NCHW.  The
buffers are reused between calls (fresh memory costs page faults); they are
overwritten before each use and never returned or saved for backward.
Measurements: docs/performance.md.
"""
import threading

from ...backend import get_array_module
from ..im2col import crop_negative, windows

# --------------------------------------------------------------------------- scratch memory


class _Scratch(threading.local):
    """Per-thread reusable NumPy buffers, one per (slot, dtype)."""

    def __init__(self):
        self.buffers = {}


_scratch = _Scratch()


def buffer(xp, slot, shape, dtype):
    """An uninitialised array of ``shape``, a view of a reused buffer.

    Callers overwrite it completely and never let it escape (not returned, not
    saved): the next call with the same ``slot`` writes over it.
    """
    size = 1
    for n in shape:
        size *= n
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


def padded(x, top, bottom, left, right):
    """x zero-padded (negative amounts crop) in the 'xpad' scratch buffer, or ``x`` itself
    when nothing changes; only the borders are zeroed (stale values there)."""
    if top == bottom == left == right == 0:
        return x
    xp = get_array_module(x)
    x, (top, bottom, left, right) = crop_negative(x, top, bottom, left, right)
    if top == bottom == left == right == 0:  # only cropped: a view
        return x
    h, w = x.shape[-2:]
    out = buffer(xp, 'xpad', x.shape[:-2] + (h + top + bottom, w + left + right), x.dtype)
    out[..., :top, :] = 0
    out[..., top + h:, :] = 0
    out[..., top:top + h, :left] = 0
    out[..., top:top + h, left + w:] = 0
    out[..., top:top + h, left:left + w] = x
    return out


def im2col(xpad, kernel, out_hw, stride, dilation, slot='cols'):
    """cols (C·kH·kW, N·Ho·Wo) of the already padded input, in a scratch buffer."""
    xp = get_array_module(xpad)
    view = windows(xpad, kernel, out_hw, stride, dilation)
    cols = buffer(xp, slot, view.shape, xpad.dtype)
    cols[...] = view  # the one copy: every receptive field becomes a column
    return cols.reshape(view.shape[0] * kernel[0] * kernel[1], -1)


#: Scratch budget of one im2col chunk: small enough to stay in the cache between the copy
#: that writes it and the GEMM that reads it.
CHUNK_BYTES = 8 << 20


def chunks(n, rows, row_bytes):
    """Split a convolution's output into pieces whose im2col matrix fits :data:`CHUNK_BYTES`.

    Yields ``(n0, n1, h0, h1)``: images n0:n1, output rows h0:h1.  Runs of whole
    images when one image's columns fit (``row_bytes`` per output row), else bands
    of output rows of one image.
    """
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
    for n0, n1, h0, h1 in chunks(n, ho, c * kh * kw * wo * x.itemsize):
        if run != (n0, n1):
            run, xpad = (n0, n1), padded(x[n0:n1], *padding)
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
    out = buffer(xp, slot, (g.shape[1], g.shape[0]) + g.shape[2:], g.dtype)
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
    for n0, n1, h0, h1 in chunks(n, ho, c * kw * wo * x.itemsize):
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
    out = buffer(xp, 'cols', (c, kw, n, rows, wo), x.dtype)
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
