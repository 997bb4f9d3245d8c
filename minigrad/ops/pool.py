"""Pooling, unpooling and upsampling (NCHW, PyTorch's conventions).

    max_pool2d    x (N, C, H, W) -> y (N, C, Ho, Wo)   (+ indices (N, C, Ho, Wo), int64)
    avg_pool2d    x (N, C, H, W) -> y (N, C, Ho, Wo)
    max_unpool2d  x (N, C, H, W), indices -> y (N, C, Ho, Wo)   (zeros except at the indices)
    interpolate   x (N, C, H, W) -> y (N, C, Ho, Wo)   ('nearest' or 'bilinear')

**Windows.** Output pixel (h, w) of a pooling looks at the taps

    xpad[n, c, s·h + d·i, s·w + d·j]      i < kH, j < kW

of the input padded by p on each side (-inf for max, 0 for average) and, in
``ceil_mode``, a little more at the bottom/right so the last window fits.
:func:`sliding_windows` gives all windows at once as a strided *view* of shape
(N, C, Ho, Wo, kH, kW): nothing is copied.  ``windows[..., i, j]`` is then an
ordinary (N, C, Ho, Wo) array (one tap of every window), so a pooling is a
loop over the kH·kW taps of elementwise ``maximum`` / ``+`` — far faster in
NumPy than reducing the last two axes of the 6-D view directly.

**Max-pool gradient.** Only the maximum of each window gets the gradient:
``dx.flat[index[o]] += g[o]``.  The forward records ``index`` (flat over H·W,
into the unpadded plane, the first maximum in scan order on ties, as torch);
the backward is one vectorised scatter.  Windows that cannot overlap (stride
≥ dilated kernel along both axes) never share an index: a plain assignment
then does it; otherwise ``xp.add.at`` sums duplicates.

**Average-pool gradient.** Each tap gets ``g / divisor``: the same strided
view, written instead of read, one ``+=`` per tap.

**Upsampling is a linear map along each axis**: y = A_h · x · A_wᵀ with
A_h (Ho, H) holding, per output row, the weight of each input row — a single
1 for 'nearest', the two weights (1 − λ, λ) of the neighbours for 'bilinear'
(two per axis: four neighbours in 2-D).  The gradient is the transposed map,
dx = A_hᵀ · g · A_w (the "transposed scatter").  Bilinear forward and both
backwards are computed as these small matrix products (measured 2–20x faster
in NumPy than gathers plus ``add.at``, and GEMMs on the GPU); nearest forward
is a plain gather.

Fast versions only; the naive loop versions that tests compare against live in
:mod:`minigrad.ops.reference_pool`.
"""
import math

from ..backend import get_array_module
from ..function import Function
from .args import pair
from ..tensor import Tensor

# --------------------------------------------------------------------------- arguments and sizes


def pool_out_size(size, kernel, stride, padding, dilation, ceil_mode):
    """torch's output length of a pooling along one axis.

    floor (or ceil) of (size + 2p − d(k−1) − 1) / s, plus 1; in ceil mode the
    last window must still start inside the input or the left padding.
    """
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def _check_input(op, x):
    if len(x.shape) != 4:
        raise ValueError(f"{op}: expected a 4-D input (N, C, H, W), got shape {tuple(x.shape)}")
    if x.dtype.kind != 'f':
        raise TypeError(f"{op}: expected a floating-point input, got dtype {x.dtype} (shape {tuple(x.shape)})")


