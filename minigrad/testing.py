"""Helpers for tests (ours and students'): build tensors on the active backend, compare values."""
import numpy

from .backend import to_numpy
from .creation import tensor
from .tensor import Tensor


def t64(array, requires_grad=True):
    """A float64 tensor on the default backend, ready for :func:`minigrad.gradcheck`."""
    return tensor(numpy.asarray(array, dtype=numpy.float64), requires_grad=requires_grad)


def t32(array, requires_grad=False):
    """A float32 tensor on the default backend."""
    return tensor(numpy.asarray(array, dtype=numpy.float32), requires_grad=requires_grad)


def as_numpy(x):
    """NumPy values of a Tensor, a CuPy/NumPy array or a number."""
    if isinstance(x, Tensor):
        return x.numpy()
    return to_numpy(x) if hasattr(x, 'shape') else numpy.asarray(x)


def assert_close(actual, expected, rtol=1e-5, atol=1e-6, msg=''):
    """numpy.testing.assert_allclose on anything array-like, on either backend."""
    numpy.testing.assert_allclose(as_numpy(actual), as_numpy(expected), rtol=rtol, atol=atol, err_msg=msg)


def forward_backward(fn, x, grad=None, **kw):
    """(out, dx): ``out = fn(Tensor(x), **kw)`` (a Tensor or a tuple whose first item is the
    result), then dx = the input's gradient for the upstream ``grad`` (default: ones)."""
    xt = tensor(x, requires_grad=True)
    out = fn(xt, **kw)
    y = out[0] if isinstance(out, tuple) else out
    if grad is None:
        grad = numpy.ones(y.shape, dtype=x.dtype)
    y.backward(tensor(grad).array)
    return out, as_numpy(xt.grad.array)


def bit_flips(data, step=1):
    """``(bit, damaged)`` for every ``step``-th bit of ``data``: a copy of the bytes with that one
    bit flipped (for checking that a file reader refuses, or ignores, every single-bit error)."""
    for bit in range(0, 8 * len(data), step):
        flipped = bytearray(data)
        flipped[bit // 8] ^= 1 << (bit % 8)
        yield bit, bytes(flipped)
