"""From minigrad nn Modules to what the calculators read: Layers and traced Records.

Two ways to see a model:

* **walk** (:func:`leaf_modules`): its leaf modules (modules without children)
  in registration order, which is forward order for ``Sequential`` and for
  models that create their layers in the order they use them;
* **trace** (:func:`trace`): run one forward pass under ``no_grad`` on a zeros
  input with a forward hook on every leaf module, recording the *actual*
  call order, every input and output shape, and which arrays each layer
  read and wrote (so the memory model knows when two layers share one
  array).  This is the shape inference of :mod:`minigrad.calc.memory`,
  :mod:`~minigrad.calc.flops` and :mod:`~minigrad.calc.summary`.  It costs one
  forward pass of the model, without any graph.

Only leaf modules are seen: work done in a ``forward`` with functional calls
(``F.relu(x)``, ``cat``, ``x + skip``) is invisible to the walk and the trace.
"""
import math
from dataclasses import dataclass, field

import numpy

from ..ops.geometry import conv_transpose_out_size, pair, same_padding
from .layers import Layer

IDENTITY = {'ReLU', 'LeakyReLU', 'Sigmoid', 'Tanh', 'ELU', 'GELU', 'SiLU', 'Hardtanh', 'PReLU',
            'Softmax', 'LogSoftmax', 'Softmax2d', 'Dropout', 'Dropout2d', 'Identity',
            'BatchNorm1d', 'BatchNorm2d', 'InstanceNorm2d', 'GroupNorm', 'LayerNorm'}
GLOBAL = {'Linear', 'Flatten', 'AdaptiveAvgPool2d', 'AdaptiveMaxPool2d'}
PADS = {'ZeroPad2d', 'ReflectionPad2d', 'ReplicationPad2d', 'ConstantPad2d'}


def _scale(module, in_hw=None, out_hw=None):
    """Integer up-sampling factor of an Upsample module (from its shapes when it has ``size``)."""
    factor = getattr(module, 'scale_factor', None)
    if factor is None:
        if in_hw is None:
            raise ValueError(f"{type(module).__name__}(size=...): give an input size so the factor is known")
        factor = tuple(o / i for o, i in zip(out_hw, in_hw))
    factor = (factor, factor) if isinstance(factor, (int, float)) else tuple(factor)
    if any(float(f) != int(f) or f < 1 for f in factor):
        raise ValueError(f"{type(module).__name__}: only integer up-sampling factors are supported, got {factor}")
    return tuple(int(f) for f in factor)


def layer_from_module(module, in_shape=None, out_shape=None, name=''):
    """The :class:`Layer` (geometry + channels) of one leaf module, or None if unknown.

    Norms, activations and dropout are ``identity`` (see docs/calc.md for why
    norms are only *approximately* pointwise); Linear / Flatten / adaptive
    pooling are ``global``.
    """
    t = type(module).__name__
    name = f"{name}:{t}" if name else t
    if t in ('Conv2d', 'ConvTranspose2d'):
        k, d = pair(module.kernel_size), pair(module.dilation)
        pad = module.padding
        after = None
        if isinstance(pad, str):  # 'same' / 'valid': torch puts an odd extra row/col after
            halves = [same_padding(kk, dd) if pad == 'same' else (0, 0) for kk, dd in zip(k, d)]
            pad, after = tuple(h[0] for h in halves), tuple(h[1] for h in halves)
        kw = dict(in_channels=module.in_channels, out_channels=module.out_channels,
                  groups=getattr(module, 'groups', 1), bias=getattr(module, 'bias', None) is not None,
                  name=name)
        if t == 'Conv2d':
            return Layer('conv', k, module.stride, pad, d, padding_after=after, **kw)
        op = pair(module.output_padding)
        if in_shape is not None and out_shape is not None:  # forward(x, output_size=...) may change it
            op = tuple(o - conv_transpose_out_size(i, kk, s, p, dd) for o, i, s, p, dd, kk in
                       zip(out_shape[2:], in_shape[2:], pair(module.stride), pair(pad), d, k))
        return Layer('tconv', k, module.stride, pad, d, op, **kw)
    if t in ('MaxPool2d', 'AvgPool2d'):
        kind = 'maxpool' if t == 'MaxPool2d' else 'avgpool'
        return Layer(kind, module.kernel_size, module.stride, module.padding, getattr(module, 'dilation', 1),
                     ceil_mode=bool(getattr(module, 'ceil_mode', False)), name=name)
    if t == 'MaxUnpool2d':
        return Layer('unpool', module.kernel_size, module.stride, module.padding, name=name)
    if t in ('Upsample', 'UpsamplingNearest2d', 'UpsamplingBilinear2d'):
        f = _scale(module, in_shape and in_shape[2:], out_shape and out_shape[2:])
        mode = 'bilinear' if 'linear' in str(getattr(module, 'mode', 'nearest')) else 'nearest'
        return Layer('upsample', scale=f, mode=mode, name=name)
    if t in PADS:
        left, right, top, bottom = module.padding
        return Layer('pad', padding=(top, left), padding_after=(bottom, right), name=name)
    if t in IDENTITY:
        return Layer('identity', name=name)
    if t in GLOBAL:
        out_c = getattr(module, 'out_features', None)
        return Layer('global', out_channels=out_c, name=name)
    return None


