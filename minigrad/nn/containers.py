"""Containers: Sequential (a chain), ModuleList and ModuleDict (registered collections).

Children are registered under their index ('0', '1', …) or key, so a
``Sequential(Conv2d(...), ReLU())`` has state_dict keys ``0.weight``, ``0.bias``,
as in torch.
"""
import collections
import operator

from .module import Module


def _index(op, idx, n):
    """A Python int index (negative allowed) checked against length ``n``."""
    try:
        i = operator.index(idx)
    except TypeError:
        raise TypeError(f"{op}: indices must be integers or slices, got {type(idx).__name__}") from None
    if not -n <= i < n:
        raise IndexError(f"{op}: index {i} is out of range for a container of length {n}")
    return i % n


class Sequential(Module):
    """Apply modules one after another: ``Sequential(m0, m1, …)(x) = … m1(m0(x))``.

    Also accepts one ``OrderedDict`` of name -> module.  Supports ``len``, iteration,
    ``seq[i]`` (negative too), ``seq[a:b]`` (a new Sequential keeping the names),
    ``append`` and ``insert``.
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], collections.OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        items = list(self._modules.items())
        if isinstance(idx, slice):
            return type(self)(collections.OrderedDict(items[idx]))
        return items[_index('Sequential', idx, len(items))][1]

    def __setitem__(self, idx, module):
        key = list(self._modules)[_index('Sequential', idx, len(self))]
        self.add_module(key, module)

    def __delitem__(self, idx):
        items = list(self._modules.items())
        if isinstance(idx, slice):
            del items[idx]
        else:
            del items[_index('Sequential', idx, len(items))]
        self._modules.clear()
        for i, (_, m) in enumerate(items):  # renumber, as torch does
            self._modules[str(i)] = m

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index, module):
        items = list(self._modules.values())
        items.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(items):
            self.add_module(str(i), m)
        return self

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x


class ModuleList(Module):
    """A list of modules whose parameters are registered (a plain Python list would hide
    them from ``parameters()`` and ``state_dict()``).  Has no forward of its own."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        values = list(self._modules.values())
        if isinstance(idx, slice):
            return ModuleList(values[idx])
        return values[_index('ModuleList', idx, len(values))]

    def __setitem__(self, idx, module):
        self.add_module(str(_index('ModuleList', idx, len(self))), module)

    def __delitem__(self, idx):
        values = list(self._modules.values())
        if isinstance(idx, slice):
            del values[idx]
        else:
            del values[_index('ModuleList', idx, len(values))]
        self._modules.clear()
        for i, m in enumerate(values):
            self._modules[str(i)] = m

    def __iadd__(self, modules):
        return self.extend(modules)

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def insert(self, index, module):
        values = list(self._modules.values())
        values.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(values):
            self.add_module(str(i), m)


class ModuleDict(Module):
    """A dict of modules (string keys, insertion order) whose parameters are registered."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __contains__(self, key):
        return key in self._modules

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def pop(self, key):
        return self._modules.pop(key)

    def clear(self):
        self._modules.clear()

    def update(self, modules):
        items = modules.items() if hasattr(modules, 'items') else modules
        for key, module in items:
            self[key] = module
