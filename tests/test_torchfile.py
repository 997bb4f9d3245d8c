"""Reading torch.save files without PyTorch (minigrad/torchfile.py through mg.load).

The committed fixtures in tests/fixtures/pth/ (written by tools/make_pth_fixtures.py) are
compared exactly with the values stored next to them in expected.npz; hand-built pickles
check that views are bounded, memory is not blown up, and that malicious files never run.
Where torch is importable, fresh torch.save files are compared with torch's own tensors."""
import collections
import importlib.util
import io
import os
import pickle
import tracemalloc
import zipfile

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad.models.pix2pix import UNetGenerator
from minigrad.testing import as_numpy, assert_close, bit_flips
from minigrad.torchfile import ForbiddenGlobalError

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'pth')
EXPECTED = dict(np.load(os.path.join(FIXTURES, 'expected.npz')))


def fixture(name):
    return os.path.join(FIXTURES, name)


def flatten(obj, prefix, out):
    """``out[prefix/path] = tensor`` for every Tensor in ``obj`` (the fixture script's naming)."""
    if isinstance(obj, mg.Tensor):
        out[prefix] = obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            flatten(v, f'{prefix}/{k}', out)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            flatten(v, f'{prefix}/{i}', out)
    return out


@pytest.mark.parametrize('name', ['conv_net', 'unet_generator', 'float64', 'views', 'dtypes', 'nested', 'legacy'])
def test_fixture_loads_with_exact_values_and_dtypes(name):
    tensors = flatten(mg.load(fixture(f'{name}.pth'), device='cpu'), name, {})
    expected = {k: v for k, v in EXPECTED.items() if k == name or k.startswith(name + '/')}
    assert sorted(tensors) == sorted(expected)
    for key, want in expected.items():
        got = as_numpy(tensors[key])
        assert got.dtype == want.dtype and got.shape == want.shape, key
        assert np.array_equal(got, want), key


def test_dtypes_are_kept_and_bfloat16_becomes_float32_exactly():
    d = mg.load(fixture('dtypes.pth'), device='cpu')
    assert {k: str(v.dtype) for k, v in d.items()} == {
        'int64': 'int64', 'int32': 'int32', 'int16': 'int16', 'int8': 'int8', 'uint8': 'uint8', 'bool': 'bool',
        'float16': 'float16', 'bfloat16': 'float32', 'scalar': 'float32'}
    # 1.5 and 2**-100 are exact in bfloat16; -3e38 rounds to the nearest bfloat16 (7 stored mantissa bits)
    assert d['bfloat16'].numpy()[0] == 1.5 and d['bfloat16'].numpy()[2] == 2.0 ** -100
    assert d['bfloat16'].numpy()[1] == np.float32(-(2.0 ** 127) * (1 + 98 / 128))
    assert d['scalar'].shape == () and d['scalar'].item() == 3.25
    assert d['int64'].numpy()[0] == -2 ** 40


def test_nested_structure_and_types_are_kept():
    n = mg.load(fixture('nested.pth'), device='cpu')
    assert list(n) == ['model', 'history', 'pair', 'meta', 'param']
    assert type(n['model']) is collections.OrderedDict and list(n['model']) == ['w', 'b']
    assert n['history'] == [1.0, 0.5, (2, 'two')]
    assert type(n['pair']) is tuple and n['pair'][1] is None and np.array_equal(n['pair'][0].numpy(), [7, 7])
    assert n['meta'] == {'epoch': 12, 'name': 'run', 'ok': True, 'size': (3, 4), 'tags': {'a', 'b'},
                         'raw': b'\x00\xffbytes', 7: 'int key', 'lr': 2e-4}
    assert type(n['param']) is mg.Tensor and n['param'].requires_grad   # a saved nn.Parameter
    assert type(n['model']['w']) is mg.Tensor and not n['model']['w'].requires_grad


