"""GAN objectives (Goodfellow et al. 2014) and the pix2pix generator loss (Isola et al. 2017).

Every function takes the discriminator's raw outputs, its LOGITS ``D_logit``, and
never a probability: D(·) = σ(D_logit) is applied inside the stable
``binary_cross_entropy_with_logits``, so a confident discriminator (logits of
±100) gives finite losses and gradients.  For a PatchGAN the logits are a map
(N, 1, h, w), one real/fake verdict per patch; every loss here averages over
all of them.

Convention: D(·) is the probability that its input is REAL.  The slides write
the same game with D scoring fakes, arg min_G max_D E[log D(x, G(x)) + log(1 − D(x, y))];
swapping D ↔ 1 − D turns it into the form used below and in the pix2pix code:

    min_G max_D  E_y[log D(y)] + E_x[log(1 − D(G(x)))]

Modes (``mode=`` in :func:`discriminator_loss`, :func:`generator_loss`):

================  ===========================================  ==============================
mode              discriminator minimises                       generator minimises
================  ===========================================  ==============================
'minimax'         −log D(y) − log(1 − D(G(x)))                  log(1 − D(G(x)))
'nonsaturating'   same as minimax                                −log D(G(x))
'lsgan'           ½(a_real − 1)² + ½ a_fake²   (a = logit)      ½(a_fake − 1)²
'hinge'           max(0, 1 − a_real) + max(0, 1 + a_fake)       −a_fake
================  ===========================================  ==============================

Why the non-saturating generator loss trains better: with a = D_logit(G(x)) and
D = σ(a),

    ∂/∂a [log(1 − σ(a))] = −σ(a) = −D            (minimax)
    ∂/∂a [−log σ(a)]      = −(1 − σ(a)) = −(1 − D)  (non-saturating)

Early in training D easily rejects fakes, D(G(x)) ≈ 0: the minimax gradient
−D ≈ 0 vanishes exactly when G most needs a signal, while the non-saturating
one is −(1 − D) ≈ −1.  Both push a (and so D(G(x))) up and share the same fixed
points; only the size of the push differs.
"""
from collections import namedtuple

from .backend import get_array_module
from .creation import cat
from .functional import binary_cross_entropy_with_logits, l1_loss
from .tensor import Tensor

MODES = ('minimax', 'nonsaturating', 'lsgan', 'hinge')


def _ones(a):
    return Tensor(get_array_module(a.array).ones(a.shape, dtype=a.dtype))


def _zeros(a):
    return Tensor(get_array_module(a.array).zeros(a.shape, dtype=a.dtype))


def _check_mode(mode, op):
    if mode not in MODES:
        raise ValueError(f"{op}: mode must be one of {MODES}, got {mode!r}")


# ------------------------------------------------------------------ minimax / non-saturating
def minimax_discriminator_loss(real_logits, fake_logits):
    """D's side of the minimax game, as a loss to MINIMISE (the negated objective):

        max_D E[log D(y)] + E[log(1 − D(G(x)))]   ⇔   min_D  −log D(y) − log(1 − D(G(x)))

    = BCE(D(y), 1) + BCE(D(G(x)), 0): minimised by D → 1 on real, D → 0 on fake.  Pass
    ``fake_logits`` computed from ``fake.detach()`` so this step does not update G.
    """
    # BEGIN SOLUTION a6_gan_losses
    # BEGIN PROMPT
    # Two binary cross-entropies on logits: real ones against target 1, fake ones against 0.
    # binary_cross_entropy_with_logits(logits, targets) is imported above; _ones(a) and
    # _zeros(a) make targets shaped like a.
    # END PROMPT
    real = binary_cross_entropy_with_logits(real_logits, _ones(real_logits))   # −log σ(a_real)
    fake = binary_cross_entropy_with_logits(fake_logits, _zeros(fake_logits))  # −log(1 − σ(a_fake))
    return real + fake
    # END SOLUTION


#: The non-saturating trick changes only G's loss; D is trained the same way.
nonsaturating_discriminator_loss = minimax_discriminator_loss


def minimax_generator_loss(fake_logits):
    """G's side of the lecture's game, taken literally:  min_G  E[log(1 − D(G(x)))].

    log(1 − σ(a)) = −softplus(a) = −BCE(a, 0).  Its gradient w.r.t. the logit is −D(G(x)),
    which vanishes when D confidently rejects the fakes (D ≈ 0): it *saturates*.
    Shown for teaching; train with :func:`nonsaturating_generator_loss`.
    """
    return -binary_cross_entropy_with_logits(fake_logits, _zeros(fake_logits))


def nonsaturating_generator_loss(fake_logits):
    """The generator loss used in practice (Goodfellow et al. §3, and pix2pix):

        min_G  E[−log D(G(x))]  = BCE(D(G(x)), 1)

    Same goal as minimax (make D call fakes real) but its gradient w.r.t. the logit is
    −(1 − D(G(x))) ≈ −1 when D rejects the fakes, instead of −D(G(x)) ≈ 0.
    """
    # BEGIN SOLUTION a6_gan_losses
    # BEGIN PROMPT
    # G wants D to call its fakes real: which target does the cross-entropy get?
    # END PROMPT
    return binary_cross_entropy_with_logits(fake_logits, _ones(fake_logits))
    # END SOLUTION


