"""The one place that knows about NumPy versus CuPy.

Every op asks ``get_array_module(*arrays)`` for the array module of its inputs
and then writes ``xp.something`` instead of ``numpy.something``; that is what
lets the same code run on a CPU (NumPy) or a GPU (CuPy).  New tensors made
from Python data land on the *default* backend, chosen by
``minigrad.use_backend('numpy' | 'cupy')`` or by the environment variable
``MINIGRAD_BACKEND`` read once at import time.

It also holds the one switch between the two kernel sets of the spatial ops:
the plain whole-batch kernels in each op's own file (what the lecture draws and
what CuPy runs) and their CPU-tuned twins in :mod:`minigrad.ops.fast`.
``MINIGRAD_FAST=0`` (or ``use_fast_kernels(False)``) runs everything on the
plain code.  On CuPy, ``MINIGRAD_CUDA_KERNELS=1`` (or ``use_cuda_kernels(True)``)
runs the CUDA twins of :mod:`minigrad.ops.cuda` instead of the plain code; they
stay off until a GPU benchmark shows they pay.
"""
import os

import numpy

_env = os.environ.get('MINIGRAD_BACKEND')
if _env == 'cupy-strict':  # the CPU stand-in that fails wherever CuPy would (minigrad/strict_cupy.py)
    from . import strict_cupy as cupy
    _CUPY_ERROR = None
else:
    try:  # CuPy is an optional extra (``pip install -e '.[gpu]'``).
        import cupy
        _CUPY_ERROR = None
    except Exception as exc:  # ImportError, or a CUDA driver that cannot load
        cupy = None
        _CUPY_ERROR = exc

_BACKENDS = ('numpy', 'cupy')
_BACKEND_OF = {'cpu': 'numpy', 'gpu': 'cupy', 'cuda': 'cupy', 'numpy': 'numpy', 'cupy': 'cupy'}


def canonical_device(name):
    """'cpu' or 'gpu' for any spelling minigrad accepts ('cpu', 'gpu', 'cuda', 'cuda:0', a
    backend name, a :class:`Device`, a torch.device); None for anything else."""
    if not isinstance(name, str):
        if type(name).__name__ != 'device':
            return None
        name = str(name)  # a torch.device: 'cpu', 'cuda' or 'cuda:0'
    kind, _, index = str.__str__(name).partition(':')
    if index and (kind != 'cuda' or index != '0'):
        return None  # one GPU: 'cuda:0' is the only indexed device
    backend_name = _BACKEND_OF.get(kind)
    return None if backend_name is None else ('cpu' if backend_name == 'numpy' else 'gpu')


class Device(str):
    """``minigrad.device``, torch.device's counterpart: ``device('cpu')``, ``device('cuda')``,
    ``device('cuda:0')``, ``device('cuda', 0)`` or ``device('gpu')``.

    It IS the string 'cpu' or 'gpu' (minigrad's device names), so it goes wherever a device
    name goes and compares equal to every spelling of the same device; ``.type`` ('cpu' or
    'cuda') and ``.index`` are torch's.  'cuda' means the CuPy backend; making one needs no
    GPU, using it (a factory, ``.to``) raises a RuntimeError when there is none.
    """

    def __new__(cls, type, index=None):
        if isinstance(type, Device) and index is None:
            return type
        spelled = type if index is None else f'{type}:{index}'
        name = canonical_device(spelled)
        if name is None:
            raise ValueError(f"device: expected 'cpu', 'cuda', 'cuda:0' or 'gpu', got {spelled!r}")
        self = super().__new__(cls, name)
        self.index = None if name == 'cpu' or ':' not in str(spelled) else 0
        return self

    type = property(lambda self: 'cuda' if str.__eq__(self, 'gpu') else 'cpu')

    def __eq__(self, other):
        return isinstance(other, str) and canonical_device(other) == str.__str__(self)

    def __ne__(self, other):
        return not self == other

    __hash__ = str.__hash__

    def __repr__(self):
        index = '' if self.index is None else f', index={self.index}'
        return f"device(type='{self.type}'{index})"

    def __reduce__(self):
        return Device, (self.type, self.index)


_DEVICE_OF = {'numpy': Device('cpu'), 'cupy': Device('gpu')}
_default = 'numpy'
_fast = os.environ.get('MINIGRAD_FAST', '1') != '0'
_cuda_kernels = os.environ.get('MINIGRAD_CUDA_KERNELS', '0') == '1'


def cupy_available():
    """True when CuPy imported and can see a GPU."""
    if cupy is None:
        return False
    try:
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def _require_cupy(what):
    if not cupy_available():
        reason = _CUPY_ERROR or 'no CUDA device is visible'
        raise RuntimeError(
            f"{what}: the 'cupy' backend was asked for, but CuPy is not usable here ({reason}). "
            "Install it with `pip install -e '.[gpu]'` on a machine with an NVIDIA GPU, "
            "or use the 'numpy' backend.")