def test_views_are_materialized_as_independent_arrays():
    v = mg.load(fixture('views.pth'), device='cpu')
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    assert np.array_equal(v['transposed'].numpy(), base.T) and np.array_equal(v['offset'].numpy(), base[1:, 2:])
    assert np.array_equal(v['strided'].numpy(), base[:, ::2]) and np.array_equal(v['column'].numpy(), base[:, 3])
    assert_close(np.concatenate([v['first'].numpy(), v['second'].numpy()]), np.linspace(-1, 1, 10), atol=1e-7)
    v['base'].numpy()[...] = -1    # copies, not views of one buffer: the others keep their values
    assert v['transposed'].numpy()[0, 1] == 6 and v['transposed'].numpy().flags.writeable


def test_legacy_layout_equals_zip_layout():
    legacy, views = mg.load(fixture('legacy.pth'), device='cpu'), mg.load(fixture('views.pth'), device='cpu')
    assert list(legacy['views']) == list(views)
    for k in views:
        assert np.array_equal(legacy['views'][k].numpy(), views[k].numpy())
    assert legacy['nested']['n'] == [1, 'x']


def test_conv_net_state_dict_loads_into_a_minigrad_model():
    model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(), nn.Linear(12, 2))
    model.load_state_dict(mg.load(fixture('conv_net.pth')))
    model.eval()
    assert model[1].num_batches_tracked.item() == 1
    out = model(mg.tensor(EXPECTED['forward/input'])).numpy()
    assert_close(out, EXPECTED['forward/output'], atol=1e-6, rtol=1e-5)


def test_unet_generator_state_dict_from_torch_gives_torchs_outputs():
    model = UNetGenerator(3, 3, num_downs=4, ngf=2)
    model.load_state_dict(mg.load(fixture('unet_generator.pth')))
    model.eval()
    out = model(mg.tensor(EXPECTED['forward/unet_input'])).numpy()
    assert_close(out, EXPECTED['forward/unet_output'], atol=1e-6, rtol=1e-5)


# --------------------------------------------------------------------------- malicious and malformed files


@pytest.mark.parametrize('name, wanted', [('evil_exec.pth', 'builtins.exec'), ('evil_system.pth', 'os.system'),
                                          ('evil_stack_global.pth', 'os.system'),
                                          ('evil_in_state_dict.pth', 'builtins.exec'),
                                          ('evil_legacy.pth', 'builtins.exec')])
def test_malicious_pickle_never_runs(name, wanted, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)   # the payloads would create ./PWNED
    with pytest.raises(ValueError, match=f"wants the global {wanted}, which a weights file never needs") as info:
        mg.load(fixture(name))
    assert isinstance(info.value, (ForbiddenGlobalError, pickle.UnpicklingError))
    assert fixture(name) in str(info.value)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize('target', ['collections\nCounter', 'torch._utils\n_rebuild_tensor_v2', 'torch\nFloatStorage'])
def test_a_pickle_cannot_modify_the_allowed_globals(tmp_path, target):
    """BUILD on a global sets attributes on it; on the real Counter class or our stand-in
    functions that would change them for the whole process (and every later load)."""
    state = (None, {'hijacked': 'yes', '__defaults__': ({'metadata': 1},)})
    path = tmp_path / 'build.pth'
    with zipfile.ZipFile(path, 'w') as zf:
        zf.writestr('archive/data.pkl', b'\x80\x02c' + target.encode() + b'\n' + _pickle_ops(state) + b'b.')
    with pytest.raises(ValueError, match='cannot set the state'):
        mg.load(path)
    assert not hasattr(collections.Counter, 'hijacked')
    assert mg.load(fixture('float64.pth')).shape == (7,)   # later loads are unaffected


def _pickle_ops(*values):
    """Protocol-2 opcodes pushing ``values`` (no PROTO, no STOP)."""
    return b''.join(pickle.dumps(v, 2)[2:-1] for v in values)


def _tensor_file(path, size, stride, offset=0, numel=None, storage_bytes=None, storage='FloatStorage'):
    """A zip-layout file whose pickle is ``_rebuild_tensor_v2`` of a view, written opcode by opcode."""
    numel = numel if numel is not None else 12
    pkl = (b'\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((' + _pickle_ops('storage') +
           b'ctorch\n' + storage.encode() + b'\n' + _pickle_ops('0', 'cpu', numel) + b'tQ' +
           _pickle_ops(offset, tuple(size), tuple(stride), False) + b'ccollections\nOrderedDict\n)RtR.')
    data = storage_bytes if storage_bytes is not None else np.arange(numel, dtype=np.float32).tobytes()
    with zipfile.ZipFile(path, 'w') as zf:
        zf.writestr('archive/data.pkl', pkl)
        zf.writestr('archive/data/0', data)
    return path


