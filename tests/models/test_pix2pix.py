"""pix2pix: the generator and PatchGAN discriminator as in the paper, and the trainer's step,
schedule, ablation switches, sample grids and exact resume."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.calc.receptive_field import receptive_field
from minigrad.data import DataLoader
from minigrad.data.dataset import TensorDataset
from minigrad.models import PatchDiscriminator, Pix2PixTrainer, UNetGenerator


def _convs(module, kind=nn.Conv2d):
    return [m for m in module.modules() if type(m) is kind]


# ------------------------------------------------------------------------------ generator

def test_unet_256_layout_matches_the_paper():
    G = UNetGenerator(3, 3, num_downs=8, ngf=2)   # widths scale with ngf; the paper has ngf = 64
    enc = [m.out_channels * 32 for m in _convs(G.down)]
    assert enc == [64, 128, 256, 512, 512, 512, 512, 512]                       # C64-...-C512
    assert all(c.kernel_size == (4, 4) and c.stride == (2, 2) for c in _convs(G.down))
    dec_in = [G.up[i][1].in_channels * 32 for i in reversed(range(8))]
    assert dec_in == [512, 1024, 1024, 1024, 1024, 512, 256, 128]               # with the copies
    assert G.up[0][1].out_channels == 3 and isinstance(G.up[0][-1], nn.Tanh)
    # no norm on the first and the innermost encoder layers; LeakyReLU(0.2) before every other conv
    assert len(G.down[0]) == 1 and isinstance(G.down[7][2], nn.Identity)
    assert all(isinstance(G.down[i][2], nn.BatchNorm2d) for i in range(1, 7))
    assert all(G.down[i][0].negative_slope == 0.2 for i in range(1, 8))
    dropout = [i for i in range(8) if any(isinstance(m, nn.Dropout) for m in G.up[i].modules())]
    assert dropout == [5, 6, 7]                                                 # the 3 innermost decoder blocks
    assert all(G.up[i][2].__class__ is nn.BatchNorm2d for i in range(1, 8))
    # batch norm makes conv biases redundant: the paper's code drops them
    assert G.down[1][1].bias is None and G.up[0][1].bias is not None


@pytest.mark.parametrize('num_downs,size', [(6, 64), (4, 32), (3, 16)])
def test_generator_shapes_and_range(num_downs, size):
    G = UNetGenerator(1, 3, num_downs=num_downs, ngf=2)
    out = G(mg.randn(2, 1, size, size))
    assert out.shape == (2, 3, size, size)
    assert np.abs(out.numpy()).max() <= 1.0
    with pytest.raises(ValueError, match='divisible'):
        G(mg.randn(1, 1, size + 2, size))


def test_generator_without_dropout_is_deterministic_in_train_mode():
    G = UNetGenerator(1, 1, num_downs=3, ngf=2, use_dropout=False, norm='instance')
    assert not any(isinstance(m, nn.Dropout) for m in G.modules())
    x = mg.randn(1, 1, 8, 8)
    np.testing.assert_array_equal(G(x).numpy(), G(x).numpy())


def test_pix2pix_init_statistics():
    D = PatchDiscriminator(6, ndf=64)
    w = np.concatenate([c.weight.numpy().ravel() for c in _convs(D)])
    assert abs(w.mean()) < 1e-3 and abs(w.std() - 0.02) < 1e-3
    bn = [m for m in D.modules() if isinstance(m, nn.BatchNorm2d)]
    g = np.concatenate([m.weight.numpy() for m in bn])
    assert abs(g.mean() - 1) < 0.01 and abs(g.std() - 0.02) < 0.005
    assert all((m.bias.numpy() == 0).all() for m in bn)
    assert all((c.bias.numpy() == 0).all() for c in _convs(D) if c.bias is not None)


# ------------------------------------------------------------------------------ discriminator

@pytest.mark.parametrize('n_layers,rf', [(1, 16), (3, 70), (5, 286)])
def test_patchgan_receptive_fields(n_layers, rf):
    assert receptive_field(PatchDiscriminator(6, ndf=1, n_layers=n_layers), 256).rf == rf


def test_discriminator_shapes_and_conditioning():
    D = PatchDiscriminator(4, ndf=4, n_layers=3)
    x, y = mg.randn(2, 1, 64, 64), mg.randn(2, 3, 64, 64)
    out = D(x, y)
    assert out.shape == (2, 1, 6, 6)   # 64 -> 32 -> 16 -> 8 -> 7 -> 6 (256 gives the paper's 30x30)
    np.testing.assert_allclose(out.numpy(), D(mg.cat([x, y], dim=1)).numpy(), rtol=1e-6)
    pixel = PatchDiscriminator(4, ndf=4, n_layers=0)
    assert pixel(x, y).shape == (2, 1, 64, 64)
    assert receptive_field(pixel, 8).rf == 1
    with pytest.raises(ValueError, match='n_layers'):
        PatchDiscriminator(4, n_layers=-1)


# ------------------------------------------------------------------------------ trainer

def _pairs(n=8, size=16, seed=0):
    """A toy aligned pair set: y is a fixed colour mapping of x (both in [-1, 1])."""
    rng = np.random.default_rng(seed)
    x = np.tanh(rng.standard_normal((n, 1, size, size)) * 2).astype(np.float32)
    y = np.concatenate([x, -x, x * x * 2 - 1], axis=1).astype(np.float32)
    return x, y


def _nets(seed=0, dropout=True):
    mg.manual_seed(seed)
    return (UNetGenerator(1, 3, num_downs=4, ngf=4, use_dropout=dropout),
            PatchDiscriminator(4, ndf=4, n_layers=2))


def _same_log(a, b):
    """Bit-exact on the CPU (the promise); GPU kernels may sum in a different order, so close there."""
    if mg.default_backend() == 'numpy':
        return a == b
    return len(a) == len(b) and all(x.keys() == y.keys() and all(x[k] == pytest.approx(y[k], rel=1e-4, abs=1e-6)
                                                                    for k in x) for x, y in zip(a, b))


def _params(model):
    return [p.numpy().copy() for p in model.parameters()]


def test_one_step_changes_both_networks():
    G, D = _nets()
    before_G, before_D = _params(G), _params(D)
    x, y = (mg.tensor(a) for a in _pairs(2))
    entry = Pix2PixTrainer(G, D, progress=False).train_step(x, y)
    assert all(not np.array_equal(a, b) for a, b in zip(before_G, _params(G)))
    assert all(not np.array_equal(a, b) for a, b in zip(before_D, _params(D)))
    assert entry['loss_G'] == pytest.approx(entry['loss_G_GAN'] + 100 * entry['loss_G_L1'], rel=1e-5)
    assert entry['loss_D'] == pytest.approx(0.5 * (entry['loss_D_real'] + entry['loss_D_fake']), rel=1e-5)
    assert all(p.requires_grad for p in D.parameters())  # unfrozen again after G's step


def test_discriminator_learns_to_tell_real_from_fake():
    G, D = _nets()
    x, y = (mg.tensor(a) for a in _pairs(4))
    trainer = Pix2PixTrainer(G, D, lr=1e-3, progress=False)
    log = [trainer.train_step(x, y) for _ in range(6)]
    assert log[-1]['loss_D_real'] < log[0]['loss_D_real']   # real pairs: D -> 1
    assert log[-1]['loss_D_fake'] < log[0]['loss_D_fake']   # fake pairs: D -> 0
    assert log[-1]['D_real'] > log[0]['D_real'] and log[-1]['D_fake'] < log[0]['D_fake']
    assert log[-1]['loss_G_L1'] < log[0]['loss_G_L1']


def test_ablation_switches():
    G, D = _nets()
    x, y = (mg.tensor(a) for a in _pairs(2))
    before_D = _params(D)
    entry = Pix2PixTrainer(G, D, l1_only=True, progress=False).train_step(x, y)
    assert all(np.array_equal(a, b) for a, b in zip(before_D, _params(D)))  # no D at all
    assert 'loss_D' not in entry and entry['loss_G'] == entry['loss_G_L1']
    entry = Pix2PixTrainer(G, D, gan_only=True, progress=False).train_step(x, y)
    assert entry['loss_G'] == pytest.approx(entry['loss_G_GAN'])             # lambda = 0
    with pytest.raises(ValueError, match='exclude'):
        Pix2PixTrainer(G, D, l1_only=True, gan_only=True)


def test_linear_decay_schedule():
    G, D = _nets()
    x, y = _pairs(4)
    loader = DataLoader(TensorDataset(x, y), batch_size=2)
    trainer = Pix2PixTrainer(G, D, lr=1e-3, epochs=2, decay_epochs=3, progress=False)
    assert [trainer.lr_factor(e) for e in range(5)] == pytest.approx([1, 1, 0.75, 0.5, 0.25])
    log = trainer.fit(loader)
    assert len(log) == 10 and [e['epoch'] for e in log[::2]] == [1, 2, 3, 4, 5]
    assert [e['lr'] for e in log[::2]] == pytest.approx([1e-3, 1e-3, 7.5e-4, 5e-4, 2.5e-4])


def test_resume_reproduces_the_uninterrupted_run_exactly(tmp_path):
    """Interrupt mid-epoch, rebuild everything from scratch, resume: the same losses to the bit
    (dropout masks, shuffling, Adam moments, batch-norm statistics, lr schedule included)."""
    x, y = _pairs(6)
    loader = DataLoader(TensorDataset(x, y), batch_size=2, shuffle=True)
    kw = dict(epochs=2, decay_epochs=1, progress=False)

    G, D = _nets()
    full = Pix2PixTrainer(G, D, **kw).fit(loader)
    assert len(full) == 9

    G, D = _nets()
    ckpt = tmp_path / 'run.npz'
    Pix2PixTrainer(G, D, checkpoint=str(ckpt), **kw).fit(loader, max_steps=4)   # stops inside epoch 2
    mg.manual_seed(1234)                                                         # scramble everything
    G, D = _nets(seed=99)
    mg.randn(7)
    resumed = Pix2PixTrainer(G, D, checkpoint=str(ckpt), sample_every=3, sample_dir=str(tmp_path / 's'), **kw)
    log = resumed.fit(loader)
    assert resumed.step_count == 9 and (tmp_path / 's' / 'step_000006.png').exists()
    assert _same_log(log, full)   # every loss term of every step, exactly (on the CPU)


def test_samples_do_not_disturb_training(tmp_path):
    x, y = (mg.tensor(a) for a in _pairs(2))
    G, D = _nets()
    plain = Pix2PixTrainer(G, D, progress=False)
    a = [plain.train_step(x, y) for _ in range(2)]
    G, D = _nets()
    sampled = Pix2PixTrainer(G, D, progress=False, sample_dir=str(tmp_path))
    b = [sampled.train_step(x, y)]
    path = sampled.save_samples(x, y)
    b.append(sampled.train_step(x, y))
    assert _same_log(a, b)
    assert open(path, 'rb').read(4) == b'\x89PNG'


@pytest.mark.parametrize('before, after', [((6, 2), (12, 2)), ((6, 2), (4, 2)), ((12, 2), (12, 4))])
def test_resume_with_another_loader_restarts_the_epoch(tmp_path, before, after):
    """Issue 20: a stored sample order is only valid for the same samples and batch size; with another
    loader it used to skip samples (batch 2 -> 4) or fail mid-epoch (6 -> 12, 6 -> 4)."""
    x, y = _pairs(12)
    ckpt = str(tmp_path / 'run.npz')
    G, D = _nets()
    n, b = before
    Pix2PixTrainer(G, D, checkpoint=ckpt, progress=False).fit(
        DataLoader(TensorDataset(x[:n], y[:n]), batch_size=b, shuffle=True), max_steps=2)
    seen = []

    class Spy(TensorDataset):
        def __getitem__(self, i):
            seen.append(i)
            return super().__getitem__(i)

    n, b = after
    G, D = _nets()
    trainer = Pix2PixTrainer(G, D, checkpoint=ckpt, progress=False)
    with pytest.warns(UserWarning, match='restarts from its first batch'):
        trainer.fit(DataLoader(Spy(x[:n], y[:n]), batch_size=b, shuffle=True))
    assert sorted(seen) == list(range(n))                     # the whole epoch, each sample once
    assert trainer.step_count == 2 + -(-n // b)


def test_resume_with_the_same_loader_does_not_warn(tmp_path):
    import warnings
    x, y = _pairs(6)
    loader = DataLoader(TensorDataset(x, y), batch_size=2, shuffle=True)
    ckpt = str(tmp_path / 'run.npz')
    G, D = _nets()
    Pix2PixTrainer(G, D, checkpoint=ckpt, progress=False).fit(loader, max_steps=1)
    G, D = _nets()
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        log = Pix2PixTrainer(G, D, checkpoint=ckpt, progress=False).fit(loader)
    assert len(log) == 3
