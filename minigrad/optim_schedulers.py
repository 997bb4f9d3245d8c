"""Learning-rate schedulers, as ``torch.optim.lr_scheduler`` (also ``minigrad.optim.lr_scheduler``).

A scheduler rewrites ``group['lr']`` of its optimizer each time ``step()`` is
called — once per epoch, AFTER the epoch's ``optimizer.step()`` calls::

    sched = StepLR(opt, step_size=30, gamma=0.1)        # lr × 0.1 every 30 epochs
    for epoch in range(100):
        train_one_epoch(...)                             # many opt.step()
        sched.step()

pix2pix keeps the rate for n epochs, then decays it linearly to 0 over n more::

    sched = LambdaLR(opt, lambda e: 1.0 - max(0, e - n) / (n + 1))

Creating a scheduler records each group's ``initial_lr`` and sets epoch 0's
rate (``last_epoch`` becomes 0), as torch does.  ``ReduceLROnPlateau`` is the odd
one: it watches a metric, ``sched.step(val_loss)``, and cuts the rate when the
metric stops improving.
"""
import collections
import math


class LRScheduler:
    """Base class: subclasses give ``get_lr()``, the list of new rates (one per group)."""

    def __init__(self, optimizer, last_epoch=-1):
        if not hasattr(optimizer, 'param_groups'):
            raise TypeError(f"{type(self).__name__}: {type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault('initial_lr', group['lr'])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if 'initial_lr' not in group:
                    raise KeyError(f"{type(self).__name__}: param 'initial_lr' is not specified in param_groups[{i}] "
                                   "when resuming a scheduler with last_epoch >= 0 (load the optimizer's state first)")
        self.base_lrs = [group['initial_lr'] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def get_lr(self):
        raise NotImplementedError

    def get_last_lr(self):
        """The rates set by the last ``step()`` (one per parameter group)."""
        return list(self._last_lr)

    def step(self):
        """Advance one epoch and write the new rates into the optimizer."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group['lr'] = lr
        self._last_lr = [group['lr'] for group in self.optimizer.param_groups]

    def state_dict(self):
        """Everything but the optimizer (and functions, which cannot be saved)."""
        return {k: v for k, v in self.__dict__.items() if k not in ('optimizer', 'lr_lambdas')}

    def load_state_dict(self, state_dict):
        self.__dict__.update({k: v for k, v in state_dict.items() if k != 'lr_lambdas'})


class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs:
    lr(e) = initial_lr · gamma^⌊e / step_size⌋."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive int, got {step_size!r}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [group['lr'] for group in self.optimizer.param_groups]
        return [group['lr'] * self.gamma for group in self.optimizer.param_groups]


class LambdaLR(LRScheduler):
    """lr(e) = initial_lr · lr_lambda(e); ``lr_lambda`` is a function of the epoch, or a
    list with one function per parameter group."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        n = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n:
                raise ValueError(f"LambdaLR: expected {n} lr_lambdas (one per parameter group), got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * n
        if not all(callable(f) for f in self.lr_lambdas):
            raise TypeError("LambdaLR: lr_lambda must be a function of the epoch (or a list of them)")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * fn(self.last_epoch) for base, fn in zip(self.base_lrs, self.lr_lambdas)]


class MultiStepLR(LRScheduler):
    """Multiply the rate by ``gamma`` at each epoch listed in ``milestones``:
    lr(e) = initial_lr · gamma^(number of milestones ≤ e)."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones = collections.Counter(int(m) for m in milestones)  # a repeated milestone counts twice
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        times = self.milestones.get(self.last_epoch, 0)
        return [group['lr'] * self.gamma ** times for group in self.optimizer.param_groups]


class CosineAnnealingLR(LRScheduler):
    """Anneal along half a cosine from initial_lr to ``eta_min`` over ``T_max`` epochs
    (SGDR without restarts, Loshchilov & Hutter), as torch:

        lr(e) = eta_min + (initial_lr − eta_min) · (1 + cos(π·e / T_max)) / 2

    computed, as torch does, as the ratio of consecutive values applied to the current
    rate (so it composes with other changes to the rate); past T_max the cosine goes on,
    back up towards initial_lr."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        if not isinstance(T_max, int) or T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be a positive int, got {T_max!r}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        e, t, lo = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if e == 0:
            return [group['lr'] for group in groups]
        if (e - 1 - t) % (2 * t) == 0:  # the bottom of the cosine: the ratio below would be 0/0
            return [group['lr'] + (base - lo) * (1 - math.cos(math.pi / t)) / 2
                    for base, group in zip(self.base_lrs, groups)]
        ratio = (1 + math.cos(math.pi * e / t)) / (1 + math.cos(math.pi * (e - 1) / t))
        return [ratio * (group['lr'] - lo) + lo for group in groups]


class ReduceLROnPlateau:
    """Cut the rate by ``factor`` when a metric has not improved for ``patience`` epochs, as
    torch: ``sched.step(metric)`` once per epoch.

    Improvement (mode 'min'; 'max' mirrors it): ``metric < best·(1 − threshold)``
    (threshold_mode 'rel') or ``metric < best − threshold`` ('abs').  After more than
    ``patience`` epochs without one, each group's rate becomes max(lr·factor, min_lr)
    (changes smaller than ``eps`` are skipped), then ``cooldown`` epochs pass before bad
    epochs count again.
    """

    def __init__(self, optimizer, mode='min', factor=0.1, patience=10, threshold=1e-4, threshold_mode='rel',
                 cooldown=0, min_lr=0, eps=1e-8):
        if not hasattr(optimizer, 'param_groups'):
            raise TypeError(f"ReduceLROnPlateau: {type(optimizer).__name__} is not an Optimizer")
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor should be < 1.0, got {factor}")
        if mode not in ('min', 'max'):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ('rel', 'abs'):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"ReduceLROnPlateau: expected {n} min_lrs (one per parameter group), got {len(min_lr)}")
            self.min_lrs = list(min_lr)
        else:
            self.min_lrs = [min_lr] * n
        self.optimizer = optimizer
        self.mode, self.factor, self.patience, self.threshold = mode, factor, patience, threshold
        self.threshold_mode, self.cooldown, self.eps = threshold_mode, cooldown, eps
        self.best = math.inf if mode == 'min' else -math.inf
        self.num_bad_epochs, self.cooldown_counter, self.last_epoch = 0, 0, 0
        self._last_lr = [group['lr'] for group in optimizer.param_groups]

    def is_better(self, a, best):
        if self.mode == 'min':
            return a < (best * (1 - self.threshold) if self.threshold_mode == 'rel' else best - self.threshold)
        return a > (best * (1 + self.threshold) if self.threshold_mode == 'rel' else best + self.threshold)

    def step(self, metrics):
        """One epoch's value of the watched metric (a number or a one-element tensor)."""
        current = float(metrics)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in cooldown do not count
        if self.num_bad_epochs > self.patience:
            for group, floor in zip(self.optimizer.param_groups, self.min_lrs):
                new = max(group['lr'] * self.factor, floor)
                if group['lr'] - new > self.eps:
                    group['lr'] = new
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [group['lr'] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        return list(self._last_lr)

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k != 'optimizer'}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
