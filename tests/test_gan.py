"""GAN objectives: optima, the saturation argument in numbers, conditional input, pix2pix loss."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import gan
from minigrad.functional import l1_loss
from minigrad.testing import as_numpy, assert_close, t32, t64


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def _grad(fn, logits):
    a = t64(logits)
    fn(a).backward()
    return as_numpy(a.grad)


@pytest.mark.parametrize('mode', gan.MODES)
def test_discriminator_loss_is_minimised_by_real_1_fake_0(mode):
    def d_loss(real, fake):
        return gan.discriminator_loss(t64([real], False), t64([fake], False), mode).item()
    grid = np.linspace(-6, 6, 13)
    values = np.array([[d_loss(r, f) for f in grid] for r in grid])
    best = values.min()
    if mode == 'lsgan':          # scores regressed to 1 (real) and 0 (fake): exactly 0 there
        assert d_loss(1.0, 0.0) == 0.0 and best == 0.0
    else:                        # D(y) = σ(a_real) → 1 and D(G(x)) → 0: the far corner of the grid
        assert values[-1, 0] == best
        assert d_loss(12.0, -12.0) == pytest.approx(0.0, abs=1e-4)
    assert best < d_loss(0.0, 0.0) < d_loss(-3.0, 3.0)                # undecided < fooled
    if mode in ('minimax', 'nonsaturating'):
        assert d_loss(0.0, 0.0) == pytest.approx(2 * math.log(2))      # D = ½ everywhere
    # gradient descent on D's logits pushes real scores up and fake scores down
    real, fake = t64([0.3, -0.2]), t64([0.1, 0.4])
    gan.discriminator_loss(real, fake, mode).backward()
    assert (as_numpy(real.grad) < 0).all() and (as_numpy(fake.grad) > 0).all()


def test_minimax_and_nonsaturating_values():
    a = np.array([-3.0, 0.0, 2.5])
    d = _sigmoid(a)
    assert_close(gan.minimax_generator_loss(t64(a, False)), np.log(1 - d).mean(), rtol=1e-12)
    assert_close(gan.nonsaturating_generator_loss(t64(a, False)), (-np.log(d)).mean(), rtol=1e-12)
    real, fake = np.array([1.5, -0.5]), np.array([0.2, -2.0])
    expected = -np.log(_sigmoid(real)).mean() - np.log(1 - _sigmoid(fake)).mean()
    assert_close(gan.minimax_discriminator_loss(t64(real, False), t64(fake, False)), expected, rtol=1e-12)
    assert_close(gan.hinge_discriminator_loss(t64(real, False), t64(fake, False)),
                 np.maximum(0, 1 - real).mean() + np.maximum(0, 1 + fake).mean())
    assert_close(gan.lsgan_generator_loss(t64(fake, False)), 0.5 * ((fake - 1) ** 2).mean())
    assert_close(gan.hinge_generator_loss(t64(fake, False)), -fake.mean())


def test_nonsaturating_gradient_beats_minimax_when_d_rejects_fakes():
    logit = -10.0                                 # D(G(x)) = σ(−10) ≈ 4.54e-5: D is sure it is fake
    d = _sigmoid(logit)
    g_minimax = _grad(gan.minimax_generator_loss, [logit])[0]
    g_nonsat = _grad(gan.nonsaturating_generator_loss, [logit])[0]
    assert g_minimax == pytest.approx(-d, rel=1e-9)            # −D ≈ −4.54e-5: vanishes
    assert g_nonsat == pytest.approx(-(1 - d), rel=1e-9)       # −(1 − D) ≈ −1: strong signal
    assert g_minimax == pytest.approx(-4.5398e-5, rel=1e-4)
    assert abs(g_nonsat) > 2e4 * abs(g_minimax)
    # when D is fooled (D ≈ 1) the roles swap, but both still push the logit up
    g_mm, g_ns = _grad(gan.minimax_generator_loss, [10.0])[0], _grad(gan.nonsaturating_generator_loss, [10.0])[0]
    assert g_mm < 0 and g_ns < 0 and abs(g_mm) > abs(g_ns)


def test_generator_losses_gradcheck_and_extreme_logits():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 1, 3, 3))
    for mode in gan.MODES:
        assert mg.gradcheck(lambda x: gan.generator_loss(x, mode), [t64(a)])
        assert mg.gradcheck(lambda r, f: gan.discriminator_loss(r, f, mode), [t64(a), t64(a[::-1] * 2)])
        big = t32([[1e4, -1e4]], requires_grad=True)
        out = gan.generator_loss(big, mode) + gan.discriminator_loss(big, big, mode)
        out.backward()
        assert math.isfinite(out.item()) and np.isfinite(as_numpy(big.grad)).all()
        assert out.dtype == np.float32


def test_mode_errors():
    with pytest.raises(ValueError, match='generator_loss: mode'):
        gan.generator_loss(t64([0.0]), 'wgan')
    with pytest.raises(ValueError, match='discriminator_loss: mode'):
        gan.discriminator_loss(t64([0.0]), t64([0.0]), 'wgan')


def test_conditional_input_concatenates_channels():
    x, y = mg.randn(2, 1, 4, 5), mg.randn(2, 3, 4, 5)
    xy = gan.conditional_input(x, y)
    assert xy.shape == (2, 4, 4, 5)
    assert_close(xy.numpy()[:, :1], x.numpy())
    assert_close(xy.numpy()[:, 1:], y.numpy())
    with pytest.raises(ValueError, match='conditional_input'):
        gan.conditional_input(x, mg.randn(2, 3, 4, 4))


@pytest.mark.parametrize('mode', ['nonsaturating', 'lsgan'])
def test_pix2pix_generator_loss(mode):
    rng = np.random.default_rng(0)
    logits = t64(rng.standard_normal((2, 1, 2, 2)))
    fake, target = t64(rng.standard_normal((2, 3, 4, 4))), t64(rng.standard_normal((2, 3, 4, 4)), False)
    total, adv, l1 = gan.pix2pix_generator_loss(logits, fake, target, lambda_l1=100.0, mode=mode)
    assert_close(adv, gan.generator_loss(logits, mode), rtol=1e-12)
    assert_close(l1, np.abs(fake.numpy() - target.numpy()).mean(), rtol=1e-12)
    assert total.item() == pytest.approx(adv.item() + 100.0 * l1.item(), rel=1e-12)
    total.backward()
    assert_close(fake.grad, 100.0 * np.sign(fake.numpy() - target.numpy()) / fake.numpy().size)
    assert logits.grad is not None and np.abs(as_numpy(logits.grad)).sum() > 0
    parts = gan.pix2pix_generator_loss(logits.detach(), fake.detach(), target, lambda_l1=10.0)
    assert parts.total.item() == pytest.approx(parts.gan.item() + 10.0 * l1_loss(fake, target).item())


def test_pix2pix_discriminator_loss_is_half_the_gan_loss():
    r, f = t64([0.5, 1.0], False), t64([-0.3, 0.2], False)
    assert gan.pix2pix_discriminator_loss(r, f).item() == pytest.approx(
        0.5 * gan.discriminator_loss(r, f).item())
