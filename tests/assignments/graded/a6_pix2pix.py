"""Graded checks of assignment 6 (assignments/a6_pix2pix.md): the pix2pix objective, one training step.

Losses are compared by value on logits the grader drew; gradients through the
engine (which also runs assignment 1's backward passes, named when they fail)
separately.  The training step starts both networks from ``mg.manual_seed(0)``
and compares every gradient and parameter after one step with the reference's.
"""
import numpy as np

from minigrad.assign.checks import graded

BACKWARD_TASKS = ('a1_mul_backward', 'a1_sum_backward', 'a1_unbroadcast', 'a1_relu_backward')
NETWORK_TASKS = BACKWARD_TASKS + ('a1_matmul_backward', 'a3_im2col', 'a3_col2im', 'a3_conv_gemm', 'a6_gan_losses',
                                  'a6_pix2pix_loss')


def logits(*names, shape=(2, 1, 3, 3)):
    return lambda rng: {name: 3 * rng.standard_normal(shape) for name in names}


def _t(a, requires_grad=False):
    import minigrad as mg
    return mg.tensor(a, requires_grad=requires_grad)


# -------------------------------------------------------------------- a6_gan_losses
@graded('a6_gan_losses', points=2, inputs=logits('real', 'fake'))
def gan_loss_values(real, fake):
    """D's loss mean(-log sigmoid(real)) + mean(-log(1 - sigmoid(fake))), G's mean(-log sigmoid(fake))."""
    from minigrad import gan
    return {'minimax_discriminator_loss': gan.minimax_discriminator_loss(_t(real), _t(fake)).item(),
            'nonsaturating_generator_loss': gan.nonsaturating_generator_loss(_t(fake)).item()}


@graded('a6_gan_losses', inputs=logits('real', 'fake', shape=(2, 1, 2, 2)), needs=BACKWARD_TASKS)
def gan_loss_gradients(real, fake):
    """Both losses' gradients with respect to the logits (through the engine)."""
    from minigrad import gan
    r, f = _t(real, True), _t(fake, True)
    gan.minimax_discriminator_loss(r, f).backward()
    f2 = _t(fake, True)
    gan.nonsaturating_generator_loss(f2).backward()
    return {'D loss: dL/dreal': r.grad, 'D loss: dL/dfake': f.grad, 'G loss: dL/dfake': f2.grad}


# ------------------------------------------------------------------ a6_pix2pix_loss
def _g_case(rng):
    return dict(logits=rng.standard_normal((2, 1, 2, 2)), fake=rng.standard_normal((2, 3, 4, 4)),
                target=rng.standard_normal((2, 3, 4, 4)), lam=rng.uniform(0.5, 150.0, 1))


@graded('a6_pix2pix_loss', points=2, inputs=_g_case)
def pix2pix_generator_loss_parts(logits, fake, target, lam):
    """total = cGAN + lambda * mean|fake - target|, returned with its two parts; also with lambda = 0."""
    from minigrad import gan
    out = {}
    for name, value in (('lambda drawn', float(lam[0])), ('lambda 0', 0.0)):
        parts = gan.pix2pix_generator_loss(_t(logits), _t(fake), _t(target), lambda_l1=value)
        out.update({f'{name}: gan': parts.gan.item(), f'{name}: l1': parts.l1.item(),
                    f'{name}: total': parts.total.item()})
    return out


@graded('a6_pix2pix_loss', inputs=logits('real', 'fake'))
def pix2pix_discriminator_loss_value(real, fake):
    """pix2pix halves D's loss so that D learns more slowly than G."""
    from minigrad import gan
    return {'pix2pix_discriminator_loss': gan.pix2pix_discriminator_loss(_t(real), _t(fake)).item()}


@graded('a6_pix2pix_loss', inputs=_g_case, needs=BACKWARD_TASKS)
def pix2pix_generator_loss_gradient(logits, fake, target, lam):
    """The gradient reaches the generator's output through the L1 term (logits held fixed)."""
    from minigrad import gan
    f = _t(fake, True)
    gan.pix2pix_generator_loss(_t(logits), f, _t(target), lambda_l1=float(lam[0])).total.backward()
    return {'dL/dfake': f.grad}


# -------------------------------------------------------------------- a6_train_step
def _pair(rng):
    return dict(x=rng.standard_normal((2, 1, 16, 16)).astype(np.float32),
                y=np.tanh(rng.standard_normal((2, 1, 16, 16))).astype(np.float32))


def _step(x, y, **options):
    import minigrad as mg
    from minigrad.models.pix2pix import PatchDiscriminator, UNetGenerator
    from minigrad.models.pix2pix_trainer import Pix2PixTrainer
    mg.manual_seed(0)
    G = UNetGenerator(1, 1, num_downs=3, ngf=2, norm='instance', use_dropout=False)
    D = PatchDiscriminator(2, ndf=2, n_layers=1, norm='instance')
    entry = Pix2PixTrainer(G, D, progress=False, **options).train_step(mg.tensor(x), mg.tensor(y))
    out = {f'loss {k}': float(v) for k, v in entry.items() if k.startswith('loss')}
    for net, model in (('D', D), ('G', G)):
        for name, p in model.named_parameters():
            out[f'{net}.{name} after the step'] = p.array
            out[f'{net}.{name}.grad'] = p.grad
    return out


@graded('a6_train_step', points=3, inputs=_pair, needs=NETWORK_TASKS, rtol=2e-3, atol=2e-5)
def train_step_gradients_and_update(x, y):
    """One step: D's gradient from its loss on (x, y) and (x, G(x).detach()), G's from the pix2pix loss
    through the updated D; every parameter and gradient after the step, and the logged losses."""
    return _step(x, y)


@graded('a6_train_step', inputs=_pair, needs=NETWORK_TASKS, rtol=2e-3, atol=2e-5)
def train_step_l1_only(x, y):
    """l1_only=True: D is left alone and G follows the L1 loss only."""
    return _step(x, y, l1_only=True)
