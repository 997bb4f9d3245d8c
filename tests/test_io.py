"""Checkpoints (minigrad/io.py): bit-exact round trips of nested structures, plain-npz
readability, atomic writes (a failed save leaves the old file intact and no temp files),
clear errors for truncated / corrupt / crafted files (every single-bit flip, headers that
promise huge arrays, manifests that do not match the members), keys that save refuses, and
the torch state_dict helpers.  Reading torch.save files: tests/test_torchfile.py."""
import collections
import io
import os
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.optim as optim
from minigrad import io as mio
from minigrad.testing import as_numpy, bit_flips


def _model():
    return nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(), nn.Linear(12, 2))


def test_round_trip_is_bit_exact_and_keeps_structure(tmp_path):
    model = _model()
    model(mg.randn(2, 2, 4, 4))  # move the running stats away from their init
    opt = optim.Adam(model.parameters())
    (model(mg.randn(2, 2, 4, 4)) ** 2).sum().backward()
    opt.step()
    obj = {'model': model.state_dict(), 'optim': opt.state_dict(), 'epoch': 7, 'loss': 0.125, 'name': 'run-1',
           'history': [1.0, 0.5, float('inf')], 'shape': (3, 4), 'flag': True, 'nothing': None,
           'raw': np.arange(6, dtype=np.int16).reshape(2, 3), 'scalar': np.float32(2.5),
           'f64': mg.tensor(np.linspace(0, 1, 5)), 'empty': {}, 7: 'int key'}
    path = tmp_path / 'ckpt.npz'
    mg.save(obj, path)
    back = mg.load(path)
    assert list(back) == list(obj)
    assert isinstance(back['model'], collections.OrderedDict) and list(back['model']) == list(obj['model'])
    for k, v in obj['model'].items():
        assert isinstance(back['model'][k], mg.Tensor)
        assert back['model'][k].dtype == v.dtype and back['model'][k].shape == v.shape
        assert np.array_equal(back['model'][k].numpy(), v.numpy()), k
    assert back['model']['1.num_batches_tracked'].shape == () and back['model']['1.num_batches_tracked'].item() == 2
    assert list(back['optim']['state']) == list(range(6))  # int keys come back as ints
    assert back['optim']['state'][0]['step'] == 1
    assert back['optim']['param_groups'][0]['betas'] == [0.9, 0.999]
    assert (back['epoch'], back['loss'], back['name'], back['flag'], back['nothing']) == (7, 0.125, 'run-1', True, None)
    assert back['history'] == [1.0, 0.5, float('inf')] and back['shape'] == (3, 4) and back[7] == 'int key'
    assert back['raw'].dtype == np.int16 and np.array_equal(as_numpy(back['raw']), obj['raw'])
    assert back['scalar'] == np.float32(2.5) and back['scalar'].dtype == np.float32
    assert back['f64'].dtype == np.float64 and back['empty'] == {}
    fresh = _model()
    fresh.load_state_dict(back['model'])
    x = mg.randn(2, 2, 4, 4)
    model.eval(), fresh.eval()
    assert np.array_equal(model(x).numpy(), fresh(x).numpy())


def test_file_is_a_plain_npz_without_pickle(tmp_path):
    path = tmp_path / 'w.npz'
    mg.save({'model': _model().state_dict()}, path)
    with np.load(path, allow_pickle=False) as npz:
        assert 'model/0.weight' in npz.files and npz['model/0.weight'].shape == (3, 2, 3, 3)
    # an npz written by numpy alone (e.g. exported from PyTorch) loads as a dict of arrays
    np.savez(tmp_path / 'plain.npz', **{'0.weight': np.ones((3, 2, 3, 3), np.float32)})
    plain = mg.load(tmp_path / 'plain.npz')
    assert list(plain) == ['0.weight'] and plain['0.weight'].shape == (3, 2, 3, 3)


