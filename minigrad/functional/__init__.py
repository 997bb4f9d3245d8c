"""``torch.nn.functional``-style names over the ops in :mod:`minigrad.ops`.

Import as ``import minigrad.functional as F``.  Each function validates its
arguments (errors name the function and the shapes) and calls one Function.
"""
from ..ops import activation
from ..ops.shape import Pad


def relu(x):
    """max(x, 0)."""
    return activation.ReLU.apply(x)


def leaky_relu(x, negative_slope=0.01):
    """x if x > 0 else negative_slope·x (pix2pix uses 0.2)."""
    return activation.LeakyReLU.apply(x, negative_slope=negative_slope)


def sigmoid(x):
    """1 / (1 + e^-x), overflow-free."""
    return activation.Sigmoid.apply(x)


def tanh(x):
    return activation.Tanh.apply(x)


def softmax(x, dim=-1):
    """e^{x_i} / Σ_j e^{x_j} along ``dim`` (max-shifted: stable for huge logits)."""
    return x.softmax(dim)


def log_softmax(x, dim=-1):
    """x_i − log Σ_j e^{x_j} along ``dim`` (stable for logits of ±1e4)."""
    return x.log_softmax(dim)


def pad(x, pad, mode='constant', value=0.0):
    """Pad as torch.nn.functional.pad: ``pad = (left, right, top, bottom, …)`` from the last axis."""
    return Pad.apply(x, pad=tuple(int(p) for p in pad), mode=mode, value=value)


def linear(x, weight, bias=None):
    """y = x Wᵀ + b with W of shape (out_features, in_features), as torch."""
    if weight.ndim != 2 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input of shape {tuple(x.shape)} needs weight (out, {x.shape[-1]}), "
                         f"got weight of shape {tuple(weight.shape)}")
    y = x @ weight.T
    return y + bias if bias is not None else y


# Spatial ops, losses, norms and dropout: one import line per family.
from .conv import conv2d, conv_transpose2d  # noqa: E402
from .pool import avg_pool2d, max_pool2d, max_unpool2d  # noqa: E402
from .resample import interpolate, upsample  # noqa: E402
from .loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,  # noqa: E402
                       l1_loss, mse_loss, nll_loss, smooth_l1_loss)
from .norm import batch_norm, instance_norm  # noqa: E402
from .dropout import dropout, dropout2d  # noqa: E402
from .normalization import group_norm, layer_norm, normalize  # noqa: E402
from .spatial import adaptive_avg_pool2d, pixel_shuffle, pixel_unshuffle  # noqa: E402
from .embedding import embedding, one_hot  # noqa: E402

__all__ = [name for name in dir() if not name.startswith('_') and name != 'Pad' and callable(globals()[name])]
