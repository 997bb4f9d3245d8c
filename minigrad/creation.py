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


def _device(device, op):
    """The device a factory puts its result on: ``device`` ('cpu', 'cuda', 'cuda:0', 'gpu', a
    :class:`~minigrad.backend.Device`) or, when None, the default backend's; a clear error
    naming ``op`` for an unknown name or a GPU that is not there."""
    if device is None:
        return backend.default_device()
    name = backend.canonical_device(device)
    if name is None:
        raise ValueError(f"{op}: expected device 'cpu', 'cuda', 'cuda:0' or 'gpu', got {device!r}")
    if name == 'gpu':
        backend._require_cupy(op)
    return name


def _on(values, device, requires_grad, op):
    """A Tensor of host (NumPy) ``values`` on ``device`` (see :func:`_device`)."""
    return Tensor(backend.to_device(values, _device(device, op)), requires_grad=requires_grad)


def tensor(data, requires_grad=False, dtype=None, device=None):
    """A new tensor from a list, number, NumPy or CuPy array, on ``device`` (default: the
    default backend's).

    Arrays keep their dtype (float64 stays float64, int labels stay int); a
    NumPy array is copied to the GPU when the default backend is cupy, so the
    same test or lesson code runs on either backend.  The values are always
    copied, as torch.tensor (an in-place change of one never shows in the other);
    :func:`from_numpy` shares memory instead.
    """
    if isinstance(data, Tensor):
        data = data.array
    target = _device(device, 'tensor')
    if hasattr(data, 'shape') and not isinstance(data, numpy.generic):
        moved = backend.to_device(data, target)
        return Tensor(moved.copy() if moved is data else moved, requires_grad=requires_grad, dtype=dtype)
    if target == backend.default_device():
        return Tensor(data, requires_grad=requires_grad, dtype=dtype)
    return Tensor(backend.to_device(Tensor(data, dtype=dtype).numpy(), target), requires_grad=requires_grad)


def from_numpy(ndarray):
    """A CPU tensor that SHARES ``ndarray``'s memory (writes through either show in both) and
    keeps its dtype, as ``torch.from_numpy``; whatever the default backend."""
    if not isinstance(ndarray, numpy.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(ndarray).__name__}")
    return Tensor(ndarray)


def _filled(shape, value, dtype, requires_grad, device, op):
    """A constant tensor, made directly on its device (no copy from the host)."""
    xp = backend.xp_for_device(_device(device, op))
    return Tensor(xp.full(_shape(shape), value, dtype=_dtype(dtype)), requires_grad=requires_grad)


def zeros(*shape, dtype=None, device=None, requires_grad=False):
    return _filled(shape, 0, dtype, requires_grad, device, 'zeros')


def ones(*shape, dtype=None, device=None, requires_grad=False):
    return _filled(shape, 1, dtype, requires_grad, device, 'ones')


def full(shape, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor of ``shape`` filled with ``fill_value`` (float32 unless ``dtype`` says otherwise)."""
    return _filled((shape,) if isinstance(shape, int) else shape, fill_value, dtype, requires_grad, device, 'full')


def _like(t, dtype, device):
    """(shape, dtype, device) of a ``*_like`` result: ``t``'s unless given."""
    return t.shape, numpy.dtype(dtype if dtype is not None else t.dtype), device if device is not None else t.device


def zeros_like(t, dtype=None, device=None, requires_grad=False):
    shape, dtype, device = _like(t, dtype, device)
    return _filled(shape, 0, dtype, requires_grad, device, 'zeros_like')


def ones_like(t, dtype=None, device=None, requires_grad=False):
    shape, dtype, device = _like(t, dtype, device)
    return _filled(shape, 1, dtype, requires_grad, device, 'ones_like')


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor of ``t``'s shape (and dtype and device, unless given) filled with ``fill_value``."""
    shape, dtype, device = _like(t, dtype, device)
    return _filled(shape, fill_value, dtype, requires_grad, device, 'full_like')


def randn(*shape, dtype=None, device=None, requires_grad=False):
    """Standard normal draws, float32 unless ``dtype`` says otherwise."""
    return _on(generator().standard_normal(_shape(shape)).astype(_dtype(dtype)), device, requires_grad, 'randn')


def rand(*shape, dtype=None, device=None, requires_grad=False):
    """Uniform draws in [0, 1)."""
    return _on(generator().random(_shape(shape)).astype(_dtype(dtype)), device, requires_grad, 'rand')


def randn_like(t, dtype=None, device=None, requires_grad=False):
    shape, dtype, device = _like(t, dtype, device)
    return _on(generator().standard_normal(shape).astype(dtype), device, requires_grad, 'randn_like')


def rand_like(t, dtype=None, device=None, requires_grad=False):
    shape, dtype, device = _like(t, dtype, device)
    return _on(generator().random(shape).astype(dtype), device, requires_grad, 'rand_like')


def randint(low, high, size, dtype=None, device=None):
    values = generator().integers(low, high, size=_shape((size,) if isinstance(size, int) else size))
    return _on(values.astype(dtype or int64), device, False, 'randint')


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Like torch.arange: integers stay int64, any float argument gives float32."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        dtype = int64 if all(isinstance(v, int) for v in (start, end, step)) else float32
    xp = backend.xp_for_device(_device(device, 'arange'))
    return Tensor(xp.arange(start, end, step, dtype=dtype), requires_grad=requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    xp = backend.xp_for_device(_device(device, 'linspace'))
    return Tensor(xp.linspace(start, end, steps, dtype=_dtype(dtype)), requires_grad=requires_grad)


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

