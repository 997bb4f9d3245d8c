"""The CUDA twins (minigrad/ops/cuda) against the plain CuPy kernels they replace.

They run wherever the backend is CuPy: on a GPU, and on the CPU under the strict stand-in
(``MINIGRAD_BACKEND=cupy-strict``), which compiles the same CUDA source as host C++
(minigrad/kernel_emulator.py).  On the plain NumPy run there is no device: skipped.
"""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import backend, nn
from minigrad.ops import im2col, pool
from minigrad.ops.geometry import conv_out_size, pool_out_size
from minigrad.ops.cuda import adam as cuda_adam, columns as cuda_columns, pool as cuda_pool
from minigrad.ops.kernels import CUDA_TWINS, kernels_for
from minigrad.optim import adam_update

pytestmark = pytest.mark.skipif(backend.default_backend() != 'cupy' or backend.cupy is None,
                                reason='the CUDA twins run on CuPy (or the strict stand-in) only')


@pytest.fixture
def xp():
    return backend.cupy


@pytest.fixture
def cuda_kernels():
    previous = backend.use_cuda_kernels(True)
    yield
    backend.use_cuda_kernels(previous)


def test_the_switch_picks_the_cuda_twins_on_cupy_only(xp):
    previous = backend.use_cuda_kernels(True)
    try:
        assert all(kernels_for(xp, plain).__name__ == twin for plain, twin in CUDA_TWINS.items())
        backend.use_cuda_kernels(False)
        assert all(kernels_for(xp, plain).__name__ == plain for plain in CUDA_TWINS)
    finally:
        backend.use_cuda_kernels(previous)


GEOMETRIES = [  # kernel, stride, padding, dilation, ceil_mode
    ((2, 2), (2, 2), (0, 0), (1, 1), False),
    ((3, 3), (2, 2), (1, 1), (1, 1), True),
    ((3, 2), (1, 2), (1, 0), (2, 1), False),
    ((1, 1), (1, 1), (0, 0), (1, 1), False),
    ((4, 4), (3, 3), (2, 2), (1, 1), True),
]


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('geometry', GEOMETRIES)
def test_maxpool_forward_matches_the_plain_kernel_bit_for_bit(xp, dtype, geometry):
    kernel, stride, padding, dilation, ceil = geometry
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 9, 8)).astype(dtype)
    x[0, 0, 0, :3] = np.nan                    # a NaN wins its windows
    x[1, 1, 2:5, 2:5] = -np.inf                # windows of -inf: the first tap inside x
    x[1, 2] = 1.0                              # ties: the first maximum in scan order
    x[0, 2] = np.round(x[0, 2])                # more ties
    out_hw = tuple(pool_out_size(x.shape[2 + a], kernel[a], stride[a], padding[a], dilation[a], ceil) for a in (0, 1))
    device = xp.asarray(x)
    y, index = pool.maxpool_forward(device, kernel, stride, padding, dilation, out_hw)
    y2, index2 = cuda_pool.maxpool_forward(device, kernel, stride, padding, dilation, out_hw)
    assert y2.dtype == y.dtype and index2.dtype == index.dtype == np.int64
    np.testing.assert_array_equal(xp.asnumpy(y2), xp.asnumpy(y))   # NaNs in the same places
    np.testing.assert_array_equal(xp.asnumpy(index2), xp.asnumpy(index))


def test_maxpool_forward_reads_strided_input_and_empty_batches(xp):
    x = xp.asarray(np.random.default_rng(1).standard_normal((3, 8, 6, 2)).astype('float32')).transpose(0, 3, 1, 2)
    args = ((2, 2), (2, 2), (0, 0), (1, 1), (4, 3))
    np.testing.assert_array_equal(xp.asnumpy(cuda_pool.maxpool_forward(x, *args)[0]),
                                  xp.asnumpy(pool.maxpool_forward(x, *args)[0]))
    y, index = cuda_pool.maxpool_forward(xp.zeros((0, 2, 8, 6), dtype='float32'), *args)
    assert y.shape == index.shape == (0, 2, 4, 3)
    assert cuda_pool.maxpool_forward(x, *args, need_argmax=False)[1] is None


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('kernel,stride,dilation', [((3, 3), (1, 1), (1, 1)), ((4, 4), (2, 2), (1, 1)),
                                                    ((3, 2), (2, 1), (2, 3)), ((1, 1), (3, 2), (1, 1)),
                                                    ((2, 3), (3, 3), (1, 2))])
