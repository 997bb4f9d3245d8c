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
rate (``last_epoch`` becomes 0), as torch does.
"""


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
