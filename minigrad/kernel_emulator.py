"""CUDA kernels run on the CPU, for the strict CuPy stand-in (``MINIGRAD_BACKEND=cupy-strict``).

The CUDA twins (:mod:`minigrad.ops.cuda`) are short CUDA C++ kernels that CuPy
compiles and launches: :class:`RawKernel` (a ``__global__`` function, launched
on a grid of blocks of threads) and :class:`ElementwiseKernel` (one line of C++
per element, CuPy writes the loop).  No machine this project is built on has a
GPU, so the stand-in runs the *same source* on the CPU: it compiles it with the
host C++ compiler after a prelude that defines CUDA's device-side names
(``__global__``, ``blockIdx``, ``threadIdx``, ``blockDim``, ``gridDim``), and a
generated launcher runs every block and thread of the launch one after another.

That is exact for kernels whose threads do not talk to each other, which is all
the twins are: each thread writes its own outputs.  Shared memory, barriers,
atomics and warp functions are *not* defined by the prelude, so a kernel using
them fails to compile here instead of running wrongly.  What the emulator checks
that a GPU would only get wrong silently: every pointer argument is a
C-contiguous device array of exactly the parameter's element type, and every
scalar argument a NumPy scalar of exactly the parameter's type (a launch copies
raw bytes: a Python ``int`` for an ``int`` parameter reads garbage on a GPU).

Needs a C++ compiler (``c++``, or ``$CXX``); :func:`available` says whether there is one.
The stand-in tells the emulator what its device arrays are (:func:`attach`): this module
imports nothing of minigrad.
"""
import ctypes
import hashlib
import os
import re
import shutil
import stat
import subprocess
import tempfile

import numpy

#: C++ spelling of each NumPy element type a kernel may take.
C_TYPES = {numpy.dtype(k): v for k, v in {
    'float32': 'float', 'float64': 'double', 'int8': 'signed char', 'uint8': 'unsigned char',
    'int16': 'short', 'int32': 'int', 'int64': 'long long', 'uint32': 'unsigned int',
    'uint64': 'unsigned long long', 'bool': 'bool'}.items()}
NUMPY_TYPES = {v: k for k, v in C_TYPES.items()}
NUMPY_TYPES.update({'long': numpy.dtype('int64'), 'unsigned long': numpy.dtype('uint64'),
                    'unsigned': numpy.dtype('uint32'), 'char': numpy.dtype('int8'),
                    'ptrdiff_t': numpy.dtype('int64'), 'size_t': numpy.dtype('uint64')})
#: CuPy's dtype names in ElementwiseKernel parameter lists.
CUPY_TYPE_NAMES = {d.name: d for d in C_TYPES}

PRELUDE = r'''
#include <math.h>
#include <stddef.h>
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__ __restrict
struct emulated_dim3 { unsigned int x, y, z; };
static emulated_dim3 blockIdx, threadIdx, blockDim, gridDim;
'''


class _Device:
    """The stand-in's device arrays as the emulator sees them (set by :func:`attach`)."""
    array_type = None               # strict_cupy.ndarray

    @staticmethod
    def unwrap(array):              # the NumPy array inside
        raise RuntimeError("kernel_emulator: no device attached (import minigrad.strict_cupy)")

    @staticmethod
    def wrap(array):                # a NumPy array as a device array
        raise RuntimeError("kernel_emulator: no device attached (import minigrad.strict_cupy)")


def attach(array_type, unwrap, wrap):
    """Called once by :mod:`minigrad.strict_cupy`: its device array type and the two conversions."""
    _Device.array_type, _Device.unwrap, _Device.wrap = array_type, staticmethod(unwrap), staticmethod(wrap)


def compiler():
    """The host C++ compiler's path, or None."""
    return shutil.which(os.environ.get('CXX', 'c++')) or shutil.which('g++')


def available():
    """True when kernels can be emulated here (a C++ compiler is installed)."""
    return compiler() is not None


_private_folder = []   # this process's own cache, when the shared one cannot be trusted


def _cache_folder():
    """Where compiled kernels are cached: ``$TMPDIR/minigrad-kernels-<uid>`` when it is a real folder
    owned by this user that no one else can write to; otherwise a fresh private folder for this process.

    A library found there is loaded and run, so a folder another user could create first (the
    temporary directory is shared) or write into would let them run code as this user."""
    folder = os.path.join(tempfile.gettempdir(), f'minigrad-kernels-{os.getuid()}')
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError:
        folder = None
    if folder is not None:
        info = os.lstat(folder)
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o022:
            return folder
    if not _private_folder:
        _private_folder.append(tempfile.mkdtemp(prefix='minigrad-kernels-'))
    return _private_folder[0]