# ------------------------------------------------------------------ least squares
def lsgan_discriminator_loss(real_logits, fake_logits):
    """LSGAN (Mao et al. 2017), D outputs a score a without sigmoid:
    min_D ½ E[(a_real − 1)²] + ½ E[a_fake²]  (targets 1 for real, 0 for fake)."""
    return 0.5 * (((real_logits - 1) ** 2).mean() + (fake_logits ** 2).mean())


def lsgan_generator_loss(fake_logits):
    """LSGAN generator: min_G ½ E[(a_fake − 1)²].  Gradient a_fake − 1: grows the further
    the fakes are from the 'real' target, so it does not saturate either."""
    return 0.5 * ((fake_logits - 1) ** 2).mean()


# ------------------------------------------------------------------ hinge
def hinge_discriminator_loss(real_logits, fake_logits):
    """Hinge loss (Lim & Ye 2017; SAGAN, BigGAN):
    min_D E[max(0, 1 − a_real)] + E[max(0, 1 + a_fake)] — no push once a margin of 1 is met."""
    return (1 - real_logits).relu().mean() + (1 + fake_logits).relu().mean()


def hinge_generator_loss(fake_logits):
    """Hinge generator: min_G E[−a_fake] (raise D's score of the fakes; gradient −1 always)."""
    return -fake_logits.mean()


# ------------------------------------------------------------------ dispatch
_D = {'minimax': minimax_discriminator_loss, 'nonsaturating': nonsaturating_discriminator_loss,
      'lsgan': lsgan_discriminator_loss, 'hinge': hinge_discriminator_loss}
_G = {'minimax': minimax_generator_loss, 'nonsaturating': nonsaturating_generator_loss,
      'lsgan': lsgan_generator_loss, 'hinge': hinge_generator_loss}


def discriminator_loss(real_logits, fake_logits, mode='nonsaturating'):
    """The discriminator's loss for ``mode`` (see the module table)."""
    _check_mode(mode, 'discriminator_loss')
    return _D[mode](real_logits, fake_logits)


def generator_loss(fake_logits, mode='nonsaturating'):
    """The generator's adversarial loss for ``mode`` (see the module table)."""
    _check_mode(mode, 'generator_loss')
    return _G[mode](fake_logits)


# ------------------------------------------------------------------ conditional GAN / pix2pix
def conditional_input(x, y):
    """What a conditional D sees: the input x and an output y (real or G(x)) stacked on channels.

    D(x, y) in  arg min_G max_D E[log D(x, G(x)) + log(1 − D(x, y))]:  the discriminator
    judges whether y is a plausible output *for this x*, not just a plausible image.
    x (N, C_x, H, W), y (N, C_y, H, W)  ->  (N, C_x + C_y, H, W).
    """
    xs, ys = tuple(x.shape), tuple(y.shape)
    if len(xs) < 2 or len(xs) != len(ys) or xs[0] != ys[0] or xs[2:] != ys[2:]:
        raise ValueError(f"conditional_input: x and y must agree on every axis except channels "
                         f"(axis 1), got x {xs} and y {ys}")
    return cat([x, y], dim=1)


Pix2PixLoss = namedtuple('Pix2PixLoss', ['total', 'gan', 'l1'])


def pix2pix_generator_loss(d_fake_logits, fake, target, lambda_l1=100.0, mode='nonsaturating'):
    """pix2pix's objective for G (Isola et al. 2017, eq. 4):

        G* = arg min_G max_D  L_cGAN(G, D) + λ L_L1(G),    L_L1 = E[‖y − G(x)‖₁]

    ``d_fake_logits`` = D(conditional_input(x, fake)) *without* detaching ``fake``, so the
    gradient reaches G through D.  The adversarial part makes outputs sharp and realistic,
    the L1 part keeps them close to the target (low frequencies); λ = 100 as in the paper.
    Returns ``Pix2PixLoss(total, gan, l1)``; call ``.total.backward()``, log the parts.
    """
    if lambda_l1 < 0:
        raise ValueError(f"pix2pix_generator_loss: lambda_l1 must be >= 0, got {lambda_l1}")
    # BEGIN SOLUTION a6_pix2pix_loss
    # BEGIN PROMPT
    # The adversarial part is generator_loss(d_fake_logits, mode); the L1 part is l1_loss
    # (imported above) between the output and the target.  Return Pix2PixLoss(total, gan, l1).
    # END PROMPT
    gan = generator_loss(d_fake_logits, mode)
    l1 = l1_loss(fake, target)
    return Pix2PixLoss(gan + lambda_l1 * l1, gan, l1)
    # END SOLUTION


def pix2pix_discriminator_loss(d_real_logits, d_fake_logits, mode='nonsaturating'):
    """pix2pix's D loss: the GAN discriminator loss halved — Isola et al. halve D's objective
    so that D learns more slowly than G.
    ``d_fake_logits`` must come from ``fake.detach()``."""
    # BEGIN SOLUTION a6_pix2pix_loss
    # BEGIN PROMPT
    # discriminator_loss(d_real_logits, d_fake_logits, mode), scaled as the docstring says.
    # END PROMPT
    return 0.5 * discriminator_loss(d_real_logits, d_fake_logits, mode)
    # END SOLUTION


__all__ = ['MODES', 'minimax_discriminator_loss', 'nonsaturating_discriminator_loss',
           'minimax_generator_loss', 'nonsaturating_generator_loss', 'lsgan_discriminator_loss',
           'lsgan_generator_loss', 'hinge_discriminator_loss', 'hinge_generator_loss',
           'discriminator_loss', 'generator_loss', 'conditional_input', 'Pix2PixLoss',
           'pix2pix_generator_loss', 'pix2pix_discriminator_loss']
