"""Checkpoints: ``minigrad.save(obj, path)`` / ``minigrad.load(path)``.

``obj`` is a nested structure of dicts (str or int keys), lists, tuples,
Tensors, NumPy/CuPy arrays, numbers, strings, booleans and None — e.g.::

    minigrad.save({'model': model.state_dict(), 'optim': opt.state_dict(), 'epoch': 7}, 'ckpt.npz')
    ckpt = minigrad.load('ckpt.npz')
    model.load_state_dict(ckpt['model']); opt.load_state_dict(ckpt['optim'])

The file is an ordinary ``.npz`` (a zip of ``.npy`` files, readable with
``numpy.load``): every array is stored under its path of keys joined by '/'
(``model/0.weight``), and one small JSON manifest (member ``__minigrad__``)
records the structure and the non-array leaves.  No pickle is involved, so
loading a file never runs code from it.

Saving is atomic: the file is written to a temporary file in the same
directory, flushed to disk (fsync) and then renamed over ``path`` in one step
(``os.replace``).  A crash or an error mid-save leaves the previous
checkpoint intact.  Loading trusts nothing in the file: it checks every
member's CRC, the zip's member count against its end record, each ``.npy``
header against its member's size (before allocating the array) and the
manifest against the members, so any truncated, corrupt or crafted file is a
ValueError that names the path.  ``save`` refuses a key that would not come
back (a zip member name cannot hold NUL), before touching the file.

``load`` also reads ``torch.save`` files (``.pth``), without PyTorch and
without running code from them: see :mod:`minigrad.torchfile`.

``to_torch_state_dict`` / ``from_torch_state_dict`` convert a state_dict to
and from plain NumPy arrays with the same keys and shapes (torch is not
needed for them; see docs/nn.md for moving weights in both directions).
"""
import collections
import json
import math
import os
import struct
import tempfile
import zipfile

import numpy

from . import backend, torchfile
from .tensor import Tensor

MANIFEST = '__minigrad__'
MAX_MANIFEST_BYTES = 64 * 2**20   # structure and small leaves only; the arrays live in their own members
_MAX_NAME_BYTES = 0xFFFF - len('.npy')  # a zip member name's length field has 16 bits
_CHUNK = 16 * 2**20               # read arrays in pieces: no second full-size copy in memory
FORMAT = 'minigrad-checkpoint'
VERSION = 1
_UMASK = os.umask(0)
os.umask(_UMASK)


class _NotACheckpoint(Exception):
    """Raised inside ``load`` when the file's structure is wrong; reported as a ValueError naming the path."""


def tensor_of(array, cls=Tensor, requires_grad=False):
    """A ``cls`` (Tensor or Parameter) around ``array`` itself: same backend, no copy.

    ``Tensor(numpy_array)`` moves the array to the GPU when CuPy is the default
    backend; a state_dict of a model kept on the CPU, or a checkpoint loaded with
    ``device='cpu'``, must stay where it is.
    """
    t = cls(array, requires_grad=requires_grad)
    if t.array is not array and backend.backend_of(t.array) != backend.backend_of(array):
        t.array = array
    return t


# --------------------------------------------------------------------------- encoding


def _encode(obj, path, arrays):
    """The manifest node for ``obj``; arrays found go into ``arrays`` (name -> NumPy array)."""
    where = '/'.join(path) or '<root>'
    if obj is None or isinstance(obj, (bool, str)):
        return {'v': obj}
    if isinstance(obj, (int, float)) and not isinstance(obj, numpy.generic):
        return {'v': obj}
    if isinstance(obj, Tensor) or isinstance(obj, numpy.generic) or (hasattr(obj, 'shape') and hasattr(obj, 'dtype')):
        kind = 'tensor' if isinstance(obj, Tensor) else 'scalar' if isinstance(obj, numpy.generic) else 'array'
        array = backend.to_numpy(obj.array if isinstance(obj, Tensor) else obj)
        if array.dtype.hasobject:
            raise TypeError(f"save: the array at {where!r} has dtype object, which cannot be saved without pickle")
        name = '/'.join(path) or 'root'
        if len(name.encode('utf-8')) > _MAX_NAME_BYTES:
            raise ValueError(f"save: the key path {name[:40]!r}... is {len(name.encode('utf-8'))} bytes long; "
                             f"a zip member name holds at most {_MAX_NAME_BYTES}")
        base, k = name, 1
        while name in arrays or name == MANIFEST:
            name, k = f'{base}~{k}', k + 1
        arrays[name] = array
        return {'t': kind, 'ref': name}
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            if isinstance(key, (int, numpy.integer)) and not isinstance(key, bool):
                items.append([int(key), 'i', _encode(value, path + [str(key)], arrays)])
            elif isinstance(key, str):
                _check_key(key, where)
                items.append([key, 's', _encode(value, path + [key], arrays)])
            else:
                raise TypeError(f"save: dict keys must be str or int, got {type(key).__name__} {key!r} at {where!r}")
        return {'t': 'odict' if isinstance(obj, collections.OrderedDict) else 'dict', 'items': items}
    if isinstance(obj, (list, tuple)):
        return {'t': 'list' if isinstance(obj, list) else 'tuple',
                'items': [_encode(v, path + [str(i)], arrays) for i, v in enumerate(obj)]}
    hint = " (save its state_dict() instead)" if hasattr(obj, 'state_dict') else ''
    raise TypeError(f"save: cannot save an object of type {type(obj).__name__} at {where!r}{hint}; expected dicts, "
                    "lists, tuples, Tensors, arrays, numbers, strings or None")


