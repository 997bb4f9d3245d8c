"""A strict CuPy stand-in for the CPU: ``MINIGRAD_BACKEND=cupy-strict``.

No machine this project is built on has a GPU, yet half of the design is "the
same code runs on CuPy".  This module lets the CPU catch, in ordinary test runs,
the mistakes that would only show on the first GPU.  ``backend.py`` loads it in
place of CuPy; its arrays are a distinct type (:class:`ndarray`) that holds a
NumPy array and behaves like a CuPy array where it matters:

* **no implicit conversion to NumPy.**  ``numpy.asarray(x)`` and NumPy functions
  given a device array raise ``TypeError``, as on CuPy; the explicit routes work:
  ``asnumpy(x)``, ``x.get()``, ``x.item()``, ``x.tolist()``, ``float(x)``,
  ``int(x)``, ``bool(x)``, and each of them counts as one device→host transfer
  (:func:`transfers`, :func:`count_transfers`);
* **no mixing.**  A NumPy array next to a device array in an operator or a
  function raises ``TypeError`` (Python and NumPy *scalars* are fine, as on CuPy);
* **only CuPy's names.**  The module, ``linalg``, ``random``,
  ``lib.stride_tricks``, ``cupyx`` and the array's methods expose only the names
  that exist in real CuPy (``strict_cupy_names.py``, generated from a CuPy wheel
  by ``tools/make_cupy_names.py``); anything else is an ``AttributeError`` that
  names it;
* **CuPy's return types.**  Reductions and integer indexing return 0-d device
  arrays, not NumPy scalars, so ``float(x.sum())`` is visibly a transfer; and a
  function that wants an array refuses a plain tuple (``cupy.prod((2, 3))``
  raises on CuPy).

The values are NumPy's, so everything else (dtypes, broadcasting, views) follows
NumPy, which CuPy mirrors.  CUDA kernels (``RawKernel``, ``ElementwiseKernel``)
run their CUDA source compiled as host C++, one thread after another
(:mod:`minigrad.kernel_emulator`; they raise where no C++ compiler is installed).
What it cannot check: speed, device memory, and kernels whose threads cooperate.
"""
import contextlib
import sys
import weakref

import numpy

from . import kernel_emulator
from .strict_cupy_names import CUPY_VERSION, NAMES

__version__ = CUPY_VERSION
_transfers = 0

IMPLICIT = ("Implicit conversion to a NumPy array is not allowed (strict CuPy stand-in, as on CuPy): "
            "use cupy.asnumpy(x) or x.get() where a host copy is really wanted")

#: Functions whose first argument is a shape, dtype, data to copy or a subscript string, not an array.
NOT_ARRAY_FIRST = frozenset({
    'zeros', 'ones', 'empty', 'full', 'arange', 'eye', 'identity', 'linspace', 'logspace', 'indices',
    'tri', 'asarray', 'array', 'asanyarray', 'ascontiguousarray', 'asfortranarray', 'broadcast_shapes',
    'result_type', 'promote_types', 'can_cast', 'dtype', 'iinfo', 'finfo', 'einsum', 'issubdtype',
    'fromfunction', 'frombuffer', 'fromiter', 'ravel_multi_index', 'isscalar', 'ndim', 'shape', 'size',
    'concatenate', 'stack', 'vstack', 'hstack', 'dstack', 'column_stack', 'meshgrid', 'block', 'ix_',
    'choose', 'select', 'piecewise', 'broadcast_arrays', 'atleast_1d', 'atleast_2d', 'atleast_3d'})
#: Functions that copy host data to the device: they accept NumPy arrays.
HOST_TO_DEVICE = frozenset({'asarray', 'array', 'asanyarray', 'ascontiguousarray', 'asfortranarray'})


def transfers():
    """Device→host transfers so far (asnumpy, .get(), .item(), .tolist(), float/int/bool of an array)."""
    return _transfers


