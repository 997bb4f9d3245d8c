"""ops/kernels.py: the one switch, and fast twins with the plain kernels' exact signatures."""
import importlib
import inspect

import numpy as np

import minigrad as mg
from minigrad.ops.kernels import CUDA_TWINS, FAST_TWINS, kernels_for


def test_the_switch_picks_the_twin_on_numpy_only(kernels):
    for plain, fast in FAST_TWINS.items():
        assert kernels_for(np, plain).__name__ == (fast if kernels == 'fast' else plain)
        assert mg.backend.fast_kernels_for(np) == (kernels == 'fast')
    previous = mg.backend.use_fast_kernels(False)
    try:
        assert all(kernels_for(np, plain).__name__ == plain for plain in FAST_TWINS)
    finally:
        mg.backend.use_fast_kernels(previous)


def test_numpy_never_gets_a_cuda_twin():
    previous = mg.backend.use_cuda_kernels(True)
    try:
        assert all(kernels_for(np, plain).__name__ != twin for plain, twin in CUDA_TWINS.items())
    finally:
        mg.backend.use_cuda_kernels(previous)


def test_every_twin_kernel_has_its_plain_signature():
    checked = 0
    for plain_name, fast_name in list(FAST_TWINS.items()) + list(CUDA_TWINS.items()):
        plain, fast = importlib.import_module(plain_name), importlib.import_module(fast_name)
        public = [n for n, f in vars(fast).items() if inspect.isfunction(f) and not n.startswith('_')
                  and f.__module__ == fast_name and n in vars(plain)]
        for name in public:
            p, f = inspect.signature(getattr(plain, name)), inspect.signature(getattr(fast, name))
            extra = [q for q in f.parameters if q not in p.parameters]
            assert list(p.parameters) == [q for q in f.parameters if q not in extra], name
            assert all(f.parameters[q].default is not inspect.Parameter.empty for q in extra), name
            checked += 1
    assert checked >= 12   # fast conv: 3 kernels + 3 GEMMs, pool: 3, adam: 1; CUDA col2im, pool, adam: 1 each
