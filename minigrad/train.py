"""A training loop for supervised models, with validation, metrics, progress bar and checkpoints.

The loop every lesson writes, once::

    for epoch in range(epochs):
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
        model.eval()
        with no_grad():                       # validation: no graph, running BN statistics, no dropout
            ... loss_fn(model(x), y) and metrics on val_loader ...

:func:`fit` runs it and returns a *history*: a dict of per-epoch lists
(``train_loss``, ``val_loss``, ``train_<metric>``, ``val_<metric>``, ``lr``,
``time``) plus ``steps``, a per-step log of ``{'step', 'epoch', 'loss'}``
every ``log_every`` steps.  :func:`plot_history` draws the curves.

**Checkpoints.** With ``checkpoint='run.npz'`` the model, optimizer,
scheduler, history and minigrad's random-generator state are saved
atomically (:func:`minigrad.save`) after every epoch; calling :func:`fit`
again with the same path resumes after the last finished epoch and, on the
CPU, continues exactly as if it had never stopped.

The helpers below (:func:`progress_bar`, :func:`iterate_batches`,
:func:`set_requires_grad`) are shared with :class:`minigrad.models.Pix2PixTrainer`.
"""
import math
import os
import time

from . import random as _random
from .function import no_grad
from .io import load, save

# ----------------------------------------------------------------------------- shared helpers


class _NoBar:
    """Stands in for tqdm when it is missing or ``progress=False``."""

    def update(self, n=1):
        pass

    def set_postfix(self, *args, **kwargs):
        pass

    def close(self):
        pass


def progress_bar(total, desc=None, enabled=True, initial=0):
    """A tqdm bar (imported only here) or a silent stand-in when disabled, when tqdm is
    missing, or when the environment sets ``MINIGRAD_NO_PROGRESS=1`` (logs, CI)."""
    if os.environ.get('MINIGRAD_NO_PROGRESS') == '1':
        enabled = False
    if not enabled:
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, desc=desc, initial=initial, leave=False, dynamic_ncols=True)


def iterate_batches(loader, order=None, start=0):
    """Batches of one epoch of ``loader``, from batch ``start`` on, for a given sample ``order``.

    With a minigrad :class:`~minigrad.data.DataLoader` the epoch's order is
    drawn here (``loader.indices()``) unless given, so a trainer can store it
    in a checkpoint and resume in the middle of an epoch.  Yields
    ``(order, batch)``.  Any other iterable is simply iterated (``order`` is None).
    """
    if not all(hasattr(loader, a) for a in ('indices', 'dataset', 'batch_size', 'collate_fn')):
        for b, batch in enumerate(loader):
            if b >= start:
                yield None, batch
        return
    if order is None:
        order = loader.indices()
    n_batches = len(loader)
    for b in range(start, n_batches):
        chunk = order[b * loader.batch_size:(b + 1) * loader.batch_size]
        samples = [loader.dataset[int(i)] for i in chunk]
        if getattr(loader, 'transform', None) is not None:
            samples = [loader.transform(s) for s in samples]
        yield order, loader.collate_fn(samples)


def set_requires_grad(model, flag):
    """Turn gradients of every parameter of ``model`` on or off (GAN training freezes D for G's step)."""
    for p in model.parameters():
        p.requires_grad = flag


def _number(value):
    """A metric's result (float, NumPy scalar, 0-d array or one-element Tensor) as a float."""
    if hasattr(value, 'item'):
        return float(value.item())
    return float(value)


def _batch_size(x):
    return int(x.shape[0]) if hasattr(x, 'shape') and len(x.shape) else 1


def split_batch(batch):
    """(inputs, targets) of a batch: a tuple/list's first two items, or a dict's 'input'/'target'."""
    if isinstance(batch, dict):
        for keys in (('input', 'target'), ('image', 'label'), ('x', 'y')):
            if all(k in batch for k in keys):
                return batch[keys[0]], batch[keys[1]]
    if isinstance(batch, (tuple, list)) and len(batch) >= 2:
        return batch[0], batch[1]
    raise ValueError(f"a batch must be (inputs, targets, ...) or a dict with 'input' and 'target', got "
                     f"{type(batch).__name__}; fit(..., prepare_batch=fn) unpacks other layouts")


# ----------------------------------------------------------------------------- fit


def evaluate(model, loader, loss_fn, metrics=None, prepare_batch=None):
    """Mean loss and metrics of ``model`` over ``loader`` in eval mode, without a graph.

    Returns ``{'loss': …, name: …}`` (averages weighted by batch size).  The
    model's train/eval mode is restored afterwards.
    """
    prepare_batch = prepare_batch or split_batch
    was_training = getattr(model, 'training', True)
    model.eval()
    totals, count = {}, 0
    try:
        with no_grad():
            for batch in loader:
                x, y = prepare_batch(batch)
                out = model(x)
                n = _batch_size(x)
                values = {'loss': _number(loss_fn(out, y))}
                for name, fn in (metrics or {}).items():
                    values[name] = _number(fn(out, y))
                for k, v in values.items():
                    totals[k] = totals.get(k, 0.0) + v * n
                count += n
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("evaluate: the loader gave no batches")
    return {k: v / count for k, v in totals.items()}


