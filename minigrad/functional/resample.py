"""interpolate and upsample with PyTorch's arguments, checked, over :mod:`minigrad.ops.resample`."""
import math

from ..ops.resample import Interpolate
from .args import check_image, int_pair

_MODES = ('nearest', 'bilinear')


def interpolate_geometry(op, x, size=None, scale_factor=None, mode='nearest', align_corners=None,
                         recompute_scale_factor=None):
    """Validate interpolate's arguments; returns dict(size, scales, mode, align_corners)."""
    check_image(op, x)
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
        out = int_pair(size, 'size', op, 1)
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
