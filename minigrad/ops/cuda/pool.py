"""Max-pooling's forward as one CUDA kernel: the CUDA twin of :mod:`minigrad.ops.pool`.

The plain kernel finds the maxima and their indices with whole-array operations:
copy every window's taps, reduce, compare, mask the padding, argmax, rebuild the
flat index — some thirty launches on a GPU.  Here one thread per output pixel
walks its window once.  Same names, signatures and results as the plain kernels
(``argmax`` is the int64 flat index over H·W, the first maximum in scan order that
lies inside x, or the first NaN); the backward scatter and the indices are the
plain ones.
"""
import numpy

from ..pool import maxpool_backward, maxpool_indices
from ...backend import get_array_module
from . import launch, raw_kernel

MAXPOOL_FORWARD = r'''
extern "C" __global__ void maxpool2d_forward(
        const scalar_t* x, scalar_t* y, long long* argmax, long long outputs,
        int h, int w, int out_h, int out_w, int kernel_h, int kernel_w,
        int stride_h, int stride_w, int pad_h, int pad_w, int dilation_h, int dilation_w) {
    // One thread per output pixel o = ((plane · out_h) + oh) · out_w + ow, plane = n · C + c.
    for (long long o = blockIdx.x * (long long)blockDim.x + threadIdx.x; o < outputs;
         o += (long long)blockDim.x * gridDim.x) {
        const int ow = o % out_w, oh = (o / out_w) % out_h;
        const scalar_t* plane = x + (o / ((long long)out_h * out_w)) * h * w;
        scalar_t best = 0;           // replaced by the first tap inside x (best_at < 0 until then)
        long long best_at = -1;
        // Taps in scan order; padding is skipped (it never wins); the first strict maximum wins
        // ties; a NaN wins outright and ends the search (as torch).
        for (int i = 0; i < kernel_h && !isnan(best); ++i) {
            const int row = oh * stride_h - pad_h + i * dilation_h;
            if (row < 0 || row >= h) continue;
            for (int j = 0; j < kernel_w && !isnan(best); ++j) {
                const int col = ow * stride_w - pad_w + j * dilation_w;
                if (col < 0 || col >= w) continue;
                const scalar_t v = plane[row * w + col];
                if (best_at < 0 || v > best || isnan(v)) {
                    best = v;
                    best_at = (long long)row * w + col;
                }
            }
        }
        y[o] = best;
        argmax[o] = best_at;
    }
}
'''

#: name -> CUDA source: the kernels of this twin (also compile-checked by NVRTC).
RAW_KERNELS = {'maxpool2d_forward': MAXPOOL_FORWARD}


def maxpool_forward(x, kernel, stride, padding, dilation, out_hw, need_argmax=True):
    """(y, argmax): the window maxima and the int64 flat index (over H·W) of each (see the plain kernel)."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    x = xp.ascontiguousarray(x)
    y = xp.empty((n, c) + tuple(out_hw), dtype=x.dtype)
    argmax = xp.empty(y.shape, dtype=xp.int64)
    if y.size:
        i32 = numpy.int32
        launch(raw_kernel(xp, MAXPOOL_FORWARD, 'maxpool2d_forward', x.dtype), y.size,
               (x, y, argmax, numpy.int64(y.size), i32(h), i32(w), i32(out_hw[0]), i32(out_hw[1]),
                *map(i32, kernel), *map(i32, stride), *map(i32, padding), *map(i32, dilation)))
    return y, (argmax if need_argmax else None)


__all__ = ['maxpool_forward', 'maxpool_backward', 'maxpool_indices']   # the last two: the plain kernels
