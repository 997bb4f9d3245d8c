"""Ops that move values around without arithmetic: reshape, permute, expand,
indexing, concatenation, stacking and padding.  Their backward moves the
gradient back along the same path.
"""
from ..backend import get_array_module
from ..function import Function


class DimensionError(IndexError, ValueError):
    """A dimension out of range: an IndexError as in torch (and a ValueError, as NumPy's AxisError)."""


def normalize_dim(dim, ndim, op):
    """One dimension as a non-negative int; IndexError naming ``op`` when out of range (as torch)."""
    n = max(ndim, 1)
    if not isinstance(dim, int) and not hasattr(dim, '__index__'):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__} {dim!r}")
    dim = int(dim)
    if not -n <= dim < n:
        raise DimensionError(f"{op}: dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                             f"but got {dim})")
    return dim % n


class Reshape(Function):
    """z = a viewed with a new shape (same number of elements);  dL/da = g reshaped back."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        try:
            return a.reshape(shape)
        except ValueError:
            raise ValueError(f"reshape: cannot view a tensor of shape {tuple(a.shape)} "
                             f"({a.size} elements) as shape {tuple(shape)}") from None

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape)


class Permute(Function):
    """z = a with axes reordered by ``dims``;  dL/da = g with the inverse permutation."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, dims):
        if sorted(d % max(a.ndim, 1) for d in dims) != list(range(a.ndim)):
            raise ValueError(f"permute: dims {tuple(dims)} are not a permutation of the "
                             f"{a.ndim} axes of a tensor of shape {tuple(a.shape)}")
        dims = tuple(d % a.ndim for d in dims)
        ctx.inverse = tuple(sorted(range(len(dims)), key=dims.__getitem__))
        return a.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        return Permute.apply(grad, dims=ctx.inverse)


class Expand(Function):
    """z = a broadcast to ``shape`` (no copy);  the engine sums g back to a's shape."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, shape):
        try:
            return get_array_module(a).broadcast_to(a, shape)
        except ValueError:
            raise ValueError(f"expand: cannot broadcast shape {tuple(a.shape)} to {tuple(shape)}") from None

    @staticmethod
    def backward(ctx, grad):
        return grad


def _has_advanced(index):
    parts = index if isinstance(index, tuple) else (index,)
    return any(hasattr(p, 'shape') or isinstance(p, (list, bool)) for p in parts)


class GetItem(Function):
    """z = a[index] (slices, ints, None, Ellipsis, integer or boolean arrays).

    dL/da = zeros with g scattered back to the indexed places; with integer
    arrays an element picked twice receives both gradients (``add.at``).
    """
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, index):
        index = _index_on_device(index, get_array_module(a))
        ctx.shape, ctx.dtype, ctx.index = a.shape, a.dtype, index
        try:
            return a[index]
        except IndexError as exc:
            raise ValueError(f"getitem: index {index!r} does not fit a tensor of shape "
                             f"{tuple(a.shape)} ({exc})") from None

    @staticmethod
    def backward(ctx, grad):
        return IndexAdd.apply(grad, shape=ctx.shape, index=ctx.index)


class IndexAdd(Function):
    """z = zeros(shape) with a added at ``index`` (GetItem's backward);  dL/da = g[index]."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, shape, index):
        xp = get_array_module(a)
        ctx.index = index
        out = xp.zeros(shape, dtype=a.dtype)
        if _has_advanced(index):
            xp.add.at(out, index, a)  # an element picked twice receives both gradients
        else:
            out[index] = a
        return out

    @staticmethod
    def backward(ctx, grad):
        return GetItem.apply(grad, index=ctx.index)


class Gather(Function):
    """z[..., i, ...] = a[..., index[..., i, ...], ...] along ``dim`` (torch.gather);
    dL/da = g added back at the gathered places (:class:`ScatterAdd`)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, index, dim):
        xp = get_array_module(a, index)
        if index.ndim != a.ndim or index.dtype.kind not in 'iu':
            raise ValueError(f"gather: index must be an integer tensor with as many dims as the input "
                             f"{tuple(a.shape)}, got {index.dtype} {tuple(index.shape)}")
        ctx.index, ctx.dim, ctx.shape = index, dim, a.shape
        return xp.take_along_axis(a, index, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return ScatterAdd.apply(grad, ctx.index, dim=ctx.dim, shape=ctx.shape), None


class ScatterAdd(Function):
    """z = zeros(shape); z[..., index[..., i, ...], ...] += a[..., i, ...] along ``dim``;
    dL/da = gather(g, dim, index)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, index, dim, shape):
        xp = get_array_module(a, index)
        ctx.index, ctx.dim = index, dim
        places = [xp.arange(n).reshape([-1 if k == axis else 1 for k in range(a.ndim)])
                  for axis, n in enumerate(index.shape)]
        places[dim] = index
        out = xp.zeros(shape, dtype=a.dtype)
        xp.add.at(out, tuple(places), a)
        return out

    @staticmethod
    def backward(ctx, grad):
        return Gather.apply(grad, ctx.index, dim=ctx.dim), None


