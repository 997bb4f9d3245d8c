"""Layer specs: the plain description of a layer that every calculator reads.

A :class:`Layer` says what a layer does to the *geometry* of a feature map
(kernel, stride, padding, dilation, up-sampling factor) and, optionally, to its
channels (``in_channels``, ``out_channels``) -- enough for receptive fields,
output sizes, memory and FLOPs, without building the layer.  Every 2-D
quantity is a pair ``(H, W)``; an int means the same value on both axes.

Kinds (what happens along one axis, for output position ``o``):

=============  =================================================================
``conv``       y[o] uses x[s·o − p + d·t], t = 0..k−1            (nn.Conv2d)
``tconv``      x[i] is scattered to y[s·i + d·t − p]              (nn.ConvTranspose2d)
``maxpool``    like conv, one channel at a time                   (nn.MaxPool2d)
``avgpool``    like maxpool                                       (nn.AvgPool2d)
``unpool``     x[i] goes to one place inside its pooling window    (nn.MaxUnpool2d)
``upsample``   y[o] uses x[floor(o / f)] (nearest) or two           (nn.Upsample)
               neighbours (bilinear)
``pad``        y[o] uses x[o − p] (inside the image)                (nn.ZeroPad2d …)
``identity``   y[o] uses x[o]: activations, dropout, norms (see docs/calc.md)
``global``     y uses all of x: Linear, Flatten, adaptive pooling
=============  =================================================================

:func:`parse_spec` reads the small spec language of the CLI, e.g.
``"conv3x3*100"`` or ``"conv4s2c64,conv4s2c128,conv4c512,conv4c1"``.
"""
import re
from dataclasses import dataclass, replace

from ..ops.geometry import conv_out_size, conv_transpose_out_size, pool_out_size, span, unpool_out_size

KINDS = ('conv', 'tconv', 'maxpool', 'avgpool', 'unpool', 'upsample', 'pad', 'identity', 'global')
POOLS = ('maxpool', 'avgpool')
#: Every size, stride, padding, factor and channel count is below this (the largest int32 + 1), so
#: positions and byte counts stay exact in int64 arithmetic.
MAX_VALUE = 2 ** 31


