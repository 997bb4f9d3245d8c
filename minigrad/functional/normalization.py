"""layer_norm, group_norm and normalize with PyTorch's arguments, checked.

layer_norm and group_norm standardise over some axes with one Function
(:class:`minigrad.ops.standardize.Standardize`: x̂ = (x − μ)/√(σ² + ε), biased σ²)
and then scale and shift with ordinary broadcasting ops:

    layer_norm   statistics over the last len(normalized_shape) axes of each sample;
                 weight / bias have shape normalized_shape (one per normalised element)
    group_norm   the C channels split into G groups of C/G; statistics over each
                 (sample, group): C/G channels × all spatial positions; weight / bias (C,)
"""
import math

from ..ops.standardize import Standardize


def _check_float(op, x):
    if not hasattr(x, 'shape'):
        raise TypeError(f"{op}: input must be a Tensor, got {type(x).__name__}")
    if x.dtype.kind != 'f':
        raise TypeError(f"{op}: expected a floating-point input, got dtype {x.dtype} (shape {tuple(x.shape)})")


def _check_affine(op, name, t, shape, x):
    if t is not None and tuple(t.shape) != tuple(shape):
        raise ValueError(f"{op}: {name} must have shape {tuple(shape)} for an input of shape "
                         f"{tuple(x.shape)}, got {tuple(t.shape)}")


def _affine(out, weight, bias):
    if weight is not None:
        out = out * weight
    return out + bias if bias is not None else out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalisation, as ``torch.nn.functional.layer_norm``: each sample standardised over
    its last ``len(normalized_shape)`` axes (which must equal ``normalized_shape``), then
    ``· weight + bias`` element-wise (both of shape ``normalized_shape``, or None)."""
    op = 'layer_norm'
    _check_float(op, input)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or k > input.ndim or tuple(input.shape[input.ndim - k:]) != shape:
        raise ValueError(f"{op}: given normalized_shape={list(shape)}, expected an input of shape "
                         f"[*, {', '.join(map(str, shape))}], got {tuple(input.shape)}")
    _check_affine(op, 'weight', weight, shape, input)
    _check_affine(op, 'bias', bias, shape, input)
    axes = tuple(range(input.ndim - k, input.ndim))
    return _affine(Standardize.apply(input, axes=axes, eps=eps), weight, bias)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Group normalisation (Wu & He, 2018), as ``torch.nn.functional.group_norm``.

    input (N, C, *); the channels form ``num_groups`` groups of C/num_groups consecutive
    channels, each (sample, group) standardised over its channels and positions, then
    ``· weight[c] + bias[c]`` per channel (both (C,) or None).  One group is layer norm
    over (C, *); C groups is instance norm.
    """
    op = 'group_norm'
    _check_float(op, input)
    if input.ndim < 2:
        raise ValueError(f"{op}: expected an input of shape (N, C, *), got {tuple(input.shape)}")
    if not isinstance(num_groups, int) or num_groups < 1:
        raise ValueError(f"{op}: num_groups must be a positive int, got {num_groups!r}")
    n, c = input.shape[:2]
    if c % num_groups:
        raise ValueError(f"{op}: expected the number of channels in the input to be divisible by num_groups, "
                         f"got input of shape {tuple(input.shape)} and num_groups={num_groups}")
    _check_affine(op, 'weight', weight, (c,), input)
    _check_affine(op, 'bias', bias, (c,), input)
    per_group = (c // num_groups) * math.prod(input.shape[2:])
    grouped = input.reshape(n, num_groups, per_group)
    out = Standardize.apply(grouped, axes=(2,), eps=eps).reshape(input.shape)
    channel = (c,) + (1,) * (input.ndim - 2)  # weight[c] broadcast over the positions
    return _affine(out, None if weight is None else weight.reshape(channel),
                   None if bias is None else bias.reshape(channel))


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """x / max(‖x‖_p, eps) along ``dim``, as ``torch.nn.functional.normalize``
    (each slice along ``dim`` scaled to unit p-norm; eps keeps a zero slice at 0)."""
    _check_float('normalize', input)
    return input / input.norm(p, dim, keepdim=True).clamp(min=eps)
