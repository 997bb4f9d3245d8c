"""CUDA twins of the plain kernels: one short CUDA C++ kernel where the plain CuPy code is a
chain of many small launches.

Same idea as :mod:`minigrad.ops.fast` (same function names and signatures as the plain
kernels, paired in :mod:`minigrad.ops.kernels`), but for CuPy arrays, and switched on only
with ``MINIGRAD_CUDA_KERNELS=1`` (:func:`minigrad.backend.use_cuda_kernels`) until a GPU
benchmark shows that they pay (issue 19; ``tools/gpu_check.sh`` measures it).

Each kernel's CUDA source sits in its module as a string, readable beside the plain code it
replaces.  On the strict CPU stand-in (``MINIGRAD_BACKEND=cupy-strict``) the same source is
compiled as host C++ and every thread run in turn (:mod:`minigrad.kernel_emulator`), so the
tests check the kernels against the plain path without a GPU.
"""
#: Threads per block: a multiple of the warp size, small enough for any GPU.
THREADS = 256
#: Blocks at most per launch; the kernels loop (grid-stride) over whatever is left.
MAX_BLOCKS = 4096

_compiled = {}


def raw_kernel(xp, source, name, dtype):
    """``xp.RawKernel`` for ``source`` with its element type ``scalar_t`` set to ``dtype``
    (compiled once per array module, kernel and dtype)."""
    key = (xp.__name__, name, source, dtype.str)
    if key not in _compiled:
        ctype = {'float32': 'float', 'float64': 'double'}.get(dtype.name)
        if ctype is None:
            raise TypeError(f"{name}: the CUDA kernel takes float32 or float64 arrays, got {dtype}")
        _compiled[key] = xp.RawKernel(f'typedef {ctype} scalar_t;\n' + source, name)
    return _compiled[key]


def elementwise_kernel(xp, in_params, out_params, operation, name):
    """``xp.ElementwiseKernel`` (compiled by CuPy once per dtype on first use)."""
    key = (xp.__name__, name, in_params, out_params, operation)
    if key not in _compiled:
        _compiled[key] = xp.ElementwiseKernel(in_params, out_params, operation, name)
    return _compiled[key]


def launch(kernel, count, args):
    """Run ``kernel`` with enough THREADS-thread blocks to give each of ``count`` items a thread
    (at most MAX_BLOCKS: the kernels' grid-stride loops cover the rest)."""
    blocks = max(1, min((count + THREADS - 1) // THREADS, MAX_BLOCKS))
    kernel((blocks,), (THREADS,), args)
