"""The Python surface a porter of PyTorch code touches, where a difference would be silent:
comparisons, truth values, max(dim), in-place updates and their version check, dims out of
range, ``.data`` / ``.grad`` as Tensors.  Each case failed (silently) before issue 17."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.testing import assert_close, t64


# ---------------------------------------------------------------- comparisons and truth values

def test_equality_is_element_wise():
    pred, y = mg.tensor([0, 2, 1, 1]), mg.tensor([0, 1, 1, 2])
    assert (pred == y).tolist() == [True, False, True, False]
    assert (pred != y).tolist() == [False, True, False, True]
    assert (pred == y).float().mean().item() == 0.5          # the accuracy idiom
    x = mg.tensor([0.0, 3.0, 0.0])
    assert mg.where(x == 0, mg.ones(3), x).tolist() == [1.0, 3.0, 1.0]
    assert (x == None) is False and (x != 'a') is True       # not a tensor: Python's identity answer


def test_tensors_stay_usable_as_dict_keys():
    a, b = mg.zeros(2), mg.zeros(2)
    state = {a: 1, b: 2}
    assert state[a] == 1 and state[b] == 2


def test_truth_value_of_one_element_and_ambiguity():
    assert bool(mg.tensor([0.0]) > 1) is False
    assert bool(mg.tensor(2.0) > 1) is True
    loss, tol = mg.tensor(0.5), 0.1
    assert not (loss < tol)
    with pytest.raises(RuntimeError, match='ambiguous'):
        bool(mg.tensor([1.0, 2.0]))
    assert float(mg.tensor(2.5)) == 2.5 and int(mg.tensor([7])) == 7
    assert f"{mg.tensor(0.12345):.2f}" == '0.12'
    assert [10, 20, 30][mg.tensor(1)] == 20
    with pytest.raises(ValueError, match='only one-element'):
        float(mg.ones(2))


# ---------------------------------------------------------------- max / min along a dim

def test_max_dim_returns_values_and_indices():
    x = mg.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]], requires_grad=True)
    values, indices = x.max(1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert x.max(1)[0].tolist() == [5.0, 7.0]               # the idiom that took row 0 before
    assert x.max(dim=1).values.shape == (2,) and x.max(1, keepdim=True).indices.shape == (2, 1)
    assert x.min(0).indices.tolist() == [0, 1, 0]
    values.sum().backward()                                   # the gradient goes to the index, as torch
    assert x.grad.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    assert x.max().item() == 7.0
    assert mg.tensor([1.0, 4.0]).max(mg.tensor([3.0, 2.0])).tolist() == [3.0, 4.0]


def test_max_dim_matches_torch():
    torch = pytest.importorskip('torch')
    a = np.random.default_rng(0).standard_normal((3, 4, 5))
    a[0, 1, :2] = 9.0                                          # a tie: torch and NumPy both pick the first
    for dim in (0, 1, -1):
        v, i = t64(a).max(dim)
        tv, ti = torch.from_numpy(a).max(dim)
        assert_close(v, tv.numpy(), rtol=0, atol=0)
        assert i.tolist() == ti.tolist()


# ---------------------------------------------------------------- in place, and the version check

def test_in_place_add_updates_every_alias():
    x = mg.zeros(3)
    alias = x
    x += 1
    assert alias is x and alias.tolist() == [1.0, 1.0, 1.0]
    w = nn.Linear(2, 2).weight
    before = w.data.clone()
    w.data += 1                                               # p.data += ... style
    assert_close(w, before.numpy() + 1)


def test_in_place_on_a_leaf_that_requires_grad_raises_unless_no_grad():
    w = mg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match='leaf tensor that requires grad'):
        w += 1
    with mg.no_grad():
        w -= 0.5
    assert w.tolist() == [0.5, 0.5] and w.requires_grad


def test_in_place_inside_a_graph_is_differentiated():
    x = t64([1.0, 2.0])
    y = x * 3
    y += x * x                                                # y = 3x + x²
    y.sum().backward()
    assert_close(x.grad, [5.0, 7.0])


@pytest.mark.parametrize('make', [lambda: (nn.Conv2d(2, 3, 3), mg.ones(1, 2, 5, 5)),
                                  lambda: (nn.Linear(3, 2), mg.ones(4, 3, requires_grad=True))],
                         ids=['conv (saves its weight)', 'linear (saves a view of its weight)'])
def test_backward_through_values_changed_by_an_optimizer_step_raises(make):
    """The issue's reproducer: the second backward would use the updated weights."""
    mg.manual_seed(0)
    model, x = make()
    opt = optim.SGD(model.parameters(), lr=0.5)
    out = model(x)
    out.sum().backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError, match='modified in place'):
        (out * out).sum().backward()


