"""Dropout layers: active in ``train()`` mode, the identity in ``eval()`` mode."""
from ..functional.dropout import check_p, dropout, dropout2d
from .module import Module


class _DropoutNd(Module):
    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        check_p(type(self).__name__, p)
        self.p, self.inplace = p, inplace

    def extra_repr(self):
        return f'p={self.p}, inplace={self.inplace}'


class Dropout(_DropoutNd):
    """Zero each element with probability p while training; scale survivors by 1/(1 − p)."""

    def forward(self, x):
        return dropout(x, self.p, self.training)


class Dropout2d(_DropoutNd):
    """Zero whole channels (N, C, H, W) -> each (n, c) map with probability p, while training."""

    def forward(self, x):
        return dropout2d(x, self.p, self.training)
