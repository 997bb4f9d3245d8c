"""Property tests of the spec language: every string either parses to layers whose sizes and receptive
fields match the same stack built in minigrad and run, or raises a one-line ValueError."""
import io

import numpy
import pytest

hypothesis = pytest.importorskip('hypothesis')
from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import minigrad as mg  # noqa: E402
import minigrad.nn as nn  # noqa: E402
from minigrad import calc  # noqa: E402
from minigrad.calc.__main__ import main  # noqa: E402
from minigrad.calc.layers import parse_spec  # noqa: E402
from minigrad.testing import as_numpy  # noqa: E402

FAST = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

small = st.integers(0, 5).map(str)
items = st.builds(
    lambda kind, size, opts, count: kind + size + ''.join(opts) + count,
    st.sampled_from(['conv', 'tconv', 'pool', 'maxpool', 'avgpool', 'unpool', 'up', 'fc', 'id', 'identity']),
    st.one_of(st.just(''), small, st.tuples(small, small).map('x'.join)),
    st.lists(st.one_of(st.tuples(st.sampled_from(['s', 'p', 'd', 'c', 'op']), small).map(''.join),
                       st.just('b')), max_size=3),
    st.one_of(st.just(''), small.map('*'.__add__)))
specs = st.lists(items, min_size=1, max_size=4).map(','.join)
# Items that use only the options their kind takes, with plausible values: most of these parse.
VALUES = {'s': st.integers(1, 3), 'p': st.integers(0, 2), 'd': st.integers(1, 2), 'c': st.integers(1, 4),
          'op': st.integers(0, 1)}
KIND_OPTIONS = {'conv': 'spdc', 'tconv': ['s', 'p', 'd', 'c', 'op'], 'pool': 'spd', 'avgpool': 'sp', 'up': ''}


@st.composite
def plausible_items(draw):
    kind = draw(st.sampled_from(sorted(KIND_OPTIONS)))
    size = draw(st.integers(1, 2 if kind == 'up' else 5))
    opts = draw(st.lists(st.sampled_from(list(KIND_OPTIONS[kind]) or ['s']), max_size=2, unique=True))
    text = kind + str(size) + ''.join(o + str(draw(VALUES[o])) for o in opts if o in KIND_OPTIONS[kind])
    return text + ('b' if kind == 'up' and draw(st.booleans()) else '')


plausible = st.lists(plausible_items(), min_size=1, max_size=4).map(','.join)
noise = st.text(alphabet='convtpolupfcidentybsx0123456789*, ', max_size=99)


def one_line_error(call):
    """call() -> its value, or None after checking it raised a one-line ValueError."""
    try:
        return call()
    except ValueError as err:
        assert str(err) and '\n' not in str(err), str(err)
        return None


def build(layers, channels=2):
    """The stack in minigrad (max pools as average pools: a max's gradient reaches only the argmax),
    positive weights, so d out[o] / d x[i] != 0 exactly where out[o] depends on x[i]."""
    mods = []
    for lay in layers:
        k, s, p, d = lay.kernel, lay.stride, lay.padding, lay.dilation
        if lay.kind == 'conv':
            mods.append(nn.Conv2d(channels, channels, k, s, p, d))
        elif lay.kind == 'tconv':
            mods.append(nn.ConvTranspose2d(channels, channels, k, s, p, lay.output_padding, dilation=d))
        elif lay.kind == 'maxpool':
            mods.append(nn.MaxPool2d(k, s, p, d))
        elif lay.kind == 'avgpool':
            mods.append(nn.AvgPool2d(k, s, p))
        elif lay.kind == 'upsample':
            mods.append(nn.Upsample(scale_factor=lay.scale, mode=lay.mode))
        elif lay.kind == 'identity':
            mods.append(nn.Identity())
        else:
            return None                                   # unpool needs indices, fc is not spatial
    model = nn.Sequential(*mods)
    rng = numpy.random.default_rng(0)
    for prm in model.parameters():
        prm.array = mg.tensor(rng.uniform(0.5, 1.0, prm.shape)).array
    return model


@settings(FAST, max_examples=100)
@given(st.one_of(plausible, specs), st.integers(6, 40))
def test_specs_match_the_model_built_in_minigrad(spec, size):
    layers = one_line_error(lambda: parse_spec(spec))
    if layers is None:
        return
    table = one_line_error(lambda: calc.receptive_field(layers, size))
    model = build(layers)
    if model is None or any(lay.kind == 'maxpool' for lay in layers) and table is None:
        return
    x = mg.tensor(numpy.random.default_rng(1).uniform(0.5, 1.0, (1, 2, size, size)), requires_grad=True)
    if table is None:                                     # too small an input: minigrad refuses it too
        with pytest.raises(ValueError):
            model(x)
        event('refused, as minigrad does')
        return
    y = model(x)
    assert tuple(y.shape[2:]) == table.final.size, spec
    event('output size checked against minigrad')
    if any(lay.kind == 'maxpool' for lay in layers) or max(table.final.size) > 64:
        return
    o, ow = (n // 2 for n in table.final.size)            # one output, autograd's dependency set
    y[:, :, o, ow].sum().backward()
    rows = numpy.nonzero(numpy.abs(as_numpy(x.grad)).sum(axis=(0, 1, 3)))[0]
    exact = calc.dependency_set(layers, o)
    if len(exact) and 0 <= exact[0] and exact[-1] < size:   # inside the image: no border effects
        assert rows.tolist() == exact.tolist(), spec
        event('dependency set checked against autograd')


@FAST
@given(st.one_of(specs, noise))
def test_any_text_gives_a_table_or_one_line_error_status_2(text):
    err = io.StringIO()
    import contextlib
    with contextlib.redirect_stderr(err):
        status = main(['rf', text], out=io.StringIO())
    assert (status, err.getvalue().count('\n')) in ((0, 0), (2, 1)), err.getvalue()
