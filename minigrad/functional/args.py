"""Argument checks shared by the spatial functions (conv, pooling, interpolation)."""


def int_pair(value, name, op, minimum):
    """An int or a pair of ints -> (a, b), each >= ``minimum``; else a ValueError naming ``op``.

    PyTorch accepts ``stride=2`` and ``stride=(2, 1)`` alike; so do we.
    """
    both = (value, value) if isinstance(value, int) else tuple(value) if isinstance(value, (tuple, list)) else None
    if both is None or len(both) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in both):
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if min(both) < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return both


def check_image(op, x):
    """A 4-D (N, C, H, W) floating-point array or Tensor, else a clear error."""
    if not hasattr(x, 'shape'):
        raise TypeError(f"{op}: input must be a Tensor, got {type(x).__name__}")
    if len(x.shape) != 4:
        raise ValueError(f"{op}: expected a 4-D input (N, C, H, W), got shape {tuple(x.shape)}")
    if x.dtype.kind != 'f':
        raise TypeError(f"{op}: expected a floating-point input, got dtype {x.dtype} (shape {tuple(x.shape)})")
