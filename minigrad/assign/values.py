"""The wire format between the grader and the processes it starts: records of named arrays.

A record is ``MGV1`` + a 4-byte big-endian header length + a JSON header + the
raw bytes of its arrays, one after the other::

    {"type": "values", "index": 3, "arrays": [["dx", "<f8", [2, 3]], ["db", "none", []]]}

Only plain numbers cross: the arrays' dtypes come from a short list of
numeric kinds ("none" stands for Python's ``None``), nothing is ever
unpickled, and :class:`RecordReader` refuses (with :class:`ChannelError`) a
header over 64 KiB, a record over ``max_bytes``, an unknown dtype, more than
64 arrays or 8 dimensions, a shape whose bytes do not add up, and text fields
longer than ``MAX_TEXT``.  The grader reads what a submission's process writes
through this reader only; whatever the submission writes, the worst it can do
is send wrong values for its own tests.

Standard library and NumPy only: the same file runs inside the workers.
"""
import json
import struct

import numpy as np

MAGIC = b'MGV1'
MAX_HEADER = 64 * 1024
MAX_TEXT = 4000
MAX_ARRAYS = 64
DTYPES = ('<f8', '<f4', '<f2', '<i8', '<i4', '<i2', '|i1', '|u1', '|b1')
TYPES = ('ready', 'start', 'inputs', 'values', 'error', 'import_error')


class ChannelError(ValueError):
    """A malformed or oversized record: the writer broke the protocol."""


def _as_plain_array(value):
    """A NumPy array from an array, a Tensor, a CuPy array or a Python number (None stays None)."""
    if value is None:
        return None
    value = getattr(value, 'array', value) if type(value).__name__ == 'Tensor' else value
    if hasattr(value, 'get') and not isinstance(value, np.ndarray):   # CuPy -> host
        value = value.get()
    array = np.asarray(value, order='C')          # (np.ascontiguousarray would make a 0-d array 1-d)
    if array.dtype.kind == 'f' and array.dtype.itemsize > 8:
        array = array.astype(np.float64)
    return array.astype(array.dtype.newbyteorder('<'), copy=False)


def encode(record_type, arrays=None, **fields):
    """One record: its type ('values', …), named arrays (dict) and small JSON fields."""
    header, chunks = dict(fields, type=record_type, arrays=[]), []
    for key, value in (arrays or {}).items():
        array = _as_plain_array(value)
        if array is None:
            header['arrays'].append([str(key), 'none', []])
            continue
        if array.dtype.str not in DTYPES:
            raise TypeError(f"value {key!r} has dtype {array.dtype}; only numbers and booleans can be sent")
        header['arrays'].append([str(key), array.dtype.str, list(array.shape)])
        chunks.append(array.tobytes())
    text = json.dumps(header).encode('utf-8')
    return MAGIC + struct.pack('>I', len(text)) + text + b''.join(chunks)


def _text(value):
    return value[:MAX_TEXT] if isinstance(value, str) else ''


def _check_header(header, max_bytes):
    if not isinstance(header, dict) or header.get('type') not in TYPES:
        raise ChannelError("record of unknown type")
    arrays = header.get('arrays', [])
    if not isinstance(arrays, list) or len(arrays) > MAX_ARRAYS:
        raise ChannelError("bad array list")
    total, specs = 0, []
    for entry in arrays:
        if not (isinstance(entry, list) and len(entry) == 3 and isinstance(entry[0], str) and len(entry[0]) <= 200
                and (entry[1] in DTYPES or entry[1] == 'none') and isinstance(entry[2], list) and len(entry[2]) <= 8
                and all(type(n) is int and 0 <= n for n in entry[2])):
            raise ChannelError(f"bad array description {str(entry)[:200]!r}")
        nbytes = 0
        if entry[1] != 'none':
            nbytes = np.dtype(entry[1]).itemsize
            for n in entry[2]:          # Python ints: a forged shape cannot overflow
                nbytes *= n
        total += nbytes
        if total > max_bytes:
            raise ChannelError(f"record larger than {max_bytes} bytes")
        specs.append((entry[0], entry[1], tuple(entry[2]), nbytes))
    index = header.get('index')
    clean = {'type': header['type'], 'index': index if type(index) is int else None}
    for name in ('text', 'kind', 'where', 'minigrad', 'function'):
        if name in header:
            clean[name] = _text(header[name])
    return clean, specs, total


class RecordReader:
    """Feed it bytes as they arrive; it hands back complete, validated records.

    ``feed(data) -> [(header, {key: array or None})]``.  Raises
    :class:`ChannelError` on the first byte that breaks the protocol; after
    that the stream is worthless and the writer should be stopped.
    """

    def __init__(self, max_bytes=64 * 2 ** 20):
        self.max_bytes, self.buffer, self.pending = max_bytes, bytearray(), None

    def feed(self, data):
        self.buffer += data
        records = []
        while True:
            if self.pending is None:
                if len(self.buffer) < 8:
                    break
                if bytes(self.buffer[:4]) != MAGIC:
                    raise ChannelError("record does not start with the magic bytes")
                length = struct.unpack('>I', bytes(self.buffer[4:8]))[0]
                if length > MAX_HEADER:
                    raise ChannelError(f"record header of {length} bytes (at most {MAX_HEADER})")
                if len(self.buffer) < 8 + length:
                    break
                try:
                    header = json.loads(bytes(self.buffer[8:8 + length]).decode('utf-8'))
                except (ValueError, UnicodeDecodeError):
                    raise ChannelError("record header is not JSON") from None
                del self.buffer[:8 + length]
                self.pending = _check_header(header, self.max_bytes)
            header, specs, total = self.pending
            if len(self.buffer) < total:
                break
            arrays, offset = {}, 0
            for key, dtype, shape, nbytes in specs:
                if dtype == 'none':
                    arrays[key] = None
                    continue
                arrays[key] = np.frombuffer(bytes(self.buffer[offset:offset + nbytes]), dtype=dtype).reshape(shape)
                offset += nbytes
            del self.buffer[:total]
            self.pending = None
            records.append((header, arrays))
        return records


def read_file(path, max_bytes=1024 * 2 ** 20):
    """Every record in a file written with :func:`encode` (the grader's own files)."""
    reader = RecordReader(max_bytes)
    with open(path, 'rb') as f:
        records = reader.feed(f.read())
    if reader.buffer or reader.pending:
        raise ChannelError(f"{path}: truncated record at the end")
    return records