def children(module):
    return [(n, m) for n, m in getattr(module, '_modules', {}).items() if m is not None]


def leaf_modules(model, prefix=''):
    """(qualified name, module) of every leaf module, depth first in registration order."""
    kids = children(model)
    if not kids:
        return [(prefix or type(model).__name__, model)]
    out = []
    for name, child in kids:
        out += leaf_modules(child, f"{prefix}.{name}" if prefix else name)
    return out


def own_parameters(module):
    """Parameters registered directly on ``module`` (not its children)."""
    return [p for p in getattr(module, '_parameters', {}).values() if p is not None]


def _base(a):
    while getattr(a, 'base', None) is not None:
        a = a.base
    return a


def array_key(a):
    """Identity of the memory behind an array (views share their base's key)."""
    return id(_base(a))


def _arrays(obj):
    """Backend arrays inside a hook's args/output (Tensors, tuples of them)."""
    if hasattr(obj, 'array') and hasattr(obj, 'shape') and hasattr(obj.array, 'nbytes'):
        return [obj.array]
    if isinstance(obj, (tuple, list)):
        return [a for o in obj for a in _arrays(o)]
    return []


@dataclass
class Record:
    """One leaf layer as the calculators see it.

    ``inputs`` / ``outputs`` are (key, shape, dtype) of the arrays it read and
    wrote -- keys are array identities from a trace, or ('act', i) labels for a
    layer list -- so the memory model can tell when two layers share an array.
    """
    name: str
    type: str
    layer: Layer
    inputs: list
    outputs: list
    params: list = field(default_factory=list)   # (key, shape, dtype, requires_grad)
    module: object = None

    @property
    def in_shape(self):
        return self.inputs[0][1] if self.inputs else None

    @property
    def out_shape(self):
        return self.outputs[0][1] if self.outputs else None

    @property
    def n_params(self):
        return sum(math.prod(p[1]) for p in self.params)


def is_chain(model):
    """True when ``model``'s forward is known without running it to be its leaves one after another:
    a leaf, or an ``nn.Sequential`` (not overriding ``forward``) of such modules."""
    from .. import nn
    kids = children(model)
    if not kids:
        return True
    return isinstance(model, nn.Sequential) and type(model).forward is nn.Sequential.forward and \
        all(is_chain(m) for _, m in kids)


def chain_break(records, input_key, output_key):
    """Why a traced forward is *not* a chain of its leaf layers (a string), or None when it is.

    A chain: the first layer reads the model's input, every layer reads exactly what the layer before
    it wrote (same array, same shape; integer side inputs such as unpooling indices allowed), and the
    model returns the last layer's output.  A skip connection, ``cat``, crop, ``x + f(x)`` or
    functional op in ``forward`` makes a layer read an array no layer wrote.
    """
    previous, shape, what = input_key, None, 'the model input'
    for rec in records:
        floats = [(k, s) for k, s, dtype in rec.inputs if numpy.dtype(dtype).kind == 'f']
        if len(floats) != 1 or floats[0][0] != previous or shape not in (None, floats[0][1]):
            return f"{rec.name} ({rec.type}) does not read {what} alone"
        (previous, shape, _), what = rec.outputs[0], f"the output of {rec.name}"
    if not records or output_key != previous:
        return f"the model does not return {what}"
    return None


