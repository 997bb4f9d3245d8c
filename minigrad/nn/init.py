"""Weight initialisation, as ``torch.nn.init``.

Every function fills a tensor IN PLACE (no graph) and returns it.  Values are
drawn on the CPU from :func:`minigrad.random.generator` and copied to the
tensor's device, so a seed gives the same weights on NumPy and CuPy.

Why the scale matters: a layer with fan_in inputs of variance 1 and weights of
variance v gives outputs of variance fan_in·v.  Keeping that near 1 through
many layers (so signals neither explode nor vanish) asks for v ≈ gain²/fan_in:

* ``xavier_*`` (Glorot):  v = gain² · 2/(fan_in + fan_out)   (tanh / sigmoid nets)
* ``kaiming_*`` (He):     v = gain² / fan                    (ReLU nets: gain = √2)

A uniform U(−b, b) has variance b²/3, so the uniform versions use b = √3·std.

torch's default for Linear and Conv layers is ``kaiming_uniform_(w, a=√5)``:
gain = √(2/(1+5)) = √(1/3), hence b = √3·√(1/3)/√fan_in = 1/√fan_in, and the
bias is U(−1/√fan_in, 1/√fan_in) too.  ``reset_parameters`` of our layers does
exactly that.  pix2pix instead draws N(0, 0.02) for every conv weight::

    model.apply(nn.init.init_weights_normal(0.02))
"""
import math

import numpy

from .. import backend
from ..random import generator


def _fill(tensor, values):
    """Write host ``values`` into ``tensor`` in place, keeping its dtype and device."""
    target = tensor.array
    target[...] = backend.to_device(numpy.asarray(values, dtype=target.dtype), backend.device_of(target))
    tensor._version.value += 1  # an in-place change, like any other (see Tensor._assign)
    return tensor


def calculate_gain(nonlinearity, param=None):
    """The gain for a nonlinearity, as torch: linear/conv/sigmoid 1, tanh 5/3, relu √2,
    leaky_relu √(2/(1 + slope²)) (slope ``param``, default 0.01), selu 3/4."""
    linear = ('linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d',
              'conv_transpose3d', 'sigmoid')
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == 'tanh':
        return 5.0 / 3
    if nonlinearity == 'relu':
        return math.sqrt(2.0)
    if nonlinearity == 'leaky_relu':
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == 'selu':
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor):
    """fan_in = shape[1]·receptive field, fan_out = shape[0]·receptive field (as torch).

    For a Linear weight (out, in) that is (in, out); for a Conv2d weight (O, C/g, kH, kW)
    (C/g·kH·kW, O·kH·kW); for a ConvTranspose2d weight (C_in, C_out/g, kH, kW) torch's rule
    gives fan_in = C_out/g·kH·kW — the same formula, applied to the transposed layout."""
    shape = tuple(tensor.shape)
    if len(shape) < 2:
        raise ValueError(f"init: fan in and fan out can not be computed for a tensor with fewer than "
                         f"2 dimensions (shape {shape})")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    if mode not in ('fan_in', 'fan_out'):
        raise ValueError(f"init: mode {mode!r} not supported, please use one of 'fan_in', 'fan_out'")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == 'fan_in' else fan_out


def uniform_(tensor, a=0.0, b=1.0):
    """Fill with U(a, b)."""
    return _fill(tensor, generator().uniform(a, b, size=tensor.shape))


def normal_(tensor, mean=0.0, std=1.0):
    """Fill with N(mean, std²)."""
    return _fill(tensor, generator().normal(mean, std, size=tensor.shape))


def constant_(tensor, val):
    """Fill with ``val``."""
    return _fill(tensor, numpy.full(tensor.shape, val))


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor, gain=1.0):
    """U(−b, b) with b = gain·√(6/(fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    """N(0, std²) with std = gain·√(2/(fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def kaiming_uniform_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu'):
    """U(−b, b) with b = gain·√(3/fan), gain = calculate_gain(nonlinearity, a) (He et al., 2015)."""
    fan = _calculate_correct_fan(tensor, mode)
    if fan == 0:
        return tensor
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu'):
    """N(0, std²) with std = gain/√fan."""
    fan = _calculate_correct_fan(tensor, mode)
    if fan == 0:
        return tensor
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan))


def orthogonal_(tensor, gain=1):
    """A (semi-)orthogonal matrix times ``gain`` (Saxe et al., 2013), as torch: the tensor seen
    as rows = shape[0] by cols = the rest gets the Q of the QR decomposition of a standard
    normal matrix, its column signs fixed by R's diagonal so Q is uniformly distributed;
    orthonormal rows when rows <= cols, orthonormal columns otherwise."""
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: only tensors with 2 or more dimensions are supported, got shape "
                         f"{tuple(tensor.shape)}")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = generator().standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = numpy.linalg.qr(flat)
    q = q * numpy.sign(numpy.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))


# --------------------------------------------------------------------------- whole-model recipes

# The layers say what they are (a class attribute), so this module need not import them
# (they import it for their reset_parameters).
def _is_conv_or_linear(module):
    return getattr(module, 'init_role', None) == 'weight'


def _is_norm(module):
    return getattr(module, 'init_role', None) == 'norm'


def init_weights(kind='normal', gain=0.02):
    """A function for ``model.apply(...)`` that re-initialises every conv / linear layer the
    way pix2pix does: weights by ``kind`` ('normal': N(0, gain²); 'xavier': xavier_normal_
    with ``gain``; 'kaiming': kaiming_normal_(a=0, mode='fan_in')), biases to 0, and
    BatchNorm / affine InstanceNorm scales to N(1, gain²) with zero shift."""
    if kind not in ('normal', 'xavier', 'kaiming'):
        raise ValueError(f"init_weights: kind must be 'normal', 'xavier' or 'kaiming', got {kind!r}")

    def fn(module):
        if _is_conv_or_linear(module):
            if kind == 'normal':
                normal_(module.weight, 0.0, gain)
            elif kind == 'xavier':
                xavier_normal_(module.weight, gain)
            else:
                kaiming_normal_(module.weight, a=0, mode='fan_in')
            if module.bias is not None:
                zeros_(module.bias)
        elif _is_norm(module) and getattr(module, 'weight', None) is not None:
            normal_(module.weight, 1.0, gain)
            zeros_(module.bias)
    return fn


def init_weights_normal(std=0.02):
    """pix2pix's initialisation in one line: ``model.apply(init_weights_normal(0.02))``
    (conv / linear weights N(0, std²), biases 0; norm scales N(1, std²), shifts 0)."""
    return init_weights('normal', std)
