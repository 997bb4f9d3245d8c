"""max_pool2d / avg_pool2d / max_unpool2d (and interpolate in the shared gradcheck, error and
torch tests): the plain and the fast kernels against the naive loop references (forward and
gradients), torch's index and divisor conventions, float64 gradchecks, argument errors, and
(when installed) PyTorch itself.  interpolate's case table: test_resample.py."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
from minigrad.ops import reference as R
from minigrad.testing import as_numpy, forward_backward

# (shape, kernel, stride, padding, dilation)
MAX_CASES = [
    ((1, 2, 8, 8), 2, None, 0, 1),                 # batch 1, the reshape shortcut (k == s divides)
    ((2, 3, 7, 9), 3, None, 1, 1),                 # odd H/W, padding = k // 2
    ((2, 2, 7, 9), (3, 2), (2, 1), (1, 1), 1),     # non-square kernel, overlapping windows
    ((1, 3, 9, 7), 2, 3, 1, 1),                    # stride > kernel
    ((2, 2, 6, 7), (1, 2), 1, 0, 1),               # windows overlap along W only
    ((2, 2, 11, 10), 3, 1, 1, 2),                  # dilation 2
    ((1, 2, 12, 11), (2, 3), 2, (1, 1), (3, 2)),   # dilation 3, mixed
    ((2, 1, 9, 8), 4, 3, 2, 1),                    # even kernel, padding = k / 2
    ((2, 2, 5, 6), 1, 2, 0, 1),                    # 1x1 kernel, strided
    ((1, 2, 5, 5), 5, 1, 0, 1),                    # kernel = input
]

# (shape, kernel, stride, padding)
AVG_CASES = [
    ((1, 2, 8, 8), 2, None, 0),
    ((2, 3, 7, 9), 3, 2, 1),
    ((2, 2, 7, 6), (3, 2), (2, 1), (1, 1)),
    ((1, 2, 9, 7), 2, 3, 1),
    ((2, 1, 9, 8), 4, 3, 2),
    ((2, 2, 5, 6), (1, 3), (2, 2), (0, 1)),
]



def _rand(rng, shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


def _distinct(rng, shape):
    """float64 values far apart (no ties, and ±1e-6 never changes an argmax)."""
    return (rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1 + 0.05).astype(np.float64)


# --------------------------------------------------------------------------- max pooling


@pytest.mark.parametrize('ceil_mode', [False, True])
@pytest.mark.parametrize('shape,k,s,p,d', MAX_CASES)
def test_max_pool_matches_reference(shape, k, s, p, d, ceil_mode):
    rng = np.random.default_rng(1)
    x = _rand(rng, shape)
    y_ref, idx_ref = R.max_pool2d_forward(x, k, s, p, d, ceil_mode)
    grad = _rand(rng, y_ref.shape)
    (y, idx), dx = forward_backward(F.max_pool2d, x, grad, kernel_size=k, stride=s, padding=p, dilation=d,
                        ceil_mode=ceil_mode, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), as_numpy(y_ref))
    np.testing.assert_array_equal(idx.numpy(), as_numpy(idx_ref))
    assert idx.dtype == np.int64 and not idx.requires_grad
    np.testing.assert_allclose(dx, as_numpy(R.max_pool2d_backward(grad, idx_ref, shape)), rtol=0, atol=1e-12)


def test_max_pool_ties_pick_first_in_scan_order():
    x = np.array([[[[1., 3., 0., 0.],
                    [3., 1., 0., 0.],
                    [2., 2., 5., 4.],
                    [2., 2., 5., 5.]]]], dtype=np.float32)
    y, idx = F.max_pool2d(mg.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(y.numpy()[0, 0], [[3, 0], [2, 5]])
    np.testing.assert_array_equal(idx.numpy()[0, 0], [[1, 2], [8, 10]])  # flat over H*W = 4*4
    # overlapping windows on a constant image: every index is its window's first real tap
    (y, idx), dx = forward_backward(F.max_pool2d, np.zeros((2, 1, 5, 6)), kernel_size=3, stride=1, padding=1,
                        return_indices=True)
    rows, cols = np.maximum(np.arange(5) - 1, 0), np.maximum(np.arange(6) - 1, 0)
    np.testing.assert_array_equal(idx.numpy()[1, 0], rows[:, None] * 6 + cols[None, :])
    assert dx.sum() == y.numpy().size  # each output sends its gradient to exactly one input


def test_max_pool_all_minus_inf_window_keeps_first_real_tap():
    x = np.full((1, 1, 3, 3), -np.inf)
    _, idx = F.max_pool2d(mg.tensor(x), 2, stride=2, padding=1, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), as_numpy(R.max_pool2d_forward(x, 2, 2, 1)[1]))
    np.testing.assert_array_equal(idx.numpy()[0, 0], [[0, 1], [3, 4]])


def test_max_pool_no_grad_and_float32(kernels):
    x = _rand(np.random.default_rng(0), (2, 3, 6, 6), np.float32)
    xt = mg.tensor(x, requires_grad=True)
    y = F.max_pool2d(xt, 3, 2, 1)
    assert y.dtype == np.float32
    y.sum().backward()
    assert xt.grad.dtype == np.float32
    with mg.no_grad():
        y, idx = F.max_pool2d(xt, 3, 2, 1, return_indices=True)
    assert not y.requires_grad and idx.shape == y.shape
    fast = mg.backend.fast_kernels_for(mg.backend.default_xp())   # NumPy only: CuPy always runs plain
    per_output = 1 if fast else 8     # the fast graph keeps 1-byte taps, the plain int64 indices
    assert mg.graph_bytes(F.max_pool2d(xt, 2)) == 2 * 3 * 3 * 3 * per_output
    y, idx = F.max_pool2d(xt, 2, return_indices=True)
    assert idx.dtype == np.int64 and not idx.requires_grad and idx.is_leaf
    assert mg.graph_bytes(y) == 2 * 3 * 3 * 3 * 8                    # the returned indices, shared


# --------------------------------------------------------------------------- average pooling


@pytest.mark.parametrize('ceil_mode', [False, True])
@pytest.mark.parametrize('count_include_pad', [True, False])
@pytest.mark.parametrize('divisor_override', [None, 5])
@pytest.mark.parametrize('shape,k,s,p', AVG_CASES)
def test_avg_pool_matches_reference(shape, k, s, p, ceil_mode, count_include_pad, divisor_override):
    rng = np.random.default_rng(2)
    x = _rand(rng, shape)
    kw = dict(kernel_size=k, stride=s, padding=p, ceil_mode=ceil_mode, count_include_pad=count_include_pad,
              divisor_override=divisor_override)
    y_ref = R.avg_pool2d_forward(x, **kw)
    grad = _rand(rng, y_ref.shape)
    y, dx = forward_backward(F.avg_pool2d, x, grad, **kw)
    np.testing.assert_allclose(y.numpy(), as_numpy(y_ref), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx, as_numpy(R.avg_pool2d_backward(grad, shape, **kw)), rtol=1e-12, atol=1e-12)


def test_avg_pool_divisors_at_borders():
    ones = mg.tensor(np.ones((1, 1, 5, 5), dtype=np.float32))
    # count_include_pad: corner windows see 4 of 9 real pixels
    y = F.avg_pool2d(ones, 3, 2, 1, ceil_mode=True)
    np.testing.assert_allclose(y.numpy()[0, 0], [[4 / 9, 6 / 9, 4 / 9], [6 / 9, 1, 6 / 9], [4 / 9, 6 / 9, 4 / 9]],
                               rtol=1e-6)
    # a ceil-mode window hanging past the (unpadded) border is divided by its part inside only
    np.testing.assert_allclose(F.avg_pool2d(ones, 2, 2, ceil_mode=True).numpy(), np.ones((1, 1, 3, 3)))
    np.testing.assert_allclose(F.avg_pool2d(ones, 6, 2, ceil_mode=True).numpy(), np.ones((1, 1, 1, 1)))
    np.testing.assert_allclose(F.avg_pool2d(ones, 3, 2, 1, count_include_pad=False).numpy(), np.ones((1, 1, 3, 3)))
    np.testing.assert_allclose(F.avg_pool2d(ones, 2, divisor_override=2).numpy(), np.full((1, 1, 2, 2), 2.0))


# --------------------------------------------------------------------------- max unpooling


def test_max_pool_unpool_round_trip():
    x = _distinct(np.random.default_rng(3), (2, 3, 7, 9))
    y, idx = F.max_pool2d(mg.tensor(x), 2, return_indices=True)
    up = F.max_unpool2d(y, idx, 2, output_size=x.shape)
    assert up.shape == x.shape
    u, xs = up.numpy(), x
    window_max = np.zeros_like(xs)
    for i in range(3):
        for j in range(4):
            block = xs[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
            hit = block == block.max(axis=(2, 3), keepdims=True)
            window_max[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2] = np.where(hit, block, 0)
    np.testing.assert_array_equal(u, window_max)  # maxima back in place, zeros elsewhere
    y8, idx8 = F.max_pool2d(mg.tensor(x[:, :, :6, :8]), 2, return_indices=True)
    assert F.max_unpool2d(y8, idx8, 2).shape == (2, 3, 6, 8)  # default (H - 1)·s − 2p + k
    np.testing.assert_array_equal(u, as_numpy(R.max_unpool2d_forward(y.numpy(), idx.numpy(), (7, 9))))


@pytest.mark.parametrize('shape,k,s,p,out_hw', [((2, 3, 3, 4), 2, None, 0, None), ((1, 2, 4, 3), 3, 2, 1, (8, 6)),
                                                ((2, 1, 3, 3), (2, 3), (3, 2), 0, (7, 7))])
def test_max_unpool_matches_reference(shape, k, s, p, out_hw):
    rng = np.random.default_rng(4)
    kk, ss, pp = [(v, v) if isinstance(v, int) else v for v in (k, s if s is not None else k, p)]
    default = tuple((shape[2 + a] - 1) * ss[a] - 2 * pp[a] + kk[a] for a in (0, 1))
    hw = out_hw or default
    planes = shape[0] * shape[1]
    idx = np.stack([rng.permutation(hw[0] * hw[1])[:shape[2] * shape[3]] for _ in range(planes)])
    idx = idx.reshape(shape).astype(np.int64)
    x = _rand(rng, shape)
    grad = _rand(rng, shape[:2] + hw)
    xt = mg.tensor(x, requires_grad=True)
    y = F.max_unpool2d(xt, mg.tensor(idx), k, s, p, output_size=out_hw)
    y.backward(mg.tensor(grad).array)
    np.testing.assert_array_equal(y.numpy(), as_numpy(R.max_unpool2d_forward(x, idx, hw)))
    np.testing.assert_array_equal(as_numpy(xt.grad), as_numpy(R.max_unpool2d_backward(grad, idx)))


# --------------------------------------------------------------------------- gradchecks (float64)


def test_gradchecks():
    rng = np.random.default_rng(6)
    x = mg.tensor(_distinct(rng, (2, 2, 5, 6)), requires_grad=True)
    assert mg.gradcheck(lambda t: F.max_pool2d(t, 3, 2, 1, ceil_mode=True), [x])
    assert mg.gradcheck(lambda t: F.max_pool2d(t, (2, 3), 1, 1, dilation=2), [x])
    xr = mg.tensor(_rand(rng, (2, 2, 5, 6)), requires_grad=True)
    assert mg.gradcheck(lambda t: F.avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False), [xr])
    assert mg.gradcheck(lambda t: F.avg_pool2d(t, (2, 3), (1, 2), (1, 0), divisor_override=4), [xr])
    _, idx = F.max_pool2d(x, 2, return_indices=True)
    xu = mg.tensor(_rand(rng, idx.shape), requires_grad=True)
    assert mg.gradcheck(lambda t: F.max_unpool2d(t, idx, 2, output_size=(5, 6)), [xu])
    xi = mg.tensor(_rand(rng, (1, 2, 4, 5)), requires_grad=True)
    assert mg.gradcheck(lambda t: F.interpolate(t, size=(7, 3), mode='bilinear'), [xi])
    assert mg.gradcheck(lambda t: F.interpolate(t, scale_factor=1.5, mode='bilinear', align_corners=True), [xi])
    assert mg.gradcheck(lambda t: F.interpolate(t, size=(9, 4)), [xi])


# --------------------------------------------------------------------------- errors


def _err(fn, match, exc=ValueError):
    with pytest.raises(exc, match=match):
        fn()


def test_errors():
    x = mg.tensor(np.zeros((1, 2, 5, 5), dtype=np.float32))
    _err(lambda: F.max_pool2d(x, 6), r"max_pool2d: kernel \(6, 6\).*larger than the padded input 5x5")
    _err(lambda: F.avg_pool2d(x, 3, stride=0), r"avg_pool2d: stride must be >= 1")
    _err(lambda: F.max_pool2d(x, 3, padding=2), r"max_pool2d: padding \(2, 2\) must be at most half")
    _err(lambda: F.max_pool2d(x, 2, padding=-1), r"padding must be >= 0")
    _err(lambda: F.max_pool2d(x, (2, 2, 2)), r"kernel_size must be an int or a pair")
    _err(lambda: F.max_pool2d(mg.tensor(np.zeros((2, 5, 5))), 2), r"max_pool2d: expected a 4-D input.*\(2, 5, 5\)")
    _err(lambda: F.avg_pool2d(mg.tensor(np.zeros((1, 1, 4, 4), dtype=np.int64)), 2), r"floating-point", TypeError)
    _err(lambda: F.avg_pool2d(x, 2, divisor_override=0), r"divisor_override")
    _err(lambda: F.interpolate(x, size=4, mode='bicubic'), r"interpolate: mode must be one of")
    _err(lambda: F.interpolate(x, size=4, align_corners=True), r"align_corners can only be set")
    _err(lambda: F.interpolate(x), r"exactly one of size and scale_factor")
    _err(lambda: F.interpolate(x, size=4, scale_factor=2), r"exactly one of size and scale_factor")
    _err(lambda: F.interpolate(x, scale_factor=0.1), r"empty output")
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    _err(lambda: F.max_unpool2d(y, idx[:, :1], 2), r"max_unpool2d: indices must be an integer array.*\(1, 2, 2, 2\)")
    _err(lambda: F.max_unpool2d(y, y, 2), r"max_unpool2d: indices must be an integer")
    _err(lambda: F.max_unpool2d(y, idx, 2, output_size=(7, 7)), r"output_size \(7, 7\)")
    big = mg.tensor(np.full(idx.shape, 16, dtype=np.int64))
    _err(lambda: F.max_unpool2d(y, big, 2), r"indices must lie in \[0, 16\)")


# --------------------------------------------------------------------------- PyTorch


def test_against_torch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(7)
    x = _rand(rng, (2, 3, 9, 11), np.float32)

    def both(mg_fn, torch_fn, tol=1e-5):
        xt = mg.tensor(x, requires_grad=True)
        out = mg_fn(xt)
        y = out[0] if isinstance(out, tuple) else out
        g = _rand(rng, y.shape, np.float32)
        y.backward(mg.tensor(g).array)
        xr = torch.tensor(x, requires_grad=True)
        out_r = torch_fn(xr)
        yr = out_r[0] if isinstance(out_r, tuple) else out_r
        yr.backward(torch.tensor(g))
        assert y.shape == tuple(yr.shape)
        np.testing.assert_allclose(y.numpy(), yr.detach().numpy(), rtol=tol, atol=tol)
        np.testing.assert_allclose(as_numpy(xt.grad), xr.grad.numpy(), rtol=tol, atol=tol)
        if isinstance(out, tuple):
            np.testing.assert_array_equal(out[1].numpy(), out_r[1].numpy())

    for k, s, p, d, ceil in [(2, None, 0, 1, False), (3, 2, 1, 1, True), ((3, 2), (2, 3), (1, 1), 2, True),
                             (2, 3, 1, 3, False)]:
        both(lambda t: F.max_pool2d(t, k, s, p, d, ceil, return_indices=True),
             lambda t: tf.max_pool2d(t, k, s, p, d, ceil, return_indices=True))
    for k, s, p, ceil, cip, div in [(3, 2, 1, True, True, None), (3, 2, 1, True, False, None),
                                    ((2, 4), (3, 2), (1, 2), True, True, 3), (4, 3, 2, False, False, None)]:
        both(lambda t: F.avg_pool2d(t, k, s, p, ceil, cip, div), lambda t: tf.avg_pool2d(t, k, s, p, ceil, cip, div))
    both(lambda t: F.max_unpool2d(*F.max_pool2d(t, 3, 2, 1, return_indices=True), 3, 2, 1),
         lambda t: tf.max_unpool2d(*tf.max_pool2d(t, 3, 2, 1, return_indices=True), 3, 2, 1))
    for size, scale in [((5, 7), None), (None, 2), (None, 1.7), ((20, 4), None), (None, (2.1, 1.1))]:
        both(lambda t: F.interpolate(t, size, scale), lambda t: tf.interpolate(t, size, scale))
        for ac in (False, True):
            both(lambda t: F.interpolate(t, size, scale, 'bilinear', ac),
                 lambda t: tf.interpolate(t, size, scale, 'bilinear', ac))
