"""adaptive_avg_pool2d (ops/adaptive_pool.py) and pixel_(un)shuffle: against the naive loops of
ops/reference_resize.py, torch, float64 gradcheck and gradgradcheck, errors."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
from minigrad.ops import reference_resize as ref
from minigrad.ops.adaptive_pool import adaptive_windows
from minigrad.testing import as_numpy, assert_close, forward_backward, t64

#: (input H, W) -> output size: divisible, non-divisible (overlapping windows), upsampling, 1x1, same size
POOL_CASES = [((6, 8), (3, 4)), ((5, 7), (2, 3)), ((5, 7), (3, 4)), ((3, 2), (5, 4)), ((7, 5), 1), ((4, 4), (4, 4)),
              ((1, 1), (2, 3)), ((6, 5), (None, 2))]


@pytest.mark.parametrize('hw,out', POOL_CASES)
def test_adaptive_avg_pool_equals_the_loops(hw, out, rng):
    a = rng.standard_normal((2, 3) + hw)
    size = (out, out) if isinstance(out, int) else tuple(hw[i] if s is None else s for i, s in enumerate(out))
    g = rng.standard_normal((2, 3) + size)
    y, dx = forward_backward(F.adaptive_avg_pool2d, a, grad=g, output_size=out)
    assert y.shape == (2, 3) + size
    assert_close(y, ref.adaptive_avg_pool2d_forward(a, size), rtol=1e-12)
    assert_close(dx, ref.adaptive_avg_pool2d_backward(g, a.shape), rtol=1e-12)
    assert mg.gradcheck(lambda x: F.adaptive_avg_pool2d(x, out), [t64(a)])


def test_adaptive_windows_are_torchs_and_pool_differentiates_twice(rng):
    assert adaptive_windows(5, 3) == [(0, 2), (1, 4), (3, 5)]
    assert adaptive_windows(10, 4) == [(0, 3), (2, 5), (5, 8), (7, 10)]
    assert mg.gradgradcheck(lambda x: F.adaptive_avg_pool2d(x, (2, 3)), [t64(rng.standard_normal((1, 2, 5, 4)))])


def test_adaptive_avg_pool_unbatched_and_float32(rng):
    a = rng.standard_normal((3, 5, 4)).astype(np.float32)
    y = F.adaptive_avg_pool2d(mg.tensor(a), 2)
    assert y.shape == (3, 2, 2) and y.dtype == np.float32
    assert_close(y, ref.adaptive_avg_pool2d_forward(a, (2, 2)), rtol=1e-6)


@pytest.mark.parametrize('shape,r', [((2, 8, 3, 2), 2), ((1, 9, 2, 3), 3), ((4, 2, 2), 1), ((2, 3, 4, 2, 2), 2)])
def test_pixel_shuffle_equals_the_loops_and_unshuffle_inverts_it(shape, r, rng):
    if shape[-3] % (r * r):
        shape = shape[:-3] + (shape[-3] * r * r,) + shape[-2:]
    a = rng.standard_normal(shape)
    y = F.pixel_shuffle(t64(a), r)
    assert_close(y, ref.pixel_shuffle_forward(a, r), rtol=0, atol=0)
    back = F.pixel_unshuffle(y, r)
    assert_close(back, a, rtol=0, atol=0)
    assert_close(F.pixel_unshuffle(t64(as_numpy(y)), r), ref.pixel_unshuffle_forward(as_numpy(y), r), rtol=0, atol=0)
    assert mg.gradcheck(lambda x: F.pixel_shuffle(x, r), [t64(a)])
    assert mg.gradgradcheck(lambda x: F.pixel_unshuffle(F.pixel_shuffle(x, r) ** 2, r), [t64(a)])


def test_against_torch(rng):
    torch = pytest.importorskip('torch')
    tf = torch.nn.functional
    a = rng.standard_normal((2, 8, 7, 5))
    for out in [(3, 4), (7, 5), 1, (None, 2), (10, 3)]:
        x, t = t64(a), torch.tensor(a, requires_grad=True)
        y, r = F.adaptive_avg_pool2d(x, out), tf.adaptive_avg_pool2d(t, out)
        assert_close(y, r.detach().numpy(), rtol=1e-12)
        g = rng.standard_normal(y.shape)
        y.backward(mg.tensor(g))
        r.backward(torch.tensor(g))
        assert_close(x.grad, t.grad.numpy(), rtol=1e-12)
    b = a[:, :, :6, :4]
    assert_close(F.pixel_shuffle(t64(b), 2), tf.pixel_shuffle(torch.tensor(b), 2).numpy(), rtol=0, atol=0)
    assert_close(F.pixel_unshuffle(t64(b), 2), tf.pixel_unshuffle(torch.tensor(b), 2).numpy(), rtol=0, atol=0)


def test_errors_name_the_op_and_shapes():
    with pytest.raises(ValueError, match=r'adaptive_avg_pool2d: expected a 3-D \(C, H, W\) or 4-D .* got shape \(2, 3\)'):
        F.adaptive_avg_pool2d(mg.randn(2, 3), 1)
    with pytest.raises(ValueError, match='adaptive_avg_pool2d: output_size must hold ints >= 0'):
        F.adaptive_avg_pool2d(mg.randn(1, 2, 3, 3), (-1, 2))
    with pytest.raises(ValueError, match='adaptive_avg_pool2d: output_size must be an int or a pair'):
        F.adaptive_avg_pool2d(mg.randn(1, 2, 3, 3), (1, 2, 3))
    with pytest.raises(TypeError, match='adaptive_avg_pool2d: expected a floating-point input'):
        F.adaptive_avg_pool2d(mg.tensor(np.ones((1, 2, 3, 3), dtype=np.int64)), 1)
    with pytest.raises(ValueError, match=r'pixel_shuffle: .*divisible by r² = 4, got shape \(2, 6, 3, 3\)'):
        F.pixel_shuffle(mg.randn(2, 6, 3, 3), 2)
    with pytest.raises(ValueError, match='pixel_shuffle: upscale_factor must be a positive int, got 0'):
        F.pixel_shuffle(mg.randn(2, 4, 3, 3), 0)
    with pytest.raises(ValueError, match=r'pixel_unshuffle: .*H and W divisible by r = 2, got shape \(1, 1, 3, 4\)'):
        F.pixel_unshuffle(mg.randn(1, 1, 3, 4), 2)
