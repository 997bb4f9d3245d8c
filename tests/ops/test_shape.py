"""Shape ops: reshape, permute, squeeze/unsqueeze, flatten, indexing, cat, stack, pad, expand."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
from minigrad.testing import assert_close, t64


def test_reshape_permute_transpose(rng):
    a = rng.standard_normal((2, 3, 4))
    assert_close(t64(a).reshape(4, 6), a.reshape(4, 6))
    assert_close(t64(a).permute(2, 0, 1), a.transpose(2, 0, 1))
    assert_close(t64(a).transpose(0, 2), a.swapaxes(0, 2))
    assert_close(t64(a[0]).T, a[0].T)
    assert mg.gradcheck(lambda x: x.reshape(6, 4).permute(1, 0) * 2, [t64(a)])


def test_squeeze_unsqueeze_flatten(rng):
    a = rng.standard_normal((2, 1, 3))
    x = t64(a)
    assert x.squeeze().shape == (2, 3)
    assert x.squeeze(1).shape == (2, 3)
    assert x.squeeze(0).shape == (2, 1, 3)
    assert x.unsqueeze(-1).shape == (2, 1, 3, 1)
    assert x.flatten().shape == (6,)
    assert x.flatten(1).shape == (2, 3)
    assert mg.gradcheck(lambda t: t.squeeze().unsqueeze(0).flatten(), [t64(a)])


def test_reshape_error_names_shapes():
    with pytest.raises(ValueError, match=r'reshape: cannot view a tensor of shape \(2, 3\)'):
        t64(np.ones((2, 3))).reshape(4, 2)


@pytest.mark.parametrize('index', [
    (0,), (slice(1, None),), (Ellipsis, 1), (slice(None), None, 2), (slice(None, None, -1),),
    (np.array([0, 2, 2]),), (np.array([True, False, True]),), (np.array([0, 1]), np.array([2, 0])),
])
def test_getitem_value_and_grad(index, rng):
    a = rng.standard_normal((3, 4))
    assert_close(t64(a)[index], a[index])
    assert mg.gradcheck(lambda x: x[index], [t64(a)])


def test_getitem_repeated_index_accumulates():
    x = t64([1.0, 2.0, 3.0])
    x[np.array([0, 0, 2])].sum().backward()
    assert_close(x.grad, [2.0, 0.0, 1.0])


def test_index_with_tensor():
    x = t64(np.arange(5.0))
    assert_close(x[mg.tensor(np.array([4, 1]))], [4.0, 1.0])


@pytest.mark.parametrize('dim', [0, 1, -1])
def test_cat_and_stack(dim, rng):
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    assert_close(mg.cat([t64(a), t64(b)], dim), np.concatenate([a, b], dim))
    assert_close(mg.stack([t64(a), t64(b)], dim), np.stack([a, b], dim))
    assert mg.gradcheck(lambda x, y: mg.cat([x, y, x], dim), [t64(a), t64(b)])
    assert mg.gradcheck(lambda x, y: mg.stack([x, y], dim), [t64(a), t64(b)])


def test_cat_shape_error():
    with pytest.raises(ValueError, match='cat: shapes must match'):
        mg.cat([t64(np.ones((2, 3))), t64(np.ones((3, 2)))], dim=0)


@pytest.mark.parametrize('mode', ['constant', 'reflect', 'replicate'])
@pytest.mark.parametrize('pad', [(1, 2), (2, 0, 1, 1), (0, 3, 2, 2)])
def test_pad(mode, pad, rng):
    a = rng.standard_normal((2, 3, 4, 5))
    widths = [(0, 0)] * (4 - len(pad) // 2) + [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(len(pad) // 2))]
    np_mode = {'constant': 'constant', 'reflect': 'reflect', 'replicate': 'edge'}[mode]
    assert_close(F.pad(t64(a), pad, mode=mode), np.pad(a, widths, mode=np_mode))
    assert mg.gradcheck(lambda x: F.pad(x, pad, mode=mode), [t64(a)])


def test_pad_reflect_too_wide_is_clear():
    with pytest.raises(ValueError, match='pad: reflect padding'):
        F.pad(t64(np.ones((1, 1, 3, 3))), (3, 3), mode='reflect')


def test_pad_against_torch(rng):
    torch = pytest.importorskip('torch')
    a = rng.standard_normal((1, 2, 5, 6))
    for mode in ('constant', 'reflect', 'replicate'):
        ours = F.pad(t64(a), (2, 1, 3, 0), mode=mode).numpy()
        theirs = torch.nn.functional.pad(torch.tensor(a), (2, 1, 3, 0), mode=mode).numpy()
        np.testing.assert_allclose(ours, theirs)


def test_expand(rng):
    a = rng.standard_normal((3, 1))
    assert_close(t64(a).expand(2, 3, 4), np.broadcast_to(a, (2, 3, 4)))
    assert mg.gradcheck(lambda x: x.expand(2, 3, 4), [t64(a)])
