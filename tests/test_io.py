"""Checkpoints (minigrad/io.py): bit-exact round trips of nested structures, plain-npz
readability, atomic writes (a failed save leaves the old file intact and no temp files),
clear errors for truncated / corrupt files, and the torch state_dict helpers."""
import collections
import os
import zipfile

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.optim as optim
from minigrad import io as mio
from minigrad.testing import as_numpy


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
