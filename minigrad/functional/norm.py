"""batch_norm and instance_norm with PyTorch's arguments, checked, over :mod:`minigrad.ops.norm`."""
import math

from ..ops.norm import BatchNorm, InstanceNorm
from ..tensor import Tensor


def _data(t):
    """A Tensor's array (running statistics are updated through it, in place)."""
    return t.array if isinstance(t, Tensor) else t


def _check(op, x, weight, bias, running_mean, running_var):
    if x.ndim < 2:
        raise ValueError(f"{op}: expected an input of shape (N, C, ...), got shape {tuple(x.shape)}")
    if x.dtype.kind != 'f':
        raise TypeError(f"{op}: expected a floating-point input, got dtype {x.dtype}")
    c = x.shape[1]
    for name, t in (('weight', weight), ('bias', bias), ('running_mean', running_mean),
                    ('running_var', running_var)):
        if t is not None and tuple(t.shape) != (c,):
            raise ValueError(f"{op}: {name} must have shape ({c},) for an input of shape "
                             f"{tuple(x.shape)}, got {tuple(t.shape)}")
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{op}: give both running_mean and running_var, or neither")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5):
    """Batch normalisation, as ``torch.nn.functional.batch_norm``.

    input (N, C, *); running_mean / running_var: (C,) tensors (updated in place
    when ``training``) or None; weight / bias: (C,) or None.  In training mode
    each channel needs more than one value (N·H·W > 1).
    """
    op = 'batch_norm'
    _check(op, input, weight, bias, running_mean, running_var)
    if not training and running_mean is None:
        raise ValueError(f"{op}: training=False needs running_mean and running_var")
    if training and math.prod(input.shape) // max(input.shape[1], 1) <= 1:
        raise ValueError(f"{op}: expected more than 1 value per channel when training, got input of "
                         f"shape {tuple(input.shape)}")
    return BatchNorm.apply(input, weight, bias, running_mean=_data(running_mean),
                           running_var=_data(running_var), training=bool(training),
                           momentum=float(momentum), eps=float(eps))


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Instance normalisation, as ``torch.nn.functional.instance_norm``.

    input (N, C, *spatial); statistics per sample and channel over the spatial
    axes (which must hold more than one value when ``use_input_stats``).
    """
    op = 'instance_norm'
    _check(op, input, weight, bias, running_mean, running_var)
    if input.ndim < 3:
        raise ValueError(f"{op}: expected an input of shape (N, C, *spatial), got shape {tuple(input.shape)}")
    if not use_input_stats and running_mean is None:
        raise ValueError(f"{op}: use_input_stats=False needs running_mean and running_var")
    spatial = math.prod(input.shape[2:])
    if use_input_stats and spatial <= 1:
        raise ValueError(f"{op}: expected more than 1 spatial element when training, got input of "
                         f"shape {tuple(input.shape)}")
    return InstanceNorm.apply(input, weight, bias, running_mean=_data(running_mean),
                              running_var=_data(running_var), use_input_stats=bool(use_input_stats),
                              momentum=float(momentum), eps=float(eps))
