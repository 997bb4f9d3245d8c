"""Padding layers (CycleGAN-style generators start with ReflectionPad2d)."""
from .. import functional as F
from .module import Module


def _quad(padding, name):
    if isinstance(padding, int):
        return (padding,) * 4
    padding = tuple(padding)
    if len(padding) != 4:
        raise ValueError(f"{name}: padding must be an int or (left, right, top, bottom), got {padding!r}")
    return padding


class _Pad2d(Module):
    mode = 'constant'

    def __init__(self, padding):
        super().__init__()
        self.padding = _quad(padding, type(self).__name__)

    def forward(self, x):
        return F.pad(x, self.padding, mode=self.mode)

    def extra_repr(self):
        return f'{self.padding}'


class ReflectionPad2d(_Pad2d):
    """Mirror the border without repeating the edge: … 2 1 | 0 1 2 …"""
    mode = 'reflect'


class ReplicationPad2d(_Pad2d):
    """Repeat the edge pixel."""
    mode = 'replicate'


class ZeroPad2d(_Pad2d):
    """Pad with zeros."""