def test_hand_built_views_follow_offset_and_strides(tmp_path):
    flat = np.arange(12, dtype=np.float32)
    cases = [((3, 4), (4, 1), 0), ((4, 3), (1, 4), 0), ((2, 2), (4, 2), 5), ((3,), (0,), 7), ((0, 5), (5, 1), 12)]
    for size, stride, offset in cases:
        got = mg.load(_tensor_file(tmp_path / 'v.pth', size, stride, offset), device='cpu').numpy()
        want = np.lib.stride_tricks.as_strided(flat[offset:], size, [4 * s for s in stride])
        assert got.shape == size and np.array_equal(got, want), (size, stride, offset)


@pytest.mark.parametrize('size, stride, offset, numel, data, message', [
    ((3, 4), (4, 1), 1, 12, None, 'past the end'),
    ((13,), (1,), 0, 12, None, 'past the end'),
    ((2,), (-1,), 1, 12, None, 'invalid view'),
    ((3, 4), (4, 1), 0, 12, b'\x00' * 40, 'holds 40 bytes'),
    ((3, 4), (4, 1), 0, 12, None, 'ComplexFloatStorage'),
])
def test_malformed_views_and_storages_are_value_errors(tmp_path, size, stride, offset, numel, data, message):
    storage = 'ComplexFloatStorage' if message == 'ComplexFloatStorage' else 'FloatStorage'
    path = _tensor_file(tmp_path / 'bad.pth', size, stride, offset, numel, data, storage)
    with pytest.raises(ValueError, match=message) as info:
        mg.load(path)
    assert str(path) in str(info.value)


def test_expanded_view_promising_huge_memory_is_refused_before_allocating(tmp_path):
    path = _tensor_file(tmp_path / 'bomb.pth', (10 ** 5, 10 ** 4), (0, 0))   # 4 GB from a 12-element storage
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match='far more memory than the file holds'):
            mg.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * 2**20


def test_an_allowed_constructor_cannot_be_asked_for_huge_memory(tmp_path):
    """``bytearray`` is allowed (pickles of bytes-like values use it), but ``bytearray(2**30)`` in a
    100-byte file would allocate 1 GiB: only its bytes-or-text forms are accepted."""
    path = tmp_path / 'alloc.pth'
    with zipfile.ZipFile(path, 'w') as zf:
        zf.writestr('archive/data.pkl', b'\x80\x02c__builtin__\nbytearray\nJ\x00\x00\x00\x40\x85R.')
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match='bytearray from int is not allowed'):
            mg.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * 2**20