def _check_key(key, where):
    """Refuse (before anything is written) a key that would not come back from ``load``: the
    zip format cuts a member name at a NUL character and stores names as UTF-8."""
    if '\x00' in key:
        raise ValueError(f"save: the key {key!r} at {where!r} contains a NUL character, which a zip member "
                         "name cannot hold; rename it")
    try:
        key.encode('utf-8')
    except UnicodeEncodeError as exc:
        raise ValueError(f"save: the key {key!r} at {where!r} is not valid text ({exc.reason}); rename it") from None


def _decode(node, arrays, device, unused):
    """The object a manifest node describes.  Every node is checked (the file may be damaged or
    crafted); each array member is used exactly once (``unused``: the names not used yet)."""
    if not isinstance(node, dict):
        raise _NotACheckpoint(f"manifest node {node!r:.60} is not an object")
    if node.keys() == {'v'}:
        if node['v'] is None or type(node['v']) in (bool, int, float, str):
            return node['v']
    elif node.keys() == {'t', 'items'} and isinstance(node['items'], list):
        kind, items = node['t'], node['items']
        if kind in ('list', 'tuple'):
            values = [_decode(v, arrays, device, unused) for v in items]
            return values if kind == 'list' else tuple(values)
        if kind in ('dict', 'odict'):
            out = collections.OrderedDict() if kind == 'odict' else {}
            for item in items:
                if not (isinstance(item, list) and len(item) == 3 and
                        (item[1], type(item[0])) in (('i', int), ('s', str)) and item[0] not in out):
                    raise _NotACheckpoint(f"manifest dict item {item!r:.60} is malformed")
                out[item[0]] = _decode(item[2], arrays, device, unused)
            return out
    elif node.keys() == {'t', 'ref'} and node['t'] in ('tensor', 'array', 'scalar'):
        ref = node['ref']
        if not isinstance(ref, str) or ref not in unused:
            raise _NotACheckpoint(f"the manifest refers to a missing (or already used) array {ref!r:.60}")
        unused.remove(ref)
        array = arrays[ref]
        if node['t'] == 'scalar':
            if array.ndim:
                raise _NotACheckpoint(f"the scalar {ref!r} has shape {array.shape}")
            return array[()]
        array = backend.to_device(array, device)
        return tensor_of(array) if node['t'] == 'tensor' else array
    raise _NotACheckpoint(f"manifest node {node!r:.60} is malformed")


# --------------------------------------------------------------------------- save / load