@contextlib.contextmanager
def count_transfers():
    """``with count_transfers() as n: ...`` then ``n()`` is the number of transfers inside the block."""
    start = _transfers
    end = []
    yield lambda: (end[0] if end else _transfers) - start
    end.append(_transfers)


def _sync():
    global _transfers
    _transfers += 1


# ---------------------------------------------------------------------------------------------
# the device array


def _device(value, where, allow_host=False):
    """Unwrap device arrays inside ``value`` to NumPy; refuse host arrays unless ``allow_host``."""
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, numpy.ndarray):
        if allow_host:
            return value
        raise TypeError(f"{where}: a NumPy array {value.shape} was mixed with CuPy arrays; "
                        "CuPy refuses this (strict stand-in): move it with cupy.asarray first")
    if isinstance(value, (list, tuple)):
        return type(value)(_device(v, where, allow_host) for v in value)
    if isinstance(value, slice):
        return slice(*(_device(v, where, allow_host) for v in (value.start, value.stop, value.step)))
    return value


#: The live device array of each NumPy array, so that one buffer has one device array object
#: (``x.base`` is the same object each time, as on CuPy; graph accounting counts by identity).
_LIVE = weakref.WeakValueDictionary()


def _wrap(value):
    """NumPy results back to device arrays; a NumPy scalar becomes a 0-d array, as CuPy returns."""
    if isinstance(value, numpy.ndarray):
        known = _LIVE.get(id(value))
        return known if known is not None and known._a is value else ndarray(value)
    if isinstance(value, numpy.generic):
        return ndarray(numpy.asarray(value))
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


class ndarray:
    """A device array of the stand-in: a NumPy array that refuses to be taken for one."""
    __slots__ = ('_a', '_base', '__weakref__')
    __hash__ = None

    def __init__(self, array):
        if not isinstance(array, numpy.ndarray):
            raise TypeError("cupy.ndarray(...): build device arrays with cupy.asarray / zeros / empty")
        self._a, self._base = array, None
        _LIVE[id(array)] = self

    # NumPy may not take a device array, neither by conversion nor through its functions.
    def __array__(self, *args, **kwargs):
        raise TypeError(IMPLICIT)

    def __array_function__(self, func, types, args, kwargs):
        raise TypeError(f"numpy.{func.__name__}() was given a device array: {IMPLICIT}; code that runs on "
                        f"either backend calls xp.{func.__name__} with xp = get_array_module(...)")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # A NumPy scalar on the left (np.float32(2) * x) reaches here: CuPy allows that.
        where = f'numpy.{ufunc.__name__}'
        inputs = _device(inputs, where)
        kwargs = {k: _device(v, where) for k, v in kwargs.items()}
        return _wrap(getattr(ufunc, method)(*inputs, **kwargs))

    # explicit transfers to the host
    def get(self, stream=None, order='C', out=None):
        _sync()
        return numpy.array(self._a, order=order)

    def item(self, *args):
        _sync()
        return self._a.item(*args)

    def tolist(self):
        _sync()
        return self._a.tolist()

    def __float__(self):
        _sync()
        return float(self._a)

    def __int__(self):
        _sync()
        return int(self._a)

    def __index__(self):
        _sync()
        return self._a.__index__()

    def __bool__(self):
        _sync()
        return bool(self._a)

    def __complex__(self):
        _sync()
        return complex(self._a)

    # indexing: results stay on the device, integer indexing gives a 0-d array
    def __getitem__(self, key):
        return _wrap(self._a[_device(key, 'cupy.ndarray.__getitem__', allow_host=True)])

    def __setitem__(self, key, value):
        self._a[_device(key, 'cupy.ndarray.__setitem__', allow_host=True)] = \
            _device(value, 'cupy.ndarray.__setitem__', allow_host=True)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (ndarray(row) if isinstance(row, numpy.ndarray) else _wrap(row) for row in
                (self._a[i] for i in range(len(self._a))))

    def __repr__(self):
        return 'strict_cupy.' + repr(self._a)

    def __getattr__(self, name):
        if name not in NAMES['cupy.ndarray']:
            raise AttributeError(f"'cupy.ndarray' has no attribute {name!r} (not in CuPy {CUPY_VERSION})")
        value = getattr(self._a, name)
        if not callable(value):
            return _wrap(value)
        where = f'cupy.ndarray.{name}'

        def method(*args, **kwargs):
            out = value(*_device(args, where), **{k: _device(v, where) for k, v in kwargs.items()})
            return self if out is self._a else _wrap(out)   # x.astype(same, copy=False) is x
        return method


