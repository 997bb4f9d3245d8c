"""Every output-size and padding formula of the spatial ops, once, one axis at a time.

A window of ``kernel`` taps spaced ``dilation`` apart spans d·(k − 1) + 1
pixels; it slides in steps of ``stride`` over the input padded by
``pad_before`` and ``pad_after``.  The ops, the layers, the calculators of
:mod:`minigrad.calc` and the tests all take their sizes from here;
``ops/reference*.py`` write their own formulas out, to stay an independent check.
"""


def pair(value):
    """``3 -> (3, 3)``; a pair stays a pair (PyTorch accepts both for every 2-D size)."""
    return (value, value) if isinstance(value, int) else tuple(value)


def span(kernel, dilation=1):
    """Pixels a dilated window covers: d·(k − 1) + 1."""
    return dilation * (kernel - 1) + 1


def conv_out_size(size, kernel, stride=1, pad_before=0, pad_after=None, dilation=1):
    """Windows of a convolution along one axis: ⌊(size + pads − d·(k − 1) − 1) / s⌋ + 1.

    ``pad_after`` defaults to ``pad_before`` (PyTorch's symmetric padding); a negative pad crops.
    """
    pad_after = pad_before if pad_after is None else pad_after
    return (size + pad_before + pad_after - span(kernel, dilation)) // stride + 1


def same_padding(kernel, dilation=1):
    """(before, after) for ``padding='same'`` (stride 1): d·(k − 1) in all, an odd extra after, as torch."""
    total = dilation * (kernel - 1)
    return total // 2, total - total // 2


def trailing_pad(out_size, in_size, kernel, stride, pad_before, dilation=1):
    """The ``pad_after`` (negative = crop) for which exactly ``out_size`` windows fit in ``in_size``
    and the last one ends on the last padded pixel: the padding a transposed convolution implies."""
    return (out_size - 1) * stride + span(kernel, dilation) - pad_before - in_size


def conv_transpose_out_size(size, kernel, stride=1, padding=0, dilation=1, output_padding=0):
    """Output length of a transposed convolution: (size − 1)·s − 2p + d·(k − 1) + output_padding + 1."""
    return (size - 1) * stride - 2 * padding + span(kernel, dilation) + output_padding


def pool_out_size(size, kernel, stride, padding=0, dilation=1, ceil_mode=False):
    """Output length of a pooling: ⌊(size + 2p − d·(k − 1) − 1) / s⌋ + 1, or ⌈…⌉ in ``ceil_mode``,
    where (as torch) the last window must still start inside the input or the left padding."""
    room = size + 2 * padding - span(kernel, dilation)
    out = (room + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def unpool_out_size(size, kernel, stride, padding=0):
    """Default output length of a max-unpooling, the inverse of a pooling: (size − 1)·s − 2p + k."""
    return (size - 1) * stride - 2 * padding + kernel
