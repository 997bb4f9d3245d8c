"""Ops that move values around without arithmetic: reshape, permute, expand,
indexing, concatenation, stacking and padding.  Their backward moves the
gradient back along the same path.
"""
from ..backend import get_array_module
from ..function import Function


class Reshape(Function):
    """z = a viewed with a new shape (same number of elements);  dL/da = g reshaped back."""

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
        return grad.transpose(ctx.inverse)


class Expand(Function):
    """z = a broadcast to ``shape`` (no copy);  the engine sums g back to a's shape."""

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
        xp = get_array_module(grad)
        out = xp.zeros(ctx.shape, dtype=grad.dtype)
        if _has_advanced(ctx.index):
            xp.add.at(out, ctx.index, grad)
        else:
            out[ctx.index] = grad
        return out


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

    @staticmethod
    def forward(ctx, *arrays, dim=0):
        xp = get_array_module(*arrays, op='cat')
        first = arrays[0]
        d = dim % first.ndim
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

    @staticmethod
    def forward(ctx, *arrays, dim=0):
        xp = get_array_module(*arrays, op='stack')
        if len({tuple(a.shape) for a in arrays}) > 1:
            raise ValueError(f"stack: all inputs must have the same shape; got "
                             f"{[tuple(a.shape) for a in arrays]}")
        ctx.dim = dim % (arrays[0].ndim + 1)
        return xp.stack(arrays, axis=ctx.dim)

    @staticmethod
    def backward(ctx, grad):
        xp = get_array_module(grad)
        return tuple(xp.take(grad, i, axis=ctx.dim) for i in range(grad.shape[ctx.dim]))


class Pad(Function):
    """Pad the last len(pad)/2 axes, as ``torch.nn.functional.pad``.

    ``pad = (left, right, top, bottom, ...)`` starts at the LAST axis.  Each
    output position reads one input position: ``constant`` reads a fill
    value outside, ``reflect`` mirrors without repeating the edge
    (… 2 1 | 0 1 2 … ), ``replicate`` repeats the edge.  The backward
    scatters g back through the same index map, adding where several outputs
    read one input (the edges, under replicate).
    """

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
        ctx.widths, ctx.mode, ctx.shape = widths, mode, a.shape
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
        xp = get_array_module(grad)
        if ctx.mode == 'constant':
            return grad[tuple(slice(lo, lo + n) for (lo, _), n in zip(ctx.widths, ctx.shape))]
        for axis, (lo, hi) in enumerate(ctx.widths):
            if lo == 0 and hi == 0:
                continue
            n = ctx.shape[axis]
            index = _source_index(xp, n, lo, hi, ctx.mode)
            moved = xp.moveaxis(grad, axis, 0)
            out = xp.zeros((n,) + moved.shape[1:], dtype=grad.dtype)
            xp.add.at(out, index, moved)
            grad = xp.moveaxis(out, 0, axis)
        return grad


def _source_index(xp, n, lo, hi, mode):
    """For each padded position along one axis, the input position it copies."""
    pos = xp.arange(-lo, n + hi)
    if mode == 'replicate':
        return xp.clip(pos, 0, n - 1)
    period = 2 * (n - 1) if n > 1 else 1
    pos = xp.abs(pos) % period
    return xp.where(pos >= n, period - pos, pos)
