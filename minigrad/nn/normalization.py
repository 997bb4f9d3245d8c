"""GroupNorm and LayerNorm, as torch.nn (the maths: :mod:`minigrad.functional.normalization`).

Both hold only parameters (no running statistics: train and eval behave the same),
under torch's state_dict keys ``weight`` and ``bias``, initialised to 1 and 0.
"""
from .. import functional as F
from . import init
from .module import Module
from .parameter import Parameter, empty_array


class GroupNorm(Module):
    """Group normalisation of (N, C, *) inputs, as ``torch.nn.GroupNorm``: the C channels in
    ``num_groups`` groups, each (sample, group) standardised over its channels and positions,
    then a per-channel ``weight`` (C,) and ``bias`` (C,) when ``affine``.  Independent of the
    batch, so it works for batch 1 (where BatchNorm cannot)."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None):
        super().__init__()
        if num_groups < 1 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = int(num_groups), int(num_channels), eps, affine
        if affine:
            self.weight = Parameter(empty_array((num_channels,), device, dtype))
            self.bias = Parameter(empty_array((num_channels,), device, dtype))
        else:
            self.register_parameter('weight', None)
            self.register_parameter('bias', None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def forward(self, x):
        if x.ndim >= 2 and x.shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm: expected {self.num_channels} channels (dim 1), got input of shape "
                             f"{tuple(x.shape)}")
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f'{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}'


class LayerNorm(Module):
    """Layer normalisation, as ``torch.nn.LayerNorm``: each sample standardised over its last
    ``len(normalized_shape)`` axes, then an element-wise ``weight`` and ``bias`` of shape
    ``normalized_shape`` (when ``elementwise_affine``; ``bias=False`` drops the shift)."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = tuple(int(n) for n in shape), eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(empty_array(self.normalized_shape, device, dtype))
            if bias:
                self.bias = Parameter(empty_array(self.normalized_shape, device, dtype))
            else:
                self.register_parameter('bias', None)
        else:
            self.register_parameter('weight', None)
            self.register_parameter('bias', None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f'{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}'
