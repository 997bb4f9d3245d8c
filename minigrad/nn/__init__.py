"""``minigrad.nn``: Modules, layers, containers and initialisation, as ``torch.nn``.

    import minigrad.nn as nn
    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU())

See docs/nn.md for a tour (modules, init, optimizers, checkpoints, PyTorch interop).
"""
from . import init, utils
from .activation import LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .containers import ModuleDict, ModuleList, Sequential
from .conv import Conv2d, ConvTranspose2d
from .dropout import Dropout, Dropout2d
from .embedding import Embedding
from .linear import Flatten, Identity, Linear
from .module import Module, RemovableHandle, StateDictError
from .norm import BatchNorm1d, BatchNorm2d, InstanceNorm2d
from .normalization import GroupNorm, LayerNorm
from .padding import ReflectionPad2d, ReplicationPad2d, ZeroPad2d
from .parameter import Parameter
from .pixelshuffle import PixelShuffle, PixelUnshuffle
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d, MaxUnpool2d, Upsample

__all__ = ['init', 'utils', 'Module', 'Parameter', 'RemovableHandle', 'StateDictError',
           'Sequential', 'ModuleList', 'ModuleDict', 'Identity', 'Linear', 'Flatten',
           'Conv2d', 'ConvTranspose2d', 'MaxPool2d', 'AvgPool2d', 'MaxUnpool2d', 'Upsample',
           'ReLU', 'LeakyReLU', 'Sigmoid', 'Tanh', 'Softmax', 'LogSoftmax', 'Dropout', 'Dropout2d',
           'BatchNorm1d', 'BatchNorm2d', 'InstanceNorm2d', 'ReflectionPad2d', 'ReplicationPad2d', 'ZeroPad2d',
           'GroupNorm', 'LayerNorm', 'PixelShuffle', 'PixelUnshuffle', 'AdaptiveAvgPool2d', 'Embedding']

# Loss modules (MSELoss, L1Loss, CrossEntropyLoss, …) live in nn/loss.py, next to ops/loss.py;
# re-exported here so that `nn.L1Loss()` works as in torch.
from .loss import *  # noqa: E402,F401,F403
from .loss import __all__ as _loss_names  # noqa: E402

__all__ += _loss_names
