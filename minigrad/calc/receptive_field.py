"""Receptive fields: which input pixels can change a given output pixel.

Layers act on H and W separately, so everything is 1-D analysis per axis.

**The textbook recurrences** (down-sampling layers: conv, pool).  With the
effective kernel k' = d·(k − 1) + 1 of a dilated kernel, layer l of stride s
and padding p maps the previous layer's numbers (r, j, start) to::

    r_l     = r_{l-1} + (k' − 1) · j_{l-1}              receptive field (pixels)
    j_l     = j_{l-1} · s                               jump: input pixels between
                                                        neighbouring outputs
    start_l = start_{l-1} + ((k' − 1)/2 − p) · j_{l-1}  centre of output 0, in
                                                        input coordinates

starting from r_0 = 1, j_0 = 1, start_0 = 0.  n 3x3 convs: r = 2n + 1.

**Exact dependency sets** (every layer, including up-sampling).  Through a
transposed conv, unpooling or up-sampling, neighbouring outputs read
*different numbers* of inputs: output o of a stride-s transposed conv gets
x[i]·w[t] only when s·i = o + p − d·t, so which taps t contribute depends on
o mod s.  The recurrence (with j_l = j_{l-1}/s) is then wrong.  Here we compute,
for one output position o, the exact set D(o) of input positions reaching it by
walking the layers backwards (:func:`layer_inputs`), on an infinite line (so
padding positions count, as in the textbook RF, and image borders play no
role).  The receptive field of o is the span max D(o) − min D(o) + 1.

D is periodic: shifting o by the *period* P shifts D(o) by an integer.  So the
smallest and largest receptive field over all output positions are the
min/max over o = 0..P−1 -- exact, not sampled.  The period is found with
fractions: a layer with "P_l outputs per Q_l inputs" (conv: 1 per s; transposed
conv / up-sampling: s per 1) needs the shift arriving at it to be a multiple
of P_l.
"""
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy

from .layers import POOLS, Layer, as_layers, output_size, parse_spec
from .table import format_table, frac_str, pair_str

# --------------------------------------------------------------------------- one layer, one axis


