"""Records for a model or a layer list: one per layer, with shapes, parameters and array identities.

:func:`records` is the single entry point used by memory, FLOPs and summary:

* a minigrad Module is *traced* (one forward pass under ``no_grad`` on zeros,
  forward hooks on every leaf module: :func:`minigrad.calc.modules.trace`);
* a layer list / spec string is computed by the spec math
  (:func:`minigrad.calc.layers.output_shape`), layer i reading the array
  written by layer i − 1.
"""
import math

import numpy

from .layers import MAX_VALUE, Layer, as_layers, output_shape
from .modules import Record, trace

#: The dtypes a memory / FLOPs / summary question can be asked for.
DTYPES = ('float16', 'float32', 'float64')
#: A traced model runs a real forward pass on zeros of the input shape: at most this many elements.
MAX_TRACED_INPUT = 2 ** 26

TYPE_OF_KIND = {'conv': 'Conv2d', 'tconv': 'ConvTranspose2d', 'maxpool': 'MaxPool2d', 'avgpool': 'AvgPool2d',
                'unpool': 'MaxUnpool2d', 'upsample': 'Upsample', 'pad': 'ZeroPad2d', 'identity': 'Identity',
                'global': 'Linear'}


def layer_params(layer, in_shape):
    """Parameter shapes of a spec layer (conv / tconv / global = flatten + Linear)."""
    in_channels = in_shape[1]
    c_out = layer.out_channels or in_channels
    g = layer.groups
    kh, kw = layer.kernel
    if layer.kind == 'conv':
        shapes = [(c_out, in_channels // g, kh, kw)]
    elif layer.kind == 'tconv':
        shapes = [(in_channels, c_out // g, kh, kw)]
    elif layer.kind == 'global':
        shapes = [(c_out, math.prod(in_shape[1:]))]
    else:
        return []
    return shapes + ([(c_out,)] if layer.bias else [])


def check_dtype(dtype):
    """``dtype`` as a NumPy float dtype of :data:`DTYPES`, else ValueError."""
    try:
        dt = numpy.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.name not in DTYPES:
        raise ValueError(f"calc: dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    return dt


def check_shape(input_shape):
    """(N, C, H, W) or (C, H, W) of positive ints below 2**31 -> (N, C, H, W), else ValueError."""
    try:
        shape = tuple(input_shape)
    except TypeError:
        shape = ()
    if len(shape) == 3:
        shape = (1,) + shape
    if len(shape) != 4 or any(isinstance(v, bool) or not isinstance(v, (int, numpy.integer))
                              or not 1 <= v < MAX_VALUE for v in shape):
        raise ValueError(f"calc: input shape must be (N, C, H, W) or (C, H, W) of positive ints below 2**31, "
                         f"got {input_shape!r}")
    return tuple(int(v) for v in shape)


def records_from_layers(layers, input_shape, dtype='float32'):
    """One :class:`Record` per spec layer; shapes by the spec math, keys ('act', i)."""
    dtype = check_dtype(dtype)
    shape = check_shape(input_shape)
    out = []
    for i, layer in enumerate(as_layers(layers)):
        if layer.kind == 'global' and layer.out_channels is None:
            raise ValueError(f"calc: a global layer in a spec needs out_channels ({layer.name})")
        new = output_shape(layer, shape)
        if len(new) == 4 and min(new[2:]) < 1:
            raise ValueError(f"calc: layer {i + 1} ({layer.name}) leaves no output pixels for input {shape}")
        if layer.in_channels is not None and layer.in_channels != shape[1]:
            raise ValueError(f"calc: layer {i + 1} ({layer.name}) expects {layer.in_channels} channels, "
                             f"gets {shape[1]}")
        params = [(('param', i, j), s, dtype, True) for j, s in enumerate(layer_params(layer, shape))]
        out.append(Record(layer.name, TYPE_OF_KIND[layer.kind], layer, [(('act', i - 1), shape, dtype)],
                          [(('act', i), new, dtype)], params))
        shape = new
    return out


def records(model, input_shape, dtype='float32'):
    """Records of a Module (traced), a Layer list or a spec string (computed)."""
    if isinstance(model, (str, list, tuple, Layer)):
        return records_from_layers(model, input_shape, dtype)
    shape = check_shape(input_shape)
    if math.prod(shape) > MAX_TRACED_INPUT:
        raise ValueError(f"calc: tracing {type(model).__name__} runs it on zeros of shape {shape}; that is more "
                         f"than {MAX_TRACED_INPUT:,} elements (describe it as a layer spec for such sizes)")
    return trace(model, shape, check_dtype(dtype))


def nbytes(shape, dtype):
    """Bytes of an array of ``shape`` (exact Python ints: no int64 overflow for huge specs)."""
    return math.prod(int(v) for v in shape) * numpy.dtype(dtype).itemsize
