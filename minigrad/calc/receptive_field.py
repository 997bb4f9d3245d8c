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

from .layers import MAX_VALUE, POOLS, Layer, as_layers, output_size, parse_spec
from .table import format_table, frac_str, pair_str

#: Bounds that keep every question answered in well under a second and every position exact in
#: int64: output phases x kernel taps enumerated per layer, and the largest position (or size) in pixels.
MAX_WORK = 400_000
MAX_POSITION = 2 ** 40

# --------------------------------------------------------------------------- one layer, one axis


def layer_taps(g, outputs):
    """Input positions each output reads through one layer with 1-D geometry ``g`` (see
    :meth:`Layer.axis`): an int64 matrix (len(outputs), taps) and a bool mask of the real taps."""
    m = numpy.asarray(outputs, dtype=numpy.int64)[:, None]
    kind, k, s, p, d = g['kind'], g['k'], g['s'], g['p'], g['d']
    if kind in ('conv', 'pad') + POOLS:
        # y[o] reads x[s·o − p + d·t], t = 0..k−1
        taps = s * m - p + d * numpy.arange(k)
        return taps, numpy.ones(taps.shape, bool)
    if kind in ('tconv', 'unpool'):
        # x[i] lands on y[s·i + d·t − p]: o is reached from i = (o + p − d·t)/s when integral.
        # unpool = the set of inputs whose pooling window (k, s, p) covers o (exactly one
        # of them holds the max there; which one depends on the data).
        num = m + p - d * numpy.arange(k)
        return num // s, num % s == 0
    if kind == 'upsample':
        f = g['f']
        if g['mode'] == 'nearest':
            return m // f, numpy.ones(m.shape, bool)          # y[o] = x[floor(o / f)]
        # bilinear, align_corners=False: source coordinate (o + 1/2)/f − 1/2 = num / (2f);
        # the right neighbour has weight > 0 unless the coordinate is a whole pixel
        num = 2 * m + 1 - f
        lo = num // (2 * f)
        return numpy.concatenate([lo, lo + 1], axis=1), numpy.concatenate([num == num, num % (2 * f) != 0], axis=1)
    if kind == 'identity':
        return m, numpy.ones(m.shape, bool)
    raise ValueError(f"receptive_field: a {kind!r} layer has no finite receptive field "
                     f"(every output reads the whole input)")


def layer_inputs(g, outputs):
    """Input positions (sorted, unique int64 array) that reach any of ``outputs`` through one layer."""
    taps, real = layer_taps(g, outputs)
    return numpy.unique(taps[real])


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
    ``lo[q]``, ``hi[q]`` (int64 arrays) are min and max of D(q) for q = 0..period−1, valid where
    ``has[q]`` (False when the output reads no input at all, e.g. a transposed conv with
    kernel < stride).  Adding a layer: D_new(o) = union over m in layer_inputs({o}) of D(m), and
    D(m) = D(m mod period) + (m div period)·shift -- so only the extremes are needed, for all
    phases o at once.
    """

    def __init__(self):
        self.period, self.shift = 1, 1
        self.lo, self.hi, self.has = numpy.zeros(1, numpy.int64), numpy.zeros(1, numpy.int64), numpy.ones(1, bool)
        self.jump = Fraction(1)
        self.work = 0            # output phases x taps enumerated so far (bounded by MAX_WORK)

    def extents(self, m):
        """(lo, hi, has) of D(m) for an int64 array of positions m (any shape)."""
        n, q = numpy.divmod(m, self.period)
        if n.size and int(numpy.abs(n).max()) * abs(self.shift) >= MAX_POSITION:
            raise ValueError("positions in the input grow beyond 2**40 pixels; the calculation stops there")
        return self.lo[q] + n * self.shift, self.hi[q] + n * self.shift, self.has[q]

    def extent(self, m):
        """(min, max) of D(m) for one integer position m, or None."""
        lo, hi, has = self.extents(numpy.array([m], numpy.int64))
        return (int(lo[0]), int(hi[0])) if has[0] else None

    def add(self, g):
        pl, ql = outputs_per_input(g)
        new_period = pl * (self.period // math.gcd(self.period, ql))
        self.work += new_period * g['k']
        if self.work > MAX_WORK:
            raise ValueError(f"the pattern of receptive fields repeats every {new_period} output positions "
                             f"(kernel {g['k']}); the exact calculation stops at {MAX_WORK:,} position-taps "
                             f"in all")
        new_shift = self.shift * (new_period * ql // pl) // self.period
        taps, real = layer_taps(g, numpy.arange(new_period))
        lo, hi, has = self.extents(taps)
        has = has & real
        big = numpy.iinfo(numpy.int64).max
        self.lo = numpy.where(has, lo, big).min(axis=1)
        self.hi = numpy.where(has, hi, -big).max(axis=1)
        self.has = has.any(axis=1)
        self.period, self.shift = new_period, new_shift
        self.jump *= Fraction(ql, pl)
        ends = numpy.abs(numpy.concatenate([self.lo[self.has], self.hi[self.has]]))
        if max(int(ends.max(initial=0)), abs(new_shift), self.jump.numerator) >= MAX_POSITION:
            raise ValueError("positions in the input grow beyond 2**40 pixels; the calculation stops there")
        return self

    def spans(self):
        return [int(b - a + 1) if ok else 0 for a, b, ok in zip(self.lo, self.hi, self.has)]


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
    start = Fraction(int(state.lo[0]) + int(state.hi[0]), 2) if state.has[0] else None
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

    ``model``: a spec string such as ``"conv3x3*100"``, a list of :class:`Layer`, or a minigrad nn
    Module.  Only a *chain* of layers has one receptive field per layer, so a Module is walked when
    it is a nested ``nn.Sequential``, and otherwise traced with a real forward pass on
    ``input_size`` and refused (ValueError pointing to :func:`receptive_field_paths`) when the trace
    shows a skip connection or any other second path (see
    :func:`minigrad.calc.modules.layers_from_module`).  ``input_size``: H, (H, W) or (N, C, H, W),
    to fill in output sizes.  Returns an :class:`RFTable` (a list of :class:`RFRow`); ``table.rf``
    is the final receptive field.
    """
    if input_size is not None:
        _input_hw(input_size)
    layers = _layers_for(model, input_size)
    if not layers:
        raise ValueError("receptive_field: no layers given")
    table = RFTable()
    sizes = None
    if input_size is not None:
        sizes = _input_hw(input_size)
        table.input_size = sizes
    states = [AxisState(), AxisState()]
    for i, layer in enumerate(layers):
        if layer.kind == 'global':
            raise ValueError(f"receptive_field: layer {i} ({layer.name}) reads its whole input "
                             f"(Linear/Flatten/adaptive pooling); give the convolutional part only")
        try:
            facts = [axis_facts(states[a].add(layer.axis(a))) for a in range(2)]
        except ValueError as err:
            raise ValueError(f"receptive_field: layer {i + 1} ({layer.name}): {err}") from None
        if sizes is not None:
            sizes = tuple(output_size(layer.axis(a), sizes[a]) for a in range(2))
            if min(sizes) < 1:
                raise ValueError(f"receptive_field: layer {i + 1} ({layer.name}) leaves no output pixels "
                                 f"for input size {table.input_size}")
            if max(sizes) >= MAX_POSITION:
                raise ValueError(f"receptive_field: layer {i + 1} ({layer.name}) makes the output larger "
                                 f"than 2**40 pixels")
        table.append(RFRow(i + 1, layer.name, layer,
                           tuple(f.rf_min for f in facts), tuple(f.rf_max for f in facts),
                           tuple(f.jump for f in facts), tuple(f.start for f in facts),
                           tuple(f.period for f in facts), sizes))
    return table


