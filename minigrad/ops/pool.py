"""Max and average pooling, and max-unpooling (NCHW, PyTorch's conventions).

    MaxPool2d    x (N, C, H, W) -> y (N, C, Ho, Wo), indices (N, C, Ho, Wo) int64
    AvgPool2d    x (N, C, H, W) -> y (N, C, Ho, Wo)
    MaxUnpool2d  x (N, C, H, W), indices -> y (N, C, Ho, Wo)   (zeros except at the indices)

**Windows.** Output pixel (h, w) of a pooling looks at the taps

    xpad[n, c, s·h + d·i, s·w + d·j]      i < kH, j < kW

of the input padded by p on each side (−inf for max, 0 for average) and, in
``ceil_mode``, a little more at the bottom/right so the last window fits.
:func:`sliding_windows` gives all windows at once as a strided *view* of shape
(N, C, Ho, Wo, kH, kW): nothing is copied.

**Max-pool gradient.** Only the maximum of each window gets the gradient:
``dx.flat[index[o]] += g[o]``, with ``index`` flat over H·W into the unpadded
plane (the first maximum in scan order on ties, as torch), one vectorised
scatter-add.  **Average-pool gradient.** Each tap gets ``g / divisor``: the
same strided view, written instead of read, one ``+=`` per tap.

These are the plain kernels; :mod:`minigrad.ops.fast.pool` is max-pooling's
CPU-tuned twin.  Argument checking and sizes: :mod:`minigrad.functional.pool`;
the loop versions the tests compare against: :mod:`minigrad.ops.reference_pool`.
"""
from ..backend import get_array_module
from ..function import Function
from .kernels import kernels_for
from .shape import Gather, ScatterAdd


class MaxPool2d(Function):
    """y[n,c,h,w] = max_{i,j} xpad[n, c, s·h + d·i, s·w + d·j]  (xpad: x padded with −inf).

    x (N, C, H, W) -> (y, indices), both (N, C, Ho, Wo); ``indices`` (int64, flat over
    H·W, not differentiable) is returned only with ``return_indices``.  Gradient:
    dx.flat[index[n,c,h,w]] += g[n,c,h,w].  Saved for backward: the kernel's ``argmax``
    (the int64 indices here; the fast twin keeps the winning tap in one byte), or the
    returned indices themselves when there are any.  Under ``create_graph`` the scatter is a
    :class:`~.shape.ScatterAdd` (whose gradient is the gather g[index]): second derivatives of a
    max-pool are as torch's, with the argmax held fixed.
    """
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation, out_hw, return_indices=False):
        kernels = kernels_for(get_array_module(x), __name__)
        geometry = (kernel, stride, padding, dilation)
        y, argmax = kernels.maxpool_forward(x, *geometry, out_hw, need_argmax=ctx.requires_grad or return_indices)
        ctx.geometry, ctx.in_shape = geometry, x.shape
        if not return_indices:
            ctx.save_for_backward(argmax)
            return y
        indices = kernels.maxpool_indices(argmax, *geometry, x.shape[3])
        ctx.save_for_backward(indices)  # every kernel's backward takes the flat indices too: one array
        ctx.mark_non_differentiable(indices)  # for the caller, a MaxUnpool2d and this backward
        return y, indices

    @staticmethod
    def backward(ctx, grad, grad_indices=None):
        (argmax,) = ctx.saved
        xp = get_array_module(argmax)
        if argmax.size == 0:  # an empty batch (or no channels): nothing to scatter
            return xp.zeros(ctx.in_shape, dtype=grad.dtype)
        kernels = kernels_for(xp, __name__)
        if not ctx.create_graph:  # the tuned scatter (the fast twin reads its one-byte taps)
            return kernels.maxpool_backward(grad, argmax, ctx.in_shape, *ctx.geometry)
        # On Tensors: the same scatter as an op whose adjoint is the gather g = dx.flat[index].
        n, c, h, w = ctx.in_shape
        index = kernels.maxpool_indices(argmax, *ctx.geometry, w).reshape(n * c, -1)
        dx = ScatterAdd.apply(grad.reshape(n * c, -1), index, dim=1, shape=(n * c, h * w))
        return dx.reshape(ctx.in_shape)