def test_col2im_matches_the_plain_kernel_bit_for_bit(xp, dtype, kernel, stride, dilation):
    """Each pixel adds its taps in the plain kernel's order (i, then j): the same sums exactly."""
    n, c, hp, wp = 2, 3, 11, 10
    out_hw = tuple(conv_out_size(size, kernel[a], stride[a], 0, 0, dilation[a]) for a, size in enumerate((hp, wp)))
    rng = np.random.default_rng(11)
    dcols = xp.asarray(rng.standard_normal((c * kernel[0] * kernel[1], n * out_hw[0] * out_hw[1])).astype(dtype))
    args = ((n, c, hp, wp), kernel, out_hw, stride, dilation)
    twin = cuda_columns.col2im(dcols, *args)
    assert twin.shape == (n, c, hp, wp) and twin.dtype == dtype
    np.testing.assert_array_equal(xp.asnumpy(twin), xp.asnumpy(im2col.col2im(dcols, *args)))
    grouped = dcols.reshape(1, dcols.shape[0], -1)            # as input_grad_gemm returns it (groups, ., .)
    np.testing.assert_array_equal(xp.asnumpy(cuda_columns.col2im(grouped, *args)), xp.asnumpy(twin))


def test_conv_gradients_with_the_col2im_twin(xp, cuda_kernels):
    """conv2d's input gradient and conv_transpose2d's forward both run col2im."""
    rng = np.random.default_rng(5)
    x = mg.tensor(rng.standard_normal((2, 4, 9, 9)), requires_grad=True)
    w = mg.tensor(rng.standard_normal((6, 2, 3, 3)), requires_grad=True)
    assert mg.gradcheck(lambda x, w: mg.functional.conv2d(x, w, stride=2, padding=1, groups=2), (x, w))
    wt = mg.tensor(rng.standard_normal((4, 3, 4, 4)), requires_grad=True)
    assert mg.gradcheck(lambda x, w: mg.functional.conv_transpose2d(x, w, stride=2, padding=1), (x, wt))


@pytest.mark.parametrize('dtype,rtol', [('float32', 2e-6), ('float64', 1e-14)])
@pytest.mark.parametrize('amsgrad', [False, True])
def test_adam_step_matches_the_plain_update(xp, dtype, rtol, amsgrad):
    """Same arithmetic in the same order: bit for bit on the CPU stand-in; a GPU may fuse a
    multiply-add (one rounding fewer), hence a tolerance of a few units in the last place there."""
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((5, 7, 3)).astype(dtype) for _ in range(3)]      # p, g, m
    arrays += [rng.random((5, 7, 3)).astype(dtype) for _ in range(2 if amsgrad else 1)]  # v (, v_max)
    plain = [xp.asarray(a) for a in arrays]
    twin = [xp.asarray(a) for a in arrays]
    coefficients = (0.9, 0.999, 1e-3 / (1 - 0.9 ** 3), math.sqrt(1 - 0.999 ** 3), 1e-8)
    for step in range(3):
        adam_update(*plain[:4], plain[4] if amsgrad else None, coefficients)
        cuda_adam.adam_update(*twin[:4], twin[4] if amsgrad else None, coefficients)
    if xp.__name__ == 'minigrad.strict_cupy':   # the emulator does no fused multiply-adds: exact
        rtol = 0
    for name, a, b in zip('p g m v v_max'.split(), twin, plain):
        np.testing.assert_allclose(xp.asnumpy(a), xp.asnumpy(b), rtol=rtol, atol=rtol * 1e-2, err_msg=name)


def test_training_with_the_twins_matches_training_without(xp):
    """A small conv net with max-pooling, five Adam steps: the same losses either way."""
    def losses(use_twins):
        previous = backend.use_cuda_kernels(use_twins)
        try:
            mg.manual_seed(0)
            net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                nn.Conv2d(8, 4, 3, padding=1), nn.MaxPool2d(3, stride=2, padding=1))
            opt = mg.optim.Adam(net.parameters(), lr=1e-2)
            x, target = mg.randn(4, 3, 16, 16), mg.randn(4, 4, 4, 4)
            out = []
            for _ in range(5):
                opt.zero_grad()
                loss = ((net(x) - target) ** 2).mean()
                loss.backward()
                opt.step()
                out.append(float(loss))
            return out
        finally:
            backend.use_cuda_kernels(previous)
    np.testing.assert_allclose(losses(True), losses(False), rtol=1e-5)