def _input_hw(input_size):
    """H, (H, W) or (N, C, H, W) -> (H, W) of positive ints below 2**31."""
    sizes = (input_size, input_size) if not isinstance(input_size, (tuple, list)) else tuple(input_size)
    if len(sizes) not in (2, 4) or any(isinstance(v, bool) or not isinstance(v, (int, numpy.integer))
                                       or not 1 <= v < MAX_VALUE for v in sizes):
        raise ValueError(f"receptive_field: input_size must be H, (H, W) or (N, C, H, W) of positive ints "
                         f"below 2**31, got {input_size!r}")
    return tuple(int(v) for v in sizes[-2:])


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
    if isinstance(target, bool) or not isinstance(target, (int, numpy.integer)) or target < 1:
        raise ValueError(f"layers_to_reach: target must be a receptive field of at least 1 pixel (an int), "
                         f"got {target!r}")
    layers = as_layers(layer)
    if len(layers) != 1:
        raise ValueError(f"layers_to_reach: needs one layer, got {len(layers)} ({layer!r})")
    (base,) = layers
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
    bad = [name for name in paths if not isinstance(name, str) or not name.strip()]
    if bad:
        raise ValueError(f"receptive_field_paths: every path needs a name (a non-empty string), got {bad!r}")
    table = PathTable()
    states = {}
    for name, spec in paths.items():
        layers = as_layers(spec)
        if not layers:
            raise ValueError(f"receptive_field_paths: path {name!r} has no layers")
        states[name] = [AxisState(), AxisState()]
        for layer in layers:
            if layer.kind == 'global':
                raise ValueError(f"receptive_field_paths: path {name!r}: {layer.name} reads its whole input")
            for a in range(2):
                try:
                    states[name][a].add(layer.axis(a))
                except ValueError as err:
                    raise ValueError(f"receptive_field_paths: path {name!r}, {layer.name}: {err}") from None
        facts = [axis_facts(states[name][a]) for a in range(2)]
        table.append(PathRF(name, len(layers), tuple(f.rf_min for f in facts),
                            tuple(f.rf_max for f in facts), tuple(f.jump for f in facts),
                            tuple(f.start for f in facts)))
    lo, hi = [], []
    for a in range(2):
        axis_states = [st[a] for st in states.values()]
        period = math.lcm(*[st.period for st in axis_states])
        if period * len(axis_states) > MAX_WORK:
            raise ValueError(f"receptive_field_paths: the paths' patterns repeat together only every {period} "
                             f"positions; the exact union stops at {MAX_WORK:,} position-paths")
        ext = [st.extents(numpy.arange(period)) for st in axis_states]
        has = numpy.any([e[2] for e in ext], axis=0)
        big = numpy.iinfo(numpy.int64).max
        first = numpy.min([numpy.where(e[2], e[0], big) for e in ext], axis=0)
        last = numpy.max([numpy.where(e[2], e[1], -big) for e in ext], axis=0)
        spans = [int(v) for v in numpy.where(has, last - first + 1, 0)]
        lo.append(min(spans))
        hi.append(max(spans))
    table.combined = PathRF('(all paths)', None, tuple(lo), tuple(hi), None, None)
    return table
