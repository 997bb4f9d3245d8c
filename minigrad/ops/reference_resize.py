"""Naive loop versions of the ops that change the spatial size by a rule rather than a
kernel: adaptive average pooling and pixel (un)shuffle — forward and backward.

Written straight from the formulas, one output position at a time over whole
(N, C) slices, with the window bounds written out again (not taken from
:mod:`minigrad.ops.adaptive_pool`) so they stay an independent check.  Plain
arrays in and out; the loops run on the CPU and the result goes back to the
input's backend.
"""
import numpy

from ..backend import device_of, to_device, to_numpy

__all__ = ['adaptive_avg_pool2d_forward', 'adaptive_avg_pool2d_backward',
           'pixel_shuffle_forward', 'pixel_unshuffle_forward']


def _bounds(i, size, out_size):
    """Window i of ``out_size`` over ``size`` positions: from ⌊i·size/out⌋ to ⌈(i+1)·size/out⌉."""
    start = (i * size) // out_size
    end = ((i + 1) * size + out_size - 1) // out_size
    return start, end


def adaptive_avg_pool2d_forward(x, output_size):
    """y[..., i, j] = mean of x[..., rows of window i, cols of window j]."""
    xs = to_numpy(x)
    ho, wo = output_size
    h, w = xs.shape[-2:]
    y = numpy.zeros(xs.shape[:-2] + (ho, wo), dtype=xs.dtype)
    for i in range(ho):
        r0, r1 = _bounds(i, h, ho)
        for j in range(wo):
            c0, c1 = _bounds(j, w, wo)
            y[..., i, j] = xs[..., r0:r1, c0:c1].mean(axis=(-2, -1))
    return to_device(y, device_of(x))


def adaptive_avg_pool2d_backward(grad, input_shape):
    """dL/dx: each output's gradient spread evenly over its window (windows may overlap: add)."""
    g = to_numpy(grad)
    ho, wo = g.shape[-2:]
    h, w = input_shape[-2:]
    dx = numpy.zeros(tuple(input_shape), dtype=g.dtype)
    for i in range(ho):
        r0, r1 = _bounds(i, h, ho)
        for j in range(wo):
            c0, c1 = _bounds(j, w, wo)
            dx[..., r0:r1, c0:c1] += g[..., i, j, None, None] / ((r1 - r0) * (c1 - c0))
    return to_device(dx, device_of(grad))


def pixel_shuffle_forward(x, r):
    """(…, C·r², H, W) -> (…, C, H·r, W·r):  y[..., c, h·r + a, w·r + b] = x[..., c·r² + a·r + b, h, w]."""
    xs = to_numpy(x)
    *batch, cr2, h, w = xs.shape
    c = cr2 // (r * r)
    y = numpy.zeros(tuple(batch) + (c, h * r, w * r), dtype=xs.dtype)
    for ch in range(c):
        for a in range(r):
            for b in range(r):
                y[..., ch, a::r, b::r] = xs[..., ch * r * r + a * r + b, :, :]
    return to_device(y, device_of(x))


def pixel_unshuffle_forward(x, r):
    """The inverse of pixel_shuffle: (…, C, H·r, W·r) -> (…, C·r², H, W)."""
    xs = to_numpy(x)
    *batch, c, hr, wr = xs.shape
    y = numpy.zeros(tuple(batch) + (c * r * r, hr // r, wr // r), dtype=xs.dtype)
    for ch in range(c):
        for a in range(r):
            for b in range(r):
                y[..., ch * r * r + a * r + b, :, :] = xs[..., ch, a::r, b::r]
    return to_device(y, device_of(x))