class AvgPool2d(Function):
    """y[n,c,h,w] = Σ_{i,j} xpad[n, c, s·h + i, s·w + j] / divisor[h,w]  (xpad: zero-padded x).

    Gradient: every tap of window (h, w) receives g[n,c,h,w] / divisor[h,w].
    See :func:`avg_divisor` for torch's divisor rules.
    """

    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, out_hw, count_include_pad, divisor_override):
        xp = get_array_module(x)
        divisor = avg_divisor(xp, x.shape[2:], kernel, stride, padding, out_hw, count_include_pad,
                              divisor_override, x.dtype)
        ctx.in_hw = x.shape[2:]
        ctx.params = dict(kernel=kernel, stride=stride, padding=padding, out_hw=out_hw,
                          count_include_pad=count_include_pad, divisor_override=divisor_override)
        return avgpool_forward(x, kernel, stride, padding, out_hw, divisor)

    @staticmethod
    def backward(ctx, grad):
        return AvgPool2dGrad.apply(grad, in_hw=ctx.in_hw, **ctx.params)


class AvgPool2dGrad(Function):
    """dx = avg_pool2d's gradient for g (N, C, Ho, Wo): every tap of window (h, w) gets g[n,c,h,w] / divisor[h,w].

    Average pooling is linear, y = A x, and this is dx = Aᵀ g; its own gradient is A again:
    dL/dg = avg_pool2d(G) for an incoming G shaped like x (same geometry and divisors).
    """
    differentiable_backward = True

    @staticmethod
    def forward(ctx, g, in_hw, kernel, stride, padding, out_hw, count_include_pad, divisor_override):
        xp = get_array_module(g)
        divisor = avg_divisor(xp, in_hw, kernel, stride, padding, out_hw, count_include_pad, divisor_override,
                              g.dtype)
        ctx.params = dict(kernel=kernel, stride=stride, padding=padding, out_hw=out_hw,
                          count_include_pad=count_include_pad, divisor_override=divisor_override)
        return avgpool_backward(g, g.shape[:2] + tuple(in_hw), kernel, stride, padding, out_hw, divisor)

    @staticmethod
    def backward(ctx, grad):
        return AvgPool2d.apply(grad, **ctx.params)


class MaxUnpool2d(Function):
    """y = zeros (N, C, Ho, Wo); y[n,c].flat[indices[n,c,h,w]] = x[n,c,h,w].

    Gradient wrt x: the gather dx[n,c,h,w] = g[n,c].flat[indices[n,c,h,w]]; none wrt indices.
    """
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, indices, out_hw):
        ctx.save_for_backward(indices)
        return unpool_forward(x, indices, out_hw)

    @staticmethod
    def backward(ctx, grad):
        (indices,) = ctx.saved
        if not ctx.create_graph:
            return unpool_backward(grad, indices), None
        # On Tensors: the gather as an op (its adjoint, a scatter-add, is its backward).
        n, c = indices.shape[:2]
        dx = Gather.apply(grad.reshape(n * c, -1), indices.reshape(n * c, -1).astype('int64'), dim=1)
        return dx.reshape(indices.shape), None


# --------------------------------------------------------------------------- windows


def pad_for_windows(x, kernel, stride, padding, dilation, out_hw, fill):
    """x padded by ``padding`` on each side and, if windows hang past it (ceil mode), at the end.

    Only as much bottom/right padding as the last window needs; ``x`` itself when none is needed.
    """
    n, c, h, w = x.shape
    need = [(out_hw[a] - 1) * stride[a] + dilation[a] * (kernel[a] - 1) + 1 for a in (0, 1)]
    bottom, right = need[0] - h - padding[0], need[1] - w - padding[1]
    if padding == (0, 0) and bottom <= 0 and right <= 0:
        return x
    xp = get_array_module(x)
    out = xp.full((n, c, h + padding[0] + max(bottom, 0), w + padding[1] + max(right, 0)), fill, dtype=x.dtype)
    out[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + w] = x
    return out


