"""BatchNorm and InstanceNorm layers (the fused maths lives in :mod:`minigrad.ops.norm`).

Both keep torch's (2.x) attributes and state_dict entries: ``weight`` / ``bias``
(when ``affine``; the keyword-only ``bias=False`` drops the shift) and the buffers
``running_mean``, ``running_var`` and ``num_batches_tracked`` (when
``track_running_stats``).
"""
import numpy

from .. import functional as F
from ..io import tensor_of
from . import init
from .module import Module
from .parameter import Parameter, empty_array


class _NormBase(Module):
    init_role = 'norm'  # what nn.init.init_weights re-initialises

    def __init__(self, num_features, eps, momentum, affine, track_running_stats, device, dtype, bias):
        super().__init__()
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(empty_array((num_features,), device, dtype))
            if bias:
                self.bias = Parameter(empty_array((num_features,), device, dtype))
            else:
                self.register_parameter('bias', None)
        else:
            self.register_parameter('weight', None)
            self.register_parameter('bias', None)
        if track_running_stats:
            self.register_buffer('running_mean', tensor_of(empty_array((num_features,), device, dtype)))
            self.register_buffer('running_var', tensor_of(empty_array((num_features,), device, dtype)))
            self.register_buffer('num_batches_tracked', tensor_of(empty_array((), device, numpy.int64)))
        else:
            self.register_buffer('running_mean', None)
            self.register_buffer('running_var', None)
            self.register_buffer('num_batches_tracked', None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.array[...] = 0
            self.running_var.array[...] = 1
            self.num_batches_tracked.array[...] = 0

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input(self, x):
        raise NotImplementedError

    def extra_repr(self):
        return (f'{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, '
                f'bias={self.bias is not None}, track_running_stats={self.track_running_stats}')


class _BatchNorm(_NormBase):
    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias)

    def forward(self, x):
        self._check_input(x)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.array += 1
            if self.momentum is None:  # cumulative moving average: the plain mean of all batches so far
                factor = 1.0 / float(self.num_batches_tracked.item())
        use_batch_stats = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(x, self.running_mean if track else None, self.running_var if track else None,
                              self.weight, self.bias, use_batch_stats, factor, self.eps)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over (N, H, W) per channel, as ``torch.nn.BatchNorm2d``.

    Training: normalise with the batch's mean and (biased) variance, and move the
    running estimates towards them: ``running = (1 − momentum)·running + momentum·batch``
    (the variance estimate is the unbiased one, as torch); ``momentum=None`` gives the
    plain average over all batches seen.  Eval: normalise with the running estimates,
    so the output of one sample no longer depends on the others in its batch.
    """

    def _check_input(self, x):
        if x.ndim != 4:
            raise ValueError(f"BatchNorm2d: expected 4D input (N, C, H, W), got shape {tuple(x.shape)}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs per channel, as ``torch.nn.BatchNorm1d``."""

    def _check_input(self, x):
        if x.ndim not in (2, 3):
            raise ValueError(f"BatchNorm1d: expected 2D or 3D input, got shape {tuple(x.shape)}")


class InstanceNorm2d(_NormBase):
    """Instance normalisation: each (sample, channel) map standardised over its own H×W,
    as ``torch.nn.InstanceNorm2d`` (defaults as torch: ``affine=False``,
    ``track_running_stats=False``, so there is nothing to learn and eval behaves like train).
    Accepts (N, C, H, W) or unbatched (C, H, W)."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False,
                 device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias)

    def forward(self, x):
        if x.ndim not in (3, 4):
            raise ValueError(f"InstanceNorm2d: expected 3D (C, H, W) or 4D (N, C, H, W) input, "
                             f"got shape {tuple(x.shape)}")
        channel_axis = x.ndim - 3
        if x.shape[channel_axis] != self.num_features and (self.affine or self.track_running_stats):
            raise ValueError(f"InstanceNorm2d: expected input's size at dim={channel_axis} to match "
                             f"num_features ({self.num_features}), got shape {tuple(x.shape)}")
        unbatched = x.ndim == 3
        if unbatched:
            x = x.unsqueeze(0)
        out = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                                self.training or not self.track_running_stats,
                                self.momentum if self.momentum is not None else 0.0, self.eps)
        return out.squeeze(0) if unbatched else out