# Metadata reads need no transfer: straight from the NumPy array inside.
for _name in ('shape', 'dtype', 'ndim', 'size', 'strides', 'itemsize', 'nbytes'):
    setattr(ndarray, _name, property(lambda self, _name=_name: getattr(self._a, _name)))
ndarray.T = property(lambda self: ndarray(self._a.T))


def _base_of(self):
    """A view's base: one object, kept alive by the view (as a CuPy view holds its base), so
    identity-based bookkeeping sees the same base every time."""
    if self._a.base is None or not isinstance(self._a.base, numpy.ndarray):
        return None
    if self._base is None:
        self._base = _wrap(self._a.base)
    return self._base


ndarray.base = property(_base_of)


def _operator(name, inplace=False):
    where = f'cupy.ndarray.{name}'

    def op(self, *others):
        result = getattr(self._a, name)(*_device(others, where))
        if result is NotImplemented:
            return result
        return self if inplace else _wrap(result)
    op.__name__ = name
    return op


_BINARY = ('add', 'sub', 'mul', 'truediv', 'floordiv', 'mod', 'pow', 'matmul', 'and', 'or', 'xor',
           'lshift', 'rshift', 'divmod')
for _name in _BINARY:
    setattr(ndarray, f'__{_name}__', _operator(f'__{_name}__'))
    setattr(ndarray, f'__r{_name}__', _operator(f'__r{_name}__'))
    if _name != 'divmod':
        setattr(ndarray, f'__i{_name}__', _operator(f'__i{_name}__', inplace=True))
for _name in ('lt', 'le', 'gt', 'ge', 'eq', 'ne', 'neg', 'pos', 'abs', 'invert'):
    setattr(ndarray, f'__{_name}__', _operator(f'__{_name}__'))


# ---------------------------------------------------------------------------------------------
# functions and namespaces


class _Ufunc:
    """A NumPy ufunc seen through the stand-in: call, at, reduce, accumulate, outer."""

    def __init__(self, ufunc, name):
        self._ufunc, self.__name__ = ufunc, name
        self.nin, self.nout = ufunc.nin, ufunc.nout

    def __call__(self, *args, **kwargs):
        return _call(self._ufunc, f'cupy.{self.__name__}', args, kwargs)

    def __getattr__(self, method):
        if method not in ('at', 'reduce', 'accumulate', 'outer', 'reduceat'):
            raise AttributeError(f"cupy.{self.__name__} has no attribute {method!r}")
        return lambda *args, **kwargs: _call(getattr(self._ufunc, method), f'cupy.{self.__name__}.{method}',
                                             args, kwargs)


def _call(function, where, args, kwargs, name=''):
    host_ok = name in HOST_TO_DEVICE
    if args and name not in NOT_ARRAY_FIRST and isinstance(args[0], (list, tuple)) and args[0] \
            and not any(isinstance(a, ndarray) for a in args[0]):
        raise TypeError(f"{where}: expected a cupy.ndarray, got a {type(args[0]).__name__} "
                        "(CuPy does not convert Python sequences here: wrap it with cupy.asarray)")
    out = function(*_device(args, where, host_ok), **{k: _device(v, where, host_ok) for k, v in kwargs.items()})
    if host_ok and args and isinstance(args[0], numpy.ndarray) and numpy.may_share_memory(out, args[0]):
        out = out.copy()  # host -> device is a copy on a real GPU: the two never share memory
    for arg in args:   # cupy.asarray(x) and friends return x itself, not a new array object
        if isinstance(arg, ndarray) and out is arg._a:
            return arg
    return _wrap(out)


