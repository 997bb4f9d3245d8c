"""Factory functions: tensors made from values, constants or random draws.

Random draws come from :mod:`minigrad.random` on the CPU and are then moved to
the default backend, so a seed gives the same numbers on NumPy and CuPy.
"""
import numpy

from . import backend
from .ops import elementwise as ew, shape as sh
from .random import generator
from .tensor import Tensor

float32 = numpy.float32
float64 = numpy.float64
int64 = numpy.int64


def _shape(shape):
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)


def _dtype(dtype):
    return numpy.dtype(dtype if dtype is not None else float32)


def tensor(data, requires_grad=False, dtype=None):
    """A new tensor on the default backend from a list, number, NumPy or CuPy array.

    Arrays keep their dtype (float64 stays float64, int labels stay int); a
    NumPy array is copied to the GPU when the default backend is cupy, so the
    same test or lesson code runs on either backend.
    """
    if isinstance(data, Tensor):
        data = data.array
    if hasattr(data, 'shape') and not isinstance(data, numpy.generic):
        data = backend.to_device(data, backend.default_device())
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def _filled(shape, value, dtype, requires_grad):
    xp = backend.default_xp()
    return Tensor(xp.full(_shape(shape), value, dtype=_dtype(dtype)), requires_grad=requires_grad)


def zeros(*shape, dtype=None, requires_grad=False):
    return _filled(shape, 0, dtype, requires_grad)


def ones(*shape, dtype=None, requires_grad=False):
    return _filled(shape, 1, dtype, requires_grad)


def full(shape, fill_value, dtype=None, requires_grad=False):
    return _filled((shape,) if isinstance(shape, int) else shape, fill_value, dtype, requires_grad)


def _like(t, dtype):
    return (t.shape, dtype if dtype is not None else t.dtype, t.device)


def _on(array, device, requires_grad):
    return Tensor(backend.to_device(array, device), requires_grad=requires_grad)


def zeros_like(t, dtype=None, requires_grad=False):
    shape, dtype, device = _like(t, dtype)
    return _on(numpy.zeros(shape, dtype), device, requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    shape, dtype, device = _like(t, dtype)
    return _on(numpy.ones(shape, dtype), device, requires_grad)


def randn(*shape, dtype=None, requires_grad=False):
    """Standard normal draws, float32 unless ``dtype`` says otherwise."""
    values = generator().standard_normal(_shape(shape)).astype(_dtype(dtype))
    return Tensor(backend.to_device(values, backend.default_device()),
                  requires_grad=requires_grad)


def rand(*shape, dtype=None, requires_grad=False):
    """Uniform draws in [0, 1)."""
    values = generator().random(_shape(shape)).astype(_dtype(dtype))
    return Tensor(backend.to_device(values, backend.default_device()),
                  requires_grad=requires_grad)


def randn_like(t, requires_grad=False):
    return _on(generator().standard_normal(t.shape).astype(t.dtype), t.device, requires_grad)


def rand_like(t, requires_grad=False):
    return _on(generator().random(t.shape).astype(t.dtype), t.device, requires_grad)


def randint(low, high, size, dtype=None):
    values = generator().integers(low, high, size=_shape((size,) if isinstance(size, int) else size))
    return Tensor(values.astype(dtype or int64))


def arange(start, end=None, step=1, dtype=None):
    """Like torch.arange: integers stay int64, any float argument gives float32."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        dtype = int64 if all(isinstance(v, int) for v in (start, end, step)) else float32
    return Tensor(backend.default_xp().arange(start, end, step, dtype=dtype))


def linspace(start, end, steps, dtype=None):
    return Tensor(backend.default_xp().linspace(start, end, steps, dtype=_dtype(dtype)))


def cat(tensors, dim=0):
    """Concatenate along an existing axis ``dim``."""
    if not tensors:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    return sh.Cat.apply(*tensors, dim=dim)


def stack(tensors, dim=0):
    """Stack along a new axis ``dim``."""
    if not tensors:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    return sh.Stack.apply(*tensors, dim=dim)


def where(condition, a, b):
    """``a`` where ``condition`` is true, else ``b`` (gradient flows to both through the mask)."""
    cond = condition.array if isinstance(condition, Tensor) else condition
    return ew.Where.apply(cond, a, b)


def maximum(a, b):
    return ew.Maximum.apply(a, b)


def minimum(a, b):
    return ew.Minimum.apply(a, b)


def _unary(op):
    def fn(t):
        return op.apply(t)
    fn.__name__ = op.__name__.lower()
    fn.__doc__ = op.__doc__
    return fn


exp, log, sqrt, abs = (_unary(o) for o in (ew.Exp, ew.Log, ew.Sqrt, ew.Abs))


def clamp(t, min=None, max=None):
    return ew.Clip.apply(t, min=min, max=max)


def matmul(a, b):
    return a @ b if isinstance(a, Tensor) else Tensor(a) @ b
