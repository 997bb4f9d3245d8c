"""dropout and dropout2d with PyTorch's arguments, over :mod:`minigrad.ops.dropout`.

Masks come from :func:`minigrad.random.generator` on the CPU, then move to the
input's device, so a seed reproduces a run on either backend.
"""
from ..backend import device_of, to_device
from ..ops.dropout import Dropout
from ..random import generator
from ..tensor import Tensor


def check_p(op, p):
    if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p!r}")


def _apply_mask(op, x, p, mask_shape):
    if x.dtype.kind != 'f':
        raise TypeError(f"{op}: expected a floating-point input, got dtype {x.dtype}")
    keep = generator().random(mask_shape) >= p  # P(keep) = 1 − p
    keep = to_device(keep, device_of(x.array if isinstance(x, Tensor) else x))
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    return Dropout.apply(x, keep=keep, scale=scale)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by 1/(1 − p)
    (as ``torch.nn.functional.dropout``; the identity when not ``training`` or p = 0).
    ``inplace`` is accepted for compatibility; the result is always a new tensor."""
    check_p('dropout', p)
    if not training or p == 0:
        return input
    return _apply_mask('dropout', input, p, tuple(input.shape))


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels: input (N, C, H, W) (or unbatched (C, H, W)); each (n, c)
    feature map is dropped with probability ``p``, survivors are scaled by 1/(1 − p)."""
    check_p('dropout2d', p)
    if input.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, "
                         f"got shape {tuple(input.shape)}")
    if not training or p == 0:
        return input
    lead = 1 if input.ndim == 3 else 2
    shape = tuple(input.shape[:lead]) + (1,) * (input.ndim - lead)
    return _apply_mask('dropout2d', input, p, shape)
