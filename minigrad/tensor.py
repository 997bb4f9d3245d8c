"""Tensor: an array on a backend, plus what autograd needs.

``array`` is the NumPy or CuPy array holding the values.  ``data`` is, as in
PyTorch, a Tensor sharing that storage outside autograd (``p.data.clamp_(-c, c)``,
``nn.init.normal_(m.weight.data, 0, 0.02)``), and ``grad`` is a Tensor (or None)
accumulated across backward calls until zeroed.  A tensor made by an op while
gradients are enabled remembers ``_node``, a :class:`~minigrad.function.Node`
(the Function, its ctx, and edges to the nodes of its inputs); ``backward()``
walks those links in reverse.

Every in-place change of the storage (``x += y``, ``add_``, ``copy_``, an
optimizer step) bumps a version counter shared by the tensors that share the
storage; an op that saved the tensor for backward checks it, so backward
through stale values is an error, never a silently wrong gradient.

The everyday methods that only combine ops live in :mod:`minigrad.tensor_methods`.
"""
import weakref

import numpy

from . import backend
from .backend import get_array_module
from .function import Function, is_grad_enabled, register_tensor_type
from .function import backward as _backward
from .ops import activation, elementwise as ew, matmul, reduce, shape as sh
from .ops.shape import normalize_dim
from .tensor_methods import TensorMethods

_FLOAT_DEFAULT = numpy.float32



def _to_array(data, dtype=None):
    """Turn Python/NumPy/CuPy data into a backend array.

    Arrays keep their dtype and their backend (float64 stays float64, integer
    labels stay integer; wrapping never copies between CPU and GPU — that is
    :func:`minigrad.tensor`'s job).  Python numbers and lists go to the default
    backend; floats become float32, as in torch.
    """
    if isinstance(data, Tensor):
        data = data.array
    if hasattr(data, 'shape') and hasattr(data, 'dtype') and not isinstance(data, numpy.generic):
        return get_array_module(data).asarray(data, dtype=dtype)
    xp = backend.default_xp()
    host = numpy.asarray(data)
    if dtype is None:
        if host.dtype.kind == 'f':
            dtype = _FLOAT_DEFAULT if not isinstance(data, numpy.generic) else host.dtype
        elif host.dtype.kind == 'i':
            dtype = numpy.int64
    return xp.asarray(host, dtype=dtype)


class _Version:
    """How many times a storage was changed in place; shared by the tensors sharing it."""
    __slots__ = ('value',)

    def __init__(self):
        self.value = 0


