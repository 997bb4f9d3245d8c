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
checkpoint intact.  Loading checks every member's CRC and turns a truncated
or corrupt file into a ValueError that names the path.

``to_torch_state_dict`` / ``from_torch_state_dict`` convert a state_dict to
and from plain NumPy arrays with the same keys and shapes (torch is not
needed for them; see docs/nn.md for moving weights in both directions).
"""
import collections
import io as _stdio
import json
import os
import tempfile
import zipfile

import numpy

from . import backend
from .tensor import Tensor

MANIFEST = '__minigrad__'
FORMAT = 'minigrad-checkpoint'
VERSION = 1
_UMASK = os.umask(0)
os.umask(_UMASK)


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


def _decode(node, arrays, device):
    if 'v' in node:
        return node['v']
    kind = node['t']
    if kind in ('dict', 'odict'):
        out = collections.OrderedDict() if kind == 'odict' else {}
        for key, key_kind, value in node['items']:
            out[int(key) if key_kind == 'i' else key] = _decode(value, arrays, device)
        return out
    if kind in ('list', 'tuple'):
        items = [_decode(v, arrays, device) for v in node['items']]
        return items if kind == 'list' else tuple(items)
    array = arrays[node['ref']]
    if kind == 'scalar':
        return array[()]
    array = backend.to_device(array, device)
    return tensor_of(array) if kind == 'tensor' else array


# --------------------------------------------------------------------------- save / load


def save(obj, path, compress=False):
    """Write ``obj`` (nested dicts / lists of Tensors, arrays, numbers, strings) to ``path``
    atomically.  ``compress=True`` deflates the arrays (smaller, slower)."""
    path = os.fspath(path)
    arrays = {}
    manifest = {'format': FORMAT, 'version': VERSION, 'root': _encode(obj, [], arrays)}
    manifest_bytes = numpy.frombuffer(json.dumps(manifest).encode('utf-8'), dtype=numpy.uint8)
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


def _read_members(path):
    """name -> NumPy array for every member, with CRCs checked; ValueError naming ``path`` if damaged."""
    try:
        arrays = {}
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if not info.filename.endswith('.npy'):
                    continue
                data = zf.read(info)  # reads to the end: verifies the CRC
                arrays[info.filename[:-4]] = numpy.lib.format.read_array(_stdio.BytesIO(data), allow_pickle=False)
        return arrays
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError, KeyError) as exc:
        raise ValueError(f"load: {path!r} is not a readable checkpoint: the file is truncated or corrupt "
                         f"({type(exc).__name__}: {exc})") from exc


def load(path, device=None):
    """Read a checkpoint written by :func:`save` (same structure back; Tensors as Tensors,
    arrays as arrays, dict keys with their types).  ``device``: 'cpu', 'gpu' or None for the
    default backend's device.  A plain ``.npz`` without a manifest (e.g. written with
    ``numpy.savez`` from PyTorch weights) loads as a dict of arrays."""
    path = os.fspath(path)
    device = device if device is not None else backend.default_device()
    arrays = _read_members(path)
    if MANIFEST not in arrays:
        return {name: backend.to_device(a, device) for name, a in arrays.items()}
    try:
        manifest = json.loads(arrays.pop(MANIFEST).tobytes().decode('utf-8'))
        if manifest.get('format') != FORMAT:
            raise ValueError(f"unknown format {manifest.get('format')!r}")
        if manifest.get('version', 0) > VERSION:
            raise ValueError(f"written by a newer minigrad (format version {manifest['version']})")
        return _decode(manifest['root'], arrays, device)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise ValueError(f"load: {path!r} has a damaged manifest ({type(exc).__name__}: {exc})") from exc


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
