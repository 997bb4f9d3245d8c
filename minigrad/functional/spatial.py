"""adaptive_avg_pool2d, pixel_shuffle and pixel_unshuffle with PyTorch's arguments, checked.

pixel_shuffle (Shi et al., 2016, "sub-pixel convolution") moves channels into space:

    (*, C·r², H, W) -> (*, C, H·r, W·r),   y[c, h·r + a, w·r + b] = x[c·r² + a·r + b, h, w]

which is a reshape to (*, C, r, r, H, W), a permutation to (*, C, H, r, W, r) and a
reshape: no arithmetic, so its gradient (and every higher one) is the inverse moves.
"""
from ..ops.adaptive_pool import AdaptiveAvgPool2d


def _size(op, value, default, name):
    """An int >= 0 (or None: keep ``default``), else a ValueError naming ``op``."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{op}: {name} must hold ints >= 0 (or None), got {value!r}")
    return value


def adaptive_avg_pool2d(input, output_size):
    """Average over adaptive windows to an output of ``output_size`` (an int, or a pair whose
    entries may be None: keep that input size), as ``torch.nn.functional.adaptive_avg_pool2d``.
    input (N, C, H, W) or (C, H, W); window i spans ⌊i·H/Ho⌋ … ⌈(i+1)·H/Ho⌉ − 1."""
    op = 'adaptive_avg_pool2d'
    if not hasattr(input, 'shape'):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in (3, 4) or 0 in input.shape[-2:]:
        raise ValueError(f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input with non-zero H and W, "
                         f"got shape {tuple(input.shape)}")
    if input.dtype.kind != 'f':
        raise TypeError(f"{op}: expected a floating-point input, got dtype {input.dtype}")
    pair = (output_size, output_size) if output_size is None or isinstance(output_size, int) else tuple(output_size)
    if len(pair) != 2:
        raise ValueError(f"{op}: output_size must be an int or a pair, got {output_size!r}")
    h, w = input.shape[-2:]
    size = (_size(op, pair[0], h, 'output_size'), _size(op, pair[1], w, 'output_size'))
    return AdaptiveAvgPool2d.apply(input, output_size=size)


def _factor(op, value, name):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{op}: {name} must be a positive int, got {value!r}")
    return value


def pixel_shuffle(input, upscale_factor):
    """(*, C·r², H, W) -> (*, C, H·r, W·r) with r = ``upscale_factor`` (module docstring)."""
    op = 'pixel_shuffle'
    r = _factor(op, upscale_factor, 'upscale_factor')
    if input.ndim < 3 or input.shape[-3] % (r * r):
        raise ValueError(f"{op}: expected an input of shape (*, C·r², H, W) with C·r² divisible by "
                         f"r² = {r * r}, got shape {tuple(input.shape)}")
    *batch, c, h, w = input.shape
    nb = len(batch)
    x = input.reshape(*batch, c // (r * r), r, r, h, w)
    x = x.permute(*range(nb), nb, nb + 3, nb + 1, nb + 4, nb + 2)   # (*, C, H, r, W, r)
    return x.reshape(*batch, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """The inverse of :func:`pixel_shuffle`: (*, C, H·r, W·r) -> (*, C·r², H, W)."""
    op = 'pixel_unshuffle'
    r = _factor(op, downscale_factor, 'downscale_factor')
    if input.ndim < 3 or input.shape[-2] % r or input.shape[-1] % r:
        raise ValueError(f"{op}: expected an input of shape (*, C, H·r, W·r) with H and W divisible by "
                         f"r = {r}, got shape {tuple(input.shape)}")
    *batch, c, hr, wr = input.shape
    nb = len(batch)
    x = input.reshape(*batch, c, hr // r, r, wr // r, r)
    x = x.permute(*range(nb), nb, nb + 2, nb + 4, nb + 1, nb + 3)   # (*, C, r, r, H, W)
    return x.reshape(*batch, c * r * r, hr // r, wr // r)
