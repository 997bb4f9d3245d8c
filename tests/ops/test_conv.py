"""conv2d / conv_transpose2d: the plain and the fast im2col kernels (tests/ops/conftest.py runs
every test on both) against the naive loop references, float64 gradchecks, argument errors,
and (when installed) PyTorch."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
from minigrad.ops import conv as C
from minigrad.ops import reference as R
from minigrad.ops.fast import columns as FI
from minigrad.ops.fast import conv as FC
from minigrad.testing import as_numpy

# (N, C_in, H, W, C_out, (kH, kW), stride, padding, dilation, groups, bias)
CONV_CASES = [
    (1, 3, 5, 5, 4, (3, 3), 1, 1, 1, 1, True),            # batch 1
    (2, 3, 7, 5, 4, (3, 3), 1, 0, 1, 1, False),           # odd H/W, no padding
    (2, 4, 6, 7, 6, (2, 3), 1, (1, 2), 1, 1, True),       # non-square kernel, padding = k-1
    (2, 2, 9, 8, 3, (2, 2), 3, 0, 1, 1, True),            # stride > kernel
    (1, 2, 11, 9, 3, (1, 1), 4, 0, 1, 1, False),          # 1x1, stride > kernel
    (2, 3, 8, 8, 5, (3, 3), 2, 2, 1, 1, True),            # stride 2, padding = k-1
    (2, 3, 9, 10, 4, (3, 3), 1, 1, 2, 1, True),           # dilation 2
    (1, 2, 11, 9, 2, (3, 2), (2, 1), (0, 1), (3, 2), 1, False),  # dilation 3, mixed stride
    (2, 4, 7, 7, 6, (3, 3), 1, 1, 1, 2, True),            # groups 2
    (2, 4, 8, 7, 4, (3, 3), 2, 1, 1, 4, True),            # depthwise, strided
    (1, 3, 6, 6, 6, (3, 3), 1, 2, 2, 3, False),           # depthwise multiplier 2, dilated
    (2, 4, 7, 6, 4, (1, 1), 1, 0, 1, 2, True),            # grouped 1x1
    (2, 2, 5, 5, 3, (5, 5), 1, 0, 1, 1, True),            # kernel = input
    (1, 2, 4, 4, 2, (2, 2), 1, 3, 1, 1, True),            # padding beyond the kernel reach
    (2, 3, 7, 6, 4, (3, 3), 1, 'same', 1, 1, True),       # same, odd kernel
    (2, 3, 7, 6, 4, (4, 2), 1, 'same', 1, 1, False),      # same, even kernel: extra at bottom/right
    (1, 2, 9, 8, 3, (3, 4), 1, 'same', (2, 3), 1, True),  # same, dilated (odd total on W)
    (2, 2, 6, 5, 4, (2, 3), 2, 'valid', 1, 2, True),      # valid
    (2, 3, 7, 11, 4, (3, 3), (1, 2), (2, 1), (2, 3), 1, True),   # stride 1 down, 2 across; dilated
]

# (N, C_in, H, W, C_out, (kH, kW), stride, padding, output_padding, dilation, groups, bias)
TRANSPOSE_CASES = [
    (1, 3, 4, 4, 2, (3, 3), 1, 0, 0, 1, 1, True),
    (2, 4, 5, 3, 3, (4, 4), 2, 1, 0, 1, 1, True),          # the U-Net upsampler
    (2, 3, 4, 5, 2, (3, 3), 2, 1, 1, 1, 1, False),         # output_padding
    (1, 2, 3, 4, 3, (2, 3), (3, 2), (1, 0), (2, 1), 1, 1, True),  # stride > kernel, output_padding
    (2, 4, 4, 4, 6, (3, 3), 2, 1, 1, 1, 2, True),          # groups 2
    (2, 4, 5, 4, 4, (3, 3), 1, 1, 0, 1, 4, False),         # depthwise
    (1, 2, 4, 3, 3, (3, 2), 1, 2, 1, 2, 1, True),          # dilation 2, output_padding < dilation
    (2, 3, 3, 3, 2, (2, 2), 2, 0, 1, 3, 1, True),          # dilation 3
    (1, 2, 5, 5, 4, (1, 1), 1, 0, 0, 1, 1, True),          # 1x1
]


def _data(rng, shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


def _fast(fn, x, w, b, grad, **kw):
    """y, dx, dw, db through minigrad Tensors (whatever the default backend)."""
    xt, wt = mg.tensor(x, requires_grad=True), mg.tensor(w, requires_grad=True)
    bt = mg.tensor(b, requires_grad=True) if b is not None else None
    y = fn(xt, wt, bt, **kw)
    y.backward(mg.tensor(grad).array)
    return y.numpy(), xt.grad, wt.grad, (bt.grad if bt is not None else None)


def _close(actual, expected, tol=1e-10):
    actual = as_numpy(actual)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol)


@pytest.mark.parametrize('case', CONV_CASES, ids=[str(i) for i in range(len(CONV_CASES))])
def test_conv2d_matches_reference(case, rng):
    n, c, h, w, o, (kh, kw), s, p, d, g, has_bias = case
    x, wt = _data(rng, (n, c, h, w)), _data(rng, (o, c // g, kh, kw))
    b = _data(rng, (o,)) if has_bias else None
    kw_ = dict(stride=s, padding=p, dilation=d, groups=g)
    y_ref = R.conv2d_forward(x, wt, b, **kw_)
    grad = _data(rng, y_ref.shape)
    y, dx, dw, db = _fast(F.conv2d, x, wt, b, grad, **kw_)
    dx_ref, dw_ref, db_ref = R.conv2d_backward(grad, x, wt, **kw_)
    _close(y, y_ref)
    _close(dx, dx_ref)
    _close(dw, dw_ref)
    if has_bias:
        _close(db, db_ref)
    if p == 'same':
        assert y.shape[2:] == (h, w)


@pytest.mark.parametrize('case', TRANSPOSE_CASES, ids=[str(i) for i in range(len(TRANSPOSE_CASES))])
def test_conv_transpose2d_matches_reference(case, rng):
    n, c, h, w, o, (kh, kw), s, p, op, d, g, has_bias = case
    x, wt = _data(rng, (n, c, h, w)), _data(rng, (c, o // g, kh, kw))
    b = _data(rng, (o,)) if has_bias else None
    kw_ = dict(stride=s, padding=p, output_padding=op, groups=g, dilation=d)
    y_ref = R.conv_transpose2d_forward(x, wt, b, **kw_)
    grad = _data(rng, y_ref.shape)
    y, dx, dw, db = _fast(F.conv_transpose2d, x, wt, b, grad, **kw_)
    dx_ref, dw_ref, db_ref = R.conv_transpose2d_backward(grad, x, wt, **kw_)
    _close(y, y_ref)
    _close(dx, dx_ref)
    _close(dw, dw_ref)
    if has_bias:
        _close(db, db_ref)
    # torch's output-size formula, written out
    sp, pp, opp, dp = [(v, v) if isinstance(v, int) else v for v in (s, p, op, d)]
    assert y.shape[2:] == tuple((size - 1) * sp[a] - 2 * pp[a] + dp[a] * (k - 1) + opp[a] + 1
                                for a, (size, k) in enumerate(((h, kh), (w, kw))))


@pytest.mark.parametrize('shared_rows', [False, True], ids=['im2col', 'shared-rows'])
@pytest.mark.parametrize('budget', [1, 200, 5000, 10 ** 12],
                         ids=['row-bands', 'small-runs', 'image-runs', 'whole-batch'])
def test_chunked_im2col_matches_reference(budget, shared_rows, rng, monkeypatch, fast_only):
    """The fast kernels run chunk by chunk (runs of images, or bands of output rows of one
    image) under fast.columns.CHUNK_BYTES, and big stride-1 images share the columns of
    their kernel rows (SHARED_ROWS_MIN_PIXELS); tiny budgets and thresholds force every path."""
    monkeypatch.setattr(FI, 'CHUNK_BYTES', budget)
    monkeypatch.setattr(FC, 'SHARED_ROWS_MIN_PIXELS', 1 if shared_rows else 10 ** 9)
    monkeypatch.setattr(FC, 'SHARED_ROWS_MIN_CHANNELS', 1)
    for case in CONV_CASES:
        n, c, h, w, o, (kh, kw), s, p, d, g, has_bias = case
        x, wt = _data(rng, (n + 1, c, h, w)), _data(rng, (o, c // g, kh, kw))
        b = _data(rng, (o,)) if has_bias else None
        kw_ = dict(stride=s, padding=p, dilation=d, groups=g)
        y_ref = R.conv2d_forward(x, wt, b, **kw_)
        grad = _data(rng, y_ref.shape)
        y, dx, dw, db = _fast(F.conv2d, x, wt, b, grad, **kw_)
        for actual, want in zip((y, dx, dw), (y_ref,) + R.conv2d_backward(grad, x, wt, **kw_)[:2]):
            _close(actual, want)
    for case in TRANSPOSE_CASES:
        n, c, h, w, o, (kh, kw), s, p, op, d, g, has_bias = case
        x, wt = _data(rng, (n + 1, c, h, w)), _data(rng, (c, o // g, kh, kw))
        kw_ = dict(stride=s, padding=p, output_padding=op, groups=g, dilation=d)
        y_ref = R.conv_transpose2d_forward(x, wt, None, **kw_)
        grad = _data(rng, y_ref.shape)
        y, dx, dw, _ = _fast(F.conv_transpose2d, x, wt, None, grad, **kw_)
        for actual, want in zip((y, dx, dw), (y_ref,) + R.conv_transpose2d_backward(grad, x, wt, **kw_)[:2]):
            _close(actual, want)


def test_shared_rows_with_a_broadcast_gradient(rng, monkeypatch):
    """A gradient that is a broadcast view (zero strides, e.g. from .sum()) works on every path."""
    monkeypatch.setattr(FC, 'SHARED_ROWS_MIN_PIXELS', 1)
    monkeypatch.setattr(FC, 'SHARED_ROWS_MIN_CHANNELS', 1)
    x = mg.tensor(_data(rng, (2, 3, 6, 5)), requires_grad=True)
    w = mg.tensor(_data(rng, (4, 3, 3, 3)), requires_grad=True)
    F.conv2d(x, w, padding=1).sum().backward()
    ones = np.ones((2, 4, 6, 5))
    dx_ref, dw_ref, _ = R.conv2d_backward(ones, x.numpy(), w.numpy(), padding=1)
    _close(x.grad, dx_ref)
    _close(w.grad, dw_ref)


def test_chunks_cover_the_output_once(fast_only):
    """chunks() tiles (images x output rows) exactly: whole-image runs, or row bands of one image."""
    for n, rows, row_bytes, budget in [(5, 7, 10, 1000), (5, 7, 10, 150), (3, 7, 10, 25), (2, 4, 100, 1)]:
        C_budget = FI.CHUNK_BYTES
        try:
            FI.CHUNK_BYTES = budget
            seen = np.zeros((n, rows), int)
            for n0, n1, h0, h1 in FI.chunks(n, rows, row_bytes):
                assert n1 > n0 and h1 > h0
                assert (n1 - n0) * (h1 - h0) * row_bytes <= budget or (n1 - n0, h1 - h0) == (1, 1)
                assert h1 - h0 == rows or n1 - n0 == 1          # a band never spans images
                seen[n0:n1, h0:h1] += 1
            assert (seen == 1).all()
        finally:
            FI.CHUNK_BYTES = C_budget


def test_random_configurations_match_reference():
    """40 random (shape, stride, padding, dilation, groups) draws, conv and transpose."""
    rng = np.random.default_rng(7)
    checked = 0
    while checked < 40:
        g = int(rng.choice([1, 1, 2, 3]))
        c, o = g * int(rng.integers(1, 3)), g * int(rng.integers(1, 3))
        n, h, w = int(rng.integers(1, 3)), int(rng.integers(3, 9)), int(rng.integers(3, 9))
        k = tuple(int(v) for v in rng.integers(1, 5, size=2))
        s, d = tuple(int(v) for v in rng.integers(1, 4, size=2)), tuple(int(v) for v in rng.integers(1, 3, size=2))
        p = tuple(int(rng.integers(0, k[a])) for a in range(2))
        x = _data(rng, (n, c, h, w))
        if checked % 2 == 0:  # conv2d
            if any(d[a] * (k[a] - 1) + 1 > (h, w)[a] + 2 * p[a] for a in range(2)):
                continue
            wt, kw_ = _data(rng, (o, c // g) + k), dict(stride=s, padding=p, dilation=d, groups=g)
            y_ref = R.conv2d_forward(x, wt, None, **kw_)
            grad = _data(rng, y_ref.shape)
            y, dx, dw, _ = _fast(F.conv2d, x, wt, None, grad, **kw_)
            expected = (y_ref,) + R.conv2d_backward(grad, x, wt, **kw_)[:2]
        else:  # conv_transpose2d, with the largest legal output_padding
            op = tuple(max(s[a], d[a]) - 1 for a in range(2))
            if any((h, w)[a] - 1 < 0 or ((h, w)[a] - 1) * s[a] - 2 * p[a] + d[a] * (k[a] - 1) + op[a] < 0
                   for a in range(2)):
                continue
            wt = _data(rng, (c, o // g) + k)
            kw_ = dict(stride=s, padding=p, output_padding=op, groups=g, dilation=d)
            y_ref = R.conv_transpose2d_forward(x, wt, None, **kw_)
            grad = _data(rng, y_ref.shape)
            y, dx, dw, _ = _fast(F.conv_transpose2d, x, wt, None, grad, **kw_)
            expected = (y_ref,) + R.conv_transpose2d_backward(grad, x, wt, **kw_)[:2]
        for actual, want in zip((y, dx, dw), expected):
            _close(actual, want)
        checked += 1


@pytest.mark.parametrize('case', [c for c in CONV_CASES if c[6] == 1 and c[7] != 'same'][:6])
def test_both_input_gradient_methods_agree(case, rng, fast_only):
    """The fast stride-1 dL/dx is a 'full' correlation; col2im (fast and plain) must agree."""
    n, c, h, w, o, (kh, kw), s, p, d, g, _ = case
    ph, pw = (p, p) if isinstance(p, int) else p
    dh, dw = (d, d) if isinstance(d, int) else d
    wt = mg.tensor(_data(rng, (o, c // g, kh, kw))).array
    ho, wo = h + 2 * ph - dh * (kh - 1), w + 2 * pw - dw * (kw - 1)
    grad = mg.tensor(_data(rng, (n, o, ho, wo))).array
    args = (grad, wt, (h, w), (1, 1), (ph, ph, pw, pw), (dh, dw), g)
    full = FC.conv_input_grad(*args, method='full')
    _close(full, mg.backend.to_numpy(FC.conv_input_grad(*args, method='col2im')))
    _close(full, mg.backend.to_numpy(C.conv_input_grad(*args)))


@pytest.mark.parametrize('kw_', [dict(stride=2, padding=1, dilation=1, groups=1),
                                 dict(stride=1, padding=(2, 1), dilation=2, groups=2)])
def test_conv2d_gradcheck(kw_, rng):
    x = mg.tensor(_data(rng, (2, 4, 6, 5)), requires_grad=True)
    w = mg.tensor(_data(rng, (4, 4 // kw_['groups'], 3, 2)), requires_grad=True)
    b = mg.tensor(_data(rng, (4,)), requires_grad=True)
    assert mg.gradcheck(lambda x, w, b: F.conv2d(x, w, b, **kw_), [x, w, b])


def test_conv2d_same_gradcheck(rng):
    x = mg.tensor(_data(rng, (1, 2, 5, 6)), requires_grad=True)
    w = mg.tensor(_data(rng, (3, 2, 2, 3)), requires_grad=True)
    assert mg.gradcheck(lambda x, w: F.conv2d(x, w, padding='same', dilation=(2, 1)), [x, w])


@pytest.mark.parametrize('kw_', [dict(stride=2, padding=1, output_padding=1, groups=1, dilation=1),
                                 dict(stride=1, padding=1, output_padding=1, groups=2, dilation=2)])
def test_conv_transpose2d_gradcheck(kw_, rng):
    x = mg.tensor(_data(rng, (2, 4, 3, 4)), requires_grad=True)
    w = mg.tensor(_data(rng, (4, 2, 3, 3)), requires_grad=True)
    b = mg.tensor(_data(rng, (2 * kw_['groups'],)), requires_grad=True)
    assert mg.gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, **kw_), [x, w, b])


def test_1x1_conv_is_a_per_pixel_linear_layer(rng):
    x, w, b = _data(rng, (2, 5, 4, 3)), _data(rng, (7, 5, 1, 1)), _data(rng, (7,))
    y = F.conv2d(mg.tensor(x), mg.tensor(w), mg.tensor(b)).numpy()
    # move channels last, multiply every pixel's channel vector by Wᵀ, move channels back
    expected = (x.transpose(0, 2, 3, 1) @ w[:, :, 0, 0].T + b).transpose(0, 3, 1, 2)
    _close(y, expected)


def test_float32_stays_float32_and_matches_float64(rng):
    x, w, b = _data(rng, (2, 3, 9, 9)), _data(rng, (4, 3, 3, 3)), _data(rng, (4,))
    grad = _data(rng, (2, 4, 5, 5))
    y32, dx32, dw32, db32 = _fast(F.conv2d, x.astype(np.float32), w.astype(np.float32),
                                  b.astype(np.float32), grad.astype(np.float32), stride=2, padding=1)
    y64, dx64, dw64, db64 = _fast(F.conv2d, x, w, b, grad, stride=2, padding=1)
    for a32, a64 in ((y32, y64), (dx32, dx64), (dw32, dw64), (db32, db64)):
        assert a32.dtype == np.float32
        _close(a32, as_numpy(a64), tol=1e-4)
    yt = F.conv_transpose2d(mg.tensor(x.astype(np.float32)), mg.tensor(w.transpose(1, 0, 2, 3).astype(np.float32)),
                            stride=2)
    assert yt.dtype == np.float32


def test_scratch_buffers_never_leak_into_results(rng):
    """Outputs and gradients must not alias the reused im2col/GEMM buffers."""
    x1, x2 = _data(rng, (3, 2, 8, 8), np.float32), _data(rng, (3, 2, 8, 8), np.float32)
    w = _data(rng, (4, 2, 3, 3), np.float32)
    y1 = F.conv2d(mg.tensor(x1), mg.tensor(w), padding=1)
    first = y1.numpy().copy()
    F.conv2d(mg.tensor(x2), mg.tensor(w), padding=1)                 # same shapes: same buffers
    F.conv2d(mg.tensor(x2[:1, :, :5]), mg.tensor(w), stride=2)       # smaller: a prefix of them
    np.testing.assert_array_equal(y1.numpy(), first)
    _close(y1.numpy(), R.conv2d_forward(x1, w, padding=1).astype(np.float32), tol=1e-5)


def test_no_grad_builds_no_graph(rng):
    x = mg.tensor(_data(rng, (1, 2, 5, 5)), requires_grad=True)
    w = mg.tensor(_data(rng, (3, 2, 3, 3)), requires_grad=True)
    with mg.no_grad():
        y = F.conv2d(x, w, padding=1)
    assert not y.requires_grad
    y = F.conv2d(x, w, padding=1)
    assert mg.graph_bytes(y) > 0


def test_frozen_weight_gets_no_gradient(rng):
    x = mg.tensor(_data(rng, (1, 2, 5, 5)), requires_grad=True)
    w = mg.tensor(_data(rng, (3, 2, 3, 3)))
    F.conv2d(x, w, stride=2).sum().backward()
    assert w.grad is None and x.grad is not None


def _err(fn, *args, match, **kw):
    with pytest.raises(ValueError, match=match):
        fn(*args, **kw)


def test_conv2d_bad_inputs(rng):
    t = lambda *shape: mg.tensor(_data(rng, shape))  # noqa: E731
    x, w = t(2, 4, 8, 8), t(6, 4, 3, 3)
    _err(F.conv2d, t(2, 3, 8, 8), w, match=r"conv2d: input has 3 channels.*\(6, 4, 3, 3\)")
    _err(F.conv2d, t(4, 8, 8), w, match=r"conv2d: expected a 4-D input.*\(4, 8, 8\)")
    _err(F.conv2d, x, t(6, 4, 3), match=r"conv2d: expected a 4-D weight")
    _err(F.conv2d, x, t(6, 4, 9, 3), match=r"conv2d: kernel 9x3 .*larger than the padded input 8x8")
    _err(F.conv2d, x, w, dilation=4, match=r"conv2d: kernel 3x3 \(dilated extent 9x9\)")
    _err(F.conv2d, x, w, stride=0, match=r"conv2d: stride must be >= 1")
    _err(F.conv2d, x, w, stride=(1, -2), match=r"conv2d: stride must be >= 1")
    _err(F.conv2d, x, w, padding=-1, match=r"conv2d: padding must be >= 0")
    _err(F.conv2d, x, w, padding='full', match=r"conv2d: padding must be")
    _err(F.conv2d, x, w, stride=2, padding='same', match=r"conv2d: padding='same' needs stride 1")
    _err(F.conv2d, x, t(6, 2, 3, 3), groups=3, match=r"conv2d: input has 4 channels")
    _err(F.conv2d, x, t(5, 2, 3, 3), groups=2, match=r"conv2d: groups=2 must divide the 5 output")
    _err(F.conv2d, x, w, groups=0, match=r"conv2d: groups must be a positive int")
    _err(F.conv2d, x, w, t(5), match=r"conv2d: bias must have shape \(6,\)")
    with pytest.raises(TypeError, match=r"conv2d: input, weight and bias must share one dtype"):
        F.conv2d(x, mg.tensor(_data(rng, (6, 4, 3, 3), np.float32)))


def test_conv_transpose2d_bad_inputs(rng):
    t = lambda *shape: mg.tensor(_data(rng, shape))  # noqa: E731
    x, w = t(2, 4, 5, 5), t(4, 3, 3, 3)
    _err(F.conv_transpose2d, t(2, 3, 5, 5), w, match=r"conv_transpose2d: input has 3 channels.*\(4, 3, 3, 3\)")
    _err(F.conv_transpose2d, x, w, stride=2, output_padding=2,
         match=r"conv_transpose2d: output_padding must be smaller than stride or dilation")
    _err(F.conv_transpose2d, x, w, output_padding=1, match=r"output_padding must be smaller")
    _err(F.conv_transpose2d, x, w, stride=0, match=r"conv_transpose2d: stride must be >= 1")
    _err(F.conv_transpose2d, x, w, groups=3, match=r"conv_transpose2d: groups=3 must divide the 4 input")
    _err(F.conv_transpose2d, x, w, padding=4, match=r"conv_transpose2d: output size .* is not positive")
    _err(F.conv_transpose2d, t(4, 5, 5), w, match=r"conv_transpose2d: expected a 4-D input")
    _err(F.conv_transpose2d, x, w, t(4), match=r"conv_transpose2d: bias must have shape \(3,\)")


# ----------------------------------------------------------------------------- PyTorch


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's note about its own copy
@pytest.mark.parametrize('case', [CONV_CASES[i] for i in (0, 5, 7, 9, 16)])
def test_conv2d_matches_torch(case, rng):
    torch = pytest.importorskip("torch")
    n, c, h, w, o, (kh, kw), s, p, d, g, has_bias = case
    x, wt = _data(rng, (n, c, h, w)), _data(rng, (o, c // g, kh, kw))
    b = _data(rng, (o,)) if has_bias else None
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(wt, requires_grad=True)
    tb = torch.tensor(b, requires_grad=True) if has_bias else None
    ty = torch.nn.functional.conv2d(tx, tw, tb, stride=s, padding=p, dilation=d, groups=g)
    grad = _data(rng, tuple(ty.shape))
    ty.backward(torch.tensor(grad))
    y, dx, dw, db = _fast(F.conv2d, x, wt, b, grad, stride=s, padding=p, dilation=d, groups=g)
    _close(y, ty.detach().numpy())
    _close(dx, tx.grad.numpy())
    _close(dw, tw.grad.numpy())
    if has_bias:
        _close(db, tb.grad.numpy())


@pytest.mark.parametrize('case', [TRANSPOSE_CASES[i] for i in (1, 3, 4, 6)])
def test_conv_transpose2d_matches_torch(case, rng):
    torch = pytest.importorskip("torch")
    n, c, h, w, o, (kh, kw), s, p, op, d, g, has_bias = case
    x, wt = _data(rng, (n, c, h, w)), _data(rng, (c, o // g, kh, kw))
    b = _data(rng, (o,)) if has_bias else None
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(wt, requires_grad=True)
    tb = torch.tensor(b, requires_grad=True) if has_bias else None
    kw_ = dict(stride=s, padding=p, output_padding=op, groups=g, dilation=d)
    ty = torch.nn.functional.conv_transpose2d(tx, tw, tb, **kw_)
    grad = _data(rng, tuple(ty.shape))
    ty.backward(torch.tensor(grad))
    y, dx, dw, db = _fast(F.conv_transpose2d, x, wt, b, grad, **kw_)
    _close(y, ty.detach().numpy())
    _close(dx, tx.grad.numpy())
    _close(dw, tw.grad.numpy())
    if has_bias:
        _close(db, tb.grad.numpy())


def test_float32_realistic_layer_matches_torch(rng):
    torch = pytest.importorskip("torch")
    x, w, b = (_data(rng, s, np.float32) for s in ((4, 16, 20, 20), (32, 16, 4, 4), (32,)))
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    ty = torch.nn.functional.conv2d(tx, tw, torch.tensor(b), stride=2, padding=1)
    grad = _data(rng, tuple(ty.shape), np.float32)
    ty.backward(torch.tensor(grad))
    y, dx, dw, _ = _fast(F.conv2d, x, w, b, grad, stride=2, padding=1)
    _close(y, ty.detach().numpy(), tol=1e-4)
    _close(dx, tx.grad.numpy(), tol=1e-4)
    _close(dw, tw.grad.numpy(), tol=2e-3)
