"""Loss modules, as ``torch.nn``: each stores its options and calls the function of the
same name in :mod:`minigrad.functional.loss` (the math and the gradients are documented in
:mod:`minigrad.ops.loss`).

    criterion = nn.CrossEntropyLoss(ignore_index=255)
    loss = criterion(logits, labels)          # logits (N, C, H, W), labels (N, H, W)

Class weights (``weight``, ``pos_weight``) are registered as buffers, so they follow
``.to('gpu')`` and appear in ``state_dict()`` exactly as in torch.  Torch's deprecated
``size_average`` / ``reduce`` arguments are left out: use ``reduction``.
"""
from ..functional import loss as F
from .module import Module


class _Loss(Module):
    def __init__(self, reduction='mean'):
        super().__init__()
        F.check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, reduction='mean'):
        super().__init__(reduction)
        self.register_buffer('weight', weight)


class MSELoss(_Loss):
    """Mean squared error (the lecture's L2 up to the factor ½·N; see ``functional.mse_loss``)."""

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error (pix2pix's reconstruction term)."""

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Quadratic for |x − y| < beta, linear beyond."""

    def __init__(self, *, reduction='mean', beta=1.0):
        super().__init__(reduction)
        if beta < 0:
            raise ValueError(f"SmoothL1Loss: beta must be >= 0, got {beta}")
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)

    def extra_repr(self):
        return f"reduction={self.reduction!r}, beta={self.beta}"


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross entropy over axis 1 with class-index or probability targets.

    ``forward(input, target, pixel_weight=None)``: ``pixel_weight`` is minigrad's extension
    for per-pixel rebalancing weights (see ``functional.cross_entropy``).
    """

    def __init__(self, weight=None, *, ignore_index=-100, reduction='mean', label_smoothing=0.0):
        super().__init__(weight, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing}")
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target, pixel_weight=None):
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing,
                               pixel_weight=pixel_weight)

    def extra_repr(self):
        return (f"ignore_index={self.ignore_index}, reduction={self.reduction!r}, "
                f"label_smoothing={self.label_smoothing}")


class NLLLoss(_WeightedLoss):
    """Negative log likelihood of log-probabilities (after ``LogSoftmax(dim=1)``)."""

    def __init__(self, weight=None, *, ignore_index=-100, reduction='mean'):
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)

    def extra_repr(self):
        return f"ignore_index={self.ignore_index}, reduction={self.reduction!r}"


class BCELoss(_WeightedLoss):
    """Binary cross entropy of probabilities (logs clamped at −100)."""

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Sigmoid + binary cross entropy in one stable formula (what a GAN discriminator uses)."""

    def __init__(self, weight=None, *, reduction='mean', pos_weight=None):
        super().__init__(weight, reduction)
        self.register_buffer('pos_weight', pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


__all__ = ['MSELoss', 'L1Loss', 'SmoothL1Loss', 'CrossEntropyLoss', 'NLLLoss', 'BCELoss',
           'BCEWithLogitsLoss']