def test_truncated_or_damaged_torch_files_are_value_errors_naming_the_path(tmp_path):
    good = open(fixture('conv_net.pth'), 'rb').read()
    legacy = open(fixture('legacy.pth'), 'rb').read()
    damaged = {'truncated.pth': good[:len(good) // 2], 'legacy_truncated.pth': legacy[:-10],
               'legacy_extra.pth': legacy + b'\x00', 'pickle_only.pth': pickle.dumps({'a': 1}, 2)}
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(tmp_path / 'no_storage.pth', 'w') as dst:
        for info in src.infolist():    # drop one storage member
            if not info.filename.endswith('/data/0'):
                dst.writestr(info, src.read(info))
    for name, data in damaged.items():
        (tmp_path / name).write_bytes(data)
    for name in list(damaged) + ['no_storage.pth']:
        with pytest.raises(ValueError) as info:
            mg.load(tmp_path / name)
        assert str(tmp_path / name) in str(info.value), name


def _snapshot(obj):
    """Structure, types, dtypes and bytes of a loaded object, comparable with ==."""
    if isinstance(obj, mg.Tensor):
        return type(obj), obj.numpy().dtype, obj.shape, obj.numpy().tobytes()
    if isinstance(obj, dict):
        return type(obj), [(k, _snapshot(v)) for k, v in obj.items()]
    if isinstance(obj, (list, tuple)):
        return type(obj), [_snapshot(v) for v in obj]
    return type(obj), obj


@pytest.mark.parametrize('name', ['views.pth', 'legacy.pth'])
def test_bit_flips_in_a_pth_file_are_value_errors(tmp_path, name):
    """Every fifth bit.  The zip layout has CRCs: a flip is refused or changes nothing.  The legacy
    layout has none (a flipped value bit loads, as in torch), but nothing else than a ValueError
    may come out, and no damaged length may make the unpickler allocate what it claims."""
    data, damaged = open(fixture(name), 'rb').read(), tmp_path / name
    original = _snapshot(mg.load(fixture(name), device='cpu'))
    refused = 0
    for bit, flipped in bit_flips(data, step=5):
        damaged.write_bytes(flipped)
        try:
            back = mg.load(damaged, device='cpu')
        except ValueError as exc:
            assert str(damaged) in str(exc), (bit, exc)
            refused += 1
        else:
            assert name == 'legacy.pth' or _snapshot(back) == original, bit
    assert refused > 0.3 * len(data) * 8 / 5


# --------------------------------------------------------------------------- against PyTorch itself


def _fixture_script():
    spec = importlib.util.spec_from_file_location(
        'make_pth_fixtures', os.path.join(os.path.dirname(__file__), '..', 'tools', 'make_pth_fixtures.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('zip_layout', [True, False])
def test_fresh_torch_save_files_equal_torchs_tensors(tmp_path, zip_layout):
    torch = pytest.importorskip('torch')
    g = torch.Generator().manual_seed(1)
    base = torch.randn(5, 7, generator=g, dtype=torch.float64)
    obj = {'sd': torch.nn.Conv2d(3, 4, 3).state_dict(), 'views': [base, base.t(), base[1:4, ::3], base[2]],
           'ints': torch.randint(-9, 9, (3, 2), generator=g, dtype=torch.int32),
           'mask': torch.rand(4, generator=g) > 0.5, 'half': torch.randn(6, generator=g).half(),
           'bf16': torch.randn(6, generator=g).bfloat16(), 'step': 3}
    path = tmp_path / 'fresh.pth'
    torch.save(obj, path, _use_new_zipfile_serialization=zip_layout)
    ours = mg.load(path, device='cpu')
    theirs = flatten_torch(torch.load(path, weights_only=True), 'x', {}, torch)
    got = flatten(ours, 'x', {})
    assert sorted(got) == sorted(theirs) and ours['step'] == 3
    for key, t in theirs.items():
        want = (t.float() if t.dtype == torch.bfloat16 else t).numpy()
        assert got[key].dtype == want.dtype and np.array_equal(got[key].numpy(), want), key


def flatten_torch(obj, prefix, out, torch):
    if isinstance(obj, torch.Tensor):
        out[prefix] = obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            flatten_torch(v, f'{prefix}/{k}', out, torch)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            flatten_torch(v, f'{prefix}/{i}', out, torch)
    return out


def test_torch_unet_generator_and_minigrads_agree_through_a_pth_file(tmp_path):
    torch = pytest.importorskip('torch')
    twin = _fixture_script().TorchUNetGenerator(3, 2, num_downs=5, ngf=3)
    twin(torch.randn(3, 3, 32, 32))   # running statistics off their init
    twin.eval()
    torch.save(twin.state_dict(), tmp_path / 'g.pth')
    model = UNetGenerator(3, 2, num_downs=5, ngf=3)
    assert list(model.state_dict()) == list(twin.state_dict())
    model.load_state_dict(mg.load(tmp_path / 'g.pth'))
    model.eval()
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32)).astype(np.float32)
    with torch.no_grad():
        want = twin(torch.from_numpy(x)).numpy()
    assert_close(model(mg.tensor(x)).numpy(), want, atol=1e-6, rtol=1e-5)


def test_torch_refuses_our_malicious_fixtures_too():
    torch = pytest.importorskip('torch')
    for name in ['evil_exec.pth', 'evil_system.pth', 'evil_in_state_dict.pth', 'evil_legacy.pth']:
        with pytest.raises(pickle.UnpicklingError):
            torch.load(fixture(name), weights_only=True)
