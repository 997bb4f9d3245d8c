"""Module machinery: registration, traversal, modes, hooks, devices/dtypes, state_dict
(keys and order as torch, strict loading errors), printing, containers."""
import collections
import copy

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad.testing import assert_close


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3, padding=1)
        self.bn = nn.BatchNorm2d(3)
        self.register_buffer('scale', mg.ones(3))
        self.register_buffer('cache', mg.zeros(2), persistent=False)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 5))

    def forward(self, x):
        return self.head(self.bn(self.conv(x)).relu())


BLOCK_KEYS = ['scale', 'conv.weight', 'conv.bias', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var',
              'bn.num_batches_tracked', 'head.1.weight', 'head.1.bias']


def test_registration_and_traversal():
    b = Block()
    assert [n for n, _ in b.named_parameters()] == ['conv.weight', 'conv.bias', 'bn.weight', 'bn.bias',
                                                     'head.1.weight', 'head.1.bias']
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in b.parameters())
    assert [n for n, _ in b.named_buffers()] == ['scale', 'cache', 'bn.running_mean', 'bn.running_var',
                                                  'bn.num_batches_tracked']
    assert [n for n, _ in b.named_children()] == ['conv', 'bn', 'head']
    assert [n for n, _ in b.named_modules()] == ['', 'conv', 'bn', 'head', 'head.0', 'head.1']
    assert list(b.state_dict()) == BLOCK_KEYS  # non-persistent 'cache' left out
    assert b.conv.bias is b.conv._parameters['bias']
    with pytest.raises(AttributeError, match="'Block' object has no attribute 'nope'"):
        b.nope


def test_shared_parameters_counted_once_and_reassignment():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2
    assert list(seq.state_dict()) == ['0.weight', '0.bias', '2.weight', '2.bias']  # as torch
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match='Parameter or None'):
        m.weight = mg.ones(2, 2)
    m.bias = None
    assert m.bias is None and list(m.state_dict()) == ['weight']
    del m.weight
    assert list(m.state_dict()) == []


def test_bias_false_and_no_affine_are_absent():
    assert list(nn.Conv2d(1, 2, 3, bias=False).state_dict()) == ['weight']
    assert list(nn.InstanceNorm2d(3).state_dict()) == []
    assert list(nn.InstanceNorm2d(3, affine=True, track_running_stats=True).state_dict()) == [
        'weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']


def test_train_eval_propagate():
    b = Block()
    assert b.training and b.bn.training
    assert b.eval() is b
    assert not any(m.training for m in b.modules())
    b.train()
    assert all(m.training for m in b.modules())
    with pytest.raises(ValueError, match='bool'):
        b.train('yes')


def test_forward_hooks_and_removal():
    seen = []
    b = Block()
    h = b.conv.register_forward_hook(lambda m, inp, out: seen.append((type(m).__name__, inp[0].shape, out.shape)))
    pre = b.head.register_forward_pre_hook(lambda m, inp: (inp[0] * 0,))
    out = b(mg.randn(2, 2, 4, 4))
    assert seen == [('Conv2d', (2, 2, 4, 4), (2, 3, 4, 4))]
    assert_close(out, np.broadcast_to(b.head[1].bias.numpy(), (2, 5)))  # the pre-hook zeroed the input
    h.remove()
    pre.remove()
    b(mg.randn(1, 2, 4, 4))
    assert len(seen) == 1
    # a forward hook returning a value replaces the output; a handle is also a context manager
    relu = nn.ReLU()
    with relu.register_forward_hook(lambda m, i, o: o + 1):
        assert_close(relu(mg.tensor([-1.0, 2.0])), [1.0, 3.0])
    assert_close(relu(mg.tensor([-1.0, 2.0])), [0.0, 2.0])


def test_double_float_cast_parameters_and_buffers_but_not_int_buffers():
    b = Block().double()
    assert all(p.dtype == np.float64 for p in b.parameters())
    assert b.bn.running_mean.dtype == np.float64 and b.scale.dtype == np.float64
    assert b.bn.num_batches_tracked.dtype == np.int64
    weight = b.conv.weight
    b.float()
    assert b.conv.weight is weight and weight.dtype == np.float32  # same Parameter object
    assert b.to('cpu', mg.float64) is b and b.conv.weight.dtype == np.float64
    assert b.to(mg.backend.default_device()).conv.weight.device == mg.backend.default_device()


