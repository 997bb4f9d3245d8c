"""col2im as one CUDA kernel: the CUDA twin of :mod:`minigrad.ops.im2col`.

The plain col2im adds the columns back with one strided ``+=`` per kernel tap
(kH·kW launches, each a read-modify-write of the whole padded image, plus the
zeros and a transposed copy).  Here one thread per padded-input pixel *gathers*
what the columns owe it: the taps (i, j) whose window lands on it.  No two
threads write the same pixel, so there are no atomics, and each pixel adds its
terms in the plain kernel's order (i, then j), so the sums are the same bit for bit.
"""
import numpy

from ..im2col import im2col, pad2d
from ...backend import get_array_module
from . import launch, raw_kernel

COL2IM = r'''
extern "C" __global__ void col2im(
        const scalar_t* dcols, scalar_t* out, long long pixels, int batch, int channels,
        int padded_h, int padded_w, int out_h, int out_w, int kernel_h, int kernel_w,
        int stride_h, int stride_w, int dilation_h, int dilation_w) {
    // dcols (C·kH·kW, N·Ho·Wo): row (c·kH + i)·kW + j, column (n·Ho + oh)·Wo + ow holds the tap (i, j) of
    // window (oh, ow), which read padded pixel (oh·sH + i·dH, ow·sW + j·dW).  out (N, C, Hp, Wp).
    const long long columns = (long long)batch * out_h * out_w;
    for (long long p = blockIdx.x * (long long)blockDim.x + threadIdx.x; p < pixels;
         p += (long long)blockDim.x * gridDim.x) {
        const int x = p % padded_w, y = (p / padded_w) % padded_h;
        const int c = (p / ((long long)padded_w * padded_h)) % channels;
        const int n = p / ((long long)padded_w * padded_h * channels);
        scalar_t sum = 0;
        for (int i = 0; i < kernel_h; ++i) {
            const int row = y - i * dilation_h;            // = oh · sH for the window that put tap i here
            if (row < 0 || row % stride_h != 0 || row / stride_h >= out_h) continue;
            for (int j = 0; j < kernel_w; ++j) {
                const int col = x - j * dilation_w;
                if (col < 0 || col % stride_w != 0 || col / stride_w >= out_w) continue;
                const long long tap = ((long long)c * kernel_h + i) * kernel_w + j;
                const long long window = ((long long)n * out_h + row / stride_h) * out_w + col / stride_w;
                sum += dcols[tap * columns + window];
            }
        }
        out[p] = sum;
    }
}
'''
#: name -> CUDA source: the kernels of this twin (also compile-checked by NVRTC).
RAW_KERNELS = {'col2im': COL2IM}


def col2im(dcols, pad_shape, kernel, out_hw, stride, dilation):
    """Adjoint of im2col (see the plain kernel): ``dcols`` (C·kH·kW, N·Ho·Wo) -> array of ``pad_shape``."""
    xp = get_array_module(dcols)
    n, c, hp, wp = pad_shape
    dcols = xp.ascontiguousarray(dcols).reshape(c * kernel[0] * kernel[1], -1)
    out = xp.empty(tuple(pad_shape), dtype=dcols.dtype)
    if out.size:
        i32 = numpy.int32
        launch(raw_kernel(xp, COL2IM, 'col2im', dcols.dtype), out.size,
               (dcols, out, numpy.int64(out.size), i32(n), i32(c), i32(hp), i32(wp), *map(i32, out_hw),
                *map(i32, kernel), *map(i32, stride), *map(i32, dilation)))
    return out


__all__ = ['col2im', 'im2col', 'pad2d']   # im2col, pad2d: the plain kernels (one copy each already)
