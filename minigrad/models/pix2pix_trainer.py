"""Training pix2pix: alternate a discriminator step and a generator step on every batch.

One step on a batch (x, y), x the input image and y its target, both in [-1, 1]::

    fake = G(x)
    D step:  loss_D = ½ [ BCE(D(x, y), real) + BCE(D(x, fake.detach()), fake) ]     (halved, as the paper)
    G step:  loss_G = BCE(D(x, fake), real) + λ · mean |fake − y|                   (non-saturating cGAN + L1)

``detach()`` keeps the D step from reaching G; during the G step D's
parameters are frozen (their gradients are not needed), while the gradient
still flows *through* D into G.  Both use Adam(lr 2e-4, betas (0.5, 0.999)).
The ablations of the paper's Table 1: ``l1_only=True`` (no D at all: plain
regression, blurry) and ``gan_only=True`` (λ = 0: sharp but not tied to y).

Learning rate: constant for ``epochs`` epochs, then linear decay over
``decay_epochs`` more, lr · (1 − max(0, e + 1 − epochs) / (decay_epochs + 1))
for epoch e (pix2pix's "linear" policy, a LambdaLR stepped per epoch).

Every step appends a dict of the loss terms to ``trainer.log``.
Checkpoints (``checkpoint=path``, every ``checkpoint_every`` steps and when
:meth:`Pix2PixTrainer.fit` returns) hold both networks, both optimizers and
schedulers, minigrad's random-generator state (dropout masks, shuffling), the
position inside the epoch and its sample order, and the log; a run resumed
from one continues exactly as the uninterrupted run would have on the CPU.
"""
import os
import warnings

from .. import gan
from .. import random as _random
from ..backend import to_numpy
from ..creation import ones_like, stack, zeros_like
from ..function import no_grad
from ..io import load, save
from ..functional import binary_cross_entropy_with_logits, l1_loss
from ..optim import Adam, LambdaLR
from ..tensor import Tensor
from ..train import iterate_batches, progress_bar, set_requires_grad, split_batch


def _logged(t):
    """A scalar loss kept on its device for the log: read off with the rest of the step's numbers."""
    return t.detach()


def _read_log(entry):
    """Replace the step's device scalars by floats in one device->host transfer, not one per number."""
    keys = [k for k, v in entry.items() if isinstance(v, Tensor)]
    if keys:
        values = stack([entry[k].reshape(()) for k in keys]).numpy()
        entry.update({k: float(v) for k, v in zip(keys, values)})
    return entry


