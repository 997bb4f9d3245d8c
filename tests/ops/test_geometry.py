"""ops/geometry.py: every size formula against a count of the windows themselves."""
import itertools

from minigrad.ops import geometry as G


def _windows(size, kernel, stride, before, after, dilation):
    """Start positions (in padded coordinates) of the windows that fit, counted one by one."""
    padded, span = size + before + after, dilation * (kernel - 1) + 1
    return [s for s in range(0, max(padded, 0), stride) if s + span <= padded]


GRID = list(itertools.product(range(1, 9), range(1, 4), range(1, 4), range(0, 3), range(1, 3)))


def test_conv_out_size_counts_windows():
    for size, kernel, stride, pad, dilation in GRID:
        _check_conv(size, kernel, stride, pad, dilation)


def _check_conv(size, kernel, stride, pad, dilation):
    for after in (pad, pad + 1, -1):
        expected = len(_windows(size, kernel, stride, pad, after, dilation))
        if expected:
            assert G.conv_out_size(size, kernel, stride, pad, after, dilation) == expected
    # a transposed conv maps back to every size that conv maps to its output
    out = G.conv_out_size(size, kernel, stride, pad, pad, dilation)
    if out >= 1:
        low = G.conv_transpose_out_size(out, kernel, stride, pad, dilation)
        assert low <= size < low + stride
        assert G.conv_transpose_out_size(out, kernel, stride, pad, dilation, size - low) == size
        assert G.trailing_pad(out, size, kernel, stride, pad, dilation) == pad - (size - low)


def test_pool_out_size_ceil_mode():
    checked = 0
    for size, kernel, stride, pad, dilation in GRID:
        if pad <= kernel // 2 and dilation * (kernel - 1) + 1 <= size + 2 * pad:
            _check_pool(size, kernel, stride, pad, dilation)
            checked += 1
    assert checked > 200


def _check_pool(size, kernel, stride, pad, dilation):
    floor = len(_windows(size, kernel, stride, pad, pad, dilation))
    assert G.pool_out_size(size, kernel, stride, pad, dilation, False) == floor
    # ceil mode: windows may hang past the right padding, but must start inside input or left padding
    ceil = len([s for s in range(0, size + 2 * pad, stride) if s < size + pad
                and s + dilation * (kernel - 1) + 1 <= size + 2 * pad + stride - 1])
    assert G.pool_out_size(size, kernel, stride, pad, dilation, True) == ceil


def test_same_padding_unpool_and_pair():
    assert [G.same_padding(k) for k in (1, 2, 3, 4)] == [(0, 0), (0, 1), (1, 1), (1, 2)]
    assert G.same_padding(3, dilation=2) == (2, 2)
    for k, d in ((3, 1), (4, 1), (3, 2), (2, 3)):
        before, after = G.same_padding(k, d)
        assert G.conv_out_size(7, k, 1, before, after, d) == 7
    assert G.unpool_out_size(4, 2, 2) == 8 and G.unpool_out_size(4, 3, 2, 1) == 7
    assert G.pair(3) == (3, 3) and G.pair((1, 2)) == (1, 2) and G.span(3, 2) == 5
