"""Optimizers, as ``torch.optim``: SGD (momentum, Nesterov), Adam, AdamW and RMSprop.

The loop is always the same::

    opt = optim.Adam(model.parameters(), lr=2e-4, betas=(0.5, 0.999))   # pix2pix's settings
    for x, y in loader:
        opt.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        opt.step()

``step()`` changes every parameter's array IN PLACE (``p.array``) with plain
array ops: no graph is built, float32 parameters stay float32, and the
Parameter objects a model holds stay the same.  Per-parameter state (momentum
buffers, Adam's moments) lives in ``opt.state[p]``.

Parameter groups give parts of a model their own hyper-parameters::

    optim.SGD([{'params': model.features.parameters()},
               {'params': model.head.parameters(), 'lr': 1e-2}], lr=1e-3, momentum=0.9)

``state_dict()`` / ``load_state_dict()`` use torch's layout::

    {'state': {0: {'momentum_buffer': …}, 1: {…}},          # keyed by parameter index
     'param_groups': [{'lr': …, 'momentum': …, 'params': [0, 1]}]}

(``'step'`` is stored as a Python int.)  Learning-rate schedulers are in
:mod:`minigrad.optim_schedulers`, also reachable as ``optim.lr_scheduler``.
"""
import math

import numpy

from . import backend
from .function import enable_grad, no_grad
from .io import array_of, tensor_of
from .ops.kernels import kernels_for
from .tensor import Tensor


def _check(name, value, condition, what):
    if not condition:
        raise ValueError(f"{name}: invalid {what}: {value!r}")


def _to_array(value, like):
    """A saved state entry as an array on ``like``'s device (floating entries in like's dtype)."""
    array = array_of(value)
    value = backend.to_device(numpy.asarray(value) if array is None else array, backend.device_of(like))
    dtype = like.dtype if value.dtype.kind == 'f' else value.dtype
    return value.astype(dtype, copy=True)


