"""The everyday Tensor surface and the torch.* top level, against PyTorch when it is importable:
values, gradients, argument forms and errors (methods in minigrad/tensor_methods.py and
tensor.py; top level in creation.py, maths.py, backend.Device, function.inference_mode)."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.testing import as_numpy, assert_close, t64


@pytest.fixture
def torch():
    return pytest.importorskip('torch')


def _compare(torch, fn, *arrays, rtol=1e-10):
    """fn on float64 minigrad tensors and on torch tensors: equal values and equal gradients
    for one random cotangent (fn returns a tensor, or a tuple whose first item is one)."""
    ours = [t64(a) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref = fn(ours), fn(theirs)
    out, ref = (out[0], ref[0]) if isinstance(out, tuple) else (out, ref)
    assert out.shape == tuple(ref.shape)
    assert_close(out, ref.detach().numpy(), rtol=rtol, atol=1e-12)
    v = np.random.default_rng(5).standard_normal(out.shape)
    out.backward(mg.tensor(v))
    ref.backward(torch.tensor(v))
    for a, b in zip(ours, theirs):
        mine = a.grad if a.grad is not None else np.zeros(a.shape)
        assert_close(mine, b.grad.numpy() if b.grad is not None else np.zeros(a.shape), rtol=rtol, atol=1e-12)


METHODS = {
    'clone': lambda x: x[0].clone() * 2,
    'contiguous': lambda x: x[0].contiguous() * 3,
    'expand_as': lambda x: x[0][:, :1].expand_as(x[0]),
    'repeat': lambda x: x[0].repeat(2, 1, 3),
    'repeat_new_leading_dims': lambda x: x[0].repeat(2, 1, 1, 2),
    'chunk': lambda x: x[0].chunk(3, 1)[1],
    'chunk_last_smaller': lambda x: x[0].chunk(3, 2)[-1],
    'split_size': lambda x: x[0].split(2, dim=-1)[2],
    'split_sections': lambda x: x[0].split([1, 2], dim=1)[1],
    'std': lambda x: x[0].std(),
    'std_dim': lambda x: x[0].std(1, keepdim=True),
    'std_biased': lambda x: x[0].std(dim=2, unbiased=False),
    'norm': lambda x: x[0].norm(),
    'norm_dim': lambda x: x[0].norm(dim=1),
    'norm_p1': lambda x: x[0].norm(1, dim=2, keepdim=True),
    'norm_p3': lambda x: x[0].norm(3, dim=0),
    'norm_inf': lambda x: x[0].norm(float('inf'), dim=1),
    'max_dim': lambda x: x[0].max(1),
    'min_dim_keepdim': lambda x: x[0].min(-1, keepdim=True),
    'max_other': lambda x: x[0].max(x[1]),
    'amax_tuple': lambda x: x[0].amax((0, 2)),
    'amin': lambda x: x[0].amin(1, keepdim=True),
    'gather': lambda x: x[0].gather(2, x[0].argmax(2, keepdim=True)),
}


@pytest.mark.parametrize('name', sorted(METHODS))
def test_method_values_and_gradients_equal_torch(name, torch, rng):
    a = rng.standard_normal((2, 3, 5))
    b = rng.standard_normal((2, 3, 5))
    _compare(torch, METHODS[name], a, b)


def test_gradients_of_the_new_methods_by_gradcheck(rng):
    x = t64(rng.standard_normal((2, 3, 4)))
    for fn in (lambda t: t.repeat(2, 1, 2), lambda t: t.chunk(2, -1)[1], lambda t: t.std(1),
               lambda t: t.norm(3, dim=2), lambda t: t.max(1)[0], lambda t: t.clone().expand(2, 2, 3, 4)):
        assert mg.gradcheck(fn, [x])


def test_shape_helpers(torch):
    x = mg.zeros(2, 3, 4)
    assert (x.dim(), x.nelement(), x.numel()) == (3, 24, 24)
    assert x.contiguous() is x
    assert [p.shape for p in x.split(3, dim=2)] == [(2, 3, 3), (2, 3, 1)]
    assert [p.shape for p in x.chunk(4, dim=1)] == [tuple(p.shape) for p in torch.zeros(2, 3, 4).chunk(4, 1)]
    assert x.repeat(1, 1, 1).shape == (2, 3, 4)
    with pytest.raises(ValueError, match=r'split: sizes \[1, 1\] do not add up to 3'):
        x.split([1, 1], dim=1)
    with pytest.raises(RuntimeError, match='repeat: 2 sizes given for a tensor with 3 dims'):
        x.repeat(2, 2)
    with pytest.raises(ValueError, match='chunk: chunks must be positive'):
        x.chunk(0)
    with pytest.raises(IndexError, match='split: dimension out of range'):
        x.split(1, dim=3)


def test_clone_is_new_storage():
    x = mg.tensor([1.0, 2.0])
    y = x.clone()
    y.fill_(7)
    assert x.tolist() == [1.0, 2.0] and y.tolist() == [7.0, 7.0]


def test_any_all_isnan_isfinite(torch):
    a = np.array([[0.0, np.nan, 1.0], [np.inf, 0.0, -2.0]])
    x, t = mg.tensor(a), torch.tensor(a)
    for ours, theirs in [(x.isnan(), t.isnan()), (x.isfinite(), t.isfinite()), (mg.isnan(x), torch.isnan(t)),
                         (mg.isfinite(x), torch.isfinite(t)), (x.any(), t.bool().any()),
                         (x.all(1), t.bool().all(1)), (x.any(0, keepdim=True), t.bool().any(0, keepdim=True))]:
        assert ours.dtype == np.bool_ and ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(as_numpy(ours), theirs.numpy())


def test_in_place_family_matches_torch(torch, rng):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    x, t = mg.tensor(a), torch.tensor(a)
    alias = x.data  # shares the storage: sees every change
    for ours, theirs in [(lambda: x.add_(mg.tensor(b), alpha=2), lambda: t.add_(torch.tensor(b), alpha=2)),
                         (lambda: x.sub_(1.5), lambda: t.sub_(1.5)),
                         (lambda: x.mul_(mg.tensor(b)), lambda: t.mul_(torch.tensor(b))),
                         (lambda: x.div_(3.0), lambda: t.div_(3.0)),
                         (lambda: x.clamp_(-0.5, 0.25), lambda: t.clamp_(-0.5, 0.25)),
                         (lambda: x.clamp_(min=0.0), lambda: t.clamp_(min=0.0)),
                         (lambda: x.copy_(mg.tensor(b[0])), lambda: t.copy_(torch.tensor(b[0])))]:
        assert ours() is x
        theirs()
        assert_close(alias, t.numpy(), rtol=1e-12)
    assert x.fill_(2.5) is x and as_numpy(alias).tolist() == [[2.5] * 4] * 3
    assert x.zero_() is x and not as_numpy(alias).any()


def test_copy_casts_and_in_place_keeps_dtype():
    x = mg.zeros(3, dtype=mg.float32)
    x.copy_(mg.tensor([1, 2, 3]))
    assert x.dtype == np.float32 and x.tolist() == [1.0, 2.0, 3.0]
    i = mg.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match='add_: result type float.* cannot be cast'):
        i.add_(0.5)


def test_copy_gradient_flows_to_the_source():
    src = t64([1.0, 2.0])
    y = mg.zeros(2, dtype=mg.float64)
    y.copy_(src * 3)
    y.sum().backward()
    assert_close(src.grad, [3.0, 3.0])


def test_in_place_on_a_leaf_that_requires_grad_raises():
    w = t64([1.0, 2.0])
    with pytest.raises(RuntimeError, match='add_: a leaf tensor that requires grad cannot be changed in place'):
        w.add_(1.0)
    with mg.no_grad():
        w.add_(1.0)
    assert w.tolist() == [2.0, 3.0]


def test_normal_and_uniform_fill_in_place_with_the_right_moments():
    x = mg.zeros(100_000)
    assert x.normal_(2.0, 0.5) is x and x.dtype == np.float32
    values = as_numpy(x)
    assert abs(values.mean() - 2.0) < 0.01 and abs(values.std() - 0.5) < 0.01
    x.uniform_(-1.0, 3.0)
    values = as_numpy(x)
    assert values.min() >= -1.0 and values.max() < 3.0 and abs(values.mean() - 1.0) < 0.02


def test_python_conversions():
    assert float(mg.tensor([2.5])) == 2.5 and int(mg.tensor(7)) == 7 and int(mg.tensor([3.9])) == 3
    with pytest.raises(ValueError, match=r'float: only one-element tensors can be converted.*\(2,\)'):
        float(mg.tensor([1.0, 2.0]))


def test_to_dtype_and_device_forms():
    x = mg.tensor([1.5, 2.5])
    dev = x.device
    assert x.to(dtype=mg.float64).dtype == np.float64
    assert x.to(dev, mg.float64).dtype == np.float64
    assert x.to(dev) is x and x.to(mg.device(str(dev))) is x
    assert x.to(mg.int64).tolist() == [1, 2]
    y = x.to(dtype=mg.float64, copy=True)
    assert y.dtype == np.float64
    z = t64([1.0, 2.0])
    z.to(mg.float32).sum().backward()
    assert z.grad.dtype == np.float64 and z.grad.tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="to: expected device 'cpu', 'gpu' or 'cuda', got 'cuda:1'"):
        x.to('cuda:1')


def test_max_min_dim_return_values_and_indices(torch):
    a = np.array([[1.0, 5.0, 5.0], [7.0, 0.0, 3.0]])
    values, indices = mg.tensor(a).max(1)
    ref = torch.tensor(a).max(1)
    assert values.tolist() == ref.values.tolist() and indices.tolist() == ref.indices.tolist()
    assert indices.dtype == np.int64
    assert mg.tensor(a).min(dim=0).indices.tolist() == [0, 1, 1]
    assert mg.tensor(a).argmax().item() == 3 and mg.tensor(a).argmin(1, keepdim=True).tolist() == [[0], [1]]
    with pytest.raises(TypeError, match='max: dim must be an int'):
        mg.tensor(a).max((0, 1))
    with pytest.raises(IndexError, match='max: dimension out of range'):
        mg.tensor(a).max(2)


# ------------------------------------------------------------------ the torch.* top level
def test_top_level_maths_match_the_methods_and_torch(torch, rng):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    x, t = mg.tensor(a), torch.tensor(a)
    pairs = [(mg.sigmoid(x), torch.sigmoid(t)), (mg.tanh(x), torch.tanh(t)), (mg.sum(x), torch.sum(t)),
             (mg.sum(x, 1), torch.sum(t, 1)), (mg.sum(x, dim=0, keepdim=True), torch.sum(t, dim=0, keepdim=True)),
             (mg.mean(x), torch.mean(t)), (mg.mean(x, (0, 1), True), torch.mean(t, (0, 1), True)),
             (mg.max(x), torch.max(t)), (mg.min(x), torch.min(t)),
             (mg.max(x, 1)[0], torch.max(t, 1)[0]), (mg.min(x, dim=0).values, torch.min(t, dim=0).values),
             (mg.max(x, mg.tensor(b)), torch.max(t, torch.tensor(b))),
             (mg.min(x, mg.tensor(b)), torch.min(t, torch.tensor(b)))]
    for ours, theirs in pairs:
        assert ours.shape == tuple(theirs.shape)
        assert_close(ours, theirs.numpy(), rtol=1e-12)
    assert mg.max(x, 1, keepdim=True).indices.tolist() == torch.max(t, 1, keepdim=True).indices.tolist()
    assert mg.sum(mg.tensor([1, 2]), dtype=mg.float64).dtype == np.float64


def test_top_level_maths_are_differentiable(rng):
    x = t64(rng.standard_normal((2, 3)))
    for fn in (mg.sigmoid, mg.tanh, lambda t: mg.sum(t, 1), lambda t: mg.mean(t, 0), lambda t: mg.max(t, 1)[0]):
        assert mg.gradcheck(fn, [x])


def test_from_numpy_shares_memory_and_keeps_dtype(torch):
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    t = mg.from_numpy(a)
    assert t.dtype == np.float64 and t.device == 'cpu'
    a[0, 0] = 42.0
    assert t[0, 0].item() == 42.0
    t.mul_(2)
    assert a[1, 2] == 10.0
    assert mg.from_numpy(np.array([1, 2])).dtype == torch.from_numpy(np.array([1, 2])).numpy().dtype
    with pytest.raises(TypeError, match='from_numpy: expected a numpy.ndarray, got list'):
        mg.from_numpy([1.0, 2.0])


def test_full_like_and_like_factories_keep_shape_dtype_device():
    x = mg.zeros(2, 3, dtype=mg.float64)
    y = mg.full_like(x, 2.5)
    assert y.shape == (2, 3) and y.dtype == np.float64 and y.device == x.device and y.tolist() == [[2.5] * 3] * 2
    assert mg.full_like(x, 7, dtype=mg.int64).tolist() == [[7] * 3] * 2
    for make in (mg.zeros_like, mg.ones_like, mg.rand_like, mg.randn_like):
        z = make(x, dtype=mg.float32, requires_grad=True)
        assert z.shape == (2, 3) and z.dtype == np.float32 and z.requires_grad


def test_device_accepts_torch_spellings():
    cpu, cuda = mg.device('cpu'), mg.device('cuda:0')
    assert cpu == 'cpu' and cpu.type == 'cpu' and cpu.index is None and repr(cpu) == "device(type='cpu')"
    assert cuda == 'gpu' and cuda == 'cuda' and 'cuda:0' == cuda and cuda.type == 'cuda' and cuda.index == 0
    assert mg.device('cuda', 0) == cuda and mg.device('gpu').type == 'cuda' and mg.device(cpu) is cpu
    assert repr(cuda) == "device(type='cuda', index=0)" and cuda != cpu
    assert {cpu: 1}['cpu'] == 1
    for bad in ('tpu', 'cuda:1', 'gpu:0', 'cpu:0'):
        with pytest.raises(ValueError, match=f"device: expected 'cpu', 'cuda', 'cuda:0' or 'gpu', got '{bad}'"):
            mg.device(bad)
    assert mg.zeros(1).device.type in ('cpu', 'cuda')


def test_device_on_factories():
    cpu = mg.device('cpu')
    made = [mg.tensor([1.0, 2.0], device='cpu'), mg.tensor(np.ones(2), device=cpu), mg.zeros(2, device='cpu'),
            mg.ones(2, device=cpu), mg.full((2,), 3.0, device='cpu'), mg.rand(2, device='cpu'),
            mg.randn(2, device='cpu'), mg.arange(2, device='cpu'), mg.linspace(0, 1, 2, device='cpu'),
            mg.randint(0, 3, (2,), device='cpu'), mg.zeros_like(mg.zeros(2), device='cpu'),
            mg.full_like(mg.zeros(2), 1.0, device=cpu)]
    for t in made:
        assert t.device == 'cpu' and t.shape == (2,)
    with pytest.raises(ValueError, match="zeros: expected device 'cpu', 'cuda', 'cuda:0' or 'gpu', got 'tpu'"):
        mg.zeros(2, device='tpu')


def test_device_cuda_without_a_gpu_is_a_clear_error():
    if mg.backend.cupy_available():
        pytest.skip('a GPU is visible here')
    with pytest.raises(RuntimeError, match=r"randn: the 'cupy' backend was asked for, but CuPy is not usable"):
        mg.randn(2, device='cuda')
    with pytest.raises(RuntimeError, match="the 'cupy' backend was asked for"):
        mg.zeros(2, device='cpu').to(mg.device('cuda:0'))


def test_device_on_a_gpu():
    if not mg.backend.cupy_available():
        pytest.skip('needs a GPU')
    x = mg.ones(2, device='cuda:0')
    assert x.device == 'gpu' and x.device.type == 'cuda'
    assert x.to('cpu').device == 'cpu' and mg.tensor([1.0], device=mg.device('cuda')).device == 'cuda'


@pytest.mark.parametrize('context', ['no_grad', 'inference_mode'])
def test_grad_off_as_context_and_as_decorator_with_or_without_parentheses(context):
    off = getattr(mg, context)
    w = mg.ones(2, requires_grad=True)

    @off()
    def with_parentheses(x):
        return x * 2

    @off
    def bare(x):
        return x * 2

    with off():
        inside = w * 2
    assert not inside.requires_grad and not with_parentheses(w).requires_grad and not bare(w).requires_grad
    assert (w * 2).requires_grad and mg.is_grad_enabled()
    assert bare.__name__ == 'bare'


def test_inference_mode_false_changes_nothing():
    w = mg.ones(2, requires_grad=True)
    with mg.inference_mode(False):
        assert (w * 2).requires_grad
    with mg.no_grad(), mg.inference_mode(False):
        assert not (w * 2).requires_grad


def test_tensor_copies_its_data_as_torch_tensor_does():
    a = np.zeros(3)
    t = mg.tensor(a)
    t.add_(1.0)
    a[0] = 5.0
    assert a.tolist() == [5.0, 0.0, 0.0] and t.tolist() == [1.0, 1.0, 1.0]
    u = mg.tensor(t)
    u.zero_()
    assert t.tolist() == [1.0, 1.0, 1.0]


def test_a_torch_device_is_accepted(torch):
    x = mg.tensor([1.0], device='cpu')
    assert x.to(torch.device('cpu')) is x
    assert mg.zeros(1, device=torch.device('cpu')).device == 'cpu'
    assert mg.device(str(torch.device('cuda:0'))) == 'gpu'