def test_unsupported_objects_are_rejected_before_touching_the_file(tmp_path):
    path = tmp_path / 'ckpt.npz'
    mg.save({'a': 1}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match="state_dict"):
        mg.save({'model': _model()}, path)
    with pytest.raises(TypeError, match='dict keys'):
        mg.save({(1, 2): 3}, path)
    with pytest.raises(TypeError, match='object'):
        mg.save({'x': np.array([{}, 1], dtype=object)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ['ckpt.npz']


def test_crash_mid_save_leaves_previous_checkpoint_intact(tmp_path, monkeypatch):
    path = tmp_path / 'ckpt.npz'
    mg.save({'epoch': 1, 'w': mg.ones(100)}, path)
    before = path.read_bytes()
    calls = []
    real_write = np.lib.format.write_array

    def failing_write(f, array, **kw):
        calls.append(1)
        if len(calls) == 2:  # after the first array was written: simulate a crash / full disk
            raise OSError('No space left on device')
        return real_write(f, array, **kw)
    monkeypatch.setattr(np.lib.format, 'write_array', failing_write)
    with pytest.raises(OSError, match='No space'):
        mg.save({'epoch': 2, 'w': mg.zeros(100), 'v': mg.zeros(100)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ['ckpt.npz']  # the temp file was removed
    assert mg.load(path)['epoch'] == 1


@pytest.mark.parametrize('damage', ['truncate', 'flip', 'garbage', 'empty'])
def test_truncated_or_corrupt_file_gives_a_clear_error(tmp_path, damage):
    path = tmp_path / 'ckpt.npz'
    mg.save({'w': mg.randn(64, 64), 'epoch': 3}, path)
    data = bytearray(path.read_bytes())
    if damage == 'truncate':
        data = data[:len(data) // 2]
    elif damage == 'flip':  # corrupt one byte inside the first array's payload: CRC mismatch
        data[400] ^= 0xFF
    elif damage == 'garbage':
        data = bytearray(b'not a checkpoint at all' * 10)
    else:
        data = bytearray()
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match='truncated or corrupt') as info:
        mg.load(path)
    assert str(path) in str(info.value)


def test_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        mg.load(tmp_path / 'nope.npz')


def test_save_overwrites_and_can_compress(tmp_path):
    path = tmp_path / 'ckpt.npz'
    mg.save({'w': mg.zeros(1000)}, path, compress=True)
    assert path.stat().st_size < 1000
    with zipfile.ZipFile(path) as zf:
        assert zf.infolist()[0].compress_type == zipfile.ZIP_DEFLATED
    mg.save({'w': mg.ones(3)}, path)
    assert np.array_equal(mg.load(path)['w'].numpy(), np.ones(3, np.float32))
    assert mg.load(path, device='cpu')['w'].device == 'cpu'


def test_torch_state_dict_helpers_without_torch():
    model = _model()
    plain = mio.to_torch_state_dict(model.state_dict())
    assert list(plain) == list(model.state_dict())
    assert all(type(v) is np.ndarray for v in plain.values())
    assert plain['1.num_batches_tracked'].dtype == np.int64 and plain['1.num_batches_tracked'].shape == ()
    plain['0.weight'][...] = 0  # a copy: the model is untouched
    assert np.abs(model[0].weight.numpy()).sum() > 0
    back = mio.from_torch_state_dict(plain)
    model.load_state_dict(back)
    assert np.abs(model[0].weight.numpy()).sum() == 0


def test_save_into_a_missing_folder_names_the_folder(tmp_path):
    target = tmp_path / 'runs' / 'ckpt.npz'
    with pytest.raises(FileNotFoundError, match='runs'):
        mg.save({'a': mg.zeros(2)}, target)
    assert not (tmp_path / 'runs').exists()


# --------------------------------------------------------------------------- damaged and crafted files


def _same(a, b):
    """Exactly the same structure, types, dtypes and values."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, (mg.Tensor, np.ndarray, np.generic)):
        a, b = as_numpy(a), as_numpy(b)
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    return a == b


def test_every_single_bit_flip_is_a_value_error_or_changes_nothing(tmp_path):
    obj = {'model': collections.OrderedDict(w=mg.tensor(np.arange(6, dtype=np.float32).reshape(2, 3)),
                                            b=np.array([1, 2], np.int64)), 'epoch': 3, 'h': [np.float64(0.5)]}
    path, damaged = tmp_path / 'ckpt.npz', tmp_path / 'damaged.npz'
    mg.save(obj, path)
    data = path.read_bytes()
    original = mg.load(path, device='cpu')
    assert _same(original, mg.load(path, device='cpu')) and not _same(original, {**original, 'epoch': 4})
    outcomes = collections.Counter()
    for bit, flipped in bit_flips(data):   # ~11,000 files of ~1.4 KB
        damaged.write_bytes(flipped)
        try:
            back = mg.load(damaged, device='cpu')
        except ValueError as exc:
            assert str(damaged) in str(exc), (bit, exc)
            outcomes['refused'] += 1
        else:
            assert _same(back, original), f"flipping bit {bit} gave {back}"
            outcomes['unchanged'] += 1   # e.g. a timestamp or a local-header field zipfile does not use
    assert outcomes['refused'] > 0.6 * 8 * len(data)


def _npy_member(path, name, header_shape, payload, compress=zipfile.ZIP_STORED):
    """A zip with one .npy member whose header claims ``header_shape`` (float32) over ``payload``."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {'descr': '<f4', 'fortran_order': False, 'shape': header_shape})
    with zipfile.ZipFile(path, 'w', compression=compress) as zf:
        zf.writestr(name, header.getvalue() + payload)
    return path


def test_a_header_promising_a_huge_array_is_refused_before_allocating(tmp_path):
    path = _npy_member(tmp_path / 'bomb.npz', 'w.npy', (100_000_000,), b'\x00' * 16)   # promises 400 MB
    assert path.stat().st_size < 1000
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r'promises an array of shape \(100000000,\)') as info:
            mg.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(path) in str(info.value) and peak < 10 * 2**20
    # the same header over the right number of bytes is a fine plain npz
    good = _npy_member(tmp_path / 'good.npz', 'w.npy', (4,), np.arange(4, dtype='<f4').tobytes())
    assert np.array_equal(as_numpy(mg.load(good)['w']), np.arange(4, dtype=np.float32))


def test_zips_that_are_not_checkpoints_are_refused(tmp_path):
    npy = io.BytesIO()
    np.save(npy, np.ones(2))
    cases = {'empty.npz': [], 'text.npz': [('notes.txt', b'hello')], 'twice.npz': [('a.npy', npy.getvalue())] * 2}
    for name, members in cases.items():
        with zipfile.ZipFile(tmp_path / name, 'w') as zf, warnings.catch_warnings():
            warnings.simplefilter('ignore')   # zipfile warns about the duplicate name
            for member, data in members:
                zf.writestr(member, data)
        with pytest.raises(ValueError, match='is not a minigrad checkpoint, NumPy .npz or torch.save file') as info:
            mg.load(tmp_path / name)
        assert str(tmp_path / name) in str(info.value), name


def test_manifest_must_match_the_members(tmp_path):
    path = tmp_path / 'ckpt.npz'
    mg.save({'a': np.ones(2), 'b': np.zeros(3)}, path)
    with zipfile.ZipFile(path) as src:
        members = {info.filename: src.read(info) for info in src.infolist()}
    for drop in ['a.npy', None]:
        with zipfile.ZipFile(tmp_path / 'edited.npz', 'w') as zf:
            for name, data in members.items():
                if name != drop:
                    zf.writestr(name, data)
            if drop is None:   # an extra member the manifest does not mention
                zf.writestr('c.npy', members['a.npy'])
        with pytest.raises(ValueError, match='damaged manifest') as info:
            mg.load(tmp_path / 'edited.npz')
        assert ('missing' if drop else 'does not mention') in str(info.value)


def test_zip64_end_record_is_understood(tmp_path, monkeypatch):
    monkeypatch.setattr(zipfile, 'ZIP_FILECOUNT_LIMIT', 2)   # force the zip64 end record on 4 members
    path = tmp_path / 'ckpt.npz'
    mg.save({'a': np.ones(2), 'b': [1, np.zeros(2)], 'c': np.int8(3)}, path)
    monkeypatch.undo()
    assert b'PK\x06\x06' in path.read_bytes()
    assert _same(mg.load(path, device='cpu'), {'a': np.ones(2), 'b': [1, np.zeros(2)], 'c': np.int8(3)})


@pytest.mark.parametrize('key, message', [('a\x00b', 'NUL character'), ('\ud800', 'not valid text'),
                                          ('x' * 70_000, 'bytes long')])
def test_save_refuses_keys_load_could_not_read_and_keeps_the_old_file(tmp_path, key, message):
    path = tmp_path / 'ckpt.npz'
    mg.save({'w': mg.ones(3)}, path)
    before = path.read_bytes()
    with pytest.raises(ValueError, match=message):
        mg.save({'model': {key: mg.zeros(2)}}, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ['ckpt.npz']
    # keys that look odd but survive come back as they were
    odd = {'': np.ones(1), 'a/b': np.ones(2), '..': 1, 'é\n\\': np.zeros(1), '__minigrad__': np.ones(3)}
    mg.save(odd, path)
    assert _same(mg.load(path, device='cpu'), odd)
