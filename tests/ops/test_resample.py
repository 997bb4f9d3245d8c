"""interpolate / upsample (ops/resample.py): against the naive loops of reference_pool.py,
forward and gradients, both align_corners conventions, float32 and float64, known values."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
from minigrad.ops import reference as R
from minigrad.testing import as_numpy, forward_backward

# (shape, size, scale_factor)
INTERP_CASES = [
    ((2, 3, 5, 7), (9, 4), None),        # up along H, down along W, non-integer ratios
    ((1, 2, 4, 6), None, 2),
    ((2, 2, 5, 7), None, 1.5),
    ((1, 2, 6, 5), None, (0.6, 2.3)),
    ((2, 1, 3, 4), (8, 8), None),
    ((1, 2, 5, 7), None, (2.1, 1.1)),    # W keeps its size: copied whatever the factor
    ((1, 1, 1, 3), (4, 1), None),        # one-pixel axes
]


def _rand(rng, shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize('mode,align_corners', [('nearest', None), ('bilinear', False), ('bilinear', True),
                                                ('bilinear', None)])
@pytest.mark.parametrize('shape,size,scale', INTERP_CASES)
@pytest.mark.parametrize('dtype', [np.float64, np.float32])
def test_interpolate_matches_reference(shape, size, scale, mode, align_corners, dtype):
    rng = np.random.default_rng(5)
    x = _rand(rng, shape, dtype)
    kw = dict(size=size, scale_factor=scale, mode=mode, align_corners=align_corners)
    y_ref = R.interpolate_forward(x, **kw)
    grad = _rand(rng, y_ref.shape, dtype)
    y, dx = forward_backward(F.interpolate, x, grad, **kw)
    assert y.dtype == dtype and dx.dtype == dtype
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(y.numpy(), as_numpy(y_ref), rtol=tol, atol=tol)
    np.testing.assert_allclose(dx, as_numpy(R.interpolate_backward(grad, shape, **kw)), rtol=tol, atol=tol)


def test_interpolate_known_values():
    x = mg.tensor(np.array([[[[0., 1.], [2., 3.]]]], dtype=np.float32))
    near = F.interpolate(x, scale_factor=2).numpy()[0, 0]
    np.testing.assert_array_equal(near, [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]])
    corners = F.interpolate(x, size=3, mode='bilinear', align_corners=True).numpy()[0, 0]
    np.testing.assert_allclose(corners, [[0, .5, 1], [1, 1.5, 2], [2, 2.5, 3]])
    half = F.interpolate(x, size=4, mode='bilinear').numpy()[0, 0, 0]  # src = (dst + .5)/2 − .5, clamped
    np.testing.assert_allclose(half, [0, .25, .75, 1])
    np.testing.assert_array_equal(F.upsample(x, scale_factor=2).numpy()[0, 0], near)
