"""Max-pooling kernels of :mod:`minigrad.ops.pool`, tuned for NumPy on a CPU.

Same names, signatures and results as the plain kernels; the difference is
what ``argmax`` is.  Here it is the winning *tap* t = i·kW + j of each window in
the smallest int type (1 byte up to 127 taps, where torch keeps 8-byte
indices), found by a loop over the kH·kW taps of elementwise ``maximum``
(reducing the last two axes of a 6-D view is far slower in NumPy); the flat
index is rebuilt from it only when asked for (:func:`maxpool_indices`) or in
backward (which also accepts the flat indices themselves).  Windows that cannot
overlap scatter by plain assignment instead of ``add.at``.
"""
from ...backend import get_array_module
from ..pool import pad_for_windows, sliding_windows


def _taps(kernel):
    return [(i, j) for i in range(kernel[0]) for j in range(kernel[1])]


def _small_int(xp, count):
    return xp.int8 if count <= 127 else xp.int16 if count <= 32767 else xp.int32


def maxpool_forward(x, kernel, stride, padding, dilation, out_hw, need_argmax=True):
    """(y, argmax or None): the window maxima and the tap i·kW + j of each (first maximum on ties)."""
    xp = get_array_module(x)
    xpad = pad_for_windows(x, kernel, stride, padding, dilation, out_hw, -xp.inf)
    win = sliding_windows(xpad, kernel, stride, dilation, out_hw)
    taps = _taps(kernel)
    if not need_argmax:
        y = win[..., 0, 0].copy()
        for i, j in taps[1:]:
            xp.maximum(y, win[..., i, j], out=y)
        return y, None
    # Taps are visited in increasing t, so "arg = max(arg, t·[v > y])" records the first strict maximum.
    rows = xp.arange(out_hw[0]) * stride[0] - padding[0]  # first input row/col of each window
    cols = xp.arange(out_hw[1]) * stride[1] - padding[1]
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


def maxpool_indices(argmax, kernel, stride, padding, dilation, in_w):
    """Winning tap t = i·kW + j of each window -> its int64 flat index into the unpadded H·W
    plane:  (s·h − p + d·i)·W + (s·w − p + d·j).  Indices (int64) are returned as they are."""
    xp = get_array_module(argmax)
    if argmax.dtype == xp.int64:  # already flat indices (taps are at most int32)
        return argmax
    oh, ow = argmax.shape[-2:]
    rows = xp.arange(oh) * stride[0] - padding[0]
    cols = xp.arange(ow) * stride[1] - padding[1]
    offset = xp.asarray([i * dilation[0] * in_w + j * dilation[1] for i, j in _taps(kernel)], dtype=xp.int64)
    indices = offset[argmax]
    indices += (rows[:, None] * in_w + cols[None, :]).astype(xp.int64)
    return indices


def maxpool_backward(grad, argmax, in_shape, kernel, stride, padding, dilation):
    """dx with dx.flat[index[o]] += grad[o] per (n, c) plane."""
    xp = get_array_module(grad)
    n, c, h, w = in_shape
    indices = maxpool_indices(argmax, kernel, stride, padding, dilation, w)
    dx = xp.zeros(n * c * h * w, dtype=grad.dtype)
    plane = xp.arange(0, n * c * h * w, h * w, dtype=xp.int64)
    flat = (indices.reshape(n * c, -1) + plane[:, None]).reshape(-1)
    if all(stride[a] >= dilation[a] * (kernel[a] - 1) + 1 for a in (0, 1)):  # disjoint windows
        dx[flat] = grad.reshape(-1)
    else:
        xp.add.at(dx, flat, grad.reshape(-1))
    return dx.reshape(in_shape)
