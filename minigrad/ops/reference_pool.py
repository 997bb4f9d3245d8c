"""Naive loop versions of pooling, unpooling and upsampling — forward and backward.

What a student writes first: loop over every output position and every
window offset, exactly as the formulas read.  Only the batch and channel axes
are handled as whole (N, C) slices so the loops stay short.  Slow, and meant
to be: the tests hold the fast versions in :mod:`minigrad.ops.pool` equal to
these.  They take and return plain arrays (NumPy or CuPy); the loops run on
the CPU (a loop over GPU elements would be one kernel launch per element) and
the result goes back to the input's backend.

Output sizes are written out here again (not taken from
:mod:`minigrad.ops.geometry`), so these stay an independent check; the
arguments are assumed valid (:mod:`minigrad.functional` checks them).
"""
import math

import numpy

from ..backend import device_of, to_device, to_numpy

__all__ = ['max_pool2d_forward', 'max_pool2d_backward', 'avg_pool2d_forward', 'avg_pool2d_backward',
           'max_unpool2d_forward', 'max_unpool2d_backward', 'interpolate_forward', 'interpolate_backward']


def _back(array, like):
    """``array`` moved to the backend of ``like``."""
    return to_device(array, device_of(like))


def _two(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _pool_args(in_hw, kernel_size, stride, padding, dilation, ceil_mode):
    """(kernel, stride, padding, dilation, out_hw) as pairs.  Along one axis there are
    ⌊(size + 2p − d·(k − 1) − 1) / s⌋ + 1 windows (⌈⌉ in ceil mode, dropping a last
    window that would start in the right padding)."""
    k, p, d = _two(kernel_size), _two(padding), _two(dilation)
    s = k if stride is None or stride == () else _two(stride)
    out = []
    for a in (0, 1):
        room = in_hw[a] + 2 * p[a] - d[a] * (k[a] - 1) - 1
        n = -(-room // s[a]) + 1 if ceil_mode else room // s[a] + 1
        if ceil_mode and (n - 1) * s[a] >= in_hw[a] + p[a]:
            n -= 1
        out.append(n)
    return k, s, p, d, tuple(out)


def _interp_args(in_hw, size, scale_factor, mode, align_corners, recompute_scale_factor):
    """dict(size, scales, mode, align_corners): the output size is ``size`` or ⌊input · scale⌋."""
    if size is not None:
        return dict(size=_two(size), scales=(None, None), mode=mode, align_corners=bool(align_corners))
    scales = tuple(float(v) for v in (_two(scale_factor) if not isinstance(scale_factor, float)
                                      else (scale_factor, scale_factor)))
    out = (math.floor(in_hw[0] * scales[0]), math.floor(in_hw[1] * scales[1]))
    return dict(size=out, scales=(None, None) if recompute_scale_factor else scales, mode=mode,
                align_corners=bool(align_corners))


# --------------------------------------------------------------------------- max pooling


def max_pool2d_forward(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """(y, indices): for each window the largest value and its flat index h·W + w.

    Taps falling in the padding are skipped (as if they were −inf).  Ties keep the
    first maximum in scan order (row by row), because only a strictly larger value
    replaces the current best.
    """
    xs = to_numpy(x)
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow) = _pool_args(xs.shape[2:], kernel_size, stride, padding,
                                                                  dilation, ceil_mode)
    n, c, h, w = xs.shape
    y = numpy.zeros((n, c, oh, ow), dtype=xs.dtype)
    indices = numpy.zeros((n, c, oh, ow), dtype=numpy.int64)
    for i in range(oh):
        for j in range(ow):
            best = at = None
            for a in range(kh):
                for b in range(kw):
                    r, col = i * sh - ph + a * dh, j * sw - pw + b * dw
                    if not (0 <= r < h and 0 <= col < w):
                        continue  # padding
                    value = xs[:, :, r, col]  # (N, C): this tap for every image and channel
                    if best is None:
                        best, at = value.copy(), numpy.full((n, c), r * w + col)
                    else:
                        larger = value > best
                        best[larger] = value[larger]
                        at[larger] = r * w + col
            y[:, :, i, j] = best
            indices[:, :, i, j] = at
    return _back(y, x), _back(indices, x)


def max_pool2d_backward(grad, indices, input_shape):
    """dx: each output's gradient added at the input position its maximum came from."""
    g, idx = to_numpy(grad), to_numpy(indices)
    n, c, h, w = input_shape
    dx = numpy.zeros((n, c, h * w), dtype=g.dtype)
    planes_n, planes_c = numpy.meshgrid(numpy.arange(n), numpy.arange(c), indexing='ij')
    for i in range(g.shape[2]):
        for j in range(g.shape[3]):
            # one (n, c) pair per element: no repeats inside this assignment
            dx[planes_n, planes_c, idx[:, :, i, j]] += g[:, :, i, j]
    return _back(dx.reshape(n, c, h, w), grad)


# --------------------------------------------------------------------------- average pooling


def _avg_window(i, stride, padding, kernel, size, count_include_pad):
    """(first, last + 1) real input rows of window i, and the count torch divides by."""
    start = i * stride - padding
    end = min(start + kernel, size + padding)  # a ceil-mode window stops at the padded border
    pool_size = end - start
    first, stop = max(start, 0), min(end, size)
    return first, stop, (pool_size if count_include_pad else stop - first)


def avg_pool2d_forward(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                   divisor_override=None):
    """Mean of each window, divided as torch does (see :func:`minigrad.ops.pool.avg_divisor`)."""
    xs = to_numpy(x)
    (kh, kw), (sh, sw), (ph, pw), _, (oh, ow) = _pool_args(xs.shape[2:], kernel_size, stride, padding, 1,
                                                           ceil_mode)
    n, c, h, w = xs.shape
    y = numpy.zeros((n, c, oh, ow), dtype=xs.dtype)
    for i in range(oh):
        r0, r1, count_h = _avg_window(i, sh, ph, kh, h, count_include_pad)
        for j in range(ow):
            c0, c1, count_w = _avg_window(j, sw, pw, kw, w, count_include_pad)
            total = numpy.zeros((n, c), dtype=xs.dtype)
            for r in range(r0, r1):
                for col in range(c0, c1):
                    total += xs[:, :, r, col]
            divisor = divisor_override if divisor_override is not None else count_h * count_w
            y[:, :, i, j] = total / divisor
    return _back(y, x)


def avg_pool2d_backward(grad, input_shape, kernel_size, stride=None, padding=0, ceil_mode=False,
                            count_include_pad=True, divisor_override=None):
    """dx: every real input pixel of window (i, j) receives grad[:, :, i, j] / divisor."""
    g = to_numpy(grad)
    n, c, h, w = input_shape
    (kh, kw), (sh, sw), (ph, pw), _, (oh, ow) = _pool_args((h, w), kernel_size, stride, padding, 1, ceil_mode)
    dx = numpy.zeros((n, c, h, w), dtype=g.dtype)
    for i in range(oh):
        r0, r1, count_h = _avg_window(i, sh, ph, kh, h, count_include_pad)
        for j in range(ow):
            c0, c1, count_w = _avg_window(j, sw, pw, kw, w, count_include_pad)
            divisor = divisor_override if divisor_override is not None else count_h * count_w
            for r in range(r0, r1):
                for col in range(c0, c1):
                    dx[:, :, r, col] += g[:, :, i, j] / divisor
    return _back(dx, grad)


# --------------------------------------------------------------------------- max unpooling


def max_unpool2d_forward(x, indices, output_hw):
    """Zeros of (N, C, Ho, Wo); each input value written at its flat index in its plane."""
    xs, idx = to_numpy(x), to_numpy(indices)
    n, c, h, w = xs.shape
    oh, ow = output_hw
    # BEGIN SOLUTION a4_max_unpool
    # BEGIN PROMPT
    # Loop version: zeros of (N, C, Ho·Wo), then one write per input value at its index
    # in its plane; return it reshaped, on x's backend (_back).
    # END PROMPT
    y = numpy.zeros((n, c, oh * ow), dtype=xs.dtype)
    for b in range(n):
        for ch in range(c):
            for i in range(h):
                for j in range(w):
                    y[b, ch, idx[b, ch, i, j]] = xs[b, ch, i, j]
    return _back(y.reshape(n, c, oh, ow), x)
    # END SOLUTION


def max_unpool2d_backward(grad, indices):
    """dx[n, c, i, j] = grad at the position the value was written to."""
    g, idx = to_numpy(grad), to_numpy(indices)
    # BEGIN SOLUTION a4_max_unpool_backward
    # BEGIN PROMPT
    # Loop version of the gather: dx[n, c, i, j] is the gradient at the position
    # where the forward wrote x[n, c, i, j].
    # END PROMPT
    n, c, oh, ow = g.shape
    flat = g.reshape(n, c, oh * ow)
    dx = numpy.zeros(idx.shape, dtype=g.dtype)
    for b in range(n):
        for ch in range(c):
            for i in range(idx.shape[2]):
                for j in range(idx.shape[3]):
                    dx[b, ch, i, j] = flat[b, ch, idx[b, ch, i, j]]
    return _back(dx, grad)
    # END SOLUTION


# --------------------------------------------------------------------------- interpolation


def _nearest_index(dst, in_size, out_size, scale):
    """torch's legacy 'nearest': floor(dst · in/out), in float32 (1/scale_factor when one was given)."""
    if out_size == in_size:
        return dst
    if out_size == 2 * in_size:
        return dst // 2
    f32 = numpy.float32
    ratio = f32(1.0 / scale) if scale else f32(in_size) / f32(out_size)
    return min(int(math.floor(f32(dst) * ratio)), in_size - 1)


def _linear_coordinate(dst, in_size, out_size, scale, align_corners, ftype):
    """(i0, i1, λ): output index dst sits at λ between input indices i0 and i1 (arithmetic in ``ftype``)."""
    if out_size == in_size:  # an axis that keeps its size is copied, whatever the scale factor (as torch)
        u = ftype(dst)
    elif align_corners:
        ratio = ftype(in_size - 1) / ftype(out_size - 1) if out_size > 1 else ftype(0)
        u = ftype(dst) * ratio
    else:
        ratio = ftype(1.0 / scale) if scale else ftype(in_size) / ftype(out_size)
        u = max((ftype(dst) + ftype(0.5)) * ratio - ftype(0.5), ftype(0))
    i0 = min(int(math.floor(u)), in_size - 1)
    lam = min(max(u - ftype(i0), ftype(0)), ftype(1))
    return i0, min(i0 + 1, in_size - 1), lam


def interpolate_forward(x, size=None, scale_factor=None, mode='nearest', align_corners=None,
                    recompute_scale_factor=None):
    """Resize by visiting every output pixel: copy its nearest source pixel, or mix its four neighbours

        y = (1−λy)(1−λx)·x[y0,x0] + (1−λy)λx·x[y0,x1] + λy(1−λx)·x[y1,x0] + λyλx·x[y1,x1].
    """
    xs = to_numpy(x)
    geo = _interp_args(xs.shape[2:], size, scale_factor, mode, align_corners, recompute_scale_factor)
    y = numpy.zeros(xs.shape[:2] + geo['size'], dtype=xs.dtype)
    for i, j, taps in _interp_taps(xs.shape[2:], geo, xs.dtype.type):
        for r, col, weight in taps:
            y[:, :, i, j] += weight * xs[:, :, r, col]
    return _back(y, x)


def interpolate_backward(grad, input_shape, size=None, scale_factor=None, mode='nearest', align_corners=None,
                             recompute_scale_factor=None):
    """dx: each output pixel's gradient sent back to the input pixels it read, with the same weights."""
    g = to_numpy(grad)
    geo = _interp_args(input_shape[2:], size, scale_factor, mode, align_corners, recompute_scale_factor)
    dx = numpy.zeros(input_shape, dtype=g.dtype)
    for i, j, taps in _interp_taps(input_shape[2:], geo, g.dtype.type):
        for r, col, weight in taps:
            dx[:, :, r, col] += weight * g[:, :, i, j]
    return _back(dx, grad)


def _interp_taps(in_hw, geo, ftype):
    """For each output pixel (i, j): the input pixels (r, col) it reads and their weights."""
    (h, w), (oh, ow), (sh, sw) = in_hw, geo['size'], geo['scales']
    one = ftype(1)
    for i in range(oh):
        for j in range(ow):
            if geo['mode'] == 'nearest':
                yield i, j, [(_nearest_index(i, h, oh, sh), _nearest_index(j, w, ow, sw), one)]
                continue
            r0, r1, ly = _linear_coordinate(i, h, oh, sh, geo['align_corners'], ftype)
            c0, c1, lx = _linear_coordinate(j, w, ow, sw, geo['align_corners'], ftype)
            yield i, j, [(r0, c0, (one - ly) * (one - lx)), (r0, c1, (one - ly) * lx),
                         (r1, c0, ly * (one - lx)), (r1, c1, ly * lx)]
