"""max_pool2d, avg_pool2d and max_unpool2d with PyTorch's arguments, checked, over :mod:`minigrad.ops.pool`."""
from ..ops.geometry import pool_out_size, unpool_out_size
from ..ops.pool import AvgPool2d, MaxPool2d, MaxUnpool2d
from .args import check_image, int_pair


def pool_geometry(op, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Validate a pooling's arguments; returns dict(kernel, stride, padding, dilation, out_hw) of pairs."""
    check_image(op, x)
    k = int_pair(kernel_size, 'kernel_size', op, 1)
    s = k if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) \
        else int_pair(stride, 'stride', op, 1)
    p = int_pair(padding, 'padding', op, 0)
    d = int_pair(dilation, 'dilation', op, 1)
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


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-D max pooling, as ``torch.nn.functional.max_pool2d``.

    input (N, C, H, W) -> (N, C, Ho, Wo), Ho = ⌊(H + 2p − d(k−1) − 1)/s⌋ + 1 (⌈⌉ in ceil_mode,
    the last window starting inside the input or the left padding).  ``stride`` defaults to
    ``kernel_size``; padding (−inf) at most kernel_size // 2.  With ``return_indices`` also
    returns an int64 Tensor of flat H·W indices of the maxima (for :func:`max_unpool2d`).
    """
    geometry = pool_geometry('max_pool2d', input, kernel_size, stride, padding, dilation, ceil_mode)
    return MaxPool2d.apply(input, return_indices=bool(return_indices), **geometry)


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
    check_image(op, input)
    k = int_pair(kernel_size, 'kernel_size', op, 1)
    s = k if stride is None else int_pair(stride, 'stride', op, 1)
    p = int_pair(padding, 'padding', op, 0)
    idx = getattr(indices, 'array', indices)
    if not hasattr(idx, 'shape') or tuple(idx.shape) != tuple(input.shape) or idx.dtype.kind not in 'iu':
        raise ValueError(f"{op}: indices must be an integer array of the input's shape {tuple(input.shape)}, got "
                         f"{getattr(idx, 'dtype', type(idx).__name__)} of shape {tuple(getattr(idx, 'shape', ()))}")
    h, w = input.shape[2:]
    default = (unpool_out_size(h, k[0], s[0], p[0]), unpool_out_size(w, k[1], s[1], p[1]))
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
