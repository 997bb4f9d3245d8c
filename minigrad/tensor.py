"""Tensor: an array on a backend, plus what autograd needs.

``data`` is a NumPy or CuPy array.  A tensor made by an op while gradients
are enabled remembers ``_node``, a :class:`~minigrad.function.Node` (the
Function, its ctx, and edges to the nodes of its inputs); ``backward()`` walks
those links in reverse.  ``grad`` is a plain backend array of the
tensor's shape, accumulated (+=) across backward calls until zeroed.
"""
import weakref

import numpy

from . import backend
from .backend import get_array_module
from .function import Function, register_tensor_type
from .function import backward as _backward
from .ops import activation, elementwise as ew, matmul, reduce, shape as sh

_FLOAT_DEFAULT = numpy.float32


def _to_array(data, dtype=None):
    """Turn Python/NumPy/CuPy data into a backend array.

    Arrays keep their dtype and their backend (float64 stays float64, integer
    labels stay integer; wrapping never copies between CPU and GPU — that is
    :func:`minigrad.tensor`'s job).  Python numbers and lists go to the default
    backend; floats become float32, as in torch.
    """
    if isinstance(data, Tensor):
        data = data.data
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


class Tensor:
    """A multi-dimensional array that can record the ops applied to it."""

    __array_priority__ = 1000  # numpy_array * tensor -> Tensor.__rmul__

    def __init__(self, data, requires_grad=False, dtype=None):
        self.data = _to_array(data, dtype)
        if requires_grad and self.data.dtype.kind != 'f':
            raise TypeError(f"Tensor: only floating-point tensors can require gradients, "
                            f"got dtype {self.data.dtype}")
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self._node = None        # the Node of the op that made this tensor (None for a leaf) ...
        self._output_nr = 0      # ... and which of its outputs this is

    # ---------------------------------------------------------------- basics
    shape = property(lambda self: tuple(self.data.shape))
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: self.data.ndim)
    device = property(lambda self: backend.device_of(self.data))
    is_leaf = property(lambda self: self._node is None)
    T = property(lambda self: self.permute(*reversed(range(self.ndim))))

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    def numel(self):
        return int(self.data.size)

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self):
        body = numpy.array2string(self.numpy(), precision=4, separator=', ', prefix='tensor(')
        extra = ', requires_grad=True' if self.requires_grad else ''
        dev = ", device='gpu'" if self.device == 'gpu' else ''
        return f"tensor({body}{dev}{extra})"

    def numpy(self):
        """The values as a NumPy array (copied from the GPU if needed; shares memory on CPU)."""
        return backend.to_numpy(self.data)

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item: only one-element tensors can be converted, got shape {self.shape}")
        return self.data.reshape(()).item()

    def tolist(self):
        return self.numpy().tolist()

    def to(self, device):
        """A copy on 'cpu' (NumPy) or 'gpu' (CuPy); ``self`` if already there. Gradients flow through."""
        if device == self.device or backend.backend_for_device(device) == backend.backend_of(self.data):
            return self
        return _ToDevice.apply(self, device=device)

    def cpu(self):
        return self.to('cpu')

    def detach(self):
        """The same data, cut from the graph."""
        return Tensor(self.data)

    def requires_grad_(self, flag=True):
        if flag and self.data.dtype.kind != 'f':
            raise TypeError(f"requires_grad_: dtype {self.data.dtype} cannot require gradients")
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
        return Tensor(self.data.astype(numpy.int64))

    def backward(self, grad=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        ``grad`` defaults to 1 for a one-element tensor; otherwise it must be
        given (the vector in the vector-Jacobian product).
        """
        if not self.requires_grad:
            raise RuntimeError("backward: this tensor does not require grad and has no graph "
                               "(was it made under no_grad(), or from tensors without requires_grad=True?)")
        xp = get_array_module(self.data)
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(f"backward: grad can be implicit only for a one-element tensor, "
                                   f"got shape {self.shape}")
            grad = xp.ones(self.data.shape, dtype=self.data.dtype)
        else:
            grad = backend.to_device(_to_array(grad, self.data.dtype), self.device)
            if grad.shape != self.data.shape:
                raise ValueError(f"backward: grad of shape {tuple(grad.shape)} does not match "
                                 f"tensor of shape {self.shape}")
        _backward(self, grad, retain_graph=retain_graph)

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

    # comparisons give plain (non-differentiable) boolean tensors
    def _cmp(self, o, fn):
        other = o.data if isinstance(o, Tensor) else o
        return Tensor(fn(self.data, other))

    def __lt__(self, o): return self._cmp(o, lambda a, b: a < b)
    def __le__(self, o): return self._cmp(o, lambda a, b: a <= b)
    def __gt__(self, o): return self._cmp(o, lambda a, b: a > b)
    def __ge__(self, o): return self._cmp(o, lambda a, b: a >= b)
    def eq(self, o): return self._cmp(o, lambda a, b: a == b)
    __hash__ = object.__hash__

    def exp(self): return ew.Exp.apply(self)
    def log(self): return ew.Log.apply(self)
    def sqrt(self): return ew.Sqrt.apply(self)
    def abs(self): return ew.Abs.apply(self)
    def pow(self, e): return ew.Pow.apply(self, e)

    def clamp(self, min=None, max=None):
        return ew.Clip.apply(self, min=min, max=max)

    clip = clamp

    # ------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False): return reduce.Sum.apply(self, axis=dim, keepdims=keepdim)
    def mean(self, dim=None, keepdim=False): return reduce.Mean.apply(self, axis=dim, keepdims=keepdim)
    def max(self, dim=None, keepdim=False): return reduce.Max.apply(self, axis=dim, keepdims=keepdim)
    def min(self, dim=None, keepdim=False): return reduce.Min.apply(self, axis=dim, keepdims=keepdim)

    def var(self, dim=None, keepdim=False, unbiased=True, correction=None):
        corr = correction if correction is not None else int(unbiased)
        return reduce.Var.apply(self, axis=dim, keepdims=keepdim, correction=corr)

    def argmax(self, dim=None, keepdim=False):
        xp = get_array_module(self.data)
        idx = xp.argmax(self.data, axis=dim)
        if keepdim and dim is not None:
            idx = xp.expand_dims(idx, dim)
        return Tensor(idx.astype(numpy.int64))

    # ---------------------------------------------------------------- shapes
    def reshape(self, *shape):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return sh.Reshape.apply(self, shape=tuple(shape))

    view = reshape

    def permute(self, *dims):
        dims = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        return sh.Permute.apply(self, dims=tuple(dims))

    def transpose(self, dim0, dim1):
        dims = list(range(self.ndim))
        dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
        return self.permute(*dims)

    def expand(self, *shape):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        shape = tuple(self.shape[i - len(shape) + self.ndim] if s == -1 else s for i, s in enumerate(shape))
        return sh.Expand.apply(self, shape=shape)

    def squeeze(self, dim=None):
        if dim is None:
            new = [n for n in self.shape if n != 1]
        else:
            d = dim % self.ndim
            new = [n for i, n in enumerate(self.shape) if i != d or n != 1]
        return self.reshape(tuple(new))

    def unsqueeze(self, dim):
        d = dim % (self.ndim + 1)
        new = list(self.shape)
        new.insert(d, 1)
        return self.reshape(tuple(new))

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        s, e = start_dim % self.ndim, end_dim % self.ndim
        n = 1
        for k in self.shape[s:e + 1]:
            n *= k
        return self.reshape(self.shape[:s] + (n,) + self.shape[e + 1:])

    def __getitem__(self, index):
        return sh.GetItem.apply(self, index=_index_arrays(index))

    # ----------------------------------------------------------- activations
    def relu(self): return activation.ReLU.apply(self)
    def sigmoid(self): return activation.Sigmoid.apply(self)
    def tanh(self): return activation.Tanh.apply(self)
    def softmax(self, dim=-1): return activation.Softmax.apply(self, dim=dim)
    def log_softmax(self, dim=-1): return activation.LogSoftmax.apply(self, dim=dim)


def _index_arrays(index):
    """Tensors inside an index become their arrays (index tensors carry no gradient)."""
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index.data if isinstance(index, Tensor) else index


register_tensor_type(Tensor)


class _ToDevice(Function):
    """Copy between CPU and GPU; the gradient is copied back the other way."""

    @staticmethod
    def forward(ctx, a, device):
        ctx.source = backend.device_of(a)
        return backend.to_device(a, device)

    @staticmethod
    def backward(ctx, grad):
        return backend.to_device(grad, ctx.source)


class _Cast(Function):
    """Change the dtype; the gradient is cast back to the input's dtype."""

    @staticmethod
    def forward(ctx, a, dtype):
        ctx.source = a.dtype
        return a.astype(dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return grad.astype(ctx.source, copy=False)