def use_backend(name):
    """Make ``name`` ('numpy' or 'cupy') the backend for newly created tensors."""
    global _default
    if name not in _BACKENDS:
        raise ValueError(f"use_backend: expected one of {_BACKENDS}, got {name!r}")
    if name == 'cupy':
        _require_cupy('use_backend')
    _default = name


def default_backend():
    """Name of the backend new tensors are created on ('numpy' or 'cupy')."""
    return _default


def default_device():
    """'gpu' when the default backend is cupy, else 'cpu'."""
    return _DEVICE_OF[_default]


def default_xp():
    """The array module of the default backend."""
    return cupy if _default == 'cupy' else numpy


def is_cupy_array(a):
    return cupy is not None and isinstance(a, cupy.ndarray)


def backend_of(a):
    """'cupy' for a CuPy array, else 'numpy'."""
    return 'cupy' if is_cupy_array(a) else 'numpy'


def device_of(a):
    """'gpu' for a CuPy array, else 'cpu' (the names ``Tensor.to`` accepts)."""
    return _DEVICE_OF[backend_of(a)]


def backend_for_device(device):
    """'numpy' for 'cpu', 'cupy' for 'gpu' / 'cuda' / 'cuda:0' (backend names and
    :class:`Device` too); None if unknown."""
    name = canonical_device(device)
    return None if name is None else _BACKEND_OF[name]


def xp_for_device(device):
    """The array module (numpy or cupy) of a device name ('cpu', 'gpu', 'cuda', 'cuda:0', …)."""
    name = canonical_device(device)
    if name is None:
        raise ValueError(f"expected device 'cpu', 'gpu' or 'cuda', got {device!r}")
    return cupy if name == 'gpu' else numpy


def get_array_module(*arrays, op=None):
    """Return ``numpy`` or ``cupy`` for the given arrays (``None`` entries ignored).

    Raises ``ValueError`` naming the op and both backends if NumPy and CuPy
    arrays are mixed: silently copying between CPU and GPU would hide a bug
    and cost a transfer on every step.
    """
    kinds = {backend_of(a) for a in arrays if a is not None and hasattr(a, 'shape')}
    if len(kinds) > 1:
        shapes = ', '.join(f"{backend_of(a)}{tuple(a.shape)}" for a in arrays
                           if a is not None and hasattr(a, 'shape'))
        raise ValueError(
            f"{op or 'op'}: inputs live on different backends (numpy on the CPU and cupy on the GPU): "
            f"{shapes}. Move them together first with .to('cpu') or .to('gpu').")
    if kinds == {'cupy'}:
        return cupy
    if not kinds:
        return default_xp()
    return numpy


def use_fast_kernels(flag):
    """Turn the CPU-tuned kernels of :mod:`minigrad.ops.fast` on or off; returns the previous setting."""
    global _fast
    previous, _fast = _fast, bool(flag)
    return previous


def fast_kernels_for(xp):
    """True when ops on arrays of ``xp`` should run the CPU-tuned twins: NumPy only
    (on the GPU the plain whole-batch kernels are the fast ones), and only while switched on."""
    return _fast and xp is numpy


def use_cuda_kernels(flag):
    """Turn the CUDA twins of :mod:`minigrad.ops.cuda` on or off; returns the previous setting."""
    global _cuda_kernels
    previous, _cuda_kernels = _cuda_kernels, bool(flag)
    return previous


def cuda_kernels_for(xp):
    """True when ops on arrays of ``xp`` should run the CUDA twins: CuPy (or its strict stand-in,
    which emulates them on the CPU) only, and only while switched on."""
    return _cuda_kernels and cupy is not None and xp is cupy


def to_device(array, device):
    """Copy ``array`` to 'cpu' (NumPy) or 'gpu' (CuPy); returns it unchanged if already there."""
    target = backend_for_device(device)
    if target is None:
        raise ValueError(f"to: expected device 'cpu', 'gpu' or 'cuda', got {device!r}")
    if target == backend_of(array):
        return array
    if target == 'numpy':
        return cupy.asnumpy(array)
    _require_cupy('to')
    return cupy.asarray(array)


def to_numpy(array):
    """A NumPy array holding ``array``'s values (copied off the GPU if needed)."""
    return cupy.asnumpy(array) if is_cupy_array(array) else numpy.asarray(array)


if _env:
    if _env not in _BACKENDS + ('cupy-strict',):
        raise ValueError(f"MINIGRAD_BACKEND must be one of {_BACKENDS + ('cupy-strict',)}, got {_env!r}")
    use_backend('cupy' if _env == 'cupy-strict' else _env)
