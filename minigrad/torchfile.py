"""Reading ``torch.save`` files without PyTorch (``minigrad.load('unet.pth')``).

A ``.pth`` file is a pickle whose tensors point into raw byte buffers
("storages") kept outside the pickle.  Two layouts exist:

* **zip** (PyTorch >= 1.6, the default): a zip archive with one top folder
  ``<archive>/`` holding ``data.pkl`` (the pickled object), ``data/<key>``
  (one member per storage: its raw bytes, never compressed), ``byteorder``
  (``little`` or ``big``; absent in old files, meaning little) and ``version``.
* **legacy** (``_use_new_zipfile_serialization=False``): five things back to
  back in one file: three small pickles (a magic number, the protocol version
  1001, a dict of system info), the pickled object, a pickled list of storage
  keys, and then, for each key in that order, its element count (int64) and its
  raw bytes, always little-endian.  No checksums: a flipped value bit goes unnoticed.

Inside the pickle a tensor is a call ``torch._utils._rebuild_tensor_v2(storage,
storage_offset, size, stride, requires_grad, backward_hooks)`` whose storage is
a *persistent id*: the tuple ``('storage', torch.FloatStorage, key, location,
numel)`` (legacy adds a sixth item).  The tensor's element ``[i, j, ...]`` is
``storage[storage_offset + i*stride[0] + j*stride[1] + ...]``, so views
(transposes, slices) and tensors sharing one storage are stored once.

Unpickling runs whatever callables the pickle names, so a ``.pth`` from a
stranger could run any code.  This reader allows, like PyTorch's
``weights_only=True``, only the globals needed to rebuild tensors and plain
containers (the dict ``_ALLOWED`` below) and maps each to a harmless stand-in
of ours (an object the pickle cannot modify); any other global is refused
*before* anything runs (:class:`ForbiddenGlobalError`, a ValueError naming it).
The pickle is walked once with pickletools first, so no damaged length field
makes the unpickler allocate more than the file holds.  torch is never
imported.  The stand-ins build placeholders; once the pickle and the storages
are read, :func:`_finish` turns them into minigrad Tensors (views copied, so
tensors that shared a storage in torch no longer share memory here).  A saved
``nn.Parameter`` comes back as a Tensor with ``requires_grad=True`` (this module
sits below ``minigrad.nn`` and cannot make Parameters).

dtypes: float32/64/16, int64/32/16/8, uint8 and bool are kept.  bfloat16 loads
as float32 (exact: a bfloat16 is the upper half of a float32); complex and
quantized tensors are refused.
"""
import collections
import io
import pickle
import pickletools
import struct

import numpy
from numpy.lib.stride_tricks import as_strided

from . import backend

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001
EXPANSION_ALLOWANCE = 64 * 2**20   # bytes that stride-0 views may add beyond the file's own size

# storage class -> NumPy dtype of its elements (bfloat16 is read as raw uint16, converted later)
_STORAGE_DTYPES = {
    'FloatStorage': 'float32', 'DoubleStorage': 'float64', 'HalfStorage': 'float16',
    'BFloat16Storage': 'bfloat16', 'LongStorage': 'int64', 'IntStorage': 'int32',
    'ShortStorage': 'int16', 'CharStorage': 'int8', 'ByteStorage': 'uint8', 'BoolStorage': 'bool'}
_UNSUPPORTED_STORAGES = ('ComplexFloatStorage', 'ComplexDoubleStorage', 'QInt8Storage', 'QUInt8Storage',
                         'QInt32Storage', 'QUInt4x2Storage', 'QUInt2x4Storage')
_TORCH_DTYPES = {'float32': 'float32', 'float': 'float32', 'float64': 'float64', 'double': 'float64',
                 'float16': 'float16', 'half': 'float16', 'bfloat16': 'float32', 'int64': 'int64',
                 'long': 'int64', 'int32': 'int32', 'int': 'int32', 'int16': 'int16', 'short': 'int16',
                 'int8': 'int8', 'uint8': 'uint8', 'bool': 'bool'}


class ForbiddenGlobalError(ValueError, pickle.UnpicklingError):
    """The pickle names a global outside the allowlist (it never ran)."""


# --------------------------------------------------------------------------- placeholders


class _Placeholder:
    """Base of what the stand-ins return: inert (not callable), and pickle's BUILD
    opcode (which would set attributes on it) is refused."""

    def __setstate__(self, state):
        raise pickle.UnpicklingError(f"cannot set the state of a {type(self).__name__[1:]}")


class _StorageType(_Placeholder):
    def __init__(self, name, dtype):
        self.name, self.dtype = name, dtype


class _Storage(_Placeholder):
    """One storage: its key and element dtype; ``array`` (1-D, file byte order) once read."""

    def __init__(self, key, dtype, numel):
        self.key, self.dtype, self.numel, self.array = key, dtype, numel, None


