"""Memory of a model: activations, parameters, gradients, optimizer state, and the autograd graph.

Units.  Two conventions are in use and the slides mix them: SI (decimal)
MB = 10^6 bytes, GB = 10^9 bytes, and binary (IEC) MiB = 2^20, GiB = 2^30
bytes.  We always print both.  The lecture's "200 · 400 · 400 · 4 bytes =
122MB" is 128,000,000 bytes = 128.00 MB = **122.07 MiB**; "100 layers, batch
20 = 238GB" is 2.56·10^11 bytes = 256.00 GB = **238.42 GiB**.

What is counted (``B`` = batch, float32 = 4 bytes):

* **activations**: every layer's output, B·C·H·W·4 bytes each (the slide's number;
  an output that is the same array as an earlier one -- Identity -- counts 0);
* **parameters**, their **gradients** (same size again) and the **optimizer
  state**: SGD 0, SGD with momentum 1x (a velocity per weight), Adam 2x (first
  and second moments);
* **graph** (what backward needs): the arrays each op saves in
  ``ctx.save_for_backward``, predicted from the rules below, which read what
  minigrad's ops actually save (ops/conv.py, pool.py, activation.py, norm.py,
  dropout.py, matmul.py).  Arrays shared by two layers count once, like
  :func:`minigrad.graph_bytes`, which :func:`measure` reports side by side.

=====================  ==================================================  ==========================
layer                  saves                                               bytes
=====================  ==================================================  ==========================
Conv2d                 its input (padding_mode 'reflect' etc.: the padded  input + weight
                       copy F.pad made) and the weight
ConvTranspose2d        its input and the weight                            input + weight
ReLU/Sigmoid/Tanh      its output                                          output
LeakyReLU              a boolean mask x > 0                                B·C·H·W·1
MaxPool2d              the winning tap per window (int8 up to 127 taps)    B·C·Ho·Wo·1
                       with the CPU-tuned kernels; the int64 indices with  (B·C·Ho·Wo·8)
                       the plain ones (CuPy, MINIGRAD_FAST=0) or return_indices
AvgPool2d              the divisor of every window (Ho, Wo)                Ho·Wo·4
MaxUnpool2d            the indices it was given (shared with the pool)     0 new
Upsample               two interpolation matrices (Ho, H), (Wo, W)         (Ho·H + Wo·W)·4
BatchNorm2d            x̂ (normalised input), 1/σ per channel, weight       input + C·4 + weight
InstanceNorm2d         x̂, 1/σ per (sample, channel), weight if affine      input + B·C·4 (+ weight)
Dropout (training)     the boolean keep-mask                               B·C·H·W·1 (Dropout2d: B·C)
Linear                 its input and the weight                            input + weight
Flatten/pads/Identity  nothing
=====================  ==================================================  ==========================

Shape inference: a Module is run once under ``no_grad`` on zeros with forward
hooks (:func:`minigrad.calc.modules.trace`) -- cheap for the small models of
the lessons, and exact about which layers share arrays; a layer list / spec
string uses the size formulas, no arrays at all (so "200 channels at 400x400,
100 layers, batch 20" costs nothing to predict).
"""
from dataclasses import dataclass, field

import numpy

from .. import backend
from .records import check_shape, nbytes, records
from .table import format_table, human_bytes, mb, mib

OPTIMIZER_STATES = {None: 0, 'none': 0, 'sgd': 0, 'momentum': 1, 'sgd-momentum': 1, 'sgd_momentum': 1,
                    'adam': 2, 'adamw': 2}


def optimizer_factor(optimizer):
    """Arrays of optimizer state per parameter array: SGD 0, momentum 1, Adam 2."""
    key = optimizer.lower() if isinstance(optimizer, str) else optimizer
    if key not in OPTIMIZER_STATES:
        raise ValueError(f"memory: optimizer must be one of {', '.join(str(k) for k in OPTIMIZER_STATES)}, "
                         f"got {optimizer!r}")
    return OPTIMIZER_STATES[key]


def _attr(rec, name, default):
    return getattr(rec.module, name, default) if rec.module is not None else default