def layers_from_module(model, input_size=None):
    """Layers of a Module in forward order, for a receptive field (which only a chain of layers has).

    A nested ``nn.Sequential`` (:func:`is_chain`) is walked: no forward pass needed.  Any other Module
    is traced (:func:`trace`) on ``input_size`` = (N, C, H, W), or (1, C, H, W) for H / (H, W) with C
    from its first layer that has ``in_channels``, and must pass :func:`chain_break`.  Without an
    input size, or when the trace shows more than one path, it is refused with a ValueError that
    says what to call instead; also for a leaf module whose geometry is unknown.
    """
    name = type(model).__name__
    paths = (f"calc.receptive_field_paths(model) (a {name} knows its paths)" if
             hasattr(model, 'receptive_field_paths') else "calc.receptive_field_paths({path: [layers]})")
    if is_chain(model):
        found = [(n, type(m).__name__, layer_from_module(m, name=n)) for n, m in leaf_modules(model)]
    elif input_size is None:
        raise ValueError(f"receptive_field: {name} has its own forward(), so the order of its layers is known "
                         f"only by running it: pass input_size (H, (H, W) or (N, C, H, W)) to trace it, or use "
                         f"{paths} for a net with several paths")
    else:
        recs = trace(model, _traced_shape(model, input_size))
        reason = chain_break(recs, recs.input_key, recs.output_key)
        if reason:
            raise ValueError(f"receptive_field: {name} is not a chain of layers: {reason} (a skip "
                             f"connection, cat, crop or functional op in forward): use {paths}")
        found = [(r.name, r.type, r.layer) for r in recs]
    unknown = [f"{n} ({kind})" for n, kind, layer in found if layer is None]
    if unknown:
        raise ValueError(f"receptive_field: no geometry known for {', '.join(unknown)}; "
                         f"describe them with calc.Layer specs instead")
    return [layer for _, _, layer in found]


def _traced_shape(model, input_size):
    """(N, C, H, W) to trace ``model`` on: as given, or (1, C, H, W) with C from its first layer."""
    size = (input_size, input_size) if isinstance(input_size, int) else tuple(input_size)
    if len(size) == 4:
        return size
    channels = next((m.in_channels for _, m in leaf_modules(model) if hasattr(m, 'in_channels')), None)
    if channels is None:
        raise ValueError(f"receptive_field: cannot tell how many channels {type(model).__name__} takes; "
                         f"pass input_size=(N, C, H, W)")
    return (1, channels) + size[-2:]


class Trace(list):
    """The :class:`Record` list of :func:`trace`, with the keys of the model's input and output arrays."""
    input_key = None
    output_key = None


def trace(model, input_shape, dtype='float32'):
    """Run ``model`` once on zeros of ``input_shape`` under no_grad; one :class:`Record` per leaf call.

    Arrays are kept alive until the trace ends, so array identities (``id``) are
    never reused between layers.
    """
    import minigrad as mg
    records, keep, handles = Trace(), [], []
    dtype = numpy.dtype(dtype)

    def hook_for(name, module):
        def hook(mod, args, output):
            ins, outs = _arrays(args), _arrays(output)
            keep.extend(ins + outs)
            in_shape = tuple(ins[0].shape) if ins else None
            out_shape = tuple(outs[0].shape) if outs else None
            layer = layer_from_module(mod, in_shape, out_shape, name=name)
            params = [(array_key(p.array), tuple(p.shape), p.dtype, p.requires_grad)
                      for p in own_parameters(mod)]
            records.append(Record(name, type(mod).__name__, layer,
                                  [(array_key(a), tuple(a.shape), a.dtype) for a in ins],
                                  [(array_key(a), tuple(a.shape), a.dtype) for a in outs], params, mod))
        return hook

    for name, module in leaf_modules(model):
        handles.append(module.register_forward_hook(hook_for(name, module)))
    try:
        with mg.no_grad():
            x = mg.zeros(*input_shape, dtype=dtype)
            keep.append(x.array)
            out = _arrays(model(x))
            keep.extend(out)
            records.input_key = array_key(x.array)
            records.output_key = array_key(out[0]) if out else None
    finally:
        for h in handles:
            h.remove()
    return records