class Clone(Function):
    """z = a copied into new storage;  dL/da = g."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


def _index_on_device(index, xp):
    """Index arrays on the array's device: CuPy's ``add.at`` takes no NumPy index (and a copy
    per use would cost a transfer each time)."""
    if isinstance(index, tuple):
        return tuple(_index_on_device(i, xp) for i in index)
    if getattr(index, 'ndim', 0) > 0 and not isinstance(index, xp.ndarray):
        return xp.asarray(index)
    return index


class Cat(Function):
    """z = concatenation of the inputs along ``dim``;  each input gets its slice of g."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, *arrays, dim=0):
        xp = get_array_module(*arrays, op='cat')
        first = arrays[0]
        d = normalize_dim(dim, first.ndim, 'cat')
        for a in arrays[1:]:
            if a.ndim != first.ndim or any(x != y for i, (x, y) in enumerate(zip(a.shape, first.shape)) if i != d):
                raise ValueError(f"cat: shapes must match except in dim {dim}; got "
                                 f"{[tuple(x.shape) for x in arrays]}")
        ctx.dim, ctx.sizes = d, [a.shape[d] for a in arrays]
        return xp.concatenate(arrays, axis=d)

    @staticmethod
    def backward(ctx, grad):
        out, start = [], 0
        for size in ctx.sizes:
            sl = [slice(None)] * grad.ndim
            sl[ctx.dim] = slice(start, start + size)
            out.append(grad[tuple(sl)])
            start += size
        return tuple(out)