def fit(model, train_loader, optimizer, loss_fn, epochs, val_loader=None, metrics=None, checkpoint=None,
        progress=True, log_every=10, scheduler=None, resume=True, prepare_batch=None, verbose=False):
    """Train ``model`` for ``epochs`` epochs; returns the history dict (see the module docstring).

    ``loss_fn(output, target)`` -> scalar Tensor.  ``metrics``: ``{name: fn(output, target) -> number}``,
    averaged over each epoch (on the training outputs as they were computed, and
    on ``val_loader`` in eval mode under ``no_grad``).  ``scheduler``: stepped once
    per epoch.  ``checkpoint``: a path; saved after every epoch, and resumed from
    when it exists and ``resume`` is true.  ``prepare_batch(batch) -> (x, y)``
    unpacks unusual batches.  ``verbose`` prints one line per epoch.
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"fit: epochs must be an int >= 0, got {epochs!r}")
    if log_every is not None and log_every < 1:
        raise ValueError(f"fit: log_every must be >= 1 or None, got {log_every!r}")
    prepare_batch = prepare_batch or split_batch
    metrics = dict(metrics or {})
    history = {'epoch': [], 'train_loss': [], 'lr': [], 'time': [], 'steps': []}
    for name in metrics:
        history[f'train_{name}'] = []
    if val_loader is not None:
        history['val_loss'] = []
        for name in metrics:
            history[f'val_{name}'] = []
    start_epoch, step = 0, 0
    if checkpoint is not None and resume and os.path.exists(checkpoint):
        state = load(checkpoint)
        model.load_state_dict(state['model'])
        optimizer.load_state_dict(state['optimizer'])
        if scheduler is not None and state.get('scheduler') is not None:
            scheduler.load_state_dict(state['scheduler'])
        _random.set_state(state['rng'])
        history, start_epoch, step = state['history'], state['epoch'], state['step']

    try:
        n_batches = len(train_loader)
    except TypeError:
        n_batches = None
    bar = progress_bar((epochs - start_epoch) * n_batches if n_batches else None, 'fit', progress)
    try:
        for epoch in range(start_epoch, epochs):
            model.train()
            t0 = time.perf_counter()
            totals, count = {}, 0
            for _, batch in iterate_batches(train_loader):
                x, y = prepare_batch(batch)
                optimizer.zero_grad()
                out = model(x)
                loss = loss_fn(out, y)
                loss.backward()
                optimizer.step()
                step += 1
                n = _batch_size(x)
                values = {'loss': _number(loss)}
                if not math.isfinite(values['loss']):
                    raise FloatingPointError(f"fit: the loss became {values['loss']} at epoch {epoch + 1}, "
                                             f"step {step}; lower the learning rate?")
                with no_grad():
                    for name, fn in metrics.items():
                        values[name] = _number(fn(out, y))
                for k, v in values.items():
                    totals[k] = totals.get(k, 0.0) + v * n
                count += n
                if log_every and step % log_every == 0:
                    history['steps'].append({'step': step, 'epoch': epoch + 1, 'loss': values['loss']})
                bar.update(1)
                bar.set_postfix(epoch=epoch + 1, loss=f"{values['loss']:.4f}")
            history['epoch'].append(epoch + 1)
            history['lr'].append(float(optimizer.param_groups[0]['lr']))
            for k, v in totals.items():
                history[f'train_{k}'].append(v / max(count, 1))
            if val_loader is not None:
                for k, v in evaluate(model, val_loader, loss_fn, metrics, prepare_batch).items():
                    history[f'val_{k}'].append(v)
            if scheduler is not None:
                scheduler.step()
            history['time'].append(time.perf_counter() - t0)
            if verbose:
                shown = {k: v[-1] for k, v in history.items()
                         if k not in ('epoch', 'steps', 'time') and isinstance(v, list) and v}
                print(f"epoch {epoch + 1}/{epochs}: " + ', '.join(f"{k} {v:.4g}" for k, v in shown.items()))
            if checkpoint is not None:
                os.makedirs(os.path.dirname(os.path.abspath(checkpoint)), exist_ok=True)
                save({'model': model.state_dict(), 'optimizer': optimizer.state_dict(),
                      'scheduler': scheduler.state_dict() if scheduler is not None else None,
                      'rng': _random.get_state(), 'history': history, 'epoch': epoch + 1, 'step': step},
                     checkpoint)
    finally:
        bar.close()
    return history


def plot_history(history, path, keys=None, title=None, logy=False):
    """Per-epoch curves of a :func:`fit` history -> PNG (losses by default, or ``keys``)."""
    from . import viz
    series = {k: v for k, v in history.items()
              if k not in ('epoch', 'steps', 'time', 'lr') and isinstance(v, list) and v}
    if keys is None:
        keys = [k for k in series if k.endswith('loss')] or list(series)
    return viz.plot_losses(series, path, keys=keys, title=title, logy=logy, xlabel='epoch')


__all__ = ['fit', 'evaluate', 'plot_history', 'progress_bar', 'iterate_batches', 'set_requires_grad',
           'split_batch']