class _TensorSpec(_Placeholder):
    def __init__(self, storage, offset, size, stride, requires_grad=False):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride
        self.requires_grad = requires_grad


class _DType(_Placeholder):
    def __init__(self, name):
        self.name = name


class _StandIn(_Placeholder):
    """What a pickle gets for an allowed function or class: a callable that calls ``fn``.  Never
    ``fn`` itself: pickle's BUILD opcode could then set attributes on it (``Counter.__init__``,
    a function's ``__defaults__``) and change it for the whole process."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, *args):
        return self.fn(*args)


# --------------------------------------------------------------------------- the stand-ins


def _rebuild_tensor(storage, storage_offset, size, stride):
    if not isinstance(storage, _Storage):
        raise pickle.UnpicklingError("a tensor's storage is not a storage")
    return _TensorSpec(storage, storage_offset, tuple(size), tuple(stride))


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    if metadata:   # tensor-level flags we would silently drop
        raise pickle.UnpicklingError(f"tensor metadata {metadata!r} is not supported")
    spec = _rebuild_tensor(storage, storage_offset, size, stride)
    spec.requires_grad = bool(requires_grad)
    return spec


def _rebuild_parameter(data, requires_grad, backward_hooks, state=None):
    if not isinstance(data, _TensorSpec):
        raise pickle.UnpicklingError("a parameter's data is not a tensor")
    if state:
        raise pickle.UnpicklingError("parameters with extra Python attributes are not supported")
    return _TensorSpec(data.storage, data.offset, data.size, data.stride, bool(requires_grad))


def _latin1_bytes(text, encoding='latin1'):
    """``_codecs.encode``: how protocol-2 pickles spell a ``bytes`` object."""
    if encoding not in ('latin1', 'latin-1') or not isinstance(text, str):
        raise pickle.UnpicklingError(f"_codecs.encode with encoding {encoding!r} is not allowed")
    return text.encode('latin1')


def _bytearray(data=b'', encoding=None):
    """``bytearray`` as pickles build it: from bytes, or from a str and its encoding.  Never from a
    number: ``bytearray(2**40)`` in a 100-byte file would allocate whatever it claims."""
    if isinstance(data, (bytes, bytearray)) and encoding is None:
        return bytearray(data)
    if isinstance(data, str) and encoding in ('latin1', 'latin-1'):
        return bytearray(data, encoding)
    raise pickle.UnpicklingError(f"bytearray from {type(data).__name__} is not allowed (only from bytes or text)")


def _device(kind, index=None):
    return kind if index is None else f'{kind}:{int(index)}'


_ALLOWED = {
    ('torch._utils', '_rebuild_tensor'): _rebuild_tensor,
    ('torch._utils', '_rebuild_tensor_v2'): _rebuild_tensor_v2,
    ('torch._utils', '_rebuild_parameter'): _rebuild_parameter,
    ('torch._utils', '_rebuild_parameter_with_state'): _rebuild_parameter,
    ('torch', 'Size'): lambda dims=(): tuple(int(d) for d in dims),
    ('torch', 'device'): _device,
    ('collections', 'OrderedDict'): collections.OrderedDict,
    ('collections', 'Counter'): collections.Counter,
    ('_codecs', 'encode'): _latin1_bytes,
}
for _module in ('builtins', '__builtin__'):   # protocol-2 pickles spell builtins the Python 2 way
    _ALLOWED.update({(_module, f.__name__): f for f in (set, frozenset, complex)})
    _ALLOWED[(_module, 'bytearray')] = _bytearray
_ALLOWED = {name: _StandIn(fn) for name, fn in _ALLOWED.items()}
_ALLOWED[('torch.storage', 'UntypedStorage')] = _StorageType('UntypedStorage', 'uint8')
_ALLOWED.update({('torch', name): _StorageType(name, dtype) for name, dtype in _STORAGE_DTYPES.items()})
_ALLOWED.update({('torch', name): _DType(dtype) for name, dtype in _TORCH_DTYPES.items()})


class _Unpickler(pickle.Unpickler):
    """pickle.Unpickler that resolves globals only through ``_ALLOWED``."""

    def __init__(self, file, path, storage_of):
        _check_lengths(file)
        super().__init__(file)
        self.path, self.storage_of = path, storage_of

    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return _ALLOWED[module, name]
        where = f"{module}.{name}"
        if module == 'torch' and name in _UNSUPPORTED_STORAGES:
            raise ValueError(f"load: {self.path!r} holds a tensor of type {where}, which minigrad does not support")
        if module.split('.')[0] == 'torch':
            raise ForbiddenGlobalError(f"load: {self.path!r} wants the global {where}, which minigrad's reader "
                                       "does not support (it rebuilds plain tensors, parameters and containers)")
        raise ForbiddenGlobalError(f"load: {self.path!r} wants the global {where}, which a weights file never "
                                   "needs; refusing (only tensor-rebuilding globals are allowed)")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == 'storage'
                and isinstance(pid[1], _StorageType) and isinstance(pid[2], str)
                and isinstance(pid[4], int) and not isinstance(pid[4], bool) and pid[4] >= 0):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r:.200}")
        if len(pid) == 6 and pid[5] is not None:
            raise pickle.UnpicklingError("storage views (files from PyTorch < 0.4) are not supported")
        return self.storage_of(pid[2], pid[1].dtype, pid[4])


def _check_lengths(f):
    """Walk the pickle at ``f``'s position once without running it (pickletools.genops), then
    rewind.  genops checks every length field against the bytes that follow, and we bound the
    memo indices: pickle's C unpickler allocates what a (damaged) length or index claims
    before reading, so one flipped bit could otherwise ask for gigabytes."""
    start = f.tell()
    limit = len(f.getbuffer())
    for opcode, arg, _ in pickletools.genops(f):
        if 'PUT' in opcode.name or 'GET' in opcode.name:
            if not isinstance(arg, int) or arg > limit:
                raise pickle.UnpicklingError(f"memo index {arg!r} is out of range")
    f.seek(start)


# --------------------------------------------------------------------------- placeholders -> Tensors


def _itemsize(dtype):
    return 2 if dtype == 'bfloat16' else numpy.dtype(dtype).itemsize


def _raw_dtype(dtype, byteorder):
    """The dtype to view a storage's bytes with: bfloat16 as uint16, in the file's byte order."""
    raw = numpy.dtype('uint16' if dtype == 'bfloat16' else dtype)
    return raw.newbyteorder('<' if byteorder == 'little' else '>')


def _materialize(spec, budget):
    """A fresh native-order NumPy array with the values of the view ``spec`` describes."""
    storage, size, stride, offset = spec.storage, spec.size, spec.stride, spec.offset
    ints = all(isinstance(n, int) and not isinstance(n, bool) for n in size + stride + (offset,))
    if not ints or len(size) != len(stride) or min(size + stride + (offset,), default=0) < 0:
        raise ValueError(f"a tensor has an invalid view: size {size}, stride {stride}, offset {offset}")
    numel = int(numpy.prod(size, dtype=object))
    if numel and offset + sum((n - 1) * s for n, s in zip(size, stride)) >= storage.numel:
        raise ValueError(f"a tensor view (size {size}, stride {stride}, offset {offset}) reaches past the end "
                         f"of its storage of {storage.numel} elements")
    budget[0] -= numel * _itemsize(storage.dtype)
    if budget[0] < 0:   # only stride-0 (expanded) views can grow beyond the file's bytes
        raise ValueError("its tensors would take far more memory than the file holds (expanded views); refusing")
    flat = storage.array
    view = as_strided(flat[offset:], shape=size, strides=[s * flat.itemsize for s in stride]) if numel else \
        flat[:0].reshape(size)
    if storage.dtype == 'bfloat16':   # the bits of a bfloat16 are the top half of a float32's
        return (view.astype(numpy.uint32) << 16).view(numpy.float32)
    return numpy.array(view, dtype=view.dtype.newbyteorder('='))


def _finish(obj, device, make_tensor, budget, memo):
    """The unpickled structure with placeholders replaced by Tensors (``make_tensor(array,
    requires_grad=...)``) and dtypes; objects the pickle shares stay shared."""
    key = id(obj)
    if key in memo:
        return memo[key]
    if isinstance(obj, (_TensorSpec, _Storage)):
        if isinstance(obj, _Storage):   # a bare storage: its elements as a 1-D tensor
            obj = _TensorSpec(obj, 0, (obj.numel,), (1,))
        array = backend.to_device(_materialize(obj, budget), device)
        out = make_tensor(array, requires_grad=obj.requires_grad and array.dtype.kind == 'f')
    elif isinstance(obj, _DType):
        out = numpy.dtype(obj.name)
    elif type(obj) in (dict, collections.OrderedDict, collections.Counter):
        out = memo[key] = type(obj)()
        for k, v in obj.items():
            out[_finish(k, device, make_tensor, budget, memo)] = _finish(v, device, make_tensor, budget, memo)
    elif type(obj) is list:
        out = memo[key] = []
        out.extend(_finish(v, device, make_tensor, budget, memo) for v in obj)
    elif type(obj) in (tuple, set, frozenset):
        out = type(obj)(_finish(v, device, make_tensor, budget, memo) for v in obj)
    elif obj is None or type(obj) in (bool, int, float, complex, str, bytes, bytearray):
        out = obj
    else:
        raise ValueError(f"unexpected object of type {type(obj).__name__}")
    memo[key] = out
    return out


# --------------------------------------------------------------------------- the two layouts


def _checked(path, read):
    """Run ``read()``; a refused global stays as it is, anything else that goes wrong in a
    damaged or hostile file becomes a ValueError naming ``path``."""
    try:
        return read()
    except (ForbiddenGlobalError, MemoryError):
        raise
    except ValueError as exc:
        if str(exc).startswith(f"load: {path!r}"):
            raise
        raise ValueError(f"load: {path!r} is not a readable torch.save file: {exc}") from exc
    except Exception as exc:   # struct/zip/pickle errors, wrong argument counts from a crafted pickle, ...
        raise ValueError(f"load: {path!r} is not a readable torch.save file "
                         f"({type(exc).__name__}: {exc})") from exc


def is_torch_zip(names):
    """True if the zip member ``names`` include ``<archive>/data.pkl``."""
    return any(name.count('/') == 1 and name.endswith('/data.pkl') for name in names)


def load_zip(zf, path, device, file_size, make_tensor):
    """The object a zip-layout ``torch.save`` file holds (``zf``: its open ZipFile)."""
    def read():
        pickles = [n for n in zf.namelist() if n.count('/') == 1 and n.endswith('/data.pkl')]
        if len(pickles) != 1:
            raise ValueError(f"expected one <archive>/data.pkl, found {pickles}")
        prefix = pickles[0][:-len('data.pkl')]
        names = set(zf.namelist())
        byteorder = zf.read(prefix + 'byteorder').decode('ascii') if prefix + 'byteorder' in names else 'little'
        if byteorder not in ('little', 'big'):
            raise ValueError(f"unknown byteorder {byteorder!r}")
        storages = {}

        def member(name):
            info = zf.getinfo(name)
            if info.compress_type != 0:
                raise ValueError(f"member {name!r} is compressed (torch.save never compresses)")
            return info

        def storage_of(key, dtype, numel):
            if key not in storages:
                info = member(prefix + 'data/' + key)
                if info.file_size != numel * _itemsize(dtype):
                    raise ValueError(f"storage {key!r} holds {info.file_size} bytes, its tensors expect "
                                     f"{numel} x {dtype}")
                storage = storages[key] = _Storage(key, dtype, numel)
                storage.array = numpy.frombuffer(zf.read(info), dtype=_raw_dtype(dtype, byteorder))
            if (storages[key].dtype, storages[key].numel) != (dtype, numel):
                raise ValueError(f"storage {key!r} is used with two different types")
            return storages[key]

        f = io.BytesIO(zf.read(member(pickles[0])))   # read whole: its CRC is checked before unpickling
        obj = _Unpickler(f, path, storage_of).load()
        if f.read(1):
            raise ValueError("data.pkl has bytes after the end of the pickle")
        return _finish(obj, device, make_tensor, [file_size + EXPANSION_ALLOWANCE], {})
    return _checked(path, read)


def is_legacy(head):
    """Could a file starting with ``head`` be the legacy layout (a pickle, not a zip)?"""
    return head[:1] == pickle.PROTO


def load_legacy(file, path, device, file_size, make_tensor):
    """The object a legacy-layout ``torch.save`` file holds (``file``: the file, at its start)."""
    def read():
        f = io.BytesIO(file.read())
        def unpickle(storage_of=None):
            return _Unpickler(f, path, storage_of).load()

        if unpickle() != LEGACY_MAGIC:
            raise ValueError("it starts with a pickle, but not with torch's magic number")
        if unpickle() != LEGACY_PROTOCOL:
            raise ValueError("unknown legacy protocol version")
        unpickle()  # system info (endianness, type sizes): the storages are little-endian regardless
        storages = {}

        def storage_of(key, dtype, numel):
            storage = storages.setdefault(key, _Storage(key, dtype, numel))
            if (storage.dtype, storage.numel) != (dtype, numel):
                raise ValueError(f"storage {key!r} is used with two different types")
            return storage

        obj = unpickle(storage_of)
        keys = unpickle()
        if not isinstance(keys, list) or sorted(keys) != sorted(storages):
            raise ValueError("the list of storage keys does not match the tensors")
        for key in keys:
            storage = storages[key]
            (numel,) = struct.unpack('<q', f.read(8))
            nbytes = numel * _itemsize(storage.dtype)
            if numel != storage.numel or f.tell() + nbytes > file_size:
                raise ValueError(f"storage {key!r} is truncated or has the wrong size")
            storage.array = numpy.frombuffer(f.read(nbytes), dtype=_raw_dtype(storage.dtype, 'little'))
        if f.read(1):
            raise ValueError("unexpected bytes after the last storage")
        return _finish(obj, device, make_tensor, [file_size + EXPANSION_ALLOWANCE], {})
    return _checked(path, read)
