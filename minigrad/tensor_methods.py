"""The everyday Tensor methods that only combine ops (PyTorch's names, argument orders and
defaults): shapes, reductions that return indices, statistics, and the in-place family.

Every in-place method computes its result out of place and hands it to
``Tensor._assign``, the one place that writes into a storage, bumps its version
and moves the tensor onto the result's node.
"""
import collections

import numpy

from .backend import get_array_module
from .function import _tensor_type, no_grad
from .ops import elementwise as ew, reduce, shape as sh
from .random import generator

#: What ``x.max(dim)`` / ``x.min(dim)`` return, as in torch: ``values, indices = x.max(1)``.
ValuesIndices = collections.namedtuple('ValuesIndices', ['values', 'indices'])


class TensorMethods:
    """Mixed into :class:`minigrad.Tensor`."""

    # ------------------------------------------------------------ shapes and copies
    def dim(self):
        return self.ndim

    def nelement(self):
        return self.numel()

    def contiguous(self):
        """Storage order is NumPy's business here; a tensor is always usable as is."""
        return self

    def clone(self):
        """A copy in new storage; gradients flow back to ``self``."""
        return sh.Clone.apply(self)

    def expand_as(self, other):
        return self.expand(other.shape)

    def repeat(self, *sizes):
        """Tile the tensor ``sizes[i]`` times along dim i (torch.Tensor.repeat; sizes may add leading dims)."""
        sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        if len(sizes) < self.ndim:
            raise RuntimeError(f"repeat: {len(sizes)} sizes given for a tensor with {self.ndim} dims")
        shape = (1,) * (len(sizes) - self.ndim) + self.shape
        x = self.reshape(shape)
        # put a new size-r axis in front of every dim, broadcast, then merge each pair
        inter = [d for n in shape for d in (1, n)]
        wide = [d for r, n in zip(sizes, shape) for d in (r, n)]
        return x.reshape(inter).expand(wide).reshape(tuple(r * n for r, n in zip(sizes, shape)))

    def split(self, split_size_or_sections, dim=0):
        """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the listed sizes."""
        d = sh.normalize_dim(dim, self.ndim, 'split')
        n = self.shape[d]
        if isinstance(split_size_or_sections, int):
            if split_size_or_sections <= 0:
                raise ValueError(f"split: split_size must be positive, got {split_size_or_sections}")
            sizes = [min(split_size_or_sections, n - s) for s in range(0, n, split_size_or_sections)] or [0]
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != n:
                raise ValueError(f"split: sizes {sizes} do not add up to {n} (dim {dim} of shape {self.shape})")
        out, start = [], 0
        for size in sizes:
            out.append(self[(slice(None),) * d + (slice(start, start + size),)])
            start += size
        return tuple(out)

    def chunk(self, chunks, dim=0):
        """At most ``chunks`` pieces of equal size ceil(n / chunks) along ``dim`` (torch.chunk)."""
        if chunks <= 0:
            raise ValueError(f"chunk: chunks must be positive, got {chunks}")
        n = self.shape[sh.normalize_dim(dim, self.ndim, 'chunk')]
        return self.split(max(-(-n // chunks), 1), dim)

    # ------------------------------------------------------------ reductions with indices, statistics
    def amax(self, dim=None, keepdim=False):
        """Largest value over ``dim`` (an int or a tuple); ties share the gradient (torch.amax)."""
        return reduce.Max.apply(self, axis=dim, keepdims=keepdim)

    def amin(self, dim=None, keepdim=False):
        return reduce.Min.apply(self, axis=dim, keepdims=keepdim)

    def max(self, dim=None, keepdim=False):
        """``x.max()``: the largest value; ``x.max(dim)``: ``(values, indices)`` along ``dim``, the
        gradient going to the returned index; ``x.max(other)``: the element-wise maximum."""
        return self._extremum(dim, keepdim, 'max', ew.Maximum)

    def min(self, dim=None, keepdim=False):
        return self._extremum(dim, keepdim, 'min', ew.Minimum)

    def _extremum(self, dim, keepdim, name, elementwise):
        if isinstance(dim, _tensor_type()):
            return elementwise.apply(self, dim)
        if dim is None:
            return reduce.Max.apply(self) if name == 'max' else reduce.Min.apply(self)
        if not isinstance(dim, (int, numpy.integer)):
            raise TypeError(f"{name}: dim must be an int, got {dim!r} (amax/amin reduce over several dims)")
        d = sh.normalize_dim(dim, self.ndim, name)
        if self.shape and self.shape[d] == 0:
            raise IndexError(f"{name}: cannot reduce over an empty dimension {d} of shape {self.shape}")
        xp = get_array_module(self.array)
        pick = xp.argmax if name == 'max' else xp.argmin
        indices = _tensor_type()(xp.expand_dims(pick(self.array, axis=d), d).astype(numpy.int64))
        values = sh.Gather.apply(self, indices, dim=d)  # (indices in range by construction)
        if not keepdim:
            values, indices = values.squeeze(d), indices.squeeze(d)
        return ValuesIndices(values, indices)

    def var(self, dim=None, keepdim=False, unbiased=True, correction=None):
        corr = correction if correction is not None else int(unbiased)
        return reduce.Var.apply(self, axis=dim, keepdims=keepdim, correction=corr)

    def argmax(self, dim=None, keepdim=False):
        return self._arg('argmax', dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return self._arg('argmin', dim, keepdim)

    def _arg(self, name, dim, keepdim):
        """The int64 index of the extremum: over everything (flat) or along ``dim``."""
        pick = getattr(get_array_module(self.array), name)
        if dim is None:
            return _tensor_type()(pick(self.array).astype(numpy.int64))
        d = sh.normalize_dim(dim, self.ndim, name)
        idx = pick(self.array, axis=d)
        return _tensor_type()((get_array_module(idx).expand_dims(idx, d) if keepdim else idx).astype(numpy.int64))

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
        d0, d1 = sh.normalize_dim(dim0, self.ndim, 'transpose'), sh.normalize_dim(dim1, self.ndim, 'transpose')
        dims[d0], dims[d1] = dims[d1], dims[d0]
        return self.permute(*dims)

    def expand(self, *shape):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        shape = tuple(self.shape[i - len(shape) + self.ndim] if s == -1 else s for i, s in enumerate(shape))
        return sh.Expand.apply(self, shape=shape)

    def squeeze(self, dim=None):
        if dim is None:
            new = [n for n in self.shape if n != 1]
        else:
            d = sh.normalize_dim(dim, self.ndim, 'squeeze')
            new = [n for i, n in enumerate(self.shape) if i != d or n != 1]
        return self.reshape(tuple(new))

    def unsqueeze(self, dim):
        d = sh.normalize_dim(dim, self.ndim + 1, 'unsqueeze')
        new = list(self.shape)
        new.insert(d, 1)
        return self.reshape(tuple(new))

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        s, e = sh.normalize_dim(start_dim, self.ndim, 'flatten'), sh.normalize_dim(end_dim, self.ndim, 'flatten')
        if s > e:
            raise RuntimeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        n = 1
        for k in self.shape[s:e + 1]:
            n *= k
        return self.reshape(self.shape[:s] + (n,) + self.shape[e + 1:])

    def gather(self, dim, index):
        """``out[..., i, ...] = self[..., index[..., i, ...], ...]`` along ``dim`` (torch.gather)."""
        index = index.array if isinstance(index, _tensor_type()) else index
        d = sh.normalize_dim(dim, self.ndim, 'gather')
        # Checked here, as torch does: NumPy would raise a bare IndexError, CuPy wrap around silently.
        n = self.shape[d]
        if getattr(index, 'size', 0) and getattr(index, 'dtype', None) is not None and index.dtype.kind in 'iu' \
                and not (0 <= int(index.min()) and int(index.max()) < n):
            raise IndexError(f"gather: index out of bounds: indices span [{int(index.min())}, {int(index.max())}] "
                             f"along dim {dim} of size {n} (input shape {self.shape})")
        return sh.Gather.apply(self, index, dim=d)

    def std(self, dim=None, keepdim=False, unbiased=True, correction=None):
        return self.var(dim, keepdim, unbiased, correction).sqrt()

    def norm(self, p='fro', dim=None, keepdim=False):
        """The p-norm over ``dim`` (all elements by default): (Σ|x|ᵖ)^(1/p) for a number p > 0
        (p=2 and 'fro' by one fused op), max|x| for p=inf, min|x| for p=-inf, and for p=0 the
        number of non-zeros (as torch)."""
        if p in ('fro', 2, 2.0):
            return reduce.Norm.apply(self, axis=dim, keepdims=keepdim)
        if isinstance(p, bool) or not isinstance(p, (int, float)):
            raise ValueError(f"norm: p must be 'fro' or a number, got {p!r}")
        if p == float('inf'):
            return self.abs().amax(dim, keepdim)
        if p == -float('inf'):
            return self.abs().amin(dim, keepdim)
        if p == 0:
            return _tensor_type()((self.array != 0).sum(axis=dim, keepdims=keepdim).astype(self.dtype))
        if p < 0:
            raise ValueError(f"norm: p must be positive, 0 or ±inf, got {p!r}")
        if p == 1:
            return self.abs().sum(dim, keepdim)
        return (self.abs() ** p).sum(dim, keepdim) ** (1.0 / p)

    def any(self, dim=None, keepdim=False):
        return _tensor_type()(self.array.astype(bool).any(axis=dim, keepdims=keepdim))

    def all(self, dim=None, keepdim=False):
        return _tensor_type()(self.array.astype(bool).all(axis=dim, keepdims=keepdim))

    def isnan(self):
        return _tensor_type()(get_array_module(self.array).isnan(self.array))

    def isfinite(self):
        return _tensor_type()(get_array_module(self.array).isfinite(self.array))

    # ------------------------------------------------------------ in place
    def add_(self, other, alpha=1):
        return self._assign(self + (other if alpha == 1 else other * alpha), 'add_')

    def sub_(self, other, alpha=1):
        return self._assign(self - (other if alpha == 1 else other * alpha), 'sub_')

    def mul_(self, other):
        return self._assign(self * other, 'mul_')

    def div_(self, other):
        return self._assign(self / other, 'div_')

    def clamp_(self, min=None, max=None):
        return self._assign(self.clamp(min, max), 'clamp_')

    clip_ = clamp_

    def copy_(self, src):
        """Write ``src``'s values (broadcast to this shape, cast to this dtype); the gradient flows to src."""
        tensor = _tensor_type()
        src = src if isinstance(src, tensor) else tensor(src)
        src = src.to(self.device)
        if src.dtype != self.dtype:
            src = src.astype(self.dtype) if src.dtype.kind in 'fc' and self.dtype.kind in 'fc' \
                else tensor(src.array.astype(self.dtype))
        return self._assign(src.expand(self.shape) if src.shape != self.shape else src, 'copy_')

    def fill_(self, value):
        with no_grad():  # made on the tensor's own device: nothing to copy from the host
            filled = _tensor_type()(get_array_module(self.array).full(self.shape, value, dtype=self.dtype))
        return self._assign(filled, 'fill_')

    def zero_(self):
        return self.fill_(0)

    def normal_(self, mean=0.0, std=1.0):
        """Fill with draws from N(mean, std²) (minigrad's seeded generator)."""
        return self._assign(self._constant(generator().normal(mean, std, self.shape)), 'normal_')

    def uniform_(self, a=0.0, b=1.0):
        return self._assign(self._constant(generator().uniform(a, b, self.shape)), 'uniform_')

    def _constant(self, host_values):
        """A constant tensor of this tensor's dtype and device from NumPy values."""
        xp = get_array_module(self.array)
        with no_grad():
            return _tensor_type()(xp.asarray(host_values.astype(self.dtype)))
