"""Module: the base class of every layer and model, as ``torch.nn.Module``.

A Module keeps three ordered registries, filled by plain attribute assignment::

    self.weight = Parameter(...)      -> _parameters   (learned; in state_dict)
    self.conv = Conv2d(...)           -> _modules      (children; recursed into)
    self.register_buffer('running_mean', t)  -> _buffers  (state, not learned; in state_dict)

Everything else (``named_parameters``, ``state_dict``, ``to``, ``train``…)
walks these registries recursively.  The dotted names they produce
(``encoder.0.weight``, ``bn.running_mean``) are exactly torch's, which is what
lets weights move between the two frameworks.
"""
import collections
import itertools

import numpy

from .. import backend
from ..io import array_of, tensor_of
from ..tensor import Tensor
from .parameter import Parameter


class RemovableHandle:
    """Returned by ``register_forward_hook``; ``handle.remove()`` unregisters the hook."""

    _ids = itertools.count()

    def __init__(self, hooks):
        self._hooks = hooks
        self.id = next(RemovableHandle._ids)

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _IncompatibleKeys(collections.namedtuple('IncompatibleKeys', ['missing_keys', 'unexpected_keys'])):
    """What ``load_state_dict(strict=False)`` could not match."""

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return '<All keys matched successfully>'
        return super().__repr__()


class StateDictError(ValueError, RuntimeError):
    """A state_dict that does not fit the module (a ValueError, and a RuntimeError as in torch)."""


def _as_array(value, key):
    """A state_dict entry (Tensor, NumPy/CuPy array, number, or a torch tensor) as an array."""
    array = array_of(value)
    if array is not None:
        return array
    if isinstance(value, (int, float, bool, numpy.generic)):
        return numpy.asarray(value)
    raise TypeError(f"load_state_dict: entry {key!r} must be a Tensor or an array, got {type(value).__name__}")