def _function(function, where, name):
    def wrapped(*args, **kwargs):
        return _call(function, where, args, kwargs, name)
    wrapped.__name__ = wrapped.__qualname__ = name
    wrapped.__doc__ = f"{where}: NumPy's {name} on the stand-in's device arrays."
    return wrapped


_MISSING = object()


class _Namespace:
    """A CuPy namespace: only the names real CuPy has, each backed by its NumPy twin."""

    def __init__(self, space, numpy_module, extra=None):
        self._space, self._numpy, self._extra = space, numpy_module, extra or {}

    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        if name in self._extra:
            return self._extra[name]
        if name not in NAMES[self._space]:
            raise AttributeError(f"{self._space}.{name} does not exist in CuPy {CUPY_VERSION}: code that "
                                 f"runs on the 'cupy' backend cannot call it (strict stand-in)")
        value = getattr(self._numpy, name, _MISSING)
        if value is _MISSING:
            raise AttributeError(f"{self._space}.{name} exists in CuPy but the strict stand-in has no NumPy "
                                 "twin for it: check this path on a real GPU")
        if isinstance(value, numpy.ufunc):
            return _Ufunc(value, name)
        if callable(value) and not isinstance(value, type):
            return _function(value, f'{self._space}.{name}', name)
        return value

    def __dir__(self):
        return sorted(NAMES[self._space] | set(self._extra))


def asnumpy(a, stream=None, order='C', out=None):
    """The host copy of ``a`` (one device→host transfer); NumPy input is returned as it is."""
    if isinstance(a, ndarray):
        return a.get(order=order)
    return numpy.asarray(a, order=order)


def get_array_module(*args):
    return sys.modules[__name__] if any(isinstance(a, ndarray) for a in args) else numpy


def _kernels(name):
    """cupy.RawKernel / ElementwiseKernel: emulated on the CPU when a C++ compiler is here."""
    if kernel_emulator.available() and hasattr(kernel_emulator, name):
        return getattr(kernel_emulator, name)
    return _no_kernels(name)


def _no_kernels(name):
    def refuse(*args, **kwargs):
        raise NotImplementedError(f"cupy.{name}: this CUDA kernel cannot run on the strict CPU stand-in "
                                  "(ReductionKernel is not emulated; the others need a C++ compiler)")
    return refuse


def _scatter_add(a, slices, value):
    numpy.add.at(_device(a, 'cupyx.scatter_add'), _device(slices, 'cupyx.scatter_add', allow_host=True),
                 _device(value, 'cupyx.scatter_add'))


class _Runtime:
    @staticmethod
    def getDeviceCount():
        return 1


class _Device:
    def __init__(self, index=0):
        self.id = index

    def synchronize(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


kernel_emulator.attach(ndarray, lambda a: a._a, _wrap)
_cuda = type(sys)('cupy.cuda')
_cuda.runtime, _cuda.Device = _Runtime, _Device
_stride_tricks = _Namespace('cupy.lib.stride_tricks', numpy.lib.stride_tricks)
_lib = type(sys)('cupy.lib')
_lib.stride_tricks = _stride_tricks
linalg = _Namespace('cupy.linalg', numpy.linalg)
random = _Namespace('cupy.random', numpy.random)
cupyx = _Namespace('cupyx', numpy, {'scatter_add': _scatter_add})
_top = _Namespace('cupy', numpy, {
    'ndarray': ndarray, 'asnumpy': asnumpy, 'get_array_module': get_array_module, 'linalg': linalg,
    'random': random, 'lib': _lib, 'cuda': _cuda, 'ElementwiseKernel': _kernels('ElementwiseKernel'),
    'RawKernel': _kernels('RawKernel'), 'ReductionKernel': _no_kernels('ReductionKernel')})


def __getattr__(name):  # module-level: cupy.<name>
    return getattr(_top, name)


def __dir__():
    return dir(_top)
