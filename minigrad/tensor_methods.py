"""The everyday Tensor methods that only combine ops (PyTorch's names, argument orders and
defaults): shape helpers, statistics, and the in-place family.

Every in-place method computes its result out of place and hands it to
``Tensor._assign``, the one place that writes into a storage, bumps its version
and moves the tensor onto the result's node.
"""
import numpy

from .backend import get_array_module
from .function import _tensor_type, no_grad
from .ops import elementwise as ew, reduce, shape as sh
from .random import generator


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

    # ------------------------------------------------------------ statistics
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
        return self._assign(self._constant(numpy.full(self.shape, float(value))), 'fill_')

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
