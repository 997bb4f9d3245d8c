"""minigrad.train.fit: the supervised loop, validation in eval mode without a graph, metrics,
history, per-epoch checkpoints that resume exactly, and plot_history."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.data import DataLoader
from minigrad.data.dataset import TensorDataset
from minigrad.function import is_grad_enabled
from minigrad.functional import cross_entropy
from minigrad.train import evaluate, fit, plot_history


def _blobs(n=64, seed=0):
    """Three Gaussian blobs in 4-D: an easy classification problem."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centres = np.array([[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0]], np.float32)
    x = (centres[y] + 0.5 * rng.standard_normal((n, 4))).astype(np.float32)
    return x, y.astype(np.int64)


def _accuracy(out, y):
    return float((out.numpy().argmax(1) == y.numpy()).mean())


class Probe(nn.Module):
    """A small MLP with dropout that records (training, grad enabled) at every call."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 3))
        self.calls = []

    def forward(self, x):
        self.calls.append((self.training, is_grad_enabled()))
        return self.net(x)


def _setup(seed=0):
    mg.manual_seed(seed)
    model = Probe()
    opt = optim.Adam(model.parameters(), lr=0.02)
    train = DataLoader(TensorDataset(*_blobs(64, 0)), batch_size=16, shuffle=True)
    val = DataLoader(TensorDataset(*_blobs(32, 1)), batch_size=16)
    return model, opt, train, val


def test_fit_trains_validates_and_logs():
    model, opt, train, val = _setup()
    sched = optim.StepLR(opt, step_size=2, gamma=0.5)
    h = fit(model, train, opt, cross_entropy, epochs=4, val_loader=val, metrics={'acc': _accuracy},
            progress=False, log_every=3, scheduler=sched)
    assert h['epoch'] == [1, 2, 3, 4]
    assert set(h) >= {'train_loss', 'val_loss', 'train_acc', 'val_acc', 'lr', 'time', 'steps'}
    assert all(len(h[k]) == 4 for k in ('train_loss', 'val_loss', 'train_acc', 'val_acc', 'lr'))
    assert h['train_loss'][-1] < h['train_loss'][0] and h['val_acc'][-1] >= 0.9
    assert h['lr'] == pytest.approx([0.02, 0.02, 0.01, 0.01])            # stepped once per epoch
    assert [s['step'] for s in h['steps']] == [3, 6, 9, 12, 15]           # 16 steps, every 3rd
    # training calls: train mode with a graph; validation calls: eval mode without one
    train_calls = [c for c in model.calls if c[0]]
    val_calls = [c for c in model.calls if not c[0]]
    assert len(train_calls) == 16 and all(g for _, g in train_calls)
    assert len(val_calls) == 8 and not any(g for _, g in val_calls)
    assert model.training                                                 # left in train mode
    res = evaluate(model, val, cross_entropy, {'acc': _accuracy})
    assert res['loss'] == pytest.approx(h['val_loss'][-1]) and res['acc'] == pytest.approx(h['val_acc'][-1])


def test_checkpoint_resume_matches_the_uninterrupted_run(tmp_path):
    model, opt, train, val = _setup()
    full = fit(model, train, opt, cross_entropy, epochs=3, val_loader=val, progress=False)
    weights = [p.numpy().copy() for p in model.parameters()]

    ckpt = str(tmp_path / 'fit.npz')
    model, opt, train, val = _setup()
    fit(model, train, opt, cross_entropy, epochs=1, val_loader=val, progress=False, checkpoint=ckpt)
    model, opt, train, val = _setup(seed=5)                          # a different start, overwritten
    mg.randn(3)
    resumed = fit(model, train, opt, cross_entropy, epochs=3, val_loader=val, progress=False, checkpoint=ckpt)
    exact = mg.default_backend() == 'numpy'   # bit-exact on the CPU; GPU sums may reorder
    for key in ('train_loss', 'val_loss', 'lr', 'epoch'):
        assert resumed[key] == (full[key] if exact else pytest.approx(full[key], rel=1e-4)), key
    for a, p in zip(weights, model.parameters()):
        np.testing.assert_allclose(p.numpy(), a, rtol=0 if exact else 1e-4, atol=0 if exact else 1e-6)
    # a finished run resumes to nothing new: its stored history comes back
    again = fit(model, train, opt, cross_entropy, epochs=3, progress=False, checkpoint=ckpt)
    assert again['train_loss'] == resumed['train_loss']


def test_progress_bar_plot_and_errors(tmp_path):
    pytest.importorskip('matplotlib')
    model, opt, train, _ = _setup()
    h = fit(model, train, opt, cross_entropy, epochs=2, progress=True)
    path = plot_history(h, tmp_path / 'curves.png')
    assert open(path, 'rb').read(4) == b'\x89PNG'
    with pytest.raises(ValueError, match=r'\(inputs, targets'):
        fit(model, [mg.randn(2, 4)], opt, cross_entropy, epochs=1, progress=False)
    with pytest.raises(FloatingPointError, match='loss became'):
        fit(model, train, opt, lambda out, y: out.sum() * float('nan'), epochs=1, progress=False)
    with pytest.raises(ValueError, match='epochs'):
        fit(model, train, opt, cross_entropy, epochs=-1)


def test_checkpoint_folder_is_created(tmp_path):
    model, opt, train, val = _setup()
    ckpt = tmp_path / 'runs' / 'blobs' / 'fit.npz'
    fit(model, train, opt, cross_entropy, epochs=1, progress=False, checkpoint=str(ckpt))
    assert mg.load(ckpt)['epoch'] == 1