def saved_by(rec, index, requires):
    """(key, bytes, 'act'|'param') of the arrays layer ``rec`` saves for backward (rules above).

    ``requires``: keys of arrays that carry a gradient (the model input does not).
    """
    t, lay = rec.type, rec.layer
    ins, outs = rec.inputs, rec.outputs
    if not ins:
        return []
    x_key, x_shape, dtype = ins[0]
    trainable = [p for p in rec.params if p[3]]
    if not trainable and not any(k in requires for k, _, _ in ins):
        return []   # nothing here needs a gradient: the op records no graph
    item = numpy.dtype(dtype).itemsize
    new = ('new', index)
    weight = [(p[0], nbytes(p[1], p[2]), 'param') for p in rec.params[:1]]
    if t == 'Conv2d':
        if _attr(rec, 'padding_mode', 'zeros') == 'zeros':
            saved = [(x_key, nbytes(x_shape, dtype), 'act')]
        else:   # the module pads with F.pad first: the op saves that new, padded array
            n, c, h, w = x_shape
            (pt, pl), (pb, pr) = lay.padding, lay.padding_after
            saved = [(new + ('xpad',), n * c * (h + pt + pb) * (w + pl + pr) * item, 'act')]
        return saved + weight
    if t in ('ConvTranspose2d', 'Linear'):
        saved = [(x_key, nbytes(x_shape, dtype), 'act')]
        if t == 'Linear' and x_key not in requires:
            return saved   # MatMul keeps the weight only to send a gradient to x
        return saved + weight
    if t in ('ReLU', 'Sigmoid', 'Tanh', 'Softmax', 'LogSoftmax'):
        return [(outs[0][0], nbytes(outs[0][1], outs[0][2]), 'act')]
    if t == 'LeakyReLU':
        return [(new + ('mask',), nbytes(x_shape, numpy.bool_), 'act')]
    if t == 'MaxPool2d':
        if len(outs) > 1:   # return_indices: the saved indices are the returned ones
            return [(outs[1][0], nbytes(outs[1][1], outs[1][2]), 'act')]
        taps = lay.kernel[0] * lay.kernel[1]
        if not backend.fast_kernels_for(backend.default_xp()):   # the plain kernel keeps int64 indices
            return [(new + ('indices',), nbytes(outs[0][1], numpy.int64), 'act')]
        small = numpy.int8 if taps <= 127 else numpy.int16 if taps <= 32767 else numpy.int32
        return [(new + ('taps',), nbytes(outs[0][1], small), 'act')]
    if t == 'AvgPool2d':
        return [(new + ('div',), nbytes(outs[0][1][2:], dtype), 'act')]
    if t == 'MaxUnpool2d':
        if len(ins) > 1:
            return [(ins[1][0], nbytes(ins[1][1], ins[1][2]), 'act')]
        return [(new + ('idx',), nbytes(x_shape, numpy.int64), 'act')]
    if t in ('Upsample', 'UpsamplingNearest2d', 'UpsamplingBilinear2d'):
        (h, w), (ho, wo) = x_shape[2:], outs[0][1][2:]
        return [(new + ('interp',), (ho * h + wo * w) * item, 'act')]
    if t in ('BatchNorm1d', 'BatchNorm2d', 'InstanceNorm2d'):
        per = x_shape[1] if t.startswith('Batch') else x_shape[0] * x_shape[1]
        saved = [(new + ('xhat',), nbytes(x_shape, dtype), 'act'), (new + ('invstd',), per * item, 'act')]
        return saved + weight
    if t in ('Dropout', 'Dropout2d'):
        if not _attr(rec, 'training', True) or _attr(rec, 'p', 0.5) == 0:
            return []
        shape = x_shape if t == 'Dropout' else x_shape[:2]
        return [(new + ('keep',), nbytes(shape, numpy.bool_), 'act')]
    return []


@dataclass
class MemRow:
    name: str
    type: str
    out_shape: tuple
    activation: int      # bytes of the output
    saved: int           # predicted new bytes this layer adds to the graph (activations)
    saved_params: int    # ... of which parameters (weights saved by the op)
    params: int          # parameter bytes
    measured: int = None  # measured new graph bytes (see :func:`measure`)