def test_zero_grad_and_apply():
    m = nn.Linear(3, 2)
    (m(mg.randn(4, 3)) ** 2).sum().backward()
    assert m.weight.grad is not None
    m.zero_grad(set_to_none=False)
    assert_close(m.weight.grad, np.zeros((2, 3)))
    m.zero_grad()
    assert m.weight.grad is None
    visited = []
    Block().apply(lambda mod: visited.append(type(mod).__name__))
    assert visited == ['Conv2d', 'BatchNorm2d', 'Flatten', 'Linear', 'Sequential', 'Block']


def test_state_dict_shares_memory_and_load_copies_in_place():
    a, b = Block(), Block()
    sd = a.state_dict()
    assert all(isinstance(v, mg.Tensor) for v in sd.values())
    weight = b.conv.weight
    assert b.load_state_dict(sd) is not None
    assert b.conv.weight is weight  # loaded in place
    for k, v in b.state_dict().items():
        assert_close(v, sd[k], rtol=0, atol=0)
    # numpy arrays work too, and are cast to the parameter's dtype
    sd64 = {k: v.numpy().astype(np.float64) if v.dtype.kind == 'f' else v.numpy() for k, v in sd.items()}
    b.load_state_dict(sd64)
    assert b.conv.weight.dtype == np.float32
    snapshot = copy.deepcopy(a.state_dict())
    a.conv.weight.array += 1
    assert not np.allclose(snapshot['conv.weight'].numpy(), a.conv.weight.numpy())


def test_load_state_dict_errors_list_every_problem_and_change_nothing():
    m = Block()
    before = m.conv.weight.numpy().copy()
    sd = collections.OrderedDict(m.state_dict())
    sd['conv.weight'] = mg.zeros(3, 2, 5, 5)
    del sd['bn.running_var']
    sd['extra.weight'] = mg.zeros(1)
    with pytest.raises(ValueError) as info:
        m.load_state_dict(sd)
    msg = str(info.value)
    assert 'Missing key(s) in state_dict: "bn.running_var"' in msg
    assert 'Unexpected key(s) in state_dict: "extra.weight"' in msg
    assert 'size mismatch for conv.weight' in msg and '(3, 2, 5, 5)' in msg and '(3, 2, 3, 3)' in msg
    assert isinstance(info.value, RuntimeError)  # torch raises RuntimeError; we are both
    assert_close(m.conv.weight, before, rtol=0, atol=0)
    # strict=False: missing / unexpected reported, shape mismatch still an error
    del sd['conv.weight']
    result = m.load_state_dict(sd, strict=False)
    assert result.missing_keys == ['conv.weight', 'bn.running_var'] and result.unexpected_keys == ['extra.weight']