def _compile(source, where):
    """The shared library built from ``source`` (cached by its hash, built atomically)."""
    cxx = compiler()
    if cxx is None:
        raise NotImplementedError(f"{where}: emulating a CUDA kernel on the CPU needs a C++ compiler "
                                  "(none found: set CXX)")
    digest = hashlib.sha256(source.encode()).hexdigest()[:24]
    folder = _cache_folder()
    library = os.path.join(folder, digest + '.so')
    if not os.path.exists(library):
        with tempfile.TemporaryDirectory(dir=folder) as work:
            path = os.path.join(work, 'kernel.cpp')
            with open(path, 'w') as f:
                f.write(source)
            built = os.path.join(work, 'kernel.so')
            run = subprocess.run([cxx, '-std=c++14', '-O2', '-shared', '-fPIC', '-w', path, '-o', built],
                                 capture_output=True, text=True)
            if run.returncode:
                raise ValueError(f"{where}: the kernel does not compile as host C++ (the emulator defines no "
                                 f"shared memory, barriers or atomics):\n{run.stderr[-2000:]}")
            os.replace(built, library)   # atomic: a parallel run sees the whole library or none
    return ctypes.CDLL(library)


# ---------------------------------------------------------------------------------- RawKernel


_SIGNATURE = re.compile(r'extern\s+"C"\s+__global__\s+void\s+(\w+)\s*\(([^)]*)\)', re.S)


def _typedefs(code):
    """{alias: C type} of the ``typedef`` lines (kernels are templated on their element type that way)."""
    return {alias: ctype for ctype, alias in re.findall(r'typedef\s+([\w ]+?)\s+(\w+)\s*;', code)}


def _parameters(code, name):
    """[(element type as a NumPy dtype, is_pointer, parameter name)] of kernel ``name``."""
    for found, params in _SIGNATURE.findall(code):
        if found == name:
            break
    else:
        raise ValueError(f"RawKernel: no extern \"C\" __global__ void {name}(...) in the source")
    aliases = _typedefs(code)
    parsed = []
    for param in (p.strip() for p in params.split(',') if p.strip()):
        m = re.fullmatch(r'(const\s+)?([\w ]+?)\s*(\*)?\s*(?:__restrict__\s*)?(\w+)', param)
        ctype = m and aliases.get(m.group(2).strip(), m.group(2).strip())
        if not m or ctype not in NUMPY_TYPES:
            raise ValueError(f"RawKernel {name}: cannot emulate parameter {param!r}")
        parsed.append((NUMPY_TYPES[ctype], bool(m.group(3)), m.group(4)))
    return parsed


class RawKernel:
    """``cupy.RawKernel(code, name)`` on the CPU: ``kernel(grid, block, args)`` runs every thread."""

    def __init__(self, code, name, options=(), backend='nvrtc', translate_cucomplex=False, **kwargs):
        self.code, self.name = code, name
        self.params = _parameters(code, name)
        self._launch = None

    def _launcher(self):
        if self._launch is None:
            self._launch = _launcher(self.code, self.name, self.params)
        return self._launch

    def __call__(self, grid, block, args, shared_mem=0, **kwargs):
        where = f'RawKernel {self.name}'
        if shared_mem:
            raise NotImplementedError(f"{where}: dynamic shared memory cannot be emulated")
        if len(args) != len(self.params):
            raise TypeError(f"{where}: takes {len(self.params)} arguments, got {len(args)}")
        # The launcher reads argument k through args[k], a pointer AT its value (as cuLaunchKernel does):
        # for an array parameter the value is the data pointer, for a scalar the scalar itself.
        cells = [_cell(arg, dtype, is_pointer, f'{where}, parameter {pname}')
                 for arg, (dtype, is_pointer, pname) in zip(args, self.params)]
        argv = (ctypes.c_void_p * len(cells))(*[ctypes.addressof(c) for c in cells])
        grid, block = _dim3(grid, where, 'grid'), _dim3(block, where, 'block')
        self._launcher()((ctypes.c_uint * 3)(*grid), (ctypes.c_uint * 3)(*block), argv)


def _launcher(code, name, params):
    """The compiled ``emulated_launch(grid, block, args)`` for kernel ``name`` of ``code``: it runs
    every block and thread of the grid in turn, each calling the kernel with the arguments
    ``args[k]`` points at (as cuLaunchKernel takes them)."""
    casts = ', '.join(f'*({C_TYPES[t]}{"*" if p else ""}*)args[{k}]' for k, (t, p, _) in enumerate(params))
    source = PRELUDE + code + f'''
extern "C" void emulated_launch(const unsigned* g, const unsigned* b, void** args) {{
    gridDim = {{g[0], g[1], g[2]}}; blockDim = {{b[0], b[1], b[2]}};
    for (unsigned bz = 0; bz < g[2]; ++bz) for (unsigned by = 0; by < g[1]; ++by) for (unsigned bx = 0; bx < g[0]; ++bx)
    for (unsigned tz = 0; tz < b[2]; ++tz) for (unsigned ty = 0; ty < b[1]; ++ty) for (unsigned tx = 0; tx < b[0]; ++tx) {{
        blockIdx = {{bx, by, bz}}; threadIdx = {{tx, ty, tz}};
        {name}({casts});
    }}
}}
'''
    return _compile(source, f'kernel {name}').emulated_launch