class Module:
    """Base class for layers and models; subclasses set attributes in ``__init__`` and
    define ``forward``.  Call the module (``m(x)``), not ``m.forward(x)``, so hooks run."""

    training: bool

    def __init__(self):
        object.__setattr__(self, 'training', True)
        object.__setattr__(self, '_parameters', {})
        object.__setattr__(self, '_buffers', {})
        object.__setattr__(self, '_non_persistent_buffers', set())
        object.__setattr__(self, '_modules', {})
        object.__setattr__(self, '_forward_hooks', {})
        object.__setattr__(self, '_forward_pre_hooks', {})

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} is missing the required 'forward' method")

    # ----------------------------------------------------------------- calling and hooks
    def __call__(self, *args, **kwargs):
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_forward_hook(self, hook):
        """Call ``hook(module, inputs, output)`` after every forward (inputs: the tuple of
        positional args).  A non-None return value replaces the output.  Returns a handle
        whose ``remove()`` unregisters the hook (feature-map visualisation uses this)."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    def register_forward_pre_hook(self, hook):
        """Call ``hook(module, inputs)`` before every forward; a non-None return value
        (a tuple, or a single value) replaces the inputs.  Returns a removable handle."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    # ----------------------------------------------------------------- registration
    def __setattr__(self, name, value):
        if '_parameters' not in self.__dict__:
            raise AttributeError(f"cannot assign {name!r} before Module.__init__() call "
                                 f"(call super().__init__() first in {type(self).__name__}.__init__)")
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(value, Parameter):
            self._forget(name)
            params[name] = value
        elif isinstance(value, Module):
            self._forget(name)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter {name!r} of "
                                f"{type(self).__name__} (a Parameter or None is required)")
            params[name] = None
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module {name!r} of "
                                f"{type(self).__name__} (a Module or None is required)")
            modules[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r} of "
                                f"{type(self).__name__} (a Tensor or None is required)")
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name):
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __getattr__(self, name):  # only called when normal lookup fails
        d = self.__dict__
        for registry in ('_parameters', '_buffers', '_modules'):
            if registry in d and name in d[registry]:
                return d[registry][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        if any(name in r for r in (self._parameters, self._buffers, self._modules)):
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter, or None for an absent one such as ``bias=False``)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a Parameter or None, "
                            f"got {type(param).__name__}")
        self._check_name('register_parameter', name, self._parameters)
        self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Register a Tensor that is state but not learned (e.g. BatchNorm's running mean).

        Buffers move with ``to()``, are cast by ``float()``/``double()`` and are saved in
        ``state_dict()`` unless ``persistent=False``."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: {name!r} must be a Tensor or None, got {type(tensor).__name__}")
        self._check_name('register_buffer', name, self._buffers)
        self._forget(name)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent_buffers.add(name)

    def add_module(self, name, module):
        """Register ``module`` as a child called ``name`` (same as ``setattr``)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module or None, got {type(module).__name__}")
        if not isinstance(name, str) or '.' in name or name == '':
            raise KeyError(f"add_module: module name must be a non-empty string without '.', got {name!r}")
        self._forget(name)
        self._modules[name] = module

    register_module = add_module

    def _check_name(self, op, name, registry):
        if not isinstance(name, str) or '.' in name or name == '':
            raise KeyError(f"{op}: name must be a non-empty string without '.', got {name!r}")
        if name not in registry and (name in self.__dict__ or hasattr(type(self), name)):
            raise KeyError(f"{op}: attribute {name!r} already exists on {type(self).__name__}")

    # ----------------------------------------------------------------- traversal
    def named_modules(self, memo=None, prefix='', remove_duplicate=True):
        """(name, module) for this module and every descendant, depth first ('' for self)."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, prefix + ('.' if prefix else '') + name, remove_duplicate)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named_members(self, registry, prefix, recurse):
        seen = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mod_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield mod_prefix + ('.' if mod_prefix else '') + name, value

    def named_parameters(self, prefix='', recurse=True):
        """(dotted name, Parameter) pairs, each Parameter once (shared weights are not repeated)."""
        yield from self._named_members('_parameters', prefix, recurse)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix='', recurse=True):
        yield from self._named_members('_buffers', prefix, recurse)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn):
        """Call ``fn(module)`` on every child (recursively), then on self; returns self.
        E.g. ``model.apply(nn.init.init_weights_normal(0.02))``."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ----------------------------------------------------------------- modes, grads, devices
    def train(self, mode=True):
        """Set training mode (Dropout drops, BatchNorm uses batch statistics) here and below."""
        if not isinstance(mode, bool):
            raise ValueError(f"train: mode is expected to be a bool, got {mode!r}")
        for m in self.modules():
            object.__setattr__(m, 'training', mode)
        return self

    def eval(self):
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Switch gradient tracking of every parameter (e.g. freeze a GAN's discriminator)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Clear every parameter's gradient (to None, or to zeros with ``set_to_none=False``)."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad.array[...] = 0

    def _map_arrays(self, fn):
        """Replace the array of every parameter, gradient and buffer by ``fn(array)`` in place
        (the Parameter objects stay the same, so an optimizer keeps pointing at them)."""
        for m in self.modules():
            for p in m._parameters.values():
                if p is not None:
                    p.array = fn(p.array)
                    if p.grad is not None:
                        p.grad.array = fn(p.grad.array)
            for b in m._buffers.values():
                if b is not None:
                    b.array = fn(b.array)
        return self

    def to(self, *args, device=None, dtype=None):
        """Move to ``'cpu'`` / ``'gpu'`` and/or cast floating parameters and buffers to a dtype:
        ``m.to('gpu')``, ``m.to(mg.float64)``, ``m.to('cpu', mg.float32)``.  In place; returns self."""
        for a in args:
            if isinstance(a, str) and backend.backend_for_device(a) is not None:
                device = a
            else:
                dtype = a
        if device is not None:
            self._map_arrays(lambda a: backend.to_device(a, device))
        if dtype is not None:
            dt = numpy.dtype(dtype)
            if dt.kind != 'f':
                raise TypeError(f"to: only floating-point dtypes are allowed for a module, got {dt}")
            self._map_arrays(lambda a: a.astype(dt, copy=False) if a.dtype.kind == 'f' else a)
        return self

    def cpu(self):
        return self.to('cpu')

    def cuda(self):
        """Same as ``to('gpu')``."""
        return self.to('gpu')

    def float(self):
        """Cast floating parameters and buffers to float32 (integer buffers keep their dtype)."""
        return self.to(dtype=numpy.float32)

    def double(self):
        """Cast floating parameters and buffers to float64 (what gradcheck needs)."""
        return self.to(dtype=numpy.float64)

    # ----------------------------------------------------------------- state dict
    def state_dict(self, destination=None, prefix='', keep_vars=False):
        """An ordered dict from dotted name to Tensor: every parameter and persistent buffer,
        with torch's key names and order (own parameters, own buffers, then children).

        Values share memory with the module (as in torch): an optimizer step changes them.
        Take ``copy.deepcopy(model.state_dict())`` to keep a snapshot in memory, or save it
        with ``minigrad.save``.  ``keep_vars=True`` returns the Parameters themselves."""
        if destination is None:
            destination = collections.OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else tensor_of(p.array)
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers:
                destination[prefix + name] = b if keep_vars else tensor_of(b.array)
        for name, child in self._modules.items():
            if child is not None:
                child.state_dict(destination, prefix + name + '.', keep_vars)
        return destination

    def _state_targets(self):
        """dotted name -> the Tensor a state_dict entry is copied into."""
        targets = collections.OrderedDict()
        for prefix, m in self.named_modules(remove_duplicate=False):
            dot = prefix + '.' if prefix else ''
            for name, p in m._parameters.items():
                if p is not None:
                    targets[dot + name] = p
            for name, b in m._buffers.items():
                if b is not None and name not in m._non_persistent_buffers:
                    targets[dot + name] = b
        return targets

    def load_state_dict(self, state_dict, strict=True):
        """Copy values from ``state_dict`` into the parameters and buffers, in place.

        Values may be Tensors, NumPy or CuPy arrays (or torch tensors); each is cast to the
        target's dtype and moved to its device.  With ``strict=True`` the keys must match
        exactly.  Missing / unexpected keys and shape mismatches are all reported in one
        :class:`StateDictError` (a ValueError) naming them, and then nothing is changed.
        Returns ``(missing_keys, unexpected_keys)``."""
        if not hasattr(state_dict, 'keys'):
            raise TypeError(f"load_state_dict: expected a dict, got {type(state_dict).__name__}")
        targets = self._state_targets()
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        errors, arrays = [], {}
        for key, target in targets.items():
            if key not in state_dict:
                continue
            value = _as_array(state_dict[key], key)
            if tuple(value.shape) != tuple(target.shape):
                errors.append(f"size mismatch for {key}: copying a param with shape {tuple(value.shape)} from "
                              f"checkpoint, the shape in current model is {tuple(target.shape)}.")
            else:
                arrays[key] = value
        if strict:
            if unexpected:
                errors.insert(0, 'Unexpected key(s) in state_dict: ' + ', '.join(f'"{k}"' for k in unexpected) + '.')
            if missing:
                errors.insert(0, 'Missing key(s) in state_dict: ' + ', '.join(f'"{k}"' for k in missing) + '.')
        if errors:
            raise StateDictError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                                 + '\n\t'.join(errors))
        for key, value in arrays.items():
            target = targets[key]
            value = backend.to_device(value, target.device)
            target.array[...] = value.astype(target.dtype, copy=False)
        return _IncompatibleKeys(missing, unexpected)

    # ----------------------------------------------------------------- printing
    def extra_repr(self):
        """The text inside ``Name(...)`` for a leaf layer; layers override this."""
        return ''

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split('\n') if extra else []
        child_lines = [f"({name}): " + repr(child).replace('\n', '\n  ')
                       for name, child in self._modules.items()]
        lines = extra_lines + child_lines
        if not lines:
            return self._get_name() + '()'
        if len(extra_lines) == 1 and not child_lines:
            return f'{self._get_name()}({extra_lines[0]})'
        return self._get_name() + '(\n  ' + '\n  '.join(lines) + '\n)'

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))