class Optimizer:
    """Base class: keeps ``param_groups`` (dicts with 'params' and hyper-parameters) and
    ``state`` (Parameter -> dict); subclasses implement ``_update(p, grad, group, state)``."""

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(f"{type(self).__name__}: params must be an iterable of Tensors or dicts, got a Tensor "
                            "(wrap it in a list)")
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__}: optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{'params': groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group):
        """Add a dict with key 'params' (and optional hyper-parameters; the rest from defaults)."""
        name = type(self).__name__
        if not isinstance(group, dict) or 'params' not in group:
            raise TypeError(f"{name}: a parameter group must be a dict with a 'params' key, got {group!r}")
        group = dict(group)
        params = group['params']
        group['params'] = [params] if isinstance(params, Tensor) else list(params)
        for p in group['params']:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf Tensor (shape {p.shape})")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        seen = {id(p) for g in self.param_groups for p in g['params']}
        if any(id(p) in seen for p in group['params']) or len({id(p) for p in group['params']}) < len(group['params']):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group (or twice in one)")
        self._validate(group)
        self.param_groups.append(group)

    def _validate(self, group):
        _check(type(self).__name__, group['lr'], group['lr'] >= 0, 'learning rate')
        _check(type(self).__name__, group['weight_decay'], group['weight_decay'] >= 0, 'weight_decay value')

    def zero_grad(self, set_to_none=True):
        """Clear the gradients of every parameter this optimizer updates."""
        for group in self.param_groups:
            for p in group['params']:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad.array[...] = 0

    def step(self, closure=None):
        """One update of every parameter that has a gradient (others are skipped).
        ``closure``: an optional function that re-evaluates the model and returns the loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                for p in group['params']:
                    if p.grad is not None:
                        self._update(p, p.grad.array, group, self.state.setdefault(p, {}))
                        p._version.value += 1  # the update wrote into p's storage
        return loss

    def _update(self, p, grad, group, state):
        raise NotImplementedError

    # ----------------------------------------------------------------- checkpoints
    def state_dict(self):
        """A snapshot (arrays copied, as Tensors) in torch's layout; see the module docstring."""
        index, groups = {}, []
        for group in self.param_groups:
            packed = {k: (list(v) if isinstance(v, tuple) else v) for k, v in group.items() if k != 'params'}
            packed['params'] = [index.setdefault(id(p), len(index)) for p in group['params']]
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group['params']:
                if self.state.get(p):
                    state[index[id(p)]] = {k: tensor_of(v.copy()) if hasattr(v, 'shape') else v
                                           for k, v in self.state[p].items()}
        return {'state': state, 'param_groups': groups}

    def load_state_dict(self, state_dict):
        """Restore hyper-parameters and per-parameter state saved by :meth:`state_dict`
        (for the same parameters in the same order).  Arrays are copied, cast to each
        parameter's dtype and moved to its device."""
        name = type(self).__name__
        saved_groups = state_dict['param_groups']
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: loaded state dict has {len(saved_groups)} parameter groups, "
                             f"the optimizer has {len(self.param_groups)}")
        for i, (g, s) in enumerate(zip(self.param_groups, saved_groups)):
            if len(g['params']) != len(s['params']):
                raise ValueError(f"{name}.load_state_dict: parameter group {i} has {len(s['params'])} parameters in "
                                 f"the loaded state dict but {len(g['params'])} in the optimizer")
        id_map = {int(i): p for g, s in zip(self.param_groups, saved_groups) for i, p in zip(s['params'], g['params'])}
        new_state = {}
        for key, entries in state_dict['state'].items():
            p = id_map.get(int(key))
            if p is None:
                raise ValueError(f"{name}.load_state_dict: state for parameter index {key} has no parameter")
            new_state[p] = {k: (int(v.item() if hasattr(v, 'item') else v) if k == 'step' else _to_array(v, p.array))
                            for k, v in entries.items()}
        for g, s in zip(self.param_groups, saved_groups):
            for k, v in s.items():
                if k != 'params':
                    g[k] = tuple(v) if k == 'betas' else v
        self.state = new_state

    def __repr__(self):
        lines = [f'{type(self).__name__} (']
        for i, group in enumerate(self.param_groups):
            lines.append(f'Parameter Group {i}')
            lines += [f'    {k}: {group[k]}' for k in sorted(group) if k != 'params']
        return '\n'.join(lines) + '\n)'


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, as ``torch.optim.SGD``.

    With g = ∇L (+ weight_decay·p), momentum μ and dampening τ::

        b ← g                      (first step)
        b ← μ·b + (1 − τ)·g        (later steps)
        d = g + μ·b  if nesterov else  b          (d = g without momentum)
        p ← p − lr·d
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, *,
                 maximize=False):
        _check('SGD', momentum, momentum >= 0, 'momentum value')
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))

    def _update(self, p, grad, group, state):
        d = -grad if group['maximize'] else grad
        if group['weight_decay']:
            d = d + group['weight_decay'] * p.array
        mu = group['momentum']
        if mu:
            buf = state.get('momentum_buffer')
            if buf is None:
                buf = state['momentum_buffer'] = d.copy()
            else:
                buf *= mu
                buf += (1 - group['dampening']) * d
            d = d + mu * buf if group['nesterov'] else buf
        p.array -= group['lr'] * d


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam``: running means of the gradient and its square,
    bias-corrected, give each weight its own step size.  At step t with g = ∇L
    (+ weight_decay·p)::

        m ← β₁·m + (1 − β₁)·g          v ← β₂·v + (1 − β₂)·g²
        p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)

    (``amsgrad=True`` uses the running maximum of v instead of v.)
    """

    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, *,
                 maximize=False):
        name = type(self).__name__
        _check(name, eps, eps >= 0, 'epsilon value')
        betas = tuple(betas)
        _check(name, betas, len(betas) == 2 and all(0 <= b < 1 for b in betas), 'beta parameters')
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    def _update(self, p, grad, group, state):
        xp = backend.get_array_module(p.array)
        if not state:
            state['step'] = 0
            state['exp_avg'] = xp.zeros_like(p.array)
            state['exp_avg_sq'] = xp.zeros_like(p.array)
            if group['amsgrad']:
                state['max_exp_avg_sq'] = xp.zeros_like(p.array)
        state['step'] += 1
        t, (beta1, beta2), lr, wd = state['step'], group['betas'], group['lr'], group['weight_decay']
        g = -grad if group['maximize'] else grad
        if wd and self._decoupled:
            p.array *= 1 - lr * wd
        elif wd:
            g = g + wd * p.array
        coefficients = (beta1, beta2, lr / (1 - beta1 ** t), math.sqrt(1 - beta2 ** t), group['eps'])
        kernels = kernels_for(xp, __name__)  # this module's adam_update, or its fast twin on the CPU
        kernels.adam_update(p.array, g, state['exp_avg'], state['exp_avg_sq'], state.get('max_exp_avg_sq'),
                            coefficients)


def adam_update(p, g, m, v, v_max, coefficients):
    """One Adam step, in place on same-shaped arrays (``v_max``: amsgrad's running max, or None).

    ``coefficients`` = (β₁, β₂, lr / (1 − β₁ᵗ), √(1 − β₂ᵗ), ε): the bias corrections are folded
    into the step size, as torch does.
    """
    xp = backend.get_array_module(p)
    beta1, beta2, step_size, bias2_sqrt, eps = coefficients
    m += (1 - beta1) * (g - m)                         # m ← β₁m + (1 − β₁)g
    v += (1 - beta2) * (g * g - v)                     # v ← β₂v + (1 − β₂)g²
    if v_max is not None:                              # amsgrad: never let the denominator shrink
        xp.maximum(v_max, v, out=v_max)
        v = v_max
    p -= step_size * (m / (xp.sqrt(v) / bias2_sqrt + eps))


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), as ``torch.optim.AdamW``:
    p ← p·(1 − lr·weight_decay) first, then the Adam step on the plain gradient."""

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e), as ``torch.optim.RMSprop``: divide the gradient by a
    running root-mean-square of its recent values.  With g = ∇L (+ weight_decay·p)::

        v ← α·v + (1 − α)·g²
        d = g / (√v + ε)                          (centered: √(v − m²) with m ← α·m + (1 − α)·g)
        b ← μ·b + d,  p ← p − lr·b                (momentum μ > 0;  else p ← p − lr·d)

    State: ``square_avg`` (v), ``grad_avg`` (m, centered) and ``momentum_buffer`` (b, momentum).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, *,
                 maximize=False):
        _check('RMSprop', eps, eps >= 0, 'epsilon value')
        _check('RMSprop', momentum, momentum >= 0, 'momentum value')
        _check('RMSprop', alpha, alpha >= 0, 'alpha value')
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, maximize=maximize))

    def _update(self, p, grad, group, state):
        xp = backend.get_array_module(p.array)
        if not state:
            state['step'] = 0
            state['square_avg'] = xp.zeros_like(p.array)
            if group['momentum'] > 0:
                state['momentum_buffer'] = xp.zeros_like(p.array)
            if group['centered']:
                state['grad_avg'] = xp.zeros_like(p.array)
        state['step'] += 1
        alpha = group['alpha']
        g = -grad if group['maximize'] else grad
        if group['weight_decay']:
            g = g + group['weight_decay'] * p.array
        v = state['square_avg']
        v *= alpha
        v += (1 - alpha) * g * g
        if group['centered']:
            m = state['grad_avg']
            m *= alpha
            m += (1 - alpha) * g
            avg = xp.sqrt(v - m * m) + group['eps']
        else:
            avg = xp.sqrt(v) + group['eps']
        if group['momentum'] > 0:
            buf = state['momentum_buffer']
            buf *= group['momentum']
            buf += g / avg
            p.array -= group['lr'] * buf
        else:
            p.array -= group['lr'] * (g / avg)


from . import optim_schedulers as lr_scheduler  # noqa: E402  (torch's spelling: optim.lr_scheduler.StepLR)
from .optim_schedulers import (CosineAnnealingLR, LambdaLR, LRScheduler, MultiStepLR,  # noqa: E402
                               ReduceLROnPlateau, StepLR)

__all__ = ['Optimizer', 'SGD', 'Adam', 'AdamW', 'RMSprop', 'lr_scheduler', 'LRScheduler', 'StepLR', 'LambdaLR',
           'MultiStepLR', 'CosineAnnealingLR', 'ReduceLROnPlateau']
