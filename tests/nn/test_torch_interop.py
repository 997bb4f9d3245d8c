"""Weights move both ways between minigrad and PyTorch: same state_dict keys, order and
shapes for the same architecture; identical outputs after loading either way (also through
an .npz file).  Skipped when torch is not installed."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad.io import from_torch_state_dict, to_torch_state_dict
from minigrad.testing import assert_close

torch = pytest.importorskip('torch')


def _ours():
    return nn.Sequential(
        nn.Conv2d(3, 8, 4, stride=2, padding=1), nn.BatchNorm2d(8), nn.LeakyReLU(0.2),
        nn.Conv2d(8, 8, 3, padding=1, padding_mode='reflect', bias=False), nn.InstanceNorm2d(8, affine=True),
        nn.ReLU(), nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1), nn.BatchNorm2d(4, momentum=None),
        nn.Tanh(), nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5), nn.Linear(4 * 4 * 4, 5))


def _theirs():
    t = torch.nn
    return t.Sequential(
        t.Conv2d(3, 8, 4, stride=2, padding=1), t.BatchNorm2d(8), t.LeakyReLU(0.2),
        t.Conv2d(8, 8, 3, padding=1, padding_mode='reflect', bias=False), t.InstanceNorm2d(8, affine=True),
        t.ReLU(), t.ConvTranspose2d(8, 4, 4, stride=2, padding=1), t.BatchNorm2d(4, momentum=None),
        t.Tanh(), t.MaxPool2d(2), t.Flatten(), t.Dropout(0.5), t.Linear(4 * 4 * 4, 5))


def _x(seed):
    return np.random.default_rng(seed).standard_normal((2, 3, 8, 8)).astype(np.float32)


def _torch_out(model, x):
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy()


def test_state_dict_keys_and_shapes_equal_torchs():
    ours, theirs = _ours().state_dict(), _theirs().state_dict()
    assert list(ours) == list(theirs)
    for k in ours:
        assert ours[k].shape == tuple(theirs[k].shape), k
        assert str(ours[k].dtype) == str(theirs[k].dtype).replace('torch.', '').replace('long', 'int64'), k


def test_ours_to_torch_gives_the_same_outputs():
    model = _ours()
    model.apply(nn.init.init_weights_normal(0.3))
    for seed in range(2):  # non-trivial running statistics
        model(mg.tensor(_x(seed)))
    tmodel = _theirs()
    tmodel.load_state_dict({k: torch.from_numpy(v) for k, v in to_torch_state_dict(model.state_dict()).items()})
    model.eval(), tmodel.eval()
    x = _x(5)
    assert_close(model(mg.tensor(x)), _torch_out(tmodel, x), rtol=1e-4, atol=1e-5)


def test_torch_to_ours_gives_the_same_outputs_in_train_and_eval(tmp_path):
    torch.manual_seed(0)
    tmodel = _theirs()
    tmodel.train()
    for seed in range(3):
        with torch.no_grad():
            tmodel(torch.from_numpy(_x(seed)))
    tmodel[11].p = 0.0  # dropout off for a deterministic train-mode comparison
    # through a plain .npz, as a student would ship weights between machines
    np.savez(tmp_path / 'torch_weights.npz', **{k: v.numpy() for k, v in tmodel.state_dict().items()})
    model = _ours()
    model[11].p = 0.0
    model.load_state_dict(from_torch_state_dict(mg.load(tmp_path / 'torch_weights.npz')))
    assert model[7].num_batches_tracked.item() == 3
    x = _x(7)
    assert_close(model(mg.tensor(x)), _torch_out(tmodel, x), rtol=1e-4, atol=1e-5)  # train mode
    for key, value in tmodel.state_dict().items():  # running stats updated identically
        assert_close(model.state_dict()[key], value.numpy(), rtol=1e-5, atol=1e-6, msg=key)
    model.eval(), tmodel.eval()
    assert_close(model(mg.tensor(x)), _torch_out(tmodel, x), rtol=1e-4, atol=1e-5)
    # and straight from torch tensors
    fresh = _ours().eval()
    fresh.load_state_dict(tmodel.state_dict())
    assert_close(fresh(mg.tensor(x)), _torch_out(tmodel, x), rtol=1e-4, atol=1e-5)


def test_minigrad_checkpoint_readable_from_torch_side(tmp_path):
    model = _ours().eval()
    mg.save({'model': model.state_dict(), 'epoch': 3}, tmp_path / 'ckpt.npz')
    with np.load(tmp_path / 'ckpt.npz') as npz:  # numpy only, no minigrad needed
        sd = {k[len('model/'):]: torch.from_numpy(npz[k]) for k in npz.files if k.startswith('model/')}
    tmodel = _theirs().eval()
    tmodel.load_state_dict(sd)
    x = _x(9)
    assert_close(model(mg.tensor(x)), _torch_out(tmodel, x), rtol=1e-4, atol=1e-5)
