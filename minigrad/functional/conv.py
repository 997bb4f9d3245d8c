"""conv2d and conv_transpose2d with PyTorch's arguments, checked, over :mod:`minigrad.ops.conv`."""
from ..ops.conv import Conv2d, ConvTranspose2d
from ..ops.geometry import conv_transpose_out_size, same_padding, span
from .args import int_pair


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution, as ``torch.nn.functional.conv2d``.

    input (N, C, H, W), weight (O, C/groups, kH, kW), bias (O,) or None -> (N, O, Ho, Wo).
    ``stride``, ``dilation``: int or pair; ``padding``: int, pair, 'valid' (= 0) or
    'same' (stride 1 only; output size = input size; when the total padding
    d·(k−1) is odd the extra row/column goes to the bottom/right, like torch).

    A 1x1 kernel is a per-pixel linear layer over channels:
    ``conv2d(x, w)[n, :, h, w] == w[:, :, 0, 0] @ x[n, :, h, w] (+ b)``.
    """
    op = 'conv2d'
    _check_common(op, input, weight, bias, groups)
    s = int_pair(stride, 'stride', op, 1)
    d = int_pair(dilation, 'dilation', op, 1)
    (_, c, h, w), (o, cg, kh, kw) = input.shape, weight.shape
    if cg * groups != c:
        raise ValueError(f"{op}: input has {c} channels but weight {tuple(weight.shape)} with groups={groups} "
                         f"expects {cg * groups} (input shape {tuple(input.shape)})")
    if o % groups:
        raise ValueError(f"{op}: groups={groups} must divide the {o} output channels of weight "
                         f"{tuple(weight.shape)}")
    _check_bias(op, bias, o, input, weight)
    if isinstance(padding, str):
        if padding == 'valid':
            pad4 = (0, 0, 0, 0)
        elif padding == 'same':
            if s != (1, 1):
                raise ValueError(f"{op}: padding='same' needs stride 1, got stride={stride!r}")
            pad4 = same_padding(kh, d[0]) + same_padding(kw, d[1])
        else:
            raise ValueError(f"{op}: padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
    else:
        ph, pw = int_pair(padding, 'padding', op, 0)
        pad4 = (ph, ph, pw, pw)
    eh, ew = span(kh, d[0]), span(kw, d[1])
    if eh > h + pad4[0] + pad4[1] or ew > w + pad4[2] + pad4[3]:
        raise ValueError(f"{op}: kernel {kh}x{kw} (dilated extent {eh}x{ew}) is larger than the padded input "
                         f"{h + pad4[0] + pad4[1]}x{w + pad4[2] + pad4[3]} (input {tuple(input.shape)}, "
                         f"padding {padding!r})")
    return Conv2d.apply(input, weight, bias, stride=s, padding=pad4, dilation=d, groups=groups)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution, as ``torch.nn.functional.conv_transpose2d``.

    input (N, C, H, W), weight (C, O/groups, kH, kW), bias (O,) or None -> (N, O, Ho, Wo) with
    Ho = (H − 1)·stride − 2·padding + dilation·(kH − 1) + output_padding + 1.
    ``output_padding`` (< stride or < dilation) adds rows/columns at the bottom/right to pick
    one of the input sizes that a strided conv maps to the same output size.
    """
    op = 'conv_transpose2d'
    _check_common(op, input, weight, bias, groups)
    s = int_pair(stride, 'stride', op, 1)
    d = int_pair(dilation, 'dilation', op, 1)
    p = int_pair(padding, 'padding', op, 0)
    q = int_pair(output_padding, 'output_padding', op, 0)
    (_, c, h, w), (ci, og, kh, kw) = input.shape, weight.shape
    if ci != c:
        raise ValueError(f"{op}: input has {c} channels but weight {tuple(weight.shape)} expects {ci} "
                         f"(weight layout is (C_in, C_out/groups, kH, kW); input {tuple(input.shape)})")
    if c % groups:
        raise ValueError(f"{op}: groups={groups} must divide the {c} input channels (input {tuple(input.shape)}, "
                         f"weight {tuple(weight.shape)})")
    _check_bias(op, bias, og * groups, input, weight)
    for a in range(2):
        if q[a] >= s[a] and q[a] >= d[a]:
            raise ValueError(f"{op}: output_padding must be smaller than stride or dilation, got "
                             f"output_padding={output_padding!r}, stride={stride!r}, dilation={dilation!r}")
    out_hw = (conv_transpose_out_size(h, kh, s[0], p[0], d[0], q[0]),
              conv_transpose_out_size(w, kw, s[1], p[1], d[1], q[1]))
    if min(out_hw) < 1:
        raise ValueError(f"{op}: output size {out_hw} is not positive for input {tuple(input.shape)}, weight "
                         f"{tuple(weight.shape)}, stride={stride!r}, padding={padding!r}")
    # One padding convention with conv2d: (top, bottom, left, right); output_padding trims the bottom/right.
    pad4 = (p[0], p[0] - q[0], p[1], p[1] - q[1])
    return ConvTranspose2d.apply(input, weight, bias, stride=s, padding=pad4, dilation=d, groups=groups)


def _check_common(op, x, weight, bias, groups):
    """Shapes, dtypes and groups shared by conv2d and conv_transpose2d."""
    for name, a in (('input', x), ('weight', weight), ('bias', bias)):
        if a is not None and not hasattr(a, 'shape'):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(a).__name__}")
    if x.ndim != 4:
        raise ValueError(f"{op}: expected a 4-D input (N, C, H, W), got shape {tuple(x.shape)}")
    if weight.ndim != 4:
        raise ValueError(f"{op}: expected a 4-D weight, got shape {tuple(weight.shape)}")
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    for name, a in (('input', x), ('weight', weight), ('bias', bias)):
        if a is not None and a.dtype.kind != 'f':
            raise TypeError(f"{op}: {name} must be a floating-point array, got dtype {a.dtype}")
    if weight.dtype != x.dtype or (bias is not None and bias.dtype != x.dtype):
        raise TypeError(f"{op}: input, weight and bias must share one dtype, got {x.dtype}, {weight.dtype}"
                        f"{', ' + str(bias.dtype) if bias is not None else ''}")


def _check_bias(op, bias, channels, x, weight):
    if bias is not None and tuple(bias.shape) != (channels,):
        raise ValueError(f"{op}: bias must have shape ({channels},) for input {tuple(x.shape)} and weight "
                         f"{tuple(weight.shape)}, got {tuple(bias.shape)}")