def _dim3(dims, where, what):
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if not 1 <= len(dims) <= 3 or not all(isinstance(d, int) and d > 0 for d in dims):
        raise ValueError(f"{where}: {what} must be 1 to 3 positive ints, got {dims}")
    return dims + (1,) * (3 - len(dims))


def _cell(arg, dtype, is_pointer, where):
    """A ctypes cell holding a launch argument, checked against its parameter's type."""
    if is_pointer:
        if _Device.array_type is None or not isinstance(arg, _Device.array_type):
            raise TypeError(f"{where}: a pointer parameter needs a device array, got {type(arg).__name__}")
        array = _Device.unwrap(arg)
        if array.dtype != dtype:
            raise TypeError(f"{where}: expects {C_TYPES[dtype]}* ({dtype}), got a {array.dtype} array")
        if not array.flags.c_contiguous:
            raise ValueError(f"{where}: a kernel reads raw memory, but the array {array.shape} with strides "
                             f"{array.strides} is not C-contiguous (use cupy.ascontiguousarray)")
        return ctypes.c_void_p(array.ctypes.data)
    if not isinstance(arg, numpy.generic) or arg.dtype != dtype:
        got = arg.dtype if isinstance(arg, numpy.generic) else type(arg).__name__
        raise TypeError(f"{where}: expects a {C_TYPES[dtype]} ({dtype}) scalar such as numpy.{dtype}(...), "
                        f"got {got} (a launch copies raw bytes: the type must match exactly)")
    return numpy.ctypeslib.as_ctypes_type(dtype)(arg.item())


# ---------------------------------------------------------------------------- ElementwiseKernel


def _param_list(text, where):
    """[(type name, name)] of an ElementwiseKernel parameter list such as 'T x, float32 y'."""
    params = []
    for param in (p.strip() for p in text.split(',') if p.strip()):
        words = param.split()
        if len(words) != 2 or not words[1].isidentifier():
            raise ValueError(f"{where}: cannot emulate parameter {param!r} (raw parameters are not supported)")
        if words[1] in ('n', 'i') or words[1].startswith('_'):
            raise ValueError(f"{where}: parameter name {words[1]!r} is reserved by CuPy (n, i, _...)")
        params.append((words[0], words[1]))
    return params