class Pix2PixTrainer:
    """Train ``G`` (x -> y) against the conditional discriminator ``D(x, y)``; see the module docstring.

    Every ``sample_every`` steps (with ``sample_dir``), a grid of input | output |
    target for a fixed batch is saved as ``sample_dir/step_000123.png``
    (see :meth:`generate`; training is not affected).
    """

    def __init__(self, G, D, lr=2e-4, betas=(0.5, 0.999), lambda_l1=100.0, gan_mode='nonsaturating',
                 l1_only=False, gan_only=False, epochs=1, decay_epochs=0, checkpoint=None,
                 checkpoint_every=None, sample_every=None, sample_dir=None, progress=True):
        if l1_only and gan_only:
            raise ValueError("Pix2PixTrainer: l1_only and gan_only exclude each other")
        if lambda_l1 < 0 or epochs < 0 or decay_epochs < 0:
            raise ValueError(f"Pix2PixTrainer: expected lambda_l1, epochs, decay_epochs >= 0, got "
                             f"{lambda_l1}, {epochs}, {decay_epochs}")
        if sample_every and not sample_dir:
            raise ValueError("Pix2PixTrainer: sample_every needs a sample_dir to write the grids to")
        self.G, self.D = G, D
        self.lambda_l1 = 0.0 if gan_only else float(lambda_l1)
        self.gan_mode, self.l1_only, self.gan_only = gan_mode, l1_only, gan_only
        self.epochs, self.decay_epochs = int(epochs), int(decay_epochs)
        self.opt_G = Adam(G.parameters(), lr=lr, betas=betas)
        self.opt_D = Adam(D.parameters(), lr=lr, betas=betas)
        self.sched_G = LambdaLR(self.opt_G, self.lr_factor)
        self.sched_D = LambdaLR(self.opt_D, self.lr_factor)
        self.checkpoint, self.checkpoint_every = checkpoint, checkpoint_every
        self.sample_every, self.sample_dir, self.progress = sample_every, sample_dir, progress
        self.step_count = 0          # optimisation steps done
        self.epoch = 0               # current epoch (0-based)
        self.batch_in_epoch = 0      # batches of the current epoch already used
        self.epoch_order = None      # the current epoch's sample order (for resuming mid-epoch)
        self.loader_shape = None     # {'samples', 'batch_size', 'batches'} of the loader that order is for
        self.log = []

    def lr_factor(self, epoch):
        """Multiplier of the learning rate in epoch ``epoch`` (0-based): 1, then linear decay."""
        return 1.0 - max(0, epoch + 1 - self.epochs) / (self.decay_epochs + 1)

    # ------------------------------------------------------------------------------- one step
    def train_step(self, x, y):
        """One D update and one G update on the batch (x, y); returns (and logs) the loss terms."""
        self.G.train()
        self.D.train()
        fake = self.G(x)
        entry = {'step': self.step_count + 1, 'epoch': self.epoch + 1}

        if not self.l1_only:                              # --- D: real -> 1, fake -> 0
            # BEGIN SOLUTION a6_train_step
            # BEGIN PROMPT
            # Update D: make sure D's parameters take gradients, zero them, score (x, y) and
            # (x, fake) -- fake detached, so this step leaves G alone -- take
            # gan.pix2pix_discriminator_loss(d_real, d_fake, self.gan_mode), backward, step.
            # The logging below reads d_real, d_fake and loss_D.
            # END PROMPT
            set_requires_grad(self.D, True)
            self.opt_D.zero_grad()
            d_real = self.D(x, y)
            d_fake = self.D(x, fake.detach())
            loss_D = gan.pix2pix_discriminator_loss(d_real, d_fake, self.gan_mode)
            loss_D.backward()
            self.opt_D.step()
            # END SOLUTION
            with no_grad():
                entry['loss_D'] = _logged(loss_D)
                entry['loss_D_real'] = _logged(binary_cross_entropy_with_logits(d_real, ones_like(d_real)))
                entry['loss_D_fake'] = _logged(binary_cross_entropy_with_logits(d_fake, zeros_like(d_fake)))
                entry['D_real'] = _logged(d_real.sigmoid().mean())
                entry['D_fake'] = _logged(d_fake.sigmoid().mean())

        # BEGIN SOLUTION a6_train_step
        # BEGIN PROMPT
        # Update G: zero its gradients; with self.l1_only the loss is l1_loss(fake, y) alone;
        # otherwise freeze D (set_requires_grad), score (x, fake) WITHOUT detaching, and take
        # gan.pix2pix_generator_loss(..., self.lambda_l1, self.gan_mode); log parts.gan in
        # entry['loss_G_GAN'].  Backward, step, unfreeze D.  Below, loss_G and loss_l1 are logged.
        # END PROMPT
        self.opt_G.zero_grad()                            # --- G: fool D, stay close to y
        if self.l1_only:
            loss_l1 = l1_loss(fake, y)
            loss_G = loss_l1
        else:
            set_requires_grad(self.D, False)              # D is a fixed loss function here
            parts = gan.pix2pix_generator_loss(self.D(x, fake), fake, y, self.lambda_l1, self.gan_mode)
            loss_G, loss_l1 = parts.total, parts.l1
            entry['loss_G_GAN'] = _logged(parts.gan)
        loss_G.backward()
        self.opt_G.step()
        set_requires_grad(self.D, True)
        # END SOLUTION
        entry['loss_G_L1'] = _logged(loss_l1)
        entry['loss_G'] = _logged(loss_G)
        entry['lr'] = float(self.opt_G.param_groups[0]['lr'])
        _read_log(entry)
        self.step_count += 1
        self.log.append(entry)
        return entry

    # ------------------------------------------------------------------------------- the loop
    def fit(self, loader, max_steps=None, sample_batch=None, resume=True):
        """Train until ``epochs + decay_epochs`` epochs are done (or ``max_steps`` steps in total).

        ``loader`` yields (x, y, ...) batches (a minigrad DataLoader allows resuming
        mid-epoch).  With ``resume`` and an existing ``checkpoint`` file, and a
        fresh trainer, training continues from it.  ``sample_batch``: the (x, y)
        to draw sample grids from (default: the first batch of this call).
        Returns ``self.log``.
        """
        if resume and self.checkpoint and self.step_count == 0 and os.path.exists(self.checkpoint):
            self.load_checkpoint(self.checkpoint)
        self._match_loader(loader)
        total_epochs = self.epochs + self.decay_epochs
        try:
            per_epoch = len(loader)
        except TypeError:
            per_epoch = None
        total = per_epoch * total_epochs if per_epoch else None
        if max_steps is not None:
            total = max_steps if total is None else min(total, max_steps)
        bar = progress_bar(total, 'pix2pix', self.progress, initial=min(self.step_count, total or 0))
        try:
            while self.epoch < total_epochs and not self._done(max_steps):
                for order, batch in iterate_batches(loader, self.epoch_order, self.batch_in_epoch):
                    self.epoch_order = order
                    x, y = split_batch(batch)
                    if sample_batch is None:
                        sample_batch = (x, y)
                    entry = self.train_step(x, y)
                    self.batch_in_epoch += 1
                    bar.update(1)
                    bar.set_postfix({k: f"{entry[k]:.3f}" for k in ('loss_D', 'loss_G_GAN', 'loss_G_L1')
                                     if k in entry})
                    if self.sample_every and self.step_count % self.sample_every == 0:
                        self.save_samples(*sample_batch)
                    if self.checkpoint and self.checkpoint_every and self.step_count % self.checkpoint_every == 0:
                        self.save_checkpoint(self.checkpoint)
                    if self._done(max_steps):
                        break
                else:                                      # the epoch ran to its end
                    self.epoch += 1
                    self.batch_in_epoch, self.epoch_order = 0, None
                    self.sched_G.step()
                    self.sched_D.step()
        finally:
            bar.close()
        if self.checkpoint:
            self.save_checkpoint(self.checkpoint)
        return self.log

    def _match_loader(self, loader):
        """Resuming mid-epoch continues the stored sample order at the stored batch; that is only right
        for a loader with the same number of samples and the same batch size.  Otherwise samples would
        be skipped or repeated, so the epoch restarts from its first batch, with a warning."""
        shape = loader_shape(loader)
        old = self.loader_shape
        if self.batch_in_epoch and old is not None:
            changed = [f"{k} {old[k]} -> {shape[k]}" for k in shape
                       if old.get(k) is not None and shape[k] is not None and old[k] != shape[k]]
            if self.epoch_order is not None and shape['samples'] is not None and \
                    len(self.epoch_order) != shape['samples'] and not changed:
                changed.append(f"samples {len(self.epoch_order)} -> {shape['samples']}")
            if changed:
                warnings.warn(f"Pix2PixTrainer: the checkpoint stopped after batch {self.batch_in_epoch} of epoch "
                              f"{self.epoch + 1}, but the loader changed ({', '.join(changed)}); its stored sample "
                              f"order no longer fits, so epoch {self.epoch + 1} restarts from its first batch "
                              f"(samples already used in it are seen again)", stacklevel=3)
                self.batch_in_epoch, self.epoch_order = 0, None
        self.loader_shape = shape

    def _done(self, max_steps):
        return max_steps is not None and self.step_count >= max_steps

    # ------------------------------------------------------------------------------- outputs
    def generate(self, x, train_mode=True):
        """G(x) without a graph and without side effects on training.

        ``train_mode=True`` (the default) runs G as the paper does at test time:
        dropout on and batch statistics instead of running averages.  The random
        generator's state and the norms' running statistics are restored after, so
        drawing samples never changes the course of training.  ``train_mode=False``
        uses eval mode (running statistics, no dropout).
        """
        was = self.G.training
        rng = _random.get_state()
        buffers = [(b, b.array.copy()) for _, b in self.G.named_buffers() if b is not None]
        self.G.train(train_mode)
        try:
            with no_grad():
                return self.G(x)
        finally:
            self.G.train(was)
            _random.set_state(rng)
            for b, saved in buffers:
                b.array = saved

    def save_samples(self, x, y, path=None):
        """Write a grid input | output | target (one row per image) and return its path."""
        from .. import viz
        path = path or os.path.join(self.sample_dir, f"step_{self.step_count:06d}.png")
        fake = self.generate(x)
        images = [x if x.shape[1] in (1, 3) else x[:, :3], fake, y]
        try:
            import matplotlib  # noqa: F401  (titles need it; the plain grid does not)
            return viz.save_image_grid(images, path, titles=['input', 'output', 'target'], value_range=(-1, 1))
        except ImportError:
            return viz.save_image_grid(images, path, value_range=(-1, 1))

    # ------------------------------------------------------------------------------- checkpoints
    def state_dict(self):
        """Everything needed to continue exactly: weights, optimizers, schedulers, RNG, position, log."""
        return {'G': self.G.state_dict(), 'D': self.D.state_dict(),
                'opt_G': self.opt_G.state_dict(), 'opt_D': self.opt_D.state_dict(),
                'sched_G': self.sched_G.state_dict(), 'sched_D': self.sched_D.state_dict(),
                'rng': _random.get_state(), 'step': self.step_count, 'epoch': self.epoch,
                'batch_in_epoch': self.batch_in_epoch, 'epoch_order': self.epoch_order,
                'loader_shape': self.loader_shape, 'log': self.log}

    def load_state_dict(self, state):
        self.G.load_state_dict(state['G'])
        self.D.load_state_dict(state['D'])
        self.opt_G.load_state_dict(state['opt_G'])
        self.opt_D.load_state_dict(state['opt_D'])
        self.sched_G.load_state_dict(state['sched_G'])
        self.sched_D.load_state_dict(state['sched_D'])
        _random.set_state(state['rng'])
        self.step_count, self.epoch = int(state['step']), int(state['epoch'])
        self.batch_in_epoch = int(state['batch_in_epoch'])
        order = state['epoch_order']
        self.epoch_order = None if order is None else _host(order)
        shape = state.get('loader_shape')      # absent in checkpoints from before it was stored
        self.loader_shape = None if shape is None else {k: None if v is None else int(v) for k, v in shape.items()}
        if self.loader_shape is None and self.epoch_order is not None:
            self.loader_shape = {'samples': len(self.epoch_order), 'batch_size': None, 'batches': None}
        self.log = list(state['log'])

    def save_checkpoint(self, path):
        """Atomic write (temporary file + rename): an interrupted save leaves the old checkpoint.

        The checkpoint's folder is created if needed (a run directory such as runs/facades/)."""
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        save(self.state_dict(), path)
        return path

    def load_checkpoint(self, path):
        self.load_state_dict(load(path))
        return self


def loader_shape(loader):
    """{'samples', 'batch_size', 'batches'} of a loader (None where it cannot tell)."""
    dataset = getattr(loader, 'dataset', None)
    try:
        batches = len(loader)
    except TypeError:
        batches = None
    return {'samples': len(dataset) if hasattr(dataset, '__len__') else None,
            'batch_size': getattr(loader, 'batch_size', None), 'batches': batches}


def _host(a):
    """A sample order loaded from a checkpoint, as NumPy (it indexes a dataset on the CPU)."""
    return to_numpy(a.array if isinstance(a, Tensor) else a)
