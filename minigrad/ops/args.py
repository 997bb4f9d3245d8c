"""Argument checks shared by the spatial ops (conv, pooling, interpolation)."""


def pair(value, name, op, minimum):
    """An int or a pair of ints -> (a, b), each >= ``minimum``; else a ValueError naming ``op``.

    PyTorch accepts ``stride=2`` and ``stride=(2, 1)`` alike; so do we.
    """
    both = (value, value) if isinstance(value, int) else tuple(value) if isinstance(value, (tuple, list)) else None
    if both is None or len(both) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in both):
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if min(both) < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return both