class ElementwiseKernel:
    """``cupy.ElementwiseKernel(in_params, out_params, operation, name)`` on the CPU.

    ``kernel(*inputs[, *outputs])``: inputs broadcast; outputs may be given (updated in place,
    and readable in ``operation``, as on CuPy) or are allocated.  A type placeholder (``T``)
    takes the dtype of the arrays bound to it (all the same, or TypeError); a scalar bound to
    a placeholder is cast to it.  Returns the output, or a tuple of them."""

    def __init__(self, in_params, out_params, operation, name='kernel', reduce_dims=True, preamble='',
                 no_return=False, return_tuple=False, loop_prep='', after_loop='', options=(), **kwargs):
        self.name = name
        where = f'ElementwiseKernel {name}'
        self.inputs, self.outputs = _param_list(in_params, where), _param_list(out_params, where)
        self.operation, self.preamble = operation, preamble
        self.loop_prep, self.after_loop = loop_prep, after_loop
        self.no_return, self.return_tuple = no_return, return_tuple
        self._launchers = {}

    def __call__(self, *args, size=None, block_size=None, stream=None):
        where = f'ElementwiseKernel {self.name}'
        params = self.inputs + self.outputs
        if len(args) not in (len(self.inputs), len(params)):
            raise TypeError(f"{where}: takes {len(self.inputs)} inputs (and optionally {len(self.outputs)} "
                            f"outputs), got {len(args)} arguments")
        for arg in args:
            if isinstance(arg, numpy.ndarray):
                raise TypeError(f"{where}: a NumPy array {arg.shape} was given to a CuPy kernel "
                                "(strict stand-in, as on CuPy): move it with cupy.asarray first")
        values = [_Device.unwrap(a) if _Device.array_type and isinstance(a, _Device.array_type) else a
                  for a in args]
        types = self._bind_types(values, where)
        arrays = [v for v in values if isinstance(v, numpy.ndarray)]
        shape = numpy.broadcast_shapes(*[a.shape for a in arrays]) if arrays else ()
        cells, outputs, copy_back = [], [], []
        for k, (tname, pname) in enumerate(params):
            dtype = types[tname]
            is_output = k >= len(self.inputs)
            value = values[k] if k < len(values) else None
            if is_output:
                if value is None:
                    value = numpy.empty(shape, dtype)
                elif value.shape != shape or value.dtype != dtype:
                    raise ValueError(f"{where}: output {pname} is {value.dtype}{value.shape}, "
                                     f"expected {dtype}{shape}")
                outputs.append(value)
                work = value if value.flags.c_contiguous else numpy.ascontiguousarray(value)
                if work is not value:
                    copy_back.append((value, work))
                cells.append(ctypes.c_void_p(work.ctypes.data))
                cells[-1].keep = work
            elif isinstance(value, numpy.ndarray):
                work = numpy.ascontiguousarray(numpy.broadcast_to(value.astype(dtype, copy=False), shape))
                cells.append(ctypes.c_void_p(work.ctypes.data))
                cells[-1].keep = work
            else:
                cells.append(numpy.ctypeslib.as_ctypes_type(dtype)(numpy.asarray(value, dtype).item()))
        count = int(numpy.prod(shape))
        cells.append(ctypes.c_longlong(count))
        argv = (ctypes.c_void_p * len(cells))(*[ctypes.addressof(c) for c in cells])
        is_array = [k >= len(self.inputs) or isinstance(values[k], numpy.ndarray) for k in range(len(params))]
        if count:
            one = (ctypes.c_uint * 3)(1, 1, 1)   # one thread: the kernel's grid-stride loop covers every element
            self._launcher(types, is_array)(one, one, argv)
        for value, work in copy_back:
            value[...] = work
        if self.no_return:
            return None
        result = [_Device.wrap(o) for o in outputs]
        return tuple(result) if self.return_tuple or len(result) > 1 else result[0]

    def _bind_types(self, values, where):
        """{type name: dtype} for every type name in the parameter lists."""
        types = {}
        params = self.inputs + self.outputs
        for (tname, pname), value in zip(params, values):
            if tname in CUPY_TYPE_NAMES:
                types[tname] = CUPY_TYPE_NAMES[tname]
            elif isinstance(value, numpy.ndarray):
                if types.setdefault(tname, value.dtype) != value.dtype:
                    raise TypeError(f"{where}: type {tname} is {types[tname]}, but {pname} is {value.dtype}")
        for (tname, pname), value in zip(params, values + [None] * len(params)):
            if tname not in types:
                if value is None:
                    raise TypeError(f"{where}: cannot tell the type {tname} of output {pname}")
                types[tname] = numpy.result_type(value)
            if types[tname] not in C_TYPES:
                raise TypeError(f"{where}: {pname} has type {types[tname]}, which the emulator cannot run")
        return types

    def _launcher(self, types, is_array):
        key = (tuple(sorted((k, v.str) for k, v in types.items())), tuple(is_array))
        if key not in self._launchers:
            code = elementwise_source(self.inputs, self.outputs, self.operation, self.name, types, is_array,
                                      self.preamble, self.loop_prep, self.after_loop)
            self._launchers[key] = _launcher(code, self.name, _parameters(code, self.name))
        return self._launchers[key]


def elementwise_source(inputs, outputs, operation, name, types, is_array, preamble='', loop_prep='',
                       after_loop=''):
    """An ElementwiseKernel as the CUDA kernel CuPy would generate for it (in substance: CuPy's
    own adds strided indexing): one thread per element i in a grid-stride loop, each input bound
    as ``const T name`` (the element, or the scalar), each output as ``T& name`` (the element).

    ``types``: {type name: dtype}; ``is_array[k]``: whether input k is an array (outputs always are).
    Shared by the CPU emulator and the NVRTC compile check, so both see the same code."""
    typedefs = ''.join(f'typedef {C_TYPES[d]} {t};\n' for t, d in types.items() if t not in CUPY_TYPE_NAMES)
    params, binds = [], []
    for k, (tname, pname) in enumerate(inputs + outputs):
        ctype = C_TYPES[types[tname]]
        if k >= len(inputs):
            params.append(f'{ctype}* _out_{pname}')
            binds.append(f'{ctype}& {pname} = _out_{pname}[i];')
        elif is_array[k]:
            params.append(f'const {ctype}* _in_{pname}')
            binds.append(f'const {ctype} {pname} = _in_{pname}[i];')
        else:
            params.append(f'{ctype} _in_{pname}')
            binds.append(f'const {ctype} {pname} = _in_{pname};')
    params.append('long long _n')
    body = '\n        '.join(binds)
    return (typedefs + preamble + f'''
extern "C" __global__ void {name}({', '.join(params)}) {{
    {loop_prep}
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < _n;
         i += (long long)blockDim.x * gridDim.x) {{
        {body}
        {operation};
    }}
    {after_loop}
}}
''')