def test_repr_matches_torch_layout():
    model = nn.Sequential(nn.Conv2d(3, 8, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(8),
                          nn.LeakyReLU(0.2, True), nn.Dropout(0.5), nn.Flatten(), nn.Linear(8, 2))
    assert repr(model) == """Sequential(
  (0): Conv2d(3, 8, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1), bias=False)
  (1): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
  (2): LeakyReLU(negative_slope=0.2, inplace=True)
  (3): Dropout(p=0.5, inplace=False)
  (4): Flatten(start_dim=1, end_dim=-1)
  (5): Linear(in_features=8, out_features=2, bias=True)
)"""
    assert repr(Block()).startswith('Block(\n  (conv): Conv2d(2, 3, kernel_size=(3, 3)')
    assert '  (head): Sequential(\n    (0): Flatten' in repr(Block())
    assert repr(nn.ReLU()) == 'ReLU()'


def test_repr_equals_torch_for_every_layer():
    torch = pytest.importorskip('torch')
    tnn = torch.nn
    pairs = [
        (nn.Conv2d(2, 4, 3, padding='same', padding_mode='reflect', bias=False),
         tnn.Conv2d(2, 4, 3, padding='same', padding_mode='reflect', bias=False)),
        (nn.Conv2d(2, 4, (3, 2), stride=(2, 1), dilation=2, groups=2), tnn.Conv2d(2, 4, (3, 2), (2, 1), 0, 2, 2)),
        (nn.ConvTranspose2d(4, 2, 4, 2, 1, output_padding=1), tnn.ConvTranspose2d(4, 2, 4, 2, 1, output_padding=1)),
        (nn.MaxPool2d(2), tnn.MaxPool2d(2)), (nn.AvgPool2d(3, 1, 1), tnn.AvgPool2d(3, 1, 1)),
        (nn.MaxUnpool2d(2), tnn.MaxUnpool2d(2)), (nn.Upsample(scale_factor=2), tnn.Upsample(scale_factor=2)),
        (nn.Upsample(size=(3, 4), mode='bilinear'), tnn.Upsample(size=(3, 4), mode='bilinear')),
        (nn.BatchNorm2d(3, momentum=None), tnn.BatchNorm2d(3, momentum=None)),
        (nn.InstanceNorm2d(3), tnn.InstanceNorm2d(3)), (nn.Softmax(1), tnn.Softmax(1)),
        (nn.LogSoftmax(dim=1), tnn.LogSoftmax(dim=1)), (nn.Dropout2d(0.1), tnn.Dropout2d(0.1)),
        (nn.ReLU(), tnn.ReLU()), (nn.Tanh(), tnn.Tanh()), (nn.Sigmoid(), tnn.Sigmoid()),
        (nn.Identity(), tnn.Identity()), (nn.ReflectionPad2d(1), tnn.ReflectionPad2d(1)),
        (nn.ZeroPad2d((1, 0, 2, 0)), tnn.ZeroPad2d((1, 0, 2, 0))),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)


def test_sequential_indexing_slicing_and_editing():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    seq = nn.Sequential(*layers)
    assert len(seq) == 3 and list(seq) == layers
    assert seq[0] is layers[0] and seq[-1] is layers[2]
    tail = seq[1:]
    assert isinstance(tail, nn.Sequential) and list(tail._modules) == ['1', '2']
    with pytest.raises(IndexError):
        seq[3]
    x = mg.randn(4, 2)
    assert_close(seq(x), layers[2](layers[1](layers[0](x))))
    seq.append(nn.Sigmoid())
    assert list(seq._modules) == ['0', '1', '2', '3']
    del seq[1]
    assert list(seq._modules) == ['0', '1', '2'] and seq[1] is layers[2]
    named = nn.Sequential(collections.OrderedDict([('enc', nn.Linear(2, 2)), ('act', nn.Tanh())]))
    assert list(named.state_dict()) == ['enc.weight', 'enc.bias']
    assert named[1] is named.act


def test_module_list_and_dict_register_parameters():
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(ml) == 3 and len(list(ml.parameters())) == 6
    ml.append(nn.Linear(2, 1))
    assert list(ml.state_dict())[-2:] == ['3.weight', '3.bias']
    assert isinstance(ml[1:3], nn.ModuleList) and len(ml[1:3]) == 2 and ml[-1].out_features == 1
    md = nn.ModuleDict({'a': nn.Linear(1, 1), 'b': nn.ReLU()})
    md['c'] = nn.Linear(1, 2)
    assert list(md) == ['a', 'b', 'c'] and 'b' in md and len(md) == 3
    assert list(md.state_dict()) == ['a.weight', 'a.bias', 'c.weight', 'c.bias']
    assert nn.Identity(3, foo=1)(mg.ones(2)) is not None


def test_parameter_is_a_tensor_with_grad():
    p = nn.Parameter(mg.ones(2, 2))
    assert isinstance(p, mg.Tensor) and p.requires_grad
    assert repr(p).startswith('Parameter containing:\ntensor(')
    frozen = nn.Parameter(mg.ones(2), requires_grad=False)
    assert not frozen.requires_grad
    m = nn.Linear(2, 2).requires_grad_(False)
    assert not any(q.requires_grad for q in m.parameters())


def test_module_without_super_init_is_a_clear_error():
    class Bad(nn.Module):
        def __init__(self):
            self.lin = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match='super'):
        Bad()