def _int(v, name):
    """An int (or an integral NumPy int / float such as 3.0), never a silently truncated 2.7."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) and not hasattr(v, '__index__'):
        raise ValueError(f"Layer: {name} must be an int or a pair of ints, got {v!r}")
    if isinstance(v, float) and not v.is_integer():
        raise ValueError(f"Layer: {name} must be a whole number, got {v!r}")
    return int(v)


def pair(value, name='value', minimum=0):
    """int or (a, b) -> (a, b) of ints in [minimum, MAX_VALUE), else ValueError."""
    if not isinstance(value, (tuple, list)):
        value = (value, value)
    if len(value) != 2:
        raise ValueError(f"Layer: {name} must be an int or a pair of ints, got {value!r}")
    a, b = (_int(v, name) for v in value)
    if min(a, b) < minimum or max(a, b) >= MAX_VALUE:
        raise ValueError(f"Layer: {name} must be >= {minimum} and < 2**31, got {value!r}")
    return a, b


def count(value, name, minimum=1):
    """A positive int (channels, groups) below MAX_VALUE, or None; else ValueError."""
    if value is None:
        return None
    v = _int(value, name)
    if not minimum <= v < MAX_VALUE:
        raise ValueError(f"Layer: {name} must be >= {minimum} and < 2**31, got {value!r}")
    return v


@dataclass(frozen=True)
class Layer:
    """One layer's geometry (and channels), as plain data.

    ``kernel, stride, padding, dilation, output_padding, scale`` are (H, W)
    pairs after construction (ints are accepted).  ``stride`` of a pool
    defaults to its kernel, as in torch.  ``scale`` is the integer factor of an
    ``upsample`` layer, ``mode`` its interpolation ('nearest' or 'bilinear').
    ``in_channels`` / ``out_channels`` are optional: only memory and FLOPs
    need them (None means "same as the input").  ``padding`` is the padding
    before (top, left); ``padding_after`` (bottom, right) defaults to it
    (torch's ``padding='same'`` with an even kernel pads one more after).
    """
    kind: str
    kernel: tuple = (1, 1)
    stride: tuple = None
    padding: tuple = (0, 0)
    dilation: tuple = (1, 1)
    output_padding: tuple = (0, 0)
    scale: tuple = (1, 1)
    mode: str = 'nearest'
    ceil_mode: bool = False
    in_channels: int = None
    out_channels: int = None
    groups: int = 1
    bias: bool = True
    name: str = ''
    padding_after: tuple = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Layer: kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        setattr_ = object.__setattr__
        setattr_(self, 'kernel', pair(self.kernel, 'kernel', 1))
        stride = self.stride
        if stride is None:
            stride = self.kernel if self.kind in POOLS + ('unpool',) else 1
        setattr_(self, 'stride', pair(stride, 'stride', 1))
        setattr_(self, 'padding', pair(self.padding, 'padding', 0))
        after = self.padding if self.padding_after is None else self.padding_after
        setattr_(self, 'padding_after', pair(after, 'padding_after', 0))
        setattr_(self, 'dilation', pair(self.dilation, 'dilation', 1))
        setattr_(self, 'output_padding', pair(self.output_padding, 'output_padding', 0))
        setattr_(self, 'scale', pair(self.scale, 'scale', 1))
        if self.mode not in ('nearest', 'bilinear'):
            raise ValueError(f"Layer: upsample mode must be 'nearest' or 'bilinear', got {self.mode!r}")
        for key in ('in_channels', 'out_channels', 'groups'):
            setattr_(self, key, count(getattr(self, key), key))
        self._check_torch_rules()
        if not self.name:
            setattr_(self, 'name', self.short())

    def _check_torch_rules(self):
        """Refuse what torch refuses, so no calculator reports a layer that cannot be built."""
        who = f"Layer {self.name or self.kind}"
        if self.output_padding != (0, 0):
            if self.kind != 'tconv':
                raise ValueError(f"{who}: output_padding only applies to a transposed conv, got "
                                 f"{self.output_padding} on a {self.kind} layer")
            if any(op >= max(s, d) for op, s, d in zip(self.output_padding, self.stride, self.dilation)):
                raise ValueError(f"{who}: output_padding {self.output_padding} must be smaller than the stride "
                                 f"{self.stride} or the dilation {self.dilation} (as in torch)")
        if self.kind in POOLS and any(p > k // 2 for p, k in zip(self.padding, self.kernel)):
            raise ValueError(f"{who}: pooling padding {self.padding} must be at most half the kernel "
                             f"{self.kernel} (as in torch)")
        if self.kind == 'avgpool' and self.dilation != (1, 1):
            raise ValueError(f"{who}: average pooling has no dilation (as in torch), got {self.dilation}")

    def short(self):
        """A compact name in the spec language (``conv3x3s2``, ``up2`` …)."""
        k = self.kernel[0] if self.kernel[0] == self.kernel[1] else f"{self.kernel[0]}x{self.kernel[1]}"
        kk = f"{k}x{k}" if isinstance(k, int) else k
        extras = ''
        for letter, value, default in (('s', self.stride, (1, 1)), ('p', self.padding, (0, 0)),
                                       ('d', self.dilation, (1, 1))):
            if self.kind in POOLS + ('unpool',) and letter == 's':
                default = self.kernel
            if value != default:
                extras += f"{letter}{value[0] if value[0] == value[1] else value}"
        if self.kind == 'upsample':
            f = self.scale[0] if self.scale[0] == self.scale[1] else self.scale
            return f"up{f}" + ('' if self.mode == 'nearest' else 'b')
        if self.kind in ('identity', 'global'):
            return self.kind
        if self.kind == 'pad':
            return f"pad{pair_text(self.padding)}"
        head = {'conv': 'conv', 'tconv': 'tconv', 'maxpool': 'pool', 'avgpool': 'avgpool',
                'unpool': 'unpool'}[self.kind]
        return f"{head}{kk if self.kind in ('conv', 'tconv') else k}{extras}"

    def axis(self, a):
        """The 1-D geometry along axis ``a`` (0 = H, 1 = W) as a dict of ints."""
        return dict(kind=self.kind, k=self.kernel[a], s=self.stride[a], p=self.padding[a],
                    pa=self.padding_after[a], d=self.dilation[a], op=self.output_padding[a], f=self.scale[a],
                    mode=self.mode, ceil=self.ceil_mode)


def pair_text(p):
    return str(p[0]) if p[0] == p[1] else f"{p[0]}x{p[1]}"


def output_size(g, n):
    """Output length along one axis for input length ``n`` (torch's formulas; ``g`` from :meth:`Layer.axis`)."""
    kind, k, s, p, d = g['kind'], g['k'], g['s'], g['p'], g['d']
    if kind in ('conv', 'pad') + POOLS:
        if n + p + g['pa'] < span(k, d):
            return 0
        if g['ceil']:   # torch: the last window must start inside the input or the left padding
            return pool_out_size(n, k, s, p, d, ceil_mode=True)
        return conv_out_size(n, k, s, p, g['pa'], d)
    if kind == 'tconv':
        return conv_transpose_out_size(n, k, s, p, d, g['op'])
    if kind == 'unpool':
        return unpool_out_size(n, k, s, p)
    if kind == 'upsample':
        return n * g['f']
    if kind == 'global':
        return 1
    return n


def output_shape(layer, shape):
    """(N, C, H, W) after ``layer`` (channels from ``out_channels`` when given)."""
    if layer.kind == 'global':
        features = 1
        for v in shape[1:]:
            features *= v
        return (shape[0], layer.out_channels or features)
    if len(shape) != 4:
        raise ValueError(f"calc: {layer.name} needs an (N, C, H, W) input, got shape {tuple(shape)}")
    n, c, h, w = shape
    return (n, layer.out_channels or c, output_size(layer.axis(0), h), output_size(layer.axis(1), w))


# ------------------------------------------------------------------ convenience constructors

def conv(kernel, stride=1, padding=None, dilation=1, out_channels=None, **kw):
    """A conv layer; ``padding=None`` means "half the (dilated) kernel": d·(k−1)//2."""
    if padding is None:
        k, d = pair(kernel, 'kernel', 1), pair(dilation, 'dilation', 1)
        padding = (d[0] * (k[0] - 1) // 2, d[1] * (k[1] - 1) // 2)
    return Layer('conv', kernel, stride, padding, dilation, out_channels=out_channels, **kw)


def tconv(kernel, stride=1, padding=0, output_padding=0, dilation=1, out_channels=None, **kw):
    """A transposed conv layer (torch's arguments)."""
    return Layer('tconv', kernel, stride, padding, dilation, output_padding, out_channels=out_channels, **kw)


def pool(kernel, stride=None, padding=0, dilation=1, kind='maxpool', **kw):
    """A max (or ``kind='avgpool'``) pooling layer; stride defaults to the kernel."""
    return Layer(kind, kernel, stride, padding, dilation, **kw)


def upsample(scale, mode='nearest', **kw):
    """Nearest or bilinear up-sampling by an integer factor."""
    return Layer('upsample', scale=scale, mode=mode, **kw)


# ------------------------------------------------------------------ the spec language

SPEC_HELP = """\
Layer stack spec: comma-separated items, each  KIND[KERNEL][OPTIONS][*COUNT]
  conv3x3 / conv3   3x3 convolution (conv4x2 = 4 high, 2 wide)
  tconv4s2p1        transposed convolution
  pool2 / maxpool3s2, avgpool2   pooling (stride defaults to the kernel)
  unpool2           max-unpooling (inverse of pool2)
  up2 / up2b        nearest / bilinear up-sampling by 2
  id                identity (activation, norm, dropout)
  fc10              flatten + fully connected layer to 10 outputs (sees everything)
OPTIONS (any order):  sN stride, pN padding, dN dilation, opN output_padding,
  cN output channels.  *N repeats the item N times.
Padding default: conv/tconv d*(k-1)//2 ("half": a 3x3 conv keeps the size, a
4x4 s2 conv halves it); pool/unpool 0.  Write p0 for an unpadded conv.
Examples: conv3x3*100 | conv4s2*8 | conv3x3d2 | conv11s4p0,pool3s2 | tconv4s2p1"""

_SHAPES = "items look like conv3x3, conv4s2p1c64, tconv4s2p1, pool2, up2b, id, fc10 (see calc.SPEC_HELP)"
#: At most this many layers in one spec (the slide's deepest example has 100).
MAX_LAYERS = 1000

_ITEM = re.compile(r'^(tconv|conv|maxpool|avgpool|pool|unpool|up|fc|identity|id)(\d+(?:x\d+)?)?([a-z0-9]*)'
                   r'(?:\*(\d+))?$', re.ASCII)
_OPTION = re.compile(r'(op|s|p|d|c)(\d+)|(b)', re.ASCII)
#: The options each kind takes (anything else is refused, never silently ignored).
_OPTIONS = {'conv': 'spdc', 'tconv': 'spdco', 'pool': 'spd', 'maxpool': 'spd', 'avgpool': 'sp',
            'unpool': 'sp', 'up': 'b', 'fc': '', 'id': '', 'identity': ''}
_OPTION_NAMES = {'s': 'stride', 'p': 'padding', 'd': 'dilation', 'c': 'channels', 'o': 'output_padding',
                 'b': 'bilinear'}


def _number(digits, what, text):
    """Digits of a spec -> int below MAX_VALUE (checked on the text, so 20 digits cost nothing)."""
    digits = digits.lstrip('0') or '0'
    if len(digits) > 10 or int(digits) >= MAX_VALUE:
        raise ValueError(f"spec: {what} {digits} in {text!r} is too large (the limit is 2**31 - 1)")
    return int(digits)


def _options(opts, kind, text):
    """'s2p1b' -> {'s': 2, 'p': 1, 'b': True}; each option once, and only those ``kind`` takes."""
    values, pos = {}, 0
    while pos < len(opts):
        m = _OPTION.match(opts, pos)
        if not m:
            raise ValueError(f"spec: cannot read the options {opts[pos:]!r} of {text!r}; {_SHAPES}")
        key = 'b' if m.group(3) else ('o' if m.group(1) == 'op' else m.group(1))
        label = m.group(1) or 'b'
        if key not in _OPTIONS[kind]:
            raise ValueError(f"spec: {kind} takes no {_OPTION_NAMES[key]} option ({label!r}) in {text!r}")
        if key in values:
            raise ValueError(f"spec: option {label!r} given twice in {text!r}")
        values[key] = True if key == 'b' else _number(m.group(2), _OPTION_NAMES[key], text)
        pos = m.end()
    return values


def parse_item(text, max_count=MAX_LAYERS):
    """One spec item -> a list of Layers (several when it ends in ``*N``, N <= ``max_count``)."""
    item = text.strip().lower().replace(' ', '')
    m = _ITEM.match(item)
    if not m:
        raise ValueError(f"spec: cannot read {text!r}; {_SHAPES}")
    kind, size, opts, repeat = m.groups()
    values = _options(opts, kind, text)
    n = _number(repeat, 'repeat count', text) if repeat else 1
    if not 1 <= n <= max_count:
        raise ValueError(f"spec: repeat count must be between 1 and {max_count} in {text!r}, got {n}")
    if size is None and kind not in ('id', 'identity'):
        raise ValueError(f"spec: {text!r} needs a kernel size / factor, e.g. {kind}3 or {kind}3x3")
    if size is not None and kind in ('id', 'identity'):
        raise ValueError(f"spec: {kind} takes no size, got {text!r}")
    if size:
        parts = [_number(v, 'size', text) for v in size.split('x')]
        size = (parts[0], parts[-1])
    try:
        layer = _layer(kind, size, values, text)
    except ValueError as err:   # a Layer rule (torch's): say which item broke it
        raise ValueError(f"spec: {text!r}: {err}") from None
    return [replace(layer, name=f"{item.split('*')[0]}" + (f"#{i + 1}" if n > 1 else ''))
            for i in range(n)]


def _layer(kind, size, values, text):
    geo = {key: values[key] for key in 'spd' if key in values}
    channels = values.get('c')
    if kind == 'conv':
        layer = conv(size, geo.get('s', 1), geo.get('p'), geo.get('d', 1), out_channels=channels)
    elif kind == 'tconv':
        d = geo.get('d', 1)
        pad = geo.get('p', d * (size[0] - 1) // 2), geo.get('p', d * (size[1] - 1) // 2)
        layer = tconv(size, geo.get('s', 1), pad, values.get('o', 0), d, out_channels=channels)
    elif kind in ('pool', 'maxpool', 'avgpool'):
        layer = pool(size, geo.get('s'), geo.get('p', 0), geo.get('d', 1),
                     kind='avgpool' if kind == 'avgpool' else 'maxpool')
    elif kind == 'unpool':
        layer = Layer('unpool', size, geo.get('s'), geo.get('p', 0))
    elif kind == 'up':
        layer = upsample(size, 'bilinear' if 'b' in values else 'nearest')
    elif kind == 'fc':
        if size[0] != size[1]:
            raise ValueError(f"spec: fc takes one number (its output features), got {text!r}")
        layer = Layer('global', out_channels=size[0])
    else:
        layer = Layer('identity')
    return layer


def parse_spec(spec):
    """``"conv3x3*2,pool2"`` -> [Layer, Layer, Layer].  See :data:`SPEC_HELP`."""
    if isinstance(spec, (list, tuple)):
        return [layer for item in spec for layer in as_layers(item)]
    items = [s for s in str(spec).split(',') if s.strip()]
    if not items:
        raise ValueError("spec: empty layer stack")
    layers = []
    for item in items:
        layers += parse_item(item, MAX_LAYERS - len(layers))
    return layers


def as_layers(obj):
    """A Layer, a spec string, a list of either, or a minigrad Module -> list of Layers."""
    if isinstance(obj, Layer):
        return [obj]
    if isinstance(obj, str):
        return parse_spec(obj)
    if isinstance(obj, (list, tuple)):
        return [layer for item in obj for layer in as_layers(item)]
    from .modules import layers_from_module
    return layers_from_module(obj)
