"""The CPU emulation of CUDA kernels (minigrad/kernel_emulator.py) and the NVRTC compile
check of the CUDA twins (minigrad/ops/cuda/compile_check.py): both run without a GPU."""
import os

import numpy as np
import pytest

from minigrad import kernel_emulator, strict_cupy as cp
from minigrad.ops.cuda import compile_check

needs_compiler = pytest.mark.skipif(not kernel_emulator.available(), reason='no C++ compiler')

SCALE = r'''
typedef float scalar_t;
extern "C" __global__ void scale(const scalar_t* x, scalar_t* y, long long n, int factor) {
    for (long long o = blockIdx.x * (long long)blockDim.x + threadIdx.x; o < n;
         o += (long long)blockDim.x * gridDim.x)
        y[o] = factor * x[o];
}
'''


@needs_compiler
@pytest.mark.parametrize('grid,block', [(1, 1), (2, 3), ((3,), (4,)), (100, 256)])
def test_raw_kernel_runs_every_thread_of_the_grid(grid, block):
    x = cp.asarray(np.arange(50, dtype=np.float32))
    y = cp.zeros(50, dtype=np.float32)
    cp.RawKernel(SCALE, 'scale')(grid, block, (x, y, np.int64(50), np.int32(3)))
    np.testing.assert_array_equal(cp.asnumpy(y), 3 * np.arange(50, dtype=np.float32))


@needs_compiler
def test_raw_kernel_refuses_what_a_gpu_would_get_wrong_silently():
    kernel = cp.RawKernel(SCALE, 'scale')
    x, y = cp.zeros(8, dtype=np.float32), cp.zeros(8, dtype=np.float32)
    with pytest.raises(TypeError, match=r'parameter n: expects a long long \(int64\) scalar'):
        kernel((1,), (8,), (x, y, 8, np.int32(3)))                     # a Python int: raw bytes differ
    with pytest.raises(TypeError, match=r'parameter factor: expects a int \(int32\)'):
        kernel((1,), (8,), (x, y, np.int64(8), np.int64(3)))
    with pytest.raises(TypeError, match=r'parameter x: expects float\* \(float32\), got a float64'):
        kernel((1,), (8,), (cp.zeros(8), y, np.int64(8), np.int32(3)))
    with pytest.raises(ValueError, match='not C-contiguous'):
        kernel((1,), (4,), (cp.zeros(16, dtype=np.float32)[::2], y, np.int64(8), np.int32(3)))
    with pytest.raises(TypeError, match='needs a device array'):
        kernel((1,), (8,), (np.zeros(8, np.float32), y, np.int64(8), np.int32(3)))
    with pytest.raises(TypeError, match='takes 4 arguments'):
        kernel((1,), (8,), (x, y))


@needs_compiler
def test_kernels_whose_threads_cooperate_do_not_compile_here():
    code = 'extern "C" __global__ void f(float* x) { __syncthreads(); x[threadIdx.x] = 1; }'
    with pytest.raises(ValueError, match='does not compile as host C'):
        cp.RawKernel(code, 'f')((1,), (1,), (cp.zeros(1, dtype=np.float32),))


@needs_compiler
def test_elementwise_kernel_broadcasts_casts_scalars_and_writes_outputs_in_place():
    axpy = cp.ElementwiseKernel('T x, T a', 'T y', 'y = a * x + y', 'axpy')
    x = cp.asarray(np.arange(6, dtype=np.float32).reshape(2, 3))
    y = cp.ones((2, 3), dtype=np.float32)
    assert axpy(x, 2.5, y) is y
    np.testing.assert_array_equal(cp.asnumpy(y), 2.5 * np.arange(6, dtype=np.float32).reshape(2, 3) + 1)
    diff = cp.ElementwiseKernel('T x, T y', 'T z', 'z = x - y', 'diff')
    z = diff(x[:, ::2], cp.asarray(np.array([1, 2], np.float32)))     # strided, broadcast: allocated output
    assert z.dtype == np.float32
    np.testing.assert_array_equal(cp.asnumpy(z), np.array([[-1, 0], [2, 3]], np.float32))
    out = cp.zeros((3, 2), dtype=np.float32).T                         # a non-contiguous output is written
    diff(x, 1.0, out)
    np.testing.assert_array_equal(cp.asnumpy(out), np.arange(6).reshape(2, 3) - 1)


@needs_compiler
def test_elementwise_kernel_checks_types_and_names():
    diff = cp.ElementwiseKernel('T x, T y', 'T z', 'z = x - y', 'diff')
    with pytest.raises(TypeError, match='type T is float32, but y is float64'):
        diff(cp.zeros(3, dtype=np.float32), cp.zeros(3))
    with pytest.raises(TypeError, match='NumPy array'):
        diff(cp.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match='reserved by CuPy'):
        cp.ElementwiseKernel('T n', 'T z', 'z = n', 'bad')


def test_the_kernel_cache_is_never_a_folder_someone_else_can_write(tmp_path, monkeypatch):
    """Libraries in the cache are loaded and run: a shared or group/world-writable folder (which
    another user could have made first in the shared temporary directory) is not used."""
    monkeypatch.setattr(kernel_emulator.tempfile, 'tempdir', str(tmp_path))
    monkeypatch.setattr(kernel_emulator, '_private_folder', [])
    own = kernel_emulator._cache_folder()
    assert own == str(tmp_path / f'minigrad-kernels-{os.getuid()}')
    assert os.stat(own).st_mode & 0o777 == 0o700
    os.chmod(own, 0o777)                                   # opened up to everyone: not trusted
    other = kernel_emulator._cache_folder()
    assert other != own and os.stat(other).st_mode & 0o077 == 0
    assert kernel_emulator._cache_folder() == other       # one private folder per process


# ----------------------------------------------------------------------------- NVRTC

needs_nvrtc = pytest.mark.skipif(compile_check.find_nvrtc() is None,
                                 reason="no libnvrtc (pip install 'nvidia-cuda-nvrtc>=13,<14')")


@needs_nvrtc
def test_every_cuda_twin_kernel_compiles_under_nvrtc():
    nvrtc = compile_check.Nvrtc()
    sources = compile_check.kernel_sources()
    assert {name for _, name, _ in sources} >= {'col2im', 'maxpool2d_forward', 'adam_step', 'adam_amsgrad_step'}
    for label, name, source in sources:
        nvrtc.compile(source, name, compile_check.ARCHITECTURES[0])


@needs_nvrtc
def test_the_nvrtc_check_catches_host_only_names():
    """INFINITY is a host macro: the C++ emulator compiles it, NVRTC (as CuPy) does not."""
    code = 'extern "C" __global__ void f(float* x) { x[threadIdx.x] = -INFINITY; }'
    with pytest.raises(ValueError, match='INFINITY'):
        compile_check.Nvrtc().compile(code, 'f', 'compute_90')