def pool_geometry(op, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Validate a pooling's arguments; returns dict(kernel, stride, padding, dilation, out_hw) of pairs."""
    _check_input(op, x)
    k = pair(kernel_size, 'kernel_size', op, 1)
    s = k if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) \
        else pair(stride, 'stride', op, 1)
    p = pair(padding, 'padding', op, 0)
    d = pair(dilation, 'dilation', op, 1)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"{op}: padding {p} must be at most half the kernel size {k} "
                         f"(input shape {tuple(x.shape)})")
    size = tuple(x.shape[2:])
    out = tuple(pool_out_size(size[a], k[a], s[a], p[a], d[a], ceil_mode) for a in (0, 1))
    if min(out) < 1:
        raise ValueError(f"{op}: kernel {k} (dilation {d}) is larger than the padded input "
                         f"{size[0] + 2 * p[0]}x{size[1] + 2 * p[1]} (input shape {tuple(x.shape)}, "
                         f"padding {p}, stride {s})")
    for a in (0, 1):  # with dilation a window of only padding is possible; torch returns garbage there
        for o in range(out[a]) if d[a] > 1 else ():
            start = o * s[a] - p[a]
            first = start + max(0, -(start // d[a])) * d[a]  # first tap at or after 0
            if first >= size[a] or first > start + d[a] * (k[a] - 1):
                raise ValueError(f"{op}: window {o} along {'HW'[a]} covers only padding "
                                 f"(input shape {tuple(x.shape)}, kernel {k}, stride {s}, padding {p}, "
                                 f"dilation {d})")
    return dict(kernel=k, stride=s, padding=p, dilation=d, out_hw=out)


# --------------------------------------------------------------------------- window views


def _padded(x, kernel, stride, padding, dilation, out_hw, fill):
    """x padded by ``padding`` on each side and, if windows hang past it (ceil mode), at the end.

    Only as much bottom/right padding as the last window needs; no copy when none is needed.
    """
    n, c, h, w = x.shape
    need = [(out_hw[a] - 1) * stride[a] + dilation[a] * (kernel[a] - 1) + 1 for a in (0, 1)]
    bottom, right = need[0] - h - padding[0], need[1] - w - padding[1]
    if padding == (0, 0) and bottom <= 0 and right <= 0:
        return x
    xp = get_array_module(x)
    hp, wp = h + padding[0] + max(bottom, 0), w + padding[1] + max(right, 0)
    out = xp.full((n, c, hp, wp), fill, dtype=x.dtype)
    out[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + w] = x
    return out


def sliding_windows(xpad, kernel, stride, dilation, out_hw):
    """View of shape (N, C, Ho, Wo, kH, kW): [n, c, h, w, i, j] = xpad[n, c, s·h + d·i, s·w + d·j].

    No copy (do not write to it unless each tap is written separately).  When
    kernel == stride, dilation 1 and the windows tile the input exactly, this is
    simply the reshape (N, C, Ho, kH, Wo, kW) with two axes swapped.
    """
    xp = get_array_module(xpad)
    n, c, hp, wp = xpad.shape
    (kh, kw), (oh, ow) = kernel, out_hw
    if stride == kernel and dilation == (1, 1) and (oh * kh, ow * kw) == (hp, wp) and xpad.flags.c_contiguous:
        return xpad.reshape(n, c, oh, kh, ow, kw).transpose(0, 1, 2, 4, 3, 5)
    sn, sc, sh, sw = xpad.strides
    strides = (sn, sc, sh * stride[0], sw * stride[1], sh * dilation[0], sw * dilation[1])
    return xp.lib.stride_tricks.as_strided(xpad, (n, c, oh, ow, kh, kw), strides)


def _taps(kernel):
    return [(i, j) for i in range(kernel[0]) for j in range(kernel[1])]


# --------------------------------------------------------------------------- max pooling kernels


def _small_int(xp, count):
    return xp.int8 if count <= 127 else xp.int16 if count <= 32767 else xp.int32


def maxpool_forward(x, kernel, stride, padding, dilation, out_hw, with_indices=True):
    """(y, arg or None): the window maxima and the tap i·kW + j of each (first maximum on ties),
    in the smallest int type (1 byte up to 127 taps); :func:`tap_to_flat` turns it into indices."""
    xp = get_array_module(x)
    h, w = x.shape[2:]
    xpad = _padded(x, kernel, stride, padding, dilation, out_hw, -xp.inf)
    win = sliding_windows(xpad, kernel, stride, dilation, out_hw)
    taps = _taps(kernel)
    if not with_indices:
        y = win[..., 0, 0].copy()
        for i, j in taps[1:]:
            xp.maximum(y, win[..., i, j], out=y)
        return y, None
    # Track the tap number t = i·kW + j of the best value in a small int array.  Taps are
    # visited in increasing t, so "arg = max(arg, t·[v > y])" records the first strict maximum.
    oh, ow = out_hw
    rows = xp.arange(oh) * stride[0] - padding[0]  # first input row/col of each window
    cols = xp.arange(ow) * stride[1] - padding[1]
    small = _small_int(xp, len(taps))
    if xpad is x:
        y, arg, first = win[..., 0, 0].copy(), xp.zeros(win.shape[:4], dtype=small), 1
    else:  # start below every value: padding (-inf) never wins, a window of -inf keeps its first real tap
        first_i = -(xp.minimum(rows, 0) // dilation[0])  # ceil(max(-row, 0) / d): first tap inside
        first_j = -(xp.minimum(cols, 0) // dilation[1])
        start = (first_i[:, None] * kernel[1] + first_j[None, :]).astype(small)
        y = xp.full(win.shape[:4], -xp.inf, dtype=x.dtype)
        arg, first = xp.broadcast_to(start, y.shape).copy(), 0
    bigger = xp.empty(y.shape, dtype=bool)
    scaled = xp.empty(y.shape, dtype=small)
    for t in range(first, len(taps)):
        v = win[..., taps[t][0], taps[t][1]]
        xp.greater(v, y, out=bigger)
        xp.maximum(y, v, out=y)
        xp.multiply(bigger, small(t), out=scaled)
        xp.maximum(arg, scaled, out=arg)
    return y, arg


def tap_to_flat(arg, kernel, stride, padding, dilation, w):
    """Winning tap t = i·kW + j of each window -> its flat index into the unpadded H·W plane
    (int64, torch's ``return_indices``):  (s·h − p + d·i)·W + (s·w − p + d·j)."""
    xp = get_array_module(arg)
    oh, ow = arg.shape[-2:]
    rows = xp.arange(oh) * stride[0] - padding[0]
    cols = xp.arange(ow) * stride[1] - padding[1]
    offset = xp.asarray([i * dilation[0] * w + j * dilation[1] for i, j in _taps(kernel)], dtype=xp.int64)
    indices = offset[arg]
    indices += (rows[:, None] * w + cols[None, :]).astype(xp.int64)
    return indices


def maxpool_backward(grad, indices, in_shape, disjoint):
    """dx with dx.flat[indices[o]] += grad[o] per (n, c) plane; ``disjoint``: no index repeats."""
    xp = get_array_module(grad)
    n, c, h, w = in_shape
    dx = xp.zeros(n * c * h * w, dtype=grad.dtype)
    plane = xp.arange(0, n * c * h * w, h * w, dtype=xp.int64)
    flat = (indices.reshape(n * c, -1) + plane[:, None]).reshape(-1)
    if disjoint:
        dx[flat] = grad.reshape(-1)
    else:
        xp.add.at(dx, flat, grad.reshape(-1))
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
    xp = get_array_module(x)
    xpad = _padded(x, kernel, stride, padding, (1, 1), out_hw, 0)
    win = sliding_windows(xpad, kernel, stride, (1, 1), out_hw)
    taps = _taps(kernel)
    y = win[..., 0, 0].copy()
    for i, j in taps[1:]:
        xp.add(y, win[..., i, j], out=y)
    y /= divisor
    return y


def avgpool_backward(grad, in_shape, kernel, stride, padding, out_hw, divisor):
    """Every tap of window o gets grad[o] / divisor[o]; padding's share is dropped."""
    xp = get_array_module(grad)
    n, c, h, w = in_shape
    share = grad / divisor
    need = [(out_hw[a] - 1) * stride[a] + kernel[a] for a in (0, 1)]
    gpad = xp.zeros((n, c, max(need[0], h + padding[0]), max(need[1], w + padding[1])), dtype=grad.dtype)
    win = sliding_windows(gpad, kernel, stride, (1, 1), out_hw)
    for i, j in _taps(kernel):
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


# --------------------------------------------------------------------------- interpolation kernels


def nearest_source(xp, in_size, out_size, scale):
    """Input index of each output index, torch's legacy 'nearest': floor(dst · in/out).

    ``scale`` is the user's scale_factor (then 1/scale_factor replaces in/out) or
    None.  Like torch, computed in float32, and out == in / out == 2·in are the
    exact copies dst / dst // 2 whatever the scale factor.
    """
    dst = xp.arange(out_size)
    if out_size == in_size:
        return dst
    if out_size == 2 * in_size:
        return dst // 2
    f32 = xp.float32  # the NumPy scalar type (CuPy re-exports it)
    ratio = f32(1.0 / scale) if scale else f32(in_size) / f32(out_size)
    return xp.minimum(xp.floor(dst.astype(xp.float32) * ratio).astype(xp.int64), in_size - 1)


def linear_source(xp, in_size, out_size, scale, align_corners, dtype):
    """(i0, i1, w0, w1): each output index reads w0·x[i0] + w1·x[i1] (torch's 'bilinear' along one axis).

    Source coordinate u of output index dst (computed in ``dtype``, as torch):
      align_corners=True:  u = dst · (in − 1)/(out − 1)    (corner pixels' centres meet)
      align_corners=False: u = max((dst + ½) · r − ½, 0)    r = 1/scale_factor or in/out
    then i0 = floor(u), i1 = min(i0 + 1, in − 1), w1 = u − i0, w0 = 1 − w1.
    An axis whose size does not change is copied as is (u = dst), as torch does
    even when a scale factor other than 1 was given.
    """
    ftype = dtype.type  # scalar arithmetic in the array's precision
    dst = xp.arange(out_size, dtype=dtype)
    if out_size == in_size:
        src = dst
    elif align_corners:
        ratio = ftype(in_size - 1) / ftype(out_size - 1) if out_size > 1 else ftype(0)
        src = dst * ratio
    else:
        ratio = ftype(1.0 / scale) if scale else ftype(in_size) / ftype(out_size)
        src = xp.maximum((dst + ftype(0.5)) * ratio - ftype(0.5), ftype(0))
    i0 = xp.minimum(xp.floor(src).astype(xp.int64), in_size - 1)
    w1 = xp.clip(src - i0.astype(dtype), 0, 1).astype(dtype)
    i1 = xp.minimum(i0 + 1, in_size - 1)
    return i0, i1, (1 - w1).astype(dtype), w1


def interp_matrix(xp, in_size, out_size, scale, mode, align_corners, dtype):
    """A (out, in): row o holds the weights output index o gives each input index."""
    a = xp.zeros((out_size, in_size), dtype=dtype)
    rows = xp.arange(out_size)
    if mode == 'nearest':
        a[rows, nearest_source(xp, in_size, out_size, scale)] = 1
    else:
        i0, i1, w0, w1 = linear_source(xp, in_size, out_size, scale, align_corners, dtype)
        a[rows, i0] = w0
        a[rows, i1] += w1  # i1 == i0 at the last row/column: the weights add up to 1
    return a


# --------------------------------------------------------------------------- Functions


class MaxPool2d(Function):
    """y[n,c,h,w] = max_{i,j} xpad[n, c, s·h + d·i, s·w + d·j]  (xpad: x padded with −inf).

    x (N, C, H, W) -> y (N, C, Ho, Wo).  Gradient: dx.flat[index[n,c,h,w]] += g[n,c,h,w]
    for the recorded argmax (first maximum on ties).  Saved for backward: the winning
    tap of each window, 1 byte (torch keeps 8-byte indices).  ``indices_out``: a list
    that receives the int64 index array (how ``return_indices`` gets it); then that
    array is saved instead, shared with a MaxUnpool2d that uses it.
    """

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation, out_hw, indices_out=None):
        need = ctx.requires_grad or indices_out is not None
        y, arg = maxpool_forward(x, kernel, stride, padding, dilation, out_hw, with_indices=need)
        geometry = (kernel, stride, padding, dilation, x.shape[3])
        if indices_out is not None:  # save the returned indices: a MaxUnpool2d keeps the same array
            indices_out.append(tap_to_flat(arg, *geometry))
            ctx.save_for_backward(indices_out[-1])
        else:  # 1 byte per output instead of torch's 8: the flat index is rebuilt in backward
            ctx.save_for_backward(arg)
        ctx.geometry, ctx.saved_taps = geometry, indices_out is None
        ctx.in_shape = x.shape
        ctx.disjoint = all(stride[a] >= dilation[a] * (kernel[a] - 1) + 1 for a in (0, 1))
        return y

    @staticmethod
    def backward(ctx, grad):
        (saved,) = ctx.saved
        indices = tap_to_flat(saved, *ctx.geometry) if ctx.saved_taps else saved
        return (maxpool_backward(grad, indices, ctx.in_shape, ctx.disjoint),)


class AvgPool2d(Function):
    """y[n,c,h,w] = Σ_{i,j} xpad[n, c, s·h + i, s·w + j] / divisor[h,w]  (xpad: zero-padded x).

    Gradient: every tap of window (h, w) receives g[n,c,h,w] / divisor[h,w].
    See :func:`avg_divisor` for torch's divisor rules.
    """

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, out_hw, count_include_pad, divisor_override):
        xp = get_array_module(x)
        divisor = avg_divisor(xp, x.shape[2:], kernel, stride, padding, out_hw, count_include_pad,
                              divisor_override, x.dtype)
        ctx.save_for_backward(divisor)
        ctx.geometry = (x.shape, kernel, stride, padding, out_hw)
        return avgpool_forward(x, kernel, stride, padding, out_hw, divisor)

    @staticmethod
    def backward(ctx, grad):
        (divisor,) = ctx.saved
        in_shape, kernel, stride, padding, out_hw = ctx.geometry
        return (avgpool_backward(grad, in_shape, kernel, stride, padding, out_hw, divisor),)


class MaxUnpool2d(Function):
    """y = zeros (N, C, Ho, Wo); y[n,c].flat[indices[n,c,h,w]] = x[n,c,h,w].

    Gradient wrt x: the gather dx[n,c,h,w] = g[n,c].flat[indices[n,c,h,w]]; none wrt indices.
    """

    @staticmethod
    def forward(ctx, x, indices, out_hw):
        ctx.save_for_backward(indices)
        return unpool_forward(x, indices, out_hw)

    @staticmethod
    def backward(ctx, grad):
        (indices,) = ctx.saved
        return unpool_backward(grad, indices), None


class Interpolate(Function):
    """y = A_h · x · A_wᵀ over the last two axes, A_h (Ho, H) and A_w (Wo, W) from :func:`interp_matrix`.

    Gradient: dx = A_hᵀ · g · A_w (each output pixel sends its gradient back to the
    input pixels it read, with the same weights).
    """

    @staticmethod
    def forward(ctx, x, size, scales, mode, align_corners):
        xp = get_array_module(x)
        (h, w), (oh, ow) = x.shape[2:], size
        if mode == 'nearest':  # a pure gather: no arithmetic at all
            rows = nearest_source(xp, h, oh, scales[0])
            cols = nearest_source(xp, w, ow, scales[1])
            y = x.take(rows, axis=2).take(cols, axis=3)  # two 1-D gathers beat one 2-D fancy index
        if mode == 'bilinear' or ctx.requires_grad:
            ah = interp_matrix(xp, h, oh, scales[0], mode, align_corners, x.dtype)
            aw = interp_matrix(xp, w, ow, scales[1], mode, align_corners, x.dtype)
            ctx.save_for_backward(ah, aw)
        if mode == 'bilinear':
            y = xp.matmul(ah, xp.matmul(x, aw.T))
        return y

    @staticmethod
    def backward(ctx, grad):
        ah, aw = ctx.saved
        xp = get_array_module(grad)
        return (xp.matmul(ah.T, xp.matmul(grad, aw)),)


# --------------------------------------------------------------------------- public functions


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-D max pooling, as ``torch.nn.functional.max_pool2d``.

    input (N, C, H, W) -> (N, C, Ho, Wo), Ho = ⌊(H + 2p − d(k−1) − 1)/s⌋ + 1 (⌈⌉ in ceil_mode,
    the last window starting inside the input or the left padding).  ``stride`` defaults to
    ``kernel_size``; padding (−inf) at most kernel_size // 2.  With ``return_indices`` also
    returns an int64 Tensor of flat H·W indices of the maxima (for :func:`max_unpool2d`).
    """
    geometry = pool_geometry('max_pool2d', input, kernel_size, stride, padding, dilation, ceil_mode)
    holder = [] if return_indices else None
    y = MaxPool2d.apply(input, indices_out=holder, **geometry)
    if return_indices:
        return y, Tensor(holder[0])
    return y


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-D average pooling, as ``torch.nn.functional.avg_pool2d`` (same divisor rules, see :func:`avg_divisor`)."""
    op = 'avg_pool2d'
    geometry = pool_geometry(op, input, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and (isinstance(divisor_override, bool) or not isinstance(divisor_override, int)
                                         or divisor_override == 0):
        raise ValueError(f"{op}: divisor_override must be a non-zero int or None, got {divisor_override!r}")
    del geometry['dilation']
    return AvgPool2d.apply(input, count_include_pad=bool(count_include_pad),
                           divisor_override=divisor_override, **geometry)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of max_pool2d, as ``torch.nn.functional.max_unpool2d``.

    Puts input[n,c,h,w] at flat position indices[n,c,h,w] of a zero (N, C, Ho, Wo) plane,
    Ho = (H − 1)·s − 2p + kH unless ``output_size`` ((Ho, Wo) or (N, C, Ho, Wo)) is given,
    which must lie strictly within stride of that default.
    """
    op = 'max_unpool2d'
    _check_input(op, input)
    k = pair(kernel_size, 'kernel_size', op, 1)
    s = k if stride is None else pair(stride, 'stride', op, 1)
    p = pair(padding, 'padding', op, 0)
    idx = getattr(indices, 'data', indices)
    if not hasattr(idx, 'shape') or tuple(idx.shape) != tuple(input.shape) or idx.dtype.kind not in 'iu':
        raise ValueError(f"{op}: indices must be an integer array of the input's shape {tuple(input.shape)}, got "
                         f"{getattr(idx, 'dtype', type(idx).__name__)} of shape {tuple(getattr(idx, 'shape', ()))}")
    h, w = input.shape[2:]
    default = ((h - 1) * s[0] - 2 * p[0] + k[0], (w - 1) * s[1] - 2 * p[1] + k[1])
    if output_size is None:
        out_hw = default
    else:
        given = tuple(int(v) for v in output_size)
        out_hw = given[-2:]
        if len(given) not in (2, 4) or any(not default[a] - s[a] < out_hw[a] < default[a] + s[a] for a in (0, 1)):
            raise ValueError(f"{op}: output_size {tuple(output_size)} must be (H, W) or (N, C, H, W) with each of "
                             f"H, W strictly within stride {s} of the default {default} (input shape "
                             f"{tuple(input.shape)})")
    if min(out_hw) < 1:
        raise ValueError(f"{op}: output size {out_hw} is empty (input shape {tuple(input.shape)}, kernel {k}, "
                         f"stride {s}, padding {p})")
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= out_hw[0] * out_hw[1]:
            raise ValueError(f"{op}: indices must lie in [0, {out_hw[0] * out_hw[1]}) for an output plane of "
                             f"{out_hw[0]}x{out_hw[1]}, found {lo if lo < 0 else hi} (input shape "
                             f"{tuple(input.shape)})")
    return MaxUnpool2d.apply(input, indices, out_hw=out_hw)


_MODES = ('nearest', 'bilinear')


def interpolate_geometry(op, x, size=None, scale_factor=None, mode='nearest', align_corners=None,
                         recompute_scale_factor=None):
    """Validate interpolate's arguments; returns dict(size, scales, mode, align_corners)."""
    _check_input(op, x)
    if mode not in _MODES:
        raise ValueError(f"{op}: mode must be one of {_MODES}, got {mode!r}")
    if mode == 'nearest' and align_corners is not None:
        raise ValueError(f"{op}: align_corners can only be set with mode='bilinear', got mode={mode!r}")
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: give exactly one of size and scale_factor, got size={size!r}, "
                         f"scale_factor={scale_factor!r}")
    h, w = x.shape[2:]
    if size is not None:
        if recompute_scale_factor:
            raise ValueError(f"{op}: recompute_scale_factor is meaningless with an explicit size")
        out = pair(size, 'size', op, 1)
        scales = (None, None)
    else:
        factors = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else (scale_factor, scale_factor)
        if len(factors) != 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0
                                        for v in factors):
            raise ValueError(f"{op}: scale_factor must be a positive number or a pair of them, got {scale_factor!r}")
        scales = tuple(float(v) for v in factors)
        out = (math.floor(h * scales[0]), math.floor(w * scales[1]))
        if min(out) < 1:
            raise ValueError(f"{op}: scale_factor {scale_factor!r} makes an empty output {out} from input shape "
                             f"{tuple(x.shape)}")
        if recompute_scale_factor:
            scales = (None, None)
    return dict(size=out, scales=scales, mode=mode, align_corners=bool(align_corners))


def interpolate(input, size=None, scale_factor=None, mode='nearest', align_corners=None,
                recompute_scale_factor=None):
    """Resize (N, C, H, W) to (N, C, Ho, Wo), as ``torch.nn.functional.interpolate`` for 2-D images.

    Give ``size`` (int or (Ho, Wo)) or ``scale_factor`` (Ho = ⌊H·scale⌋).  ``mode``: 'nearest'
    (torch's legacy rule src = ⌊dst·in/out⌋) or 'bilinear' (see :func:`linear_source` for both
    ``align_corners`` conventions; default False).
    """
    geometry = interpolate_geometry('interpolate', input, size, scale_factor, mode, align_corners,
                                    recompute_scale_factor)
    return Interpolate.apply(input, **geometry)


def upsample(input, size=None, scale_factor=None, mode='nearest', align_corners=None):
    """Old name of :func:`interpolate` (``torch.nn.functional.upsample``)."""
    return interpolate(input, size, scale_factor, mode, align_corners)


__all__ = ['max_pool2d', 'avg_pool2d', 'max_unpool2d', 'interpolate', 'upsample']