def sliding_windows(xpad, kernel, stride, dilation, out_hw):
    """View of shape (N, C, Ho, Wo, kH, kW): [n, c, h, w, i, j] = xpad[n, c, s·h + d·i, s·w + d·j].

    No copy (do not write to it unless each tap is written separately).
    """
    xp = get_array_module(xpad)
    sn, sc, sh, sw = xpad.strides
    strides = (sn, sc, sh * stride[0], sw * stride[1], sh * dilation[0], sw * dilation[1])
    return xp.lib.stride_tricks.as_strided(xpad, xpad.shape[:2] + tuple(out_hw) + tuple(kernel), strides)


def window_taps(xp, size, kernel, stride, padding, dilation, out_size):
    """(out_size, kernel) array of the input row (or column) each tap of each window reads:
    s·h − p + d·i, which may fall in the padding (< 0 or >= size)."""
    return xp.arange(out_size)[:, None] * stride - padding + xp.arange(kernel)[None, :] * dilation


# --------------------------------------------------------------------------- the plain max-pool kernels


def maxpool_forward(x, kernel, stride, padding, dilation, out_hw, need_argmax=True):
    """(y, argmax): the window maxima and the int64 flat index (over H·W) of each,
    the first maximum in scan order that lies inside x (padding never wins)."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    (kh, kw), (oh, ow) = kernel, out_hw
    win = sliding_windows(pad_for_windows(x, kernel, stride, padding, dilation, out_hw, -xp.inf),
                          kernel, stride, dilation, out_hw)
    taps = win.reshape(n, c, oh, ow, kh * kw)                        # a copy: one row of taps per window
    y = taps.max(axis=-1)
    if not need_argmax:
        return y, None
    rows = window_taps(xp, h, kh, stride[0], padding[0], dilation[0], oh)     # (Ho, kH)
    cols = window_taps(xp, w, kw, stride[1], padding[1], dilation[1], ow)     # (Wo, kW)
    inside = ((rows >= 0) & (rows < h))[:, None, :, None] & ((cols >= 0) & (cols < w))[None, :, None, :]
    # The first tap that holds the maximum (or a NaN, which max propagates) and lies inside x.
    hit = ((taps == y[..., None]) | xp.isnan(taps)) & inside.reshape(oh, ow, kh * kw)
    t = hit.argmax(axis=-1)                                          # (N, C, Ho, Wo) tap numbers
    flat = (rows[:, None, :, None] * w + cols[None, :, None, :]).reshape(oh, ow, kh * kw)
    return y, flat[xp.arange(oh)[:, None], xp.arange(ow)[None, :], t]


def maxpool_indices(argmax, kernel, stride, padding, dilation, in_w):
    """The int64 flat indices ``return_indices`` gives: here ``argmax`` already is them."""
    return argmax


def maxpool_backward(grad, argmax, in_shape, kernel, stride, padding, dilation):
    """dx with dx[n, c].flat[argmax[n, c, h, w]] += grad[n, c, h, w] (windows may share a maximum)."""
    xp = get_array_module(grad)
    n, c, h, w = in_shape
    dx = xp.zeros((n * c, h * w), dtype=grad.dtype)
    planes = xp.arange(n * c)[:, None]
    xp.add.at(dx, (planes, argmax.reshape(n * c, -1)), grad.reshape(n * c, -1))
    return dx.reshape(in_shape)


# --------------------------------------------------------------------------- average pooling kernels


def avg_divisor(xp, in_hw, kernel, stride, padding, out_hw, count_include_pad, divisor_override, dtype):
    """(Ho, Wo) array of torch's divisors.

    Window rows [start, end) with start = s·h − p and end = min(start + k, H + p):
    with ``count_include_pad`` the divisor is its size (padding counted, but not
    the part of a ceil-mode window hanging past the padded border); without, the
    number of real input pixels it covers; ``divisor_override`` replaces both.
    """
    if divisor_override is not None:
        return xp.full(out_hw, divisor_override, dtype=dtype)
    sizes = []
    for a in (0, 1):
        start = xp.arange(out_hw[a]) * stride[a] - padding[a]
        end = xp.minimum(start + kernel[a], in_hw[a] + padding[a])
        if not count_include_pad:
            start, end = xp.maximum(start, 0), xp.minimum(end, in_hw[a])
        sizes.append(end - start)
    return (sizes[0][:, None] * sizes[1][None, :]).astype(dtype)


def avgpool_forward(x, kernel, stride, padding, out_hw, divisor):
    """Sum of each window's taps (one elementwise add per tap), divided by ``divisor``."""
    xp = get_array_module(x)
    win = sliding_windows(pad_for_windows(x, kernel, stride, padding, (1, 1), out_hw, 0),
                          kernel, stride, (1, 1), out_hw)
    y = xp.zeros(win.shape[:4], dtype=x.dtype)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            y += win[..., i, j]
    return y / divisor


