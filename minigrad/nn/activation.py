"""Activation layers: thin Modules over :mod:`minigrad.functional`.

``inplace=True`` is accepted for compatibility with torch code, but minigrad
never overwrites an input (autograd may still need it): the result is always
a new tensor.
"""
import warnings

from .. import functional as F
from .module import Module


def _inplace_repr(inplace):
    return 'inplace=True' if inplace else ''


class ReLU(Module):
    """max(x, 0)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.relu(x)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class LeakyReLU(Module):
    """x if x > 0 else negative_slope·x (pix2pix's encoder uses 0.2)."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f'negative_slope={self.negative_slope}' + (', inplace=True' if self.inplace else '')


class Sigmoid(Module):
    """1 / (1 + e^−x)."""

    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    """tanh(x) (pix2pix's generator output, in [−1, 1])."""

    def forward(self, x):
        return F.tanh(x)


def _softmax_dim(name, ndim):
    """torch's legacy rule when no dim is given (with its warning)."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. "
                  "Change the call to include dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


class Softmax(Module):
    """e^{x_i} / Σ_j e^{x_j} along ``dim``."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        dim = self.dim if self.dim is not None else _softmax_dim('softmax', x.ndim)
        return F.softmax(x, dim)

    def extra_repr(self):
        return f'dim={self.dim}'


class LogSoftmax(Module):
    """x_i − log Σ_j e^{x_j} along ``dim``."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        dim = self.dim if self.dim is not None else _softmax_dim('log_softmax', x.ndim)
        return F.log_softmax(x, dim)

    def extra_repr(self):
        return f'dim={self.dim}'