class Tensor(TensorMethods):
    """A multi-dimensional array that can record the ops applied to it."""

    __array_priority__ = 1000  # numpy_array * tensor -> Tensor.__rmul__
    _is_view = False           # True for an op's output that views an input's storage

    def __init__(self, data, requires_grad=False, dtype=None):
        self.array = _to_array(data, dtype)
        if requires_grad and self.array.dtype.kind != 'f':
            raise TypeError(f"Tensor: only floating-point tensors can require gradients, "
                            f"got dtype {self.array.dtype}")
        self.requires_grad = bool(requires_grad)
        self._grad = None
        self._node = None        # the Node of the op that made this tensor (None for a leaf) ...
        self._output_nr = 0      # ... and which of its outputs this is
        self._version = _Version()

    # ---------------------------------------------------------------- basics
    shape = property(lambda self: tuple(self.array.shape))
    dtype = property(lambda self: self.array.dtype)
    ndim = property(lambda self: self.array.ndim)
    device = property(lambda self: backend.device_of(self.array))
    is_leaf = property(lambda self: self._node is None)
    T = property(lambda self: self.permute(*reversed(range(self.ndim))))

    @property
    def data(self):
        """This tensor's storage as a new Tensor outside autograd (no graph, no gradient).

        Writing into it writes into this tensor; unlike PyTorch it shares the version
        counter, so changing saved values through ``.data`` before backward is an error."""
        alias = Tensor.__new__(Tensor)  # a plain Tensor, also for a Parameter (as torch)
        alias.array, alias.requires_grad, alias._grad = self.array, False, None
        alias._node, alias._output_nr, alias._version = None, 0, self._version
        return alias

    @data.setter
    def data(self, value):
        """``p.data = t``: swap the storage (shape and dtype may change), keeping the identity."""
        self.array = value.array if isinstance(value, Tensor) else _to_array(value)
        self._version.value += 1

    @property
    def grad(self):
        """The accumulated gradient: a Tensor of this tensor's shape, or None."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad: expected a Tensor or None, got {type(value).__name__}")
            if value.shape != self.shape:
                raise ValueError(f"grad: a gradient of shape {value.shape} for a tensor of shape {self.shape}")
        self._grad = value

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[normalize_dim(dim, self.ndim, 'size')]

    def numel(self):
        return int(self.array.size)

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self):
        body = numpy.array2string(self.numpy(), precision=4, separator=', ', prefix='tensor(')
        extra = ', requires_grad=True' if self.requires_grad else ''
        dev = ", device='gpu'" if self.device == 'gpu' else ''
        return f"tensor({body}{dev}{extra})"

    def __array__(self, dtype=None, copy=None):
        """``numpy.asarray(t)`` on the CPU; a GPU tensor refuses, as a CuPy array does."""
        out = numpy.asarray(self.array)
        return out if dtype is None else out.astype(dtype, copy=False)

    def numpy(self):
        """The values as a NumPy array (copied from the GPU if needed; shares memory on CPU)."""
        return backend.to_numpy(self.array)

    def item(self):
        if self.array.size != 1:
            raise ValueError(f"item: only one-element tensors can be converted, got shape {self.shape}")
        return self.array.reshape(()).item()

    def tolist(self):
        return self.numpy().tolist()

    # Python conversions, as torch: only a one-element tensor has a truth value or a number.
    def __bool__(self):
        if self.array.size != 1:
            raise RuntimeError(f"bool: the truth value of a tensor with {self.array.size} elements "
                               f"(shape {self.shape}) is ambiguous; use .any() or .all()")
        return bool(self.item())

    def __float__(self): return float(self._one('float'))
    def __int__(self): return int(self._one('int'))

    def __index__(self):
        if self.dtype.kind not in 'iub':
            raise TypeError(f"only integer tensors of a single element can be used as an index, got {self.dtype}")
        return int(self._one('index'))

    def __format__(self, spec):
        return format(self.item(), spec) if self.array.size == 1 and self.ndim == 0 else format(repr(self), spec)

    def _one(self, what):
        if self.array.size != 1:
            raise ValueError(f"{what}: only one-element tensors can be converted to Python scalars, "
                             f"got shape {self.shape}")
        return self.item()

    def to(self, *args, dtype=None, device=None, copy=False):
        """``to('gpu')``, ``to(float64)``, ``to('cpu', float64)``, ``to(other_tensor)`` or keywords.

        A device move or a cast is differentiable; ``self`` comes back when nothing changes."""
        for a in args:
            if isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            elif isinstance(a, str) or type(a).__name__ == 'device':
                device = a
            else:
                dtype = a
        out = self
        if device is not None:
            name = backend.canonical_device(device)
            if name is None:
                raise ValueError(f"to: expected device 'cpu', 'gpu' or 'cuda', got {device!r}")
            if backend.backend_for_device(name) != backend.backend_of(self.array):
                out = _ToDevice.apply(out, device=name)
        if dtype is not None and numpy.dtype(dtype) != out.dtype:
            out = out.astype(dtype)
        return out.clone() if copy and out is self else out

    def cpu(self):
        return self.to('cpu')

    def cuda(self):
        return self.to('gpu')

    def detach(self):
        """The same storage, cut from the graph (shares the version counter, as torch)."""
        return self.data

    def requires_grad_(self, flag=True):
        if flag and self.array.dtype.kind != 'f':
            raise TypeError(f"requires_grad_: dtype {self.array.dtype} cannot require gradients")
        if not flag and self._node is not None:
            raise RuntimeError("requires_grad_(False) on a tensor made by an op; use .detach()")
        self.requires_grad = flag
        return self

    def retain_grad(self):
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward (no-op on a leaf)."""
        if self._node is not None:
            self._node.retained[self._output_nr] = weakref.ref(self)

    def astype(self, dtype):
        return _Cast.apply(self, dtype=numpy.dtype(dtype))

    def float(self):
        return self.astype(numpy.float32)

    def double(self):
        return self.astype(numpy.float64)

    def long(self):
        return Tensor(self.array.astype(numpy.int64))

    def bool(self):
        return Tensor(self.array.astype(bool))

    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        ``gradient`` defaults to 1 for a one-element tensor; otherwise it must be
        given (the vector in the vector-Jacobian product).  ``create_graph=True``
        records the backward itself, so the gradients can be differentiated again;
        ``retain_graph`` defaults to ``create_graph``.
        """
        if not self.requires_grad:
            raise RuntimeError("backward: this tensor does not require grad and has no graph "
                               "(was it made under no_grad(), or from tensors without requires_grad=True?)")
        seed = seed_gradient(self, gradient, 'backward', create_graph)
        _backward([self], [seed], retain_graph=create_graph if retain_graph is None else retain_graph,
                  create_graph=create_graph)

    def zero_grad(self):
        self.grad = None

    # ------------------------------------------------------------ arithmetic
    def __add__(self, o): return ew.Add.apply(self, o)
    def __radd__(self, o): return ew.Add.apply(o, self)
    def __sub__(self, o): return ew.Sub.apply(self, o)
    def __rsub__(self, o): return ew.Sub.apply(o, self)
    def __mul__(self, o): return ew.Mul.apply(self, o)
    def __rmul__(self, o): return ew.Mul.apply(o, self)
    def __truediv__(self, o): return ew.Div.apply(self, o)
    def __rtruediv__(self, o): return ew.Div.apply(o, self)
    def __neg__(self): return ew.Neg.apply(self)
    def __pow__(self, o): return ew.Pow.apply(self, o)
    def __rpow__(self, o): return ew.Pow.apply(o, self)
    def __matmul__(self, o): return matmul.MatMul.apply(self, o)
    def __rmatmul__(self, o): return matmul.MatMul.apply(o, self)

    # In place, as torch: the storage changes (every alias sees it) and, when the tensor is
    # part of a graph, it now stands for the op's result.
    def __iadd__(self, o): return self._assign(self + o, 'add_')
    def __isub__(self, o): return self._assign(self - o, 'sub_')
    def __imul__(self, o): return self._assign(self * o, 'mul_')
    def __itruediv__(self, o): return self._assign(self / o, 'div_')

    def _assign(self, result, op):
        """Write ``result`` (computed out of place) into this tensor's storage: the one way
        every in-place method works.  Bumps the version; moves the tensor onto ``result``'s node."""
        if is_grad_enabled() and self.requires_grad and self._node is None:
            raise RuntimeError(f"{op}: a leaf tensor that requires grad cannot be changed in place "
                               "(wrap the update in `with minigrad.no_grad():`, or change .data)")
        if is_grad_enabled() and self._is_view and (self.requires_grad or result.requires_grad):
            raise RuntimeError(f"{op}: this tensor is a view of another tensor's storage (a reshape, slice "
                               "or transpose) inside a graph; changing it in place would change the other "
                               "behind autograd's back. Write the result to a new tensor instead.")
        if result.shape != self.shape:
            raise RuntimeError(f"{op}: the result's shape {result.shape} does not match the tensor's "
                               f"shape {self.shape} (in-place ops cannot broadcast the tensor itself)")
        if not numpy.can_cast(result.dtype, self.dtype, 'same_kind'):
            raise RuntimeError(f"{op}: result type {result.dtype} cannot be cast to the tensor's dtype {self.dtype}")
        self.array[...] = result.array
        self._version.value += 1
        if result._node is not None:
            self._node, self._output_nr, self.requires_grad = result._node, result._output_nr, True
        elif self._node is not None:  # overwritten by a constant: no gradient flows back any more
            self._node, self.requires_grad = None, False
        return self

    # comparisons give plain (non-differentiable) boolean tensors, element by element
    def _cmp(self, o, fn):
        if isinstance(o, Tensor):
            o = o.array
        elif not isinstance(o, (int, float, bool, numpy.generic)) and not hasattr(o, 'shape'):
            return NotImplemented
        return Tensor(fn(self.array, o))

    def __lt__(self, o): return self._cmp(o, lambda a, b: a < b)
    def __le__(self, o): return self._cmp(o, lambda a, b: a <= b)
    def __gt__(self, o): return self._cmp(o, lambda a, b: a > b)
    def __ge__(self, o): return self._cmp(o, lambda a, b: a >= b)
    def __eq__(self, o): return self._cmp(o, lambda a, b: a == b)
    def __ne__(self, o): return self._cmp(o, lambda a, b: a != b)
    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__
    __hash__ = object.__hash__  # tensors stay usable as dict keys (by identity), as in torch

    def exp(self): return ew.Exp.apply(self)
    def log(self): return ew.Log.apply(self)
    def sqrt(self): return ew.Sqrt.apply(self)
    def abs(self): return ew.Abs.apply(self)
    def pow(self, e): return ew.Pow.apply(self, e)

    def clamp(self, min=None, max=None):
        return ew.Clip.apply(self, min=min, max=max)

    clip = clamp

    # ------------------------------------------------------------ reductions
    # ``dim``/``keepdim`` as torch; ``axis``/``keepdims`` are accepted too (torch's aliases),
    # which is also what lets a backward written on arrays run on Tensors.
    def sum(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        dim, keepdim = _alias(dim, axis, keepdim, keepdims)
        return reduce.Sum.apply(self, axis=dim, keepdims=keepdim)

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        dim, keepdim = _alias(dim, axis, keepdim, keepdims)
        return reduce.Mean.apply(self, axis=dim, keepdims=keepdim)

    def __getitem__(self, index):
        return sh.GetItem.apply(self, index=_index_arrays(index))

    # ----------------------------------------------------------- activations
    def relu(self): return activation.ReLU.apply(self)
    def sigmoid(self): return activation.Sigmoid.apply(self)
    def tanh(self): return activation.Tanh.apply(self)
    def softmax(self, dim=-1):
        return activation.Softmax.apply(self, dim=normalize_dim(dim, self.ndim, 'softmax'))

    def log_softmax(self, dim=-1):
        return activation.LogSoftmax.apply(self, dim=normalize_dim(dim, self.ndim, 'log_softmax'))


def _alias(dim, axis, keepdim, keepdims):
    return (axis if axis is not None else dim), (keepdims if keepdims is not None else keepdim)


def seed_gradient(t, gradient, op, create_graph=False):
    """The gradient a backward sweep starts from at ``t``: 1 for a one-element tensor by default,
    else ``gradient`` (a Tensor or array of ``t``'s shape), on ``t``'s device."""
    if gradient is None:
        if t.array.size != 1:
            raise RuntimeError(f"{op}: grad can be implicit only for a one-element tensor, got shape {t.shape}")
        seed = get_array_module(t.array).ones(t.array.shape, dtype=t.array.dtype)
        return Tensor(seed) if create_graph else seed
    if isinstance(gradient, Tensor) and create_graph:
        seed = gradient.to(t.device)
    else:
        seed = backend.to_device(_to_array(gradient, t.array.dtype), t.device)
    if tuple(seed.shape) != t.shape:
        raise ValueError(f"{op}: grad of shape {tuple(seed.shape)} does not match tensor of shape {t.shape}")
    return seed


def _index_arrays(index):
    """Tensors inside an index become their arrays (index tensors carry no gradient)."""
    if isinstance(index, tuple):
        return tuple(i.array if isinstance(i, Tensor) else i for i in index)
    return index.array if isinstance(index, Tensor) else index


register_tensor_type(Tensor)


class _ToDevice(Function):
    """Copy between CPU and GPU; the gradient is copied back the other way."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, device):
        ctx.source = backend.device_of(a)
        return backend.to_device(a, device)

    @staticmethod
    def backward(ctx, grad):
        return _ToDevice.apply(grad, device=ctx.source)


class _Cast(Function):
    """Change the dtype; the gradient is cast back to the input's dtype."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, dtype):
        ctx.source = a.dtype
        return a.astype(dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return _Cast.apply(grad, dtype=ctx.source)