@dataclass
class MemoryReport:
    """What :func:`memory` predicts (and, after :func:`measure`, what was measured)."""
    rows: list
    input_shape: tuple
    dtype: str
    optimizer: str
    params: int = 0
    grads: int = 0
    optimizer_state: int = 0
    activations: int = 0
    graph: int = 0            # predicted graph bytes: saved activations + saved weights
    graph_params: int = 0
    measured_graph: int = None
    measured_graph_params: int = None
    unknown: list = field(default_factory=list)

    @property
    def graph_activations(self):
        return self.graph - self.graph_params

    @property
    def training_total(self):
        """Parameters + gradients + optimizer state + graph (activations saved for backward)."""
        return self.params + self.grads + self.optimizer_state + self.graph_activations

    def table(self, max_rows=20):
        head = ['#', 'layer', 'type', 'output shape', 'activation', 'graph (pred)', 'params']
        has_measured = any(r.measured is not None for r in self.rows)
        if has_measured:
            head.append('graph (meas)')
        rows = []
        for i, r in enumerate(self.rows):
            row = [i + 1, r.name, r.type, 'x'.join(str(s) for s in r.out_shape), mib(r.activation),
                   mib(r.saved), mib(r.params)]
            if has_measured:
                row.append('-' if r.measured is None else mib(r.measured))
            rows.append(row)
        return format_table(head, rows, 'rlllrrrr', max_rows=max_rows)

    def totals(self):
        n = self.input_shape[0]
        lines = [('activations (all layer outputs)', self.activations),
                 ('  per image', self.activations // n if n else 0),
                 ('parameters', self.params), ('gradients', self.grads),
                 (f'optimizer state ({self.optimizer})', self.optimizer_state),
                 ('graph, predicted (saved for backward)', self.graph),
                 ('  of which weights', self.graph_params)]
        if self.measured_graph is not None:
            err = (self.graph - self.measured_graph) / max(self.measured_graph, 1) * 100
            lines += [('graph, measured (minigrad.graph_bytes)', self.measured_graph),
                      ('  of which weights', self.measured_graph_params),
                      (f'  prediction error {err:+.2f}%', None)]
        lines.append(('training total: params + grads + optimizer + graph activations', self.training_total))
        rows = [[k, '' if v is None else f"{v:,} B", '' if v is None else mb(v), '' if v is None else mib(v)]
                for k, v in lines]
        return format_table(['total', 'bytes', 'SI (MB = 10^6 B)', 'binary (MiB = 2^20 B)'], rows, 'lrrr')

    def __str__(self):
        n, c, h, w = self.input_shape
        text = (f"input {n}x{c}x{h}x{w} ({self.dtype}), batch {n}\n{self.table()}\n\n{self.totals()}")
        if self.unknown:
            text += f"\nno memory rule for: {', '.join(self.unknown)} (counted as saving nothing)"
        return text


KNOWN = {'Conv2d', 'ConvTranspose2d', 'Linear', 'ReLU', 'Sigmoid', 'Tanh', 'Softmax', 'LogSoftmax', 'LeakyReLU',
         'MaxPool2d', 'AvgPool2d', 'MaxUnpool2d', 'Upsample', 'UpsamplingNearest2d', 'UpsamplingBilinear2d',
         'BatchNorm1d', 'BatchNorm2d', 'InstanceNorm2d', 'Dropout', 'Dropout2d', 'Flatten', 'Identity',
         'ZeroPad2d', 'ReflectionPad2d', 'ReplicationPad2d'}


def memory(model, input_shape, dtype='float32', optimizer='adam', batch=None):
    """Predict the memory of training ``model`` on inputs of ``input_shape`` (N, C, H, W).

    ``model``: a minigrad Module, a Layer list or a spec string (``"conv3x3c200*100"``).
    ``batch`` overrides N.  Returns a :class:`MemoryReport` (``print`` it).
    """
    shape = check_shape(input_shape)
    if batch is not None:
        if isinstance(batch, bool) or not isinstance(batch, (int, numpy.integer)) or not 1 <= batch < 2 ** 31:
            raise ValueError(f"memory: batch must be a positive int below 2**31, got {batch!r}")
        shape = (int(batch),) + shape[1:]
    recs = records(model, shape, dtype)
    factor = optimizer_factor(optimizer)
    report = MemoryReport([], shape, str(numpy.dtype(dtype)), str(optimizer))
    input_key = recs[0].inputs[0][0] if recs and recs[0].inputs else None
    requires, seen, params_seen, outputs_seen = set(), set(), set(), set()
    for i, rec in enumerate(recs):
        saved = saved_by(rec, i, requires - {input_key})
        new = [(k, b, kind) for k, b, kind in saved if k not in seen]
        seen.update(k for k, _, _ in saved)
        if rec.type not in KNOWN and rec.type not in report.unknown:
            report.unknown.append(rec.type)
        pbytes = 0
        for key, pshape, pdtype, req in rec.params:
            if key in params_seen:
                continue
            params_seen.add(key)
            b = nbytes(pshape, pdtype)
            pbytes += b
            report.params += b
            if req:
                report.grads += b
                report.optimizer_state += factor * b
        if any(p[3] for p in rec.params) or any(k in requires for k, _, _ in rec.inputs):
            requires.update(k for k, _, _ in rec.outputs)
        act = 0   # the output's bytes, unless it is an array seen before (Identity returns its input)
        if rec.outputs and rec.outputs[0][0] not in outputs_seen:
            act = nbytes(rec.out_shape, rec.outputs[0][2])
        outputs_seen.update(k for k, _, _ in rec.outputs + rec.inputs)
        report.activations += act
        row = MemRow(rec.name, rec.type, rec.out_shape or (), act, sum(b for _, b, _ in new),
                     sum(b for _, b, kind in new if kind == 'param'), pbytes)
        report.graph += row.saved
        report.graph_params += row.saved_params
        report.rows.append(row)
    return report


def measure(model, input_shape, dtype='float32', optimizer='adam', batch=None):
    """:func:`memory`, plus one real forward pass with gradients on, measured with
    :func:`minigrad.graph_bytes` (total and per layer: the new arrays the graph holds
    after each leaf module, functional ops just before it included)."""
    import minigrad as mg
    from ..instrument import graph_arrays
    from .modules import leaf_modules, own_parameters

    report = memory(model, input_shape, dtype, optimizer, batch)
    seen, per_layer, handles = set(), [], []
    param_ids = {id(p.array) for _, m in leaf_modules(model) for p in own_parameters(m)}
    param_ids |= {id(p.array) for p in model.parameters()} if hasattr(model, 'parameters') else set()

    def hook(mod, args, output):
        out = output[0] if isinstance(output, (tuple, list)) else output
        new = 0
        if getattr(out, 'requires_grad', False):
            for a in graph_arrays(out):
                if id(a) not in seen:
                    seen.add(id(a))
                    new += a.nbytes
        per_layer.append(new)

    for _, m in leaf_modules(model):
        handles.append(m.register_forward_hook(hook))
    try:
        x = mg.zeros(*report.input_shape, dtype=numpy.dtype(dtype))
        out = model(x)
    finally:
        for h in handles:
            h.remove()
    out = out[0] if isinstance(out, (tuple, list)) else out
    arrays = graph_arrays(out) if out.requires_grad else []
    report.measured_graph = mg.graph_bytes(out) if out.requires_grad else 0
    report.measured_graph_params = int(sum(a.nbytes for a in arrays if id(a) in param_ids))
    if len(per_layer) == len(report.rows):
        for row, b in zip(report.rows, per_layer):
            row.measured = b
    return report


def slide_numbers(channels=200, size=400, layers=100, batch=20, itemsize=4):
    """The lecture's arithmetic: bytes per layer per image and for the whole net and batch."""
    per = channels * size * size * itemsize
    return per, per * layers * batch


def describe(nbytes_):
    """'128,000,000 bytes = 128.00 MB = 122.07 MiB'."""
    return f"{nbytes_:,} bytes = {human_bytes(nbytes_)}"