class Stack(Function):
    """z = the inputs stacked along a new axis ``dim``;  input i gets g[..., i, ...]."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, *arrays, dim=0):
        xp = get_array_module(*arrays, op='stack')
        if len({tuple(a.shape) for a in arrays}) > 1:
            raise ValueError(f"stack: all inputs must have the same shape; got "
                             f"{[tuple(a.shape) for a in arrays]}")
        ctx.dim = normalize_dim(dim, arrays[0].ndim + 1, 'stack')
        return xp.stack(arrays, axis=ctx.dim)

    @staticmethod
    def backward(ctx, grad):
        return tuple(grad[(slice(None),) * ctx.dim + (i,)] for i in range(grad.shape[ctx.dim]))


class Pad(Function):
    """Pad the last len(pad)/2 axes, as ``torch.nn.functional.pad``.

    ``pad = (left, right, top, bottom, ...)`` starts at the LAST axis.  Each
    output position reads one input position: ``constant`` reads a fill
    value outside, ``reflect`` mirrors without repeating the edge
    (… 2 1 | 0 1 2 … ), ``replicate`` repeats the edge.  The backward
    scatters g back through the same index map, adding where several outputs
    read one input (the edges, under replicate): that is :class:`PadGrad`, whose own
    gradient is this pad again (padding is linear: z = P a, dL/da = Pᵀ g, and Pᵀ's adjoint is P).
    """
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, pad, mode='constant', value=0.0):
        xp = get_array_module(a)
        if len(pad) % 2 or len(pad) // 2 > a.ndim:
            raise ValueError(f"pad: expected an even-length pad of at most {2 * a.ndim} values "
                             f"for a tensor of shape {tuple(a.shape)}, got {tuple(pad)}")
        if any(p < 0 for p in pad):
            raise ValueError(f"pad: negative padding {tuple(pad)} is not supported")
        widths = [(0, 0)] * a.ndim
        for i in range(len(pad) // 2):
            widths[a.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
        ctx.widths, ctx.mode, ctx.shape, ctx.pad = widths, mode, a.shape, tuple(pad)
        if mode == 'constant':
            return xp.pad(a, widths, mode='constant', constant_values=value)
        if mode not in ('reflect', 'replicate'):
            raise ValueError(f"pad: mode must be 'constant', 'reflect' or 'replicate', got {mode!r}")
        for axis, (lo, hi) in enumerate(widths):
            if mode == 'reflect' and (lo >= a.shape[axis] or hi >= a.shape[axis]) and (lo or hi):
                raise ValueError(f"pad: reflect padding {(lo, hi)} must be smaller than the "
                                 f"size {a.shape[axis]} of axis {axis} (input shape {tuple(a.shape)})")
            if mode == 'replicate' and a.shape[axis] == 0 and (lo or hi):
                raise ValueError(f"pad: cannot replicate-pad empty axis {axis} of shape {tuple(a.shape)}")
        return xp.pad(a, widths, mode='reflect' if mode == 'reflect' else 'edge')

    @staticmethod
    def backward(ctx, grad):
        if ctx.mode == 'constant':
            return grad[tuple(slice(lo, lo + n) for (lo, _), n in zip(ctx.widths, ctx.shape))]
        return PadGrad.apply(grad, pad=ctx.pad, mode=ctx.mode, shape=ctx.shape)


class PadGrad(Function):
    """Reflect/replicate :class:`Pad`'s gradient: g (the padded shape) summed back onto the
    input positions each padded position copied, one axis at a time, to an array of ``shape``.

    Linear in g (dL/dg = Pad(G) for an incoming G of the unpadded shape: same ``pad`` and
    ``mode``), so derivatives of any order of a reflect/replicate pad are pads and PadGrads.
    """
    differentiable_backward = True

    @staticmethod
    def forward(ctx, g, pad, mode, shape):
        xp = get_array_module(g)
        ctx.pad, ctx.mode = pad, mode
        for i in reversed(range(len(pad) // 2)):  # axes in increasing order (pad starts at the last)
            axis, lo, hi = len(shape) - 1 - i, pad[2 * i], pad[2 * i + 1]
            if lo == 0 and hi == 0:
                continue
            n = shape[axis]
            index = _source_index(xp, n, lo, hi, mode)
            moved = xp.moveaxis(g, axis, 0)
            out = xp.zeros((n,) + moved.shape[1:], dtype=g.dtype)
            xp.add.at(out, index, moved)  # several padded positions read one input position
            g = xp.moveaxis(out, 0, axis)
        return g

    @staticmethod
    def backward(ctx, grad):
        return Pad.apply(grad, pad=ctx.pad, mode=ctx.mode)


def _source_index(xp, n, lo, hi, mode):
    """For each padded position along one axis, the input position it copies."""
    pos = xp.arange(-lo, n + hi)
    if mode == 'replicate':
        return xp.clip(pos, 0, n - 1)
    period = 2 * (n - 1) if n > 1 else 1
    pos = xp.abs(pos) % period
    return xp.where(pos >= n, period - pos, pos)
