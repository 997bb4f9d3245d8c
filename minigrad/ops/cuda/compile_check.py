"""Compile every CUDA twin kernel with NVRTC, the compiler CuPy uses, without a GPU.

    python -m minigrad.ops.cuda.compile_check        # prints one line per kernel and dtype

NVRTC is a plain library (``libnvrtc``, from the CUDA toolkit or the ``nvidia-cuda-nvrtc``
wheel that the test extra installs); compiling needs no device, so the CPU machines this
project is built on can catch what the host-C++ emulator cannot: a name CUDA device code
lacks (``INFINITY`` is a host macro, undefined under NVRTC), a host-only function, a type
error only the CUDA front end sees.  Each kernel is compiled as CuPy would compile it: a
RawKernel's source after ``typedef float|double scalar_t;``, an ElementwiseKernel as the
kernel :func:`minigrad.kernel_emulator.elementwise_source` generates for it.
"""
import ctypes
import ctypes.util
import glob
import importlib
import os
import sys

import numpy

from ...kernel_emulator import _param_list, elementwise_source
from ..kernels import CUDA_TWINS

#: The GPUs compiled for: Hopper (H100/H200) and Ampere (A100).
ARCHITECTURES = ('compute_90', 'compute_80')
DTYPES = ('float32', 'float64')


def find_nvrtc():
    """Path of libnvrtc, or None: the nvidia-cuda-nvrtc wheel, $CUDA_PATH, or the system's."""
    candidates = []
    try:
        import nvidia
        for root in nvidia.__path__:
            candidates += glob.glob(os.path.join(root, '*', 'lib', 'libnvrtc.so*'))
    except ImportError:
        pass
    for root in (os.environ.get('CUDA_PATH'), '/usr/local/cuda'):
        if root:
            candidates += glob.glob(os.path.join(root, 'lib64', 'libnvrtc.so*'))
    candidates = [c for c in candidates if 'builtins' not in os.path.basename(c)]
    return sorted(candidates)[0] if candidates else ctypes.util.find_library('nvrtc')


class Nvrtc:
    """The four NVRTC calls a compile needs, through ctypes."""

    def __init__(self, path=None):
        path = path or find_nvrtc()
        if path is None:
            raise FileNotFoundError("libnvrtc not found: pip install 'nvidia-cuda-nvrtc>=13,<14' "
                                    "(or set CUDA_PATH)")
        self.lib = ctypes.CDLL(path)

    def version(self):
        major, minor = ctypes.c_int(), ctypes.c_int()
        self.lib.nvrtcVersion(ctypes.byref(major), ctypes.byref(minor))
        return major.value, minor.value

    def compile(self, source, name, arch):
        """Compile ``source``; raises ValueError with NVRTC's log if it does not compile."""
        program = ctypes.c_void_p()
        status = self.lib.nvrtcCreateProgram(ctypes.byref(program), source.encode(), f'{name}.cu'.encode(),
                                             0, None, None)
        if status:
            raise RuntimeError(f"nvrtcCreateProgram failed with status {status}")
        try:
            options = (ctypes.c_char_p * 1)(f'--gpu-architecture={arch}'.encode())
            status = self.lib.nvrtcCompileProgram(program, 1, options)
            if status:
                size = ctypes.c_size_t()
                self.lib.nvrtcGetProgramLogSize(program, ctypes.byref(size))
                log = ctypes.create_string_buffer(size.value)
                self.lib.nvrtcGetProgramLog(program, log)
                raise ValueError(f"{name} ({arch}) does not compile under NVRTC:\n"
                                 f"{log.value.decode(errors='replace')}")
        finally:
            self.lib.nvrtcDestroyProgram(ctypes.byref(program))


def kernel_sources():
    """[(label, kernel name, CUDA source)] of every CUDA twin's kernels, once per dtype."""
    sources = []
    for module_name in sorted(set(CUDA_TWINS.values())):
        module = importlib.import_module(module_name)
        for dtype in DTYPES:
            ctype = {'float32': 'float', 'float64': 'double'}[dtype]
            for name, code in getattr(module, 'RAW_KERNELS', {}).items():
                sources.append((f'{name}[{dtype}]', name, f'typedef {ctype} scalar_t;\n' + code))
            for name, (ins, outs, operation) in getattr(module, 'ELEMENTWISE_KERNELS', {}).items():
                inputs, outputs = _param_list(ins, name), _param_list(outs, name)
                types = {t: numpy.dtype(dtype) for t, _ in inputs + outputs}
                is_array = [k == 0 for k in range(len(inputs))]   # the first input an array, the rest scalars
                sources.append((f'{name}[{dtype}]', name,
                                elementwise_source(inputs, outputs, operation, name, types, is_array)))
    return sources


def main():
    nvrtc = Nvrtc()
    print('NVRTC %d.%d' % nvrtc.version())
    failed = 0
    for label, name, source in kernel_sources():
        for arch in ARCHITECTURES:
            try:
                nvrtc.compile(source, name, arch)
                print(f'ok    {label} {arch}')
            except ValueError as exc:
                failed += 1
                print(f'FAIL  {label} {arch}\n{exc}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
