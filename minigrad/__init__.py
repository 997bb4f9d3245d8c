"""minigrad: a small deep-learning framework on NumPy (CPU) and CuPy (GPU),
written to be read.  Start with :class:`minigrad.Tensor` and
:class:`minigrad.function.Function`; see README.md for the lessons.
"""
from .backend import Device as device, default_backend, use_backend
from .creation import (abs, arange, cat, clamp, exp, float32, float64, from_numpy, full, full_like, int64,
                       linspace, log, matmul, maximum, minimum, ones, ones_like, rand, rand_like, randint,
                       randn, randn_like, sqrt, stack, tensor, where, zeros, zeros_like)
from .maths import isfinite, isnan, max, mean, min, sigmoid, sum, tanh
from .function import Function, enable_grad, inference_mode, is_grad_enabled, no_grad
from .instrument import graph_bytes
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .io import load, save
from .random import manual_seed
from .tensor import Tensor

__version__ = '0.1.0'

from . import autograd, functional, nn, optim  # noqa: E402  (after the core: they build on it)
from .recompute import checkpoint, checkpoint_module, checkpoint_sequential  # noqa: E402
