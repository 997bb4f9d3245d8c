"""torch.* functions that reduce or transform tensors: ``mg.sum(x, 1)``, ``mg.max(x, 1)``,
``mg.sigmoid(x)``, … each the Tensor method of the same name, so code written either way
(``torch.mean(x)`` or ``x.mean()``) ports unchanged.

(This module's names shadow the builtins ``sum``, ``max`` and ``min``; it uses none of them.)
"""
from .ops import activation


def sigmoid(input):
    """1 / (1 + e^-x) (torch.sigmoid)."""
    return activation.Sigmoid.apply(input)


def tanh(input):
    return activation.Tanh.apply(input)


def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Σ over ``dim`` (all elements by default); ``dtype`` casts first, as torch."""
    return (input if dtype is None else input.to(dtype=dtype)).sum(dim, keepdim)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    return (input if dtype is None else input.to(dtype=dtype)).mean(dim, keepdim)


def max(input, dim=None, keepdim=False):
    """As torch: ``max(x)`` the largest value; ``max(x, dim, keepdim=False)`` the pair
    ``(values, indices)``; ``max(a, b)`` the element-wise maximum of two tensors."""
    return input.max(dim, keepdim)


def min(input, dim=None, keepdim=False):
    """As :func:`max`, for the smallest."""
    return input.min(dim, keepdim)


def isnan(input):
    return input.isnan()


def isfinite(input):
    return input.isfinite()