def layer_inputs(g, outputs):
    """Input positions (sorted, unique int64 array) that reach any of ``outputs``
    through one layer with 1-D geometry ``g`` (see :meth:`Layer.axis`)."""
    m = numpy.asarray(outputs, dtype=numpy.int64)
    kind, k, s, p, d = g['kind'], g['k'], g['s'], g['p'], g['d']
    if kind in ('conv', 'pad') + POOLS:
        # y[o] reads x[s·o − p + d·t], t = 0..k−1
        return numpy.unique(numpy.add.outer(s * m - p, d * numpy.arange(k)).ravel())
    if kind in ('tconv', 'unpool'):
        # x[i] lands on y[s·i + d·t − p]: o is reached from i = (o + p − d·t)/s when integral.
        # unpool = the set of inputs whose pooling window (k, s, p) covers o (exactly one
        # of them holds the max there; which one depends on the data).
        num = numpy.add.outer(m + p, -d * numpy.arange(k)).ravel()
        return numpy.unique(num[num % s == 0] // s)
    if kind == 'upsample':
        f = g['f']
        if g['mode'] == 'nearest':
            return numpy.unique(m // f)               # y[o] = x[floor(o / f)]
        # bilinear, align_corners=False: source coordinate (o + 1/2)/f − 1/2 = num / (2f)
        num = 2 * m + 1 - f
        lo = num // (2 * f)
        hi = (lo + 1)[num % (2 * f) != 0]             # the right neighbour has weight > 0 unless exact
        return numpy.unique(numpy.concatenate([lo, hi]))
    if kind == 'identity':
        return numpy.unique(m)
    raise ValueError(f"receptive_field: a {kind!r} layer has no finite receptive field "
                     f"(every output reads the whole input)")


def outputs_per_input(g):
    """(P, Q): shifting the output by P positions shifts the layer's inputs by Q."""
    if g['kind'] in ('tconv', 'unpool'):
        return g['s'], 1
    if g['kind'] == 'upsample':
        return g['f'], 1
    if g['kind'] == 'identity':
        return 1, 1
    return 1, g['s']


def jump(geoms):
    """Input pixels between neighbouring outputs (a Fraction below 1 after up-sampling)."""
    j = Fraction(1)
    for g in geoms:
        pl, ql = outputs_per_input(g)
        j *= Fraction(ql, pl)
    return j


def dependency_set(layers, position=0, axis=0):
    """Exact input positions (numpy int array) that output ``position`` depends on, along ``axis``.

    ``layers``: Layers, a spec string or a Module.  Positions live on an infinite
    line: negative ones (and ones past the image) are padding.
    """
    layers = as_layers(layers)
    positions = numpy.array([position], dtype=numpy.int64)
    for layer in reversed(layers):
        positions = layer_inputs(layer.axis(axis), positions)
    return positions


def span(positions):
    return int(positions[-1] - positions[0] + 1) if len(positions) else 0


class AxisState:
    """Extent of the dependency set of every output phase, built layer by layer from the input.

    The stack so far has period ``period``: D(o + period) = D(o) + ``shift``.
    ``lo[q]``, ``hi[q]`` are min and max of D(q) for q = 0..period−1 (None when
    the output reads no input at all, e.g. a transposed conv with kernel < stride).
    Adding a layer: D_new(o) = union over m in layer_inputs({o}) of D(m), and
    D(m) = D(m mod period) + (m div period)·shift -- so only the extremes are needed.
    """

    def __init__(self):
        self.period, self.shift, self.lo, self.hi = 1, 1, [0], [0]
        self.jump = Fraction(1)

    def extent(self, m):
        """(min, max) of D(m) for any integer position m, or None."""
        q, n = divmod(m, self.period)[::-1]
        if self.lo[q] is None:
            return None
        return self.lo[q] + n * self.shift, self.hi[q] + n * self.shift

    def add(self, g):
        pl, ql = outputs_per_input(g)
        new_period = pl * (self.period // math.gcd(self.period, ql))
        new_shift = self.shift * (new_period * ql // pl) // self.period
        lo, hi = [], []
        for o in range(new_period):
            ext = [e for e in (self.extent(int(m)) for m in layer_inputs(g, [o])) if e is not None]
            lo.append(min(e[0] for e in ext) if ext else None)
            hi.append(max(e[1] for e in ext) if ext else None)
        self.period, self.shift, self.lo, self.hi = new_period, new_shift, lo, hi
        self.jump *= Fraction(ql, pl)
        return self

    def spans(self):
        return [0 if a is None else b - a + 1 for a, b in zip(self.lo, self.hi)]


@dataclass
class AxisRF:
    """Exact receptive-field facts of a layer stack along one axis."""
    rf_min: int          # smallest receptive field over output positions
    rf_max: int          # largest
    period: int          # outputs repeat their pattern every `period` positions
    jump: Fraction       # input pixels per output pixel
    start: Fraction      # centre of output 0's receptive field (input coordinates)


def axis_facts(state):
    spans = state.spans()
    lo, hi = state.lo[0], state.hi[0]
    start = None if lo is None else Fraction(lo + hi, 2)
    return AxisRF(min(spans), max(spans), state.period, state.jump, start)


def axis_rf(geoms):
    """:class:`AxisRF` of 1-D geometries (bottom layer first)."""
    state = AxisState()
    for g in geoms:
        state.add(g)
    return axis_facts(state)


# --------------------------------------------------------------------------- the table


@dataclass
class RFRow:
    """One layer of a receptive-field table; every field is an (H, W) pair."""
    index: int
    name: str
    layer: Layer
    rf_min: tuple
    rf_max: tuple
    jump: tuple
    start: tuple
    period: tuple
    size: tuple = None   # output size, when an input size was given

    @property
    def rf(self):
        """The receptive field (largest over positions), as an (H, W) pair."""
        return self.rf_max

    @property
    def varies(self):
        return self.rf_min != self.rf_max


class RFTable(list):
    """Rows of :func:`receptive_field`; ``str(table)`` is an aligned table."""

    input_size = None

    @property
    def final(self):
        return self[-1]

    @property
    def rf(self):
        """Largest receptive field of the last layer (an int when H and W agree)."""
        r = self[-1].rf_max
        return r[0] if r[0] == r[1] else r

    def rows(self):
        out = []
        for r in self:
            lay = r.layer
            rf = pair_str(r.rf_max) if not r.varies else \
                f"{pair_str(r.rf_min)}..{pair_str(r.rf_max)}"
            if lay.kind in ('identity', 'upsample'):
                geometry = ['-', '-' if lay.kind == 'identity' else pair_str(lay.scale, lambda f: f"1/{f}"),
                            '-', '-']
            else:
                geometry = [pair_str(lay.kernel), pair_str(lay.stride), pair_str(lay.padding),
                            pair_str(lay.dilation)]
            if lay.kind in ('tconv', 'unpool'):
                geometry[1] = pair_str(lay.stride, lambda s: f"1/{s}" if s > 1 else '1')
            out.append([r.index, r.name] + geometry + [rf, pair_str(r.jump, frac_str),
                                                       pair_str(r.start, frac_str),
                                                       pair_str(r.size) if r.size else '-'])
        return out

    def __str__(self):
        head = ['#', 'layer', 'kernel', 'stride', 'pad', 'dil', 'RF', 'jump', 'start', 'out size']
        text = format_table(head, self.rows(), align='rllllrrrrr')
        if any(r.layer.kind in ('tconv', 'unpool', 'upsample') for r in self):
            text += "\nstride 1/s: an up-sampling layer (s outputs per input)."
        if any(r.varies for r in self):
            text += ("\nRF a..b: the receptive field differs between output positions (up-sampling);"
                     " a = smallest, b = largest, exact over all positions.")
        return text

    __repr__ = list.__repr__


def receptive_field(model, input_size=None):
    """Receptive field after every layer of ``model``.

    ``model``: a minigrad nn Module (walked in forward order; see
    :func:`minigrad.calc.modules.layers_from_module`), a list of :class:`Layer`
    or a spec string such as ``"conv3x3*100"``.  ``input_size``: H or (H, W),
    to fill in output sizes.  Returns an :class:`RFTable` (a list of
    :class:`RFRow`); ``table.rf`` is the final receptive field.
    """
    layers = _layers_for(model, input_size)
    if not layers:
        raise ValueError("receptive_field: no layers given")
    table = RFTable()
    sizes = None
    if input_size is not None:
        sizes = (input_size, input_size) if isinstance(input_size, int) else tuple(input_size)[-2:]
        table.input_size = sizes
    states = [AxisState(), AxisState()]
    for i, layer in enumerate(layers):
        if layer.kind == 'global':
            raise ValueError(f"receptive_field: layer {i} ({layer.name}) reads its whole input "
                             f"(Linear/Flatten/adaptive pooling); give the convolutional part only")
        facts = [axis_facts(states[a].add(layer.axis(a))) for a in range(2)]
        if sizes is not None:
            sizes = tuple(output_size(layer.axis(a), sizes[a]) for a in range(2))
            if min(sizes) < 1:
                raise ValueError(f"receptive_field: layer {i} ({layer.name}) leaves no output pixels "
                                 f"for input size {table.input_size}")
        table.append(RFRow(i + 1, layer.name, layer,
                           tuple(f.rf_min for f in facts), tuple(f.rf_max for f in facts),
                           tuple(f.jump for f in facts), tuple(f.start for f in facts),
                           tuple(f.period for f in facts), sizes))
    return table


def _layers_for(model, input_size=None):
    if isinstance(model, str):
        return parse_spec(model)
    if isinstance(model, (list, tuple)) or isinstance(model, Layer):
        return as_layers(model)
    from .modules import layers_from_module
    return layers_from_module(model, input_size)


def recurrence(layers):
    """The textbook recurrences (module docstring), one (r, j, start) per layer, axis 0.

    Exact for conv / pool stacks.  For up-sampling layers it uses j/s, which is
    what a naive calculator reports -- compare with :func:`receptive_field`.
    """
    # BEGIN SOLUTION a5_receptive_field
    # BEGIN PROMPT
    # Start from r = 1, j = 1, start = 0 (as Fractions) and apply the module docstring's
    # recurrences layer by layer; layer.axis(0) gives the dict g with 'kind', 'k', 's', 'p',
    # 'd' (and 'f' for up-sampling).  conv / pad / pooling kinds: grow r by (k'-1)·j, then
    # multiply j by the stride.  'tconv' / 'unpool': divide j by the stride first, then grow.
    # 'upsample': divide j by g['f'].  Append (r, j, start) after every layer.
    # END PROMPT
    r, j, start, out = Fraction(1), Fraction(1), Fraction(0), []
    for layer in as_layers(layers):
        g = layer.axis(0)
        if g['kind'] in ('conv', 'pad') + POOLS:
            k_eff = g['d'] * (g['k'] - 1) + 1
            r, start, j = r + (k_eff - 1) * j, start + (Fraction(k_eff - 1, 2) - g['p']) * j, j * g['s']
        elif g['kind'] in ('tconv', 'unpool'):
            k_eff = g['d'] * (g['k'] - 1) + 1
            j = j / g['s']
            r, start = r + (k_eff - 1) * j, start + (Fraction(k_eff - 1, 2) - g['p']) * j
        elif g['kind'] == 'upsample':
            j = j / g['f']
        out.append((r, j, start))
    return out
    # END SOLUTION


# --------------------------------------------------------------------------- questions


def layers_to_reach(target, layer='conv3x3', max_layers=100_000):
    """How many copies of ``layer`` (a spec item or Layer, conv/pool only) until RF >= ``target``.

    The slide: n 3x3 convs see 2n + 1 pixels, so 200 pixels need 100 layers
    (RF 201).  Returns ``(n, rf_after_n)``.
    """
    (base,) = as_layers(layer) if not isinstance(layer, str) else parse_spec(layer.split('*')[0])
    g = base.axis(0)
    if g['kind'] not in ('conv',) + POOLS:
        raise ValueError(f"layers_to_reach: needs a conv or pooling layer, got {base.name}")
    k_eff = g['d'] * (g['k'] - 1) + 1
    if k_eff == 1 and target > 1:
        raise ValueError(f"layers_to_reach: a 1x1 layer never grows the receptive field (target {target})")
    # BEGIN SOLUTION a5_receptive_field
    # BEGIN PROMPT
    # Apply the recurrence one layer at a time until r reaches the target; return (n, r).
    # END PROMPT
    r, j = 1, 1
    for n in range(0, max_layers + 1):
        if r >= target:
            return n, r
        r, j = r + (k_eff - 1) * j, j * g['s']
    # END SOLUTION
    raise ValueError(f"layers_to_reach: {base.name} does not reach {target} within {max_layers} layers")


@dataclass
class PathRF:
    name: str
    n_layers: int
    rf_min: tuple
    rf_max: tuple
    jump: tuple
    start: tuple


class PathTable(list):
    """Rows of :func:`receptive_field_paths`, plus ``combined`` (the union over paths)."""

    combined = None

    @property
    def largest(self):
        return max(self, key=lambda r: r.rf_max[0] * r.rf_max[1])

    def __str__(self):
        rows = [[r.name, r.n_layers, _rng(r.rf_min, r.rf_max), pair_str(r.jump, frac_str),
                 pair_str(r.start, frac_str)] for r in self]
        c = self.combined
        rows.append(['(all paths)', '', _rng(c.rf_min, c.rf_max), '', ''])
        text = format_table(['path', 'layers', 'RF', 'jump', 'start'], rows, align='lrrrr')
        return text + f"\nlargest: {self.largest.name}"


def _rng(lo, hi):
    return pair_str(hi) if lo == hi else f"{pair_str(lo)}..{pair_str(hi)}"


def receptive_field_paths(paths):
    """Receptive field reaching the output through every path of a multi-path net (U-Net skips).

    ``paths``: {name: layers} where layers is anything :func:`receptive_field`
    accepts (Layers, a spec string, Modules, or a list mixing them), listed from
    input to output; or an object with a ``receptive_field_paths()`` method
    returning such a dict.  In a U-Net the path through the bottleneck has the
    largest field and the top skip the smallest.  ``table.combined`` is the
    exact receptive field of the whole net: the span of the union of every
    path's dependency set, min/max over output positions.
    """
    if hasattr(paths, 'receptive_field_paths'):
        paths = paths.receptive_field_paths()
    if not paths:
        raise ValueError("receptive_field_paths: no paths given")
    table = PathTable()
    states = {}
    for name, spec in paths.items():
        layers = as_layers(spec)
        states[name] = [AxisState(), AxisState()]
        for layer in layers:
            for a in range(2):
                states[name][a].add(layer.axis(a))
        facts = [axis_facts(states[name][a]) for a in range(2)]
        table.append(PathRF(name, len(layers), tuple(f.rf_min for f in facts),
                            tuple(f.rf_max for f in facts), tuple(f.jump for f in facts),
                            tuple(f.start for f in facts)))
    lo, hi = [], []
    for a in range(2):
        axis_states = [st[a] for st in states.values()]
        spans = []
        for o in range(math.lcm(*[st.period for st in axis_states])):
            ext = [e for e in (st.extent(o) for st in axis_states) if e is not None]
            spans.append(max(e[1] for e in ext) - min(e[0] for e in ext) + 1 if ext else 0)
        lo.append(min(spans))
        hi.append(max(spans))
    table.combined = PathRF('(all paths)', None, tuple(lo), tuple(hi), None, None)
    return table