def save(obj, path, compress=False):
    """Write ``obj`` (nested dicts / lists of Tensors, arrays, numbers, strings) to ``path``
    atomically.  ``compress=True`` deflates the arrays (smaller, slower)."""
    path = os.fspath(path)
    arrays = {}
    manifest = {'format': FORMAT, 'version': VERSION, 'root': _encode(obj, [], arrays)}
    manifest_bytes = numpy.frombuffer(json.dumps(manifest).encode('utf-8'), dtype=numpy.uint8)
    if manifest_bytes.size > MAX_MANIFEST_BYTES:   # load would refuse it
        raise ValueError(f"save: the structure and non-array values take {manifest_bytes.size} bytes of JSON "
                         f"(at most {MAX_MANIFEST_BYTES}); store long lists of numbers as arrays")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):   # say so before the temp file's name can confuse the message
        raise FileNotFoundError(f"save: the folder of {path!r} does not exist ({directory})")
    fd, tmp = tempfile.mkstemp(prefix='.' + os.path.basename(path) + '.', suffix='.tmp', dir=directory)
    try:
        with os.fdopen(fd, 'wb') as f:
            mode = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            with zipfile.ZipFile(f, 'w', compression=mode, allowZip64=True) as zf:
                for name, array in list(arrays.items()) + [(MANIFEST, manifest_bytes)]:
                    with zf.open(name + '.npy', 'w', force_zip64=True) as member:
                        numpy.lib.format.write_array(member, array, allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable (POSIX); harmless to skip elsewhere
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def _read_npy(zf, info):
    """One ``.npy`` member as an array.  Its header is read first and checked against the
    member's size, so a header that promises a huge array is refused before anything is allocated."""
    with zf.open(info) as f:
        version = numpy.lib.format.read_magic(f)
        if version not in ((1, 0), (2, 0)):
            raise _NotACheckpoint(f"member {info.filename!r} has .npy format version {version}")
        read_header = getattr(numpy.lib.format, f'read_array_header_{version[0]}_0')
        shape, fortran_order, dtype = read_header(f)
        if dtype.hasobject:
            raise _NotACheckpoint(f"member {info.filename!r} holds Python objects (dtype {dtype})")
        count = math.prod(shape)
        if f.tell() + count * dtype.itemsize != info.file_size:
            raise _NotACheckpoint(f"member {info.filename!r} promises an array of shape {shape} and dtype "
                                  f"{dtype} ({count * dtype.itemsize} bytes) but holds {info.file_size - f.tell()}")
        flat = numpy.empty(count, dtype)
        raw = flat.view(numpy.uint8)
        for start in range(0, raw.size, _CHUNK):
            chunk = f.read(min(_CHUNK, raw.size - start))
            raw[start:start + len(chunk)] = numpy.frombuffer(chunk, numpy.uint8)
        if f.read(1):  # also makes zipfile check the CRC
            raise _NotACheckpoint(f"member {info.filename!r} is longer than its header says")
        return flat.reshape(shape, order='F' if fortran_order else 'C')


def _entries_promised(f, zf, size):
    """The member count the zip's end record promises.  zipfile stops reading the central
    directory where a damaged length field tells it to; comparing counts catches members
    (e.g. the manifest) that silently went missing."""
    end = size - 22 - len(zf.comment)
    f.seek(end)
    signature, _, _, _, count, _, _, _ = struct.unpack('<4s4H2LH', f.read(22))
    if signature != b'PK\x05\x06':
        raise _NotACheckpoint("the zip's end record is not at the end of the file")
    if count == 0xFFFF:  # zip64: the real count is in the zip64 end record the locator points to
        f.seek(end - 20)
        signature, _, record, _ = struct.unpack('<4sLQL', f.read(20))
        f.seek(record)
        if signature != b'PK\x06\x07' or f.read(4) != b'PK\x06\x06':
            raise _NotACheckpoint("the zip's zip64 end record is missing")
        count = struct.unpack('<28xQ', f.read(36))[0]
    return count


def _read_members(zf, promised):
    """name -> NumPy array for every member (CRCs checked); the zip must hold only ``.npy`` members,
    each name once, at least one, as many as its end record promises."""
    infos = zf.infolist()
    if len(infos) != promised:
        raise _NotACheckpoint(f"its directory lists {len(infos)} members, its end record {promised}")
    names = [info.filename for info in infos]
    if not names:
        raise _NotACheckpoint("the zip holds no arrays")
    if len(set(names)) != len(names):
        raise _NotACheckpoint("the zip has two members with the same name")
    others = [name for name in names if not name.endswith('.npy')]
    if others:
        raise _NotACheckpoint(f"member {others[0]!r} is not a .npy array")
    manifest = zf.getinfo(MANIFEST + '.npy') if MANIFEST + '.npy' in names else None
    if manifest is not None and manifest.file_size > MAX_MANIFEST_BYTES:
        raise _NotACheckpoint(f"its manifest takes {manifest.file_size} bytes (at most {MAX_MANIFEST_BYTES})")
    return {info.filename[:-4]: _read_npy(zf, info) for info in infos}


def _manifest_root(array):
    """The structure node of a manifest member, after checking its format and version."""
    if array.dtype != numpy.uint8 or array.ndim != 1:
        raise _NotACheckpoint(f"its manifest is an array of {array.dtype} {array.shape}, not bytes")
    manifest = json.loads(array.tobytes().decode('utf-8'))
    if not isinstance(manifest, dict) or manifest.get('format') != FORMAT or 'root' not in manifest:
        raise _NotACheckpoint("its manifest is not a minigrad manifest")
    version = manifest.get('version')
    if type(version) is not int or version > VERSION:
        raise _NotACheckpoint(f"it was written by a newer minigrad (format version {version!r})")
    return manifest['root']


def load(path, device=None):
    """Read a checkpoint written by :func:`save` (same structure back; Tensors as Tensors,
    arrays as arrays, dict keys with their types).  ``device``: 'cpu', 'gpu' or None for the
    default backend's device.  A plain ``.npz`` without a manifest (e.g. written with
    ``numpy.savez`` from PyTorch weights) loads as a dict of arrays; a ``torch.save`` file
    (``.pth``) loads through :mod:`minigrad.torchfile`, without PyTorch and without running
    any code from the file.  Every damaged or foreign file is a ValueError naming ``path``."""
    path = os.fspath(path)
    device = device if device is not None else backend.default_device()
    with open(path, 'rb') as f:   # a missing file stays a FileNotFoundError
        size = os.fstat(f.fileno()).st_size
        if torchfile.is_legacy(f.read(1)):
            f.seek(0)
            return torchfile.load_legacy(f, path, device, size, tensor_of)
        f.seek(0)
        try:
            zf = zipfile.ZipFile(f)
        except Exception as exc:  # BadZipFile, struct.error, ...: not a zip, or its directory is damaged
            raise _corrupt(path, exc) from exc
        with zf:
            if torchfile.is_torch_zip(zf.namelist()):
                return torchfile.load_zip(zf, path, device, size, tensor_of)
            try:
                arrays = _read_members(zf, _entries_promised(f, zf, size))
                root = _manifest_root(arrays.pop(MANIFEST)) if MANIFEST in arrays else None
            except _NotACheckpoint as exc:
                raise ValueError(f"load: {path!r} is not a minigrad checkpoint, NumPy .npz or torch.save file: "
                                 f"{exc}") from exc
            except MemoryError:
                raise
            except Exception as exc:  # zipfile, zlib, CRC, .npy header, json ... errors: a damaged file
                raise _corrupt(path, exc) from exc
    if root is None:
        return {name: backend.to_device(a, device) for name, a in arrays.items()}
    unused = set(arrays)
    try:
        obj = _decode(root, arrays, device, unused)
        if unused:
            raise _NotACheckpoint(f"the manifest does not mention the arrays {sorted(unused)[:3]}")
    except (_NotACheckpoint, RecursionError) as exc:
        raise ValueError(f"load: {path!r} has a damaged manifest ({type(exc).__name__}: {exc})") from exc
    return obj


def _corrupt(path, exc):
    return ValueError(f"load: {path!r} is not a readable checkpoint: the file is truncated or corrupt "
                      f"({type(exc).__name__}: {exc})")


# --------------------------------------------------------------------------- PyTorch interop


def array_of(value):
    """The array behind ``value``: a minigrad Tensor's data, a torch tensor's values as NumPy
    (duck-typed: torch is never imported), or an array itself; None for anything else."""
    if isinstance(value, Tensor):
        return value.array
    if hasattr(value, 'detach') and hasattr(value, 'cpu'):  # a torch tensor
        return value.detach().cpu().numpy()
    if hasattr(value, 'shape') and hasattr(value, 'dtype'):
        return value
    return None


def _numpy_of(value, key):
    array = array_of(value)
    if array is None:
        raise TypeError(f"state_dict entry {key!r}: expected a tensor or an array, got {type(value).__name__}")
    return numpy.array(backend.to_numpy(array), copy=True)


def to_torch_state_dict(state_dict):
    """Our state_dict as an OrderedDict of NumPy arrays (same keys, shapes, dtypes), ready for
    ``torch_model.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})``."""
    return collections.OrderedDict((k, _numpy_of(v, k)) for k, v in state_dict.items())


def from_torch_state_dict(state_dict):
    """A torch state_dict (tensors, or NumPy arrays e.g. from an .npz) as an OrderedDict of
    NumPy arrays, ready for ``model.load_state_dict(...)``."""
    return collections.OrderedDict((k, _numpy_of(v, k)) for k, v in state_dict.items())


__all__ = ['save', 'load', 'to_torch_state_dict', 'from_torch_state_dict']
