"""WGAN-GP on minigrad: the pix2pix repository's gradient penalty, ported by renaming ``torch``,
trains minigrad's PatchGAN discriminator exactly as PyTorch trains its twin (float64, 1e-10).

``cal_gradient_penalty`` below is written the PyTorch way (junyanz/pytorch-CycleGAN-and-pix2pix,
models/networks.py, re-typed): ``torch`` is a parameter, so the very same lines run on
``minigrad`` and on ``torch``.  The one random draw (α) is fixed by the caller, so both
libraries penalise the same interpolates.
"""
import numpy as np
import pytest

import minigrad as mg
from minigrad.models import PatchDiscriminator


def cal_gradient_penalty(netD, real_data, fake_data, device, type='mixed', constant=1.0, lambda_gp=10.0,
                         torch=mg):
    """(λ·E[(‖∇_x D(x)‖₂ − constant)²], ∇_x D(x)) at real, fake or mixed samples x (WGAN-GP)."""
    if lambda_gp > 0.0:
        if type == 'real':
            interpolatesv = real_data
        elif type == 'fake':
            interpolatesv = fake_data
        elif type == 'mixed':
            alpha = torch.rand(real_data.shape[0], 1, device=device)
            alpha = alpha.expand(real_data.shape[0], real_data.nelement() // real_data.shape[0]).contiguous() \
                .view(*real_data.shape)
            interpolatesv = alpha * real_data + ((1 - alpha) * fake_data)
        else:
            raise NotImplementedError('{} not implemented'.format(type))
        interpolatesv.requires_grad_(True)
        disc_interpolates = netD(interpolatesv)
        gradients = torch.autograd.grad(outputs=disc_interpolates, inputs=interpolatesv,
                                        grad_outputs=torch.ones(disc_interpolates.size()).to(device),
                                        create_graph=True, retain_graph=True, only_inputs=True)
        gradients = gradients[0].view(real_data.size(0), -1)
        gradient_penalty = (((gradients + 1e-16).norm(2, dim=1) - constant) ** 2).mean() * lambda_gp
        return gradient_penalty, gradients
    else:
        return 0.0, None


class FixedDraws:
    """A library namespace (``minigrad`` or ``torch``) whose ``rand`` returns given numbers;
    float64 is the default dtype of its ``ones``."""

    def __init__(self, lib, alpha):
        self._lib, self._alpha = lib, alpha

    def __getattr__(self, name):
        return getattr(self._lib, name)

    def rand(self, *shape, device=None):
        assert tuple(shape) == self._alpha.shape
        return self._lib.tensor(self._alpha.copy())

    def ones(self, size):
        return self._lib.tensor(np.ones(tuple(size)))


def _wgan_gp_step(lib, D, opt, real, fake, alpha, lambda_gp):
    """One critic step: loss = D(fake).mean() − D(real).mean() + penalty; returns (penalty, loss, gradients)."""
    opt.zero_grad()
    penalty, gradients = cal_gradient_penalty(D, real, fake, 'cpu', lambda_gp=lambda_gp,
                                              torch=FixedDraws(lib, alpha))
    loss = D(fake).mean() - D(real).mean() + penalty
    loss.backward()
    opt.step()
    return penalty.item(), loss.item(), gradients


@pytest.mark.parametrize('norm', ['batch', 'instance', None])
def test_wgan_gp_step_equals_pytorch(norm):
    torch = pytest.importorskip('torch')
    from benchmarks.torch_models import twin_of
    mg.manual_seed(0)
    D = PatchDiscriminator(6, ndf=4, n_layers=3, norm=norm).double()
    twin = twin_of(D).double()
    rng = np.random.default_rng(0)
    real, fake = rng.standard_normal((2, 6, 32, 32)), rng.standard_normal((2, 6, 32, 32))
    alpha = rng.random((2, 1))

    opt = mg.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
    ours = _wgan_gp_step(mg, D, opt, mg.tensor(real), mg.tensor(fake), alpha, 10.0)
    twin_opt = torch.optim.Adam(twin.parameters(), lr=1e-3, betas=(0.5, 0.999))
    theirs = _wgan_gp_step(torch, twin, twin_opt, torch.tensor(real), torch.tensor(fake), alpha, 10.0)

    assert ours[0] == pytest.approx(theirs[0], rel=1e-10, abs=1e-12) and ours[0] > 0      # the penalty
    assert ours[1] == pytest.approx(theirs[1], rel=1e-10, abs=1e-12)                      # the loss
    np.testing.assert_allclose(ours[2].detach().numpy(), theirs[2].detach().numpy(), rtol=1e-10, atol=1e-13)
    twin_params = dict(twin.named_parameters())
    for name, p in D.named_parameters():   # every gradient (penalty's second-order part included) ...
        np.testing.assert_allclose(p.grad.numpy(), twin_params[name].grad.numpy(), rtol=1e-10, atol=1e-13,
                                   err_msg=name)
    # ... and every parameter and buffer after the step.  (A conv bias right before an instance norm
    # has a true gradient of 0: both gradients are rounding noise ~1e-16, which Adam divides by
    # √v + ε, ε = 1e-8, so that bias moves by ~1e-10 in both libraries, differently: hence atol.)
    twin_state = twin.state_dict()
    for name, value in D.state_dict().items():
        np.testing.assert_allclose(value.numpy(), twin_state[name].numpy(), rtol=1e-10, atol=2e-9, err_msg=name)


def test_the_penalty_reaches_the_parameters_through_the_gradient():
    """Without create_graph the penalty would be a constant for D's weights: check that its own
    gradient is not zero and equals a finite difference along one weight."""
    mg.manual_seed(1)
    D = PatchDiscriminator(2, ndf=2, n_layers=1, norm=None).double()
    rng = np.random.default_rng(1)
    real, fake, alpha = mg.tensor(rng.standard_normal((2, 2, 8, 8))), mg.tensor(rng.standard_normal((2, 2, 8, 8))), \
        rng.random((2, 1))
    w = D.model[0].weight

    def penalty():
        return cal_gradient_penalty(D, real, fake, 'cpu', torch=FixedDraws(mg, alpha))[0]
    p = penalty()
    p.backward()
    analytic = w.grad.numpy()[0, 0, 1, 2]
    eps, base = 1e-6, w.array[0, 0, 1, 2]
    values = []
    for delta in (eps, -eps):
        w.array[0, 0, 1, 2] = base + delta
        values.append(penalty().item())
    w.array[0, 0, 1, 2] = base
    assert analytic != 0
    assert analytic == pytest.approx((values[0] - values[1]) / (2 * eps), rel=1e-5)
