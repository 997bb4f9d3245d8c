"""Assignment 6 (assignments/a6_pix2pix.md): the pix2pix objective and one training step.

Losses are compared with the formulas computed in NumPy; the training step
with the gradients each network must end up with: D's from its own loss on
real and *detached* fake pairs, G's from cGAN + lambda * L1 through the
*updated* D, with no gradient leaking into D.
"""
import copy

import numpy as np
import pytest

import minigrad as mg
from minigrad import gan
from minigrad.models.pix2pix import PatchDiscriminator, UNetGenerator
from minigrad.models.pix2pix_trainer import Pix2PixTrainer
from minigrad.functional import l1_loss
from minigrad.testing import as_numpy, assert_close, t64


def softplus(a):
    return np.logaddexp(0.0, a)


# -------------------------------------------------------------------- a6_gan_losses
@pytest.mark.a6_gan_losses
def test_discriminator_loss_value(rng):
    """D's loss: mean(-log sigmoid(real)) + mean(-log(1 - sigmoid(fake))) on logits."""
    real, fake = rng.standard_normal((2, 1, 3, 3)) * 3, rng.standard_normal((2, 1, 3, 3)) * 3
    loss = gan.minimax_discriminator_loss(mg.tensor(real), mg.tensor(fake))
    assert abs(loss.item() - (softplus(-real).mean() + softplus(fake).mean())) < 1e-10


@pytest.mark.a6_gan_losses
def test_nonsaturating_generator_loss_value(rng):
    """G's non-saturating loss: mean(-log sigmoid(fake))."""
    fake = rng.standard_normal((2, 1, 3, 3)) * 3
    loss = gan.nonsaturating_generator_loss(mg.tensor(fake))
    assert abs(loss.item() - softplus(-fake).mean()) < 1e-10


@pytest.mark.a6_gan_losses
def test_gan_loss_gradients(rng):
    """Both losses differentiate correctly with respect to the logits."""
    real, fake = t64(rng.standard_normal((2, 1, 2, 2))), t64(rng.standard_normal((2, 1, 2, 2)))
    mg.gradcheck(gan.minimax_discriminator_loss, [real, fake])
    mg.gradcheck(gan.nonsaturating_generator_loss, [fake])


# ------------------------------------------------------------------ a6_pix2pix_loss
@pytest.mark.a6_pix2pix_loss
def test_pix2pix_generator_loss(rng):
    """total = cGAN + lambda * mean|fake - target|, returned with its two parts."""
    logits, fake, target = rng.standard_normal((2, 1, 2, 2)), rng.standard_normal((2, 3, 4, 4)), \
        rng.standard_normal((2, 3, 4, 4))
    gan_part, l1_part = softplus(-logits).mean(), np.abs(fake - target).mean()
    for lam in (100.0, 0.0, 2.5):
        parts = gan.pix2pix_generator_loss(mg.tensor(logits), mg.tensor(fake), mg.tensor(target), lambda_l1=lam)
        assert abs(parts.gan.item() - gan_part) < 1e-10 and abs(parts.l1.item() - l1_part) < 1e-10
        assert abs(parts.total.item() - (gan_part + lam * l1_part)) < 1e-8, f"lambda = {lam}"


@pytest.mark.a6_pix2pix_loss
def test_pix2pix_discriminator_loss(rng):
    """pix2pix halves D's loss so that D learns more slowly than G."""
    real, fake = rng.standard_normal((2, 1, 3, 3)), rng.standard_normal((2, 1, 3, 3))
    loss = gan.pix2pix_discriminator_loss(mg.tensor(real), mg.tensor(fake))
    assert abs(loss.item() - 0.5 * (softplus(-real).mean() + softplus(fake).mean())) < 1e-10


@pytest.mark.a6_pix2pix_loss
def test_pix2pix_generator_loss_gradient(rng):
    """The gradient reaches the generator's output through both terms."""
    target, k = mg.tensor(rng.standard_normal((1, 2, 3, 3))), mg.tensor(rng.standard_normal((1, 2, 1, 1)))
    mg.gradcheck(lambda fake: gan.pix2pix_generator_loss((fake * k).sum(dim=1, keepdim=True), fake, target,
                                                         lambda_l1=3.0).total,
                 [t64(rng.standard_normal((1, 2, 3, 3)))])


# -------------------------------------------------------------------- a6_train_step
def _setup(rng, **options):
    mg.manual_seed(0)
    G = UNetGenerator(1, 1, num_downs=3, ngf=2, norm='instance', use_dropout=False)
    D = PatchDiscriminator(2, ndf=2, n_layers=1, norm='instance')
    x = mg.tensor(rng.standard_normal((2, 1, 16, 16)).astype(np.float32))
    y = mg.tensor(np.tanh(rng.standard_normal((2, 1, 16, 16))).astype(np.float32))
    return G, D, Pix2PixTrainer(G, D, progress=False, **options), x, y


def _grads(model):
    return [as_numpy(p.grad).copy() for p in model.parameters()]


@pytest.mark.a6_train_step
def test_train_step_gradients(rng):
    """After one step D holds the gradient of its loss on (x, y) and (x, G(x).detach()), and G the
    gradient of pix2pix_generator_loss through the updated D."""
    G, D, trainer, x, y = _setup(rng)
    G0, D0 = copy.deepcopy(G), copy.deepcopy(D)
    entry = trainer.train_step(x, y)
    fake0 = G0(x)
    gan.pix2pix_discriminator_loss(D0(x, y), D0(x, fake0.detach())).backward()
    for got, want in zip(_grads(D), _grads(D0)):
        assert_close(got, want, rtol=1e-4, atol=1e-6, msg="D's gradient (D must not see G's loss)")
    D1 = copy.deepcopy(D)                       # D after its update
    for p in D1.parameters():
        p.grad = None
    gan.pix2pix_generator_loss(D1(x, fake0), fake0, y, lambda_l1=100.0).total.backward()
    for got, want in zip(_grads(G), _grads(G0)):
        assert_close(got, want, rtol=1e-3, atol=1e-5, msg="G's gradient")
    assert abs(entry['loss_G'] - (entry['loss_G_GAN'] + 100.0 * entry['loss_G_L1'])) < 1e-3


@pytest.mark.a6_train_step
def test_train_step_updates_both_networks(rng):
    """One step moves every parameter of D and of G."""
    G, D, trainer, x, y = _setup(rng)
    before = [as_numpy(p.array).copy() for p in list(D.parameters()) + list(G.parameters())]
    trainer.train_step(x, y)
    after = [as_numpy(p.array) for p in list(D.parameters()) + list(G.parameters())]
    assert all(np.any(a != b) for a, b in zip(after, before)), "some parameter did not move"


@pytest.mark.a6_train_step
def test_train_step_l1_only(rng):
    """l1_only=True: D is left alone and G follows the L1 loss only."""
    G, D, trainer, x, y = _setup(rng, l1_only=True)
    d_before = [as_numpy(p.array).copy() for p in D.parameters()]
    G0 = copy.deepcopy(G)
    entry = trainer.train_step(x, y)
    assert all(np.array_equal(as_numpy(p.array), b) for p, b in zip(D.parameters(), d_before))
    l1_loss(G0(x), y).backward()
    for got, want in zip(_grads(G), _grads(G0)):
        assert_close(got, want, rtol=1e-3, atol=1e-6)
    assert 'loss_D' not in entry