def avgpool_backward(grad, in_shape, kernel, stride, padding, out_hw, divisor):
    """Every tap of window o gets grad[o] / divisor[o]; padding's share is dropped."""
    xp = get_array_module(grad)
    n, c, h, w = in_shape
    share = grad / divisor
    need = [(out_hw[a] - 1) * stride[a] + kernel[a] for a in (0, 1)]
    gpad = xp.zeros((n, c, max(need[0], h + padding[0]), max(need[1], w + padding[1])), dtype=grad.dtype)
    win = sliding_windows(gpad, kernel, stride, (1, 1), out_hw)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            win[..., i, j] += share  # one tap of every window: no two of them alias
    return xp.ascontiguousarray(gpad[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + w])


# --------------------------------------------------------------------------- unpooling kernels


def _flat_plane_index(xp, indices, planes, plane_size):
    base = xp.arange(0, planes * plane_size, plane_size, dtype=xp.int64)
    return (indices.reshape(planes, -1).astype(xp.int64, copy=False) + base[:, None]).reshape(-1)


def unpool_forward(x, indices, out_hw):
    """Zeros of (N, C, Ho, Wo) with y[n, c].flat[indices[n, c, h, w]] = x[n, c, h, w]."""
    xp = get_array_module(x)
    n, c = x.shape[:2]
    # BEGIN SOLUTION a4_max_unpool
    # BEGIN PROMPT
    # indices[n, c, h, w] is a flat index into plane (n, c) of the output.  Start from zeros
    # and write every value at its index, with one vectorised assignment: the helper
    # _flat_plane_index above turns per-plane indices into indices of the flattened output.
    # END PROMPT
    y = xp.zeros(n * c * out_hw[0] * out_hw[1], dtype=x.dtype)
    y[_flat_plane_index(xp, indices, n * c, out_hw[0] * out_hw[1])] = x.reshape(-1)
    return y.reshape(n, c, *out_hw)
    # END SOLUTION


def unpool_backward(grad, indices):
    """dx[n, c, h, w] = grad[n, c].flat[indices[n, c, h, w]] (a gather)."""
    xp = get_array_module(grad)
    # BEGIN SOLUTION a4_max_unpool_backward
    # BEGIN PROMPT
    # Each input value went to one output position: its gradient is read back from there
    # (a gather, the mirror of the forward's scatter).
    # END PROMPT
    n, c, oh, ow = grad.shape
    return grad.reshape(-1)[_flat_plane_index(xp, indices, n * c, oh * ow)].reshape(indices.shape)
    # END SOLUTION