def test_in_place_change_of_a_saved_output_raises():
    x = mg.tensor([0.5, 1.0], requires_grad=True)
    y = x.exp()                                               # exp saves its output
    y.add_(1)
    with pytest.raises(RuntimeError, match='Exp saved its output 0'):
        y.sum().backward()


def test_in_place_on_a_view_inside_a_graph_raises():
    x = t64([1.0, 2.0, 3.0])
    y = (x * 2).reshape(3, 1)
    with pytest.raises(RuntimeError, match='view of another tensor'):
        y += 1
    with mg.no_grad():
        z = x.data[1:]                                        # outside autograd: allowed
        z += 10
    assert x.tolist() == [1.0, 12.0, 13.0]


def test_data_is_a_tensor_sharing_storage():
    m = nn.Conv2d(2, 3, 3)
    nn.init.normal_(m.weight.data, 0.0, 0.02)                 # the pix2pix / DCGAN init idiom
    assert abs(float(m.weight.std()) - 0.02) < 0.01
    m.weight.data.clamp_(-0.01, 0.01)                         # WGAN weight clipping
    assert float(m.weight.abs().max()) <= 0.01
    m.bias.data.copy_(mg.tensor([1.0, 2.0, 3.0]))
    assert m.bias.tolist() == [1.0, 2.0, 3.0]
    d = m.weight.data
    assert d.requires_grad is False and d.grad is None and d.is_leaf and d.array is m.weight.array


def test_grad_is_a_tensor():
    w = mg.tensor([3.0, 4.0], requires_grad=True)
    (w * w).sum().backward()
    assert isinstance(w.grad, mg.Tensor) and w.grad.requires_grad is False
    assert float(w.grad.norm()) == 10.0
    with pytest.raises(TypeError, match='expected a Tensor or None'):
        w.grad = np.zeros(2)
    with pytest.raises(ValueError, match='shape'):
        w.grad = mg.zeros(3)


# ---------------------------------------------------------------- dims out of range

@pytest.mark.parametrize('call', [
    lambda a, b: mg.cat([a, b], dim=5),
    lambda a, b: mg.stack([a, b], dim=4),
    lambda a, b: a.unsqueeze(3),
    lambda a, b: a.squeeze(2),
    lambda a, b: a.flatten(0, 4),
    lambda a, b: a.transpose(0, 2),
    lambda a, b: a.sum(dim=-3),
    lambda a, b: a.softmax(dim=2),
    lambda a, b: a.max(2),
    lambda a, b: a.size(2),
], ids=['cat', 'stack', 'unsqueeze', 'squeeze', 'flatten', 'transpose', 'sum', 'softmax', 'max', 'size'])
def test_dim_out_of_range_is_an_index_error(call):
    a, b = mg.ones(2, 3), mg.ones(2, 3)
    with pytest.raises(IndexError, match=r'dimension out of range'):
        call(a, b)


def test_negative_dims_in_range_still_work():
    a = mg.ones(2, 3)
    assert mg.cat([a, a], dim=-1).shape == (2, 6)
    assert mg.stack([a, a], dim=-1).shape == (2, 3, 2)
    assert a.unsqueeze(-1).shape == (2, 3, 1) and a.unsqueeze(2).shape == (2, 3, 1)


def test_gather_checks_its_indices():
    """NumPy would raise a bare IndexError and CuPy wrap silently: the bound is checked, as torch."""
    x = mg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert x.gather(1, mg.tensor([[2, 0], [1, 1]])).tolist() == [[3.0, 1.0], [5.0, 5.0]]
    for bad in ([[0, 3], [1, 1]], [[0, -1], [1, 1]]):
        with pytest.raises(IndexError, match=r'gather: index out of bounds.*dim 1 of size 3'):
            x.gather(1, mg.tensor(bad))
