"""Conv2d and ConvTranspose2d layers (the maths lives in :mod:`minigrad.ops.conv`)."""
import math

from .. import functional as F
from ..backend import get_array_module
from ..functional.args import int_pair
from ..ops.geometry import conv_transpose_out_size, same_padding
from . import init
from .module import Module
from .parameter import Parameter, empty_array

_PADDING_MODES = ('zeros', 'reflect', 'replicate', 'circular')


def circular_pad(x, pad):
    """Wrap-around padding ``pad = (left, right, top, bottom)`` of the last two axes
    (torch's padding_mode='circular'): an index gather, so the gradient adds back."""
    left, right, top, bottom = pad
    h, w = x.shape[-2:]
    if max(left, right) > w or max(top, bottom) > h:
        raise ValueError(f"circular padding {tuple(pad)} is larger than the input {tuple(x.shape)}")
    xp = get_array_module(x.array)
    rows = xp.arange(-top, h + bottom) % h
    cols = xp.arange(-left, w + right) % w
    return x[..., rows, :][..., cols]


class _ConvNd(Module):
    """Shared constructor, init and printing of Conv2d / ConvTranspose2d."""
    init_role = 'weight'  # what nn.init.init_weights re-initialises

    def __init__(self, name, in_channels, out_channels, kernel_size, stride, padding, dilation, transposed,
                 output_padding, groups, bias, padding_mode, device, dtype):
        super().__init__()
        if not isinstance(groups, int) or groups < 1:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups!r}")
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) must be divisible by groups ({groups})")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels ({out_channels}) must be divisible by groups ({groups})")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = int_pair(kernel_size, 'kernel_size', name, 0)
        self.stride = int_pair(stride, 'stride', name, 0)
        self.dilation = int_pair(dilation, 'dilation', name, 0)
        self.transposed = transposed
        self.output_padding = int_pair(output_padding, 'output_padding', name, 0)
        self.padding_mode = padding_mode
        if isinstance(padding, str):
            if padding not in ('same', 'valid'):
                raise ValueError(f"{name}: padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
            if padding == 'same' and self.stride != (1, 1):
                raise ValueError(f"{name}: padding='same' is not supported for strided convolutions "
                                 f"(stride={stride!r})")
            self.padding = padding
            # (left, right, top, bottom) for F.pad, as torch: the odd extra goes right / bottom
            pads = [same_padding(k, d) if padding == 'same' else (0, 0)
                    for k, d in zip(self.kernel_size, self.dilation)]
            self._reversed_padding_repeated_twice = pads[1] + pads[0]
        else:
            self.padding = int_pair(padding, 'padding', name, 0)
            ph, pw = self.padding
            self._reversed_padding_repeated_twice = (pw, pw, ph, ph)
        if transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(empty_array(shape, device, dtype))
        if bias:
            self.bias = Parameter(empty_array((out_channels,), device, dtype))
        else:
            self.register_parameter('bias', None)
        self.reset_parameters()

    def reset_parameters(self):
        """torch's default: weight kaiming_uniform_(a=√5) = U(±1/√fan_in), bias U(±1/√fan_in),
        fan_in from the weight's shape[1]·kH·kW (for ConvTranspose2d: C_out/groups·kH·kW)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = f'{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}'
        if self.padding != (0, 0):
            s += f', padding={self.padding}'
        if self.dilation != (1, 1):
            s += f', dilation={self.dilation}'
        if self.output_padding != (0, 0):
            s += f', output_padding={self.output_padding}'
        if self.groups != 1:
            s += f', groups={self.groups}'
        if self.bias is None:
            s += ', bias=False'
        if self.padding_mode != 'zeros':
            s += f', padding_mode={self.padding_mode}'
        return s


class Conv2d(_ConvNd):
    """2-D convolution layer, as ``torch.nn.Conv2d``.

    weight (out_channels, in_channels/groups, kH, kW), bias (out_channels,).
    ``padding``: int, pair, 'valid' or 'same' (stride 1).  ``padding_mode``: 'zeros'
    (the conv pads), or 'reflect' / 'replicate' / 'circular' (the input is padded with
    F.pad first, then convolved without padding) — reflect avoids the dark frame that
    zero padding paints around generated images.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode='zeros', device=None, dtype=None):
        super().__init__('Conv2d', in_channels, out_channels, kernel_size, stride, padding, dilation, False,
                         0, groups, bias, padding_mode, device, dtype)

    def forward(self, x):
        if x.ndim != 4:
            raise ValueError(f"Conv2d: expected a 4-D input (N, C, H, W), got shape {tuple(x.shape)}")
        if self.padding_mode == 'zeros':
            return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
        pad = self._reversed_padding_repeated_twice
        if self.padding_mode == 'circular':
            x = circular_pad(x, pad)
        else:
            x = F.pad(x, pad, mode=self.padding_mode)
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class ConvTranspose2d(_ConvNd):
    """2-D transposed ("fractionally strided") convolution, as ``torch.nn.ConvTranspose2d``.

    weight (in_channels, out_channels/groups, kH, kW).  Output size per axis:
    (H − 1)·stride − 2·padding + dilation·(k − 1) + output_padding + 1.  A stride-s conv maps
    several input sizes to one output size; ``forward(x, output_size=(H, W))`` picks one
    (sets output_padding for that call), e.g. to undo a downsampling exactly in a U-Net.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode='zeros', device=None, dtype=None):
        if padding_mode != 'zeros':
            raise ValueError(f"ConvTranspose2d: only 'zeros' padding_mode is supported, got {padding_mode!r}")
        if isinstance(padding, str):
            raise ValueError(f"ConvTranspose2d: padding must be an int or a pair, got {padding!r}")
        super().__init__('ConvTranspose2d', in_channels, out_channels, kernel_size, stride, padding, dilation,
                         True, output_padding, groups, bias, padding_mode, device, dtype)

    def _output_padding(self, x, output_size):
        if output_size is None:
            return self.output_padding
        output_size = tuple(int(s) for s in output_size)
        if len(output_size) == 4:
            output_size = output_size[2:]
        if len(output_size) != 2:
            raise ValueError(f"ConvTranspose2d: output_size must have 2 or 4 elements, got {output_size}")
        lo, hi = [], []
        for d in range(2):
            size = conv_transpose_out_size(x.shape[2 + d], self.kernel_size[d], self.stride[d], self.padding[d],
                                           self.dilation[d])
            lo.append(size)
            hi.append(size + self.stride[d] - 1)
        if any(not lo[d] <= output_size[d] <= hi[d] for d in range(2)):
            raise ValueError(f"ConvTranspose2d: requested an output size of {list(output_size)}, but valid sizes "
                             f"range from {lo} to {hi} (for an input of {tuple(x.shape[2:])})")
        return tuple(output_size[d] - lo[d] for d in range(2))

    def forward(self, x, output_size=None):
        if x.ndim != 4:
            raise ValueError(f"ConvTranspose2d: expected a 4-D input (N, C, H, W), got shape {tuple(x.shape)}")
        output_padding = self._output_padding(x, output_size)
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, output_padding,
                                  self.groups, self.dilation)
