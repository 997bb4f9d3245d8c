"""The strict CuPy stand-in catches, on the CPU, what would fail on a GPU."""
import numpy as np
import pytest

from minigrad import strict_cupy as cp
from minigrad.strict_cupy_names import NAMES


def test_implicit_conversion_to_numpy_raises_and_explicit_routes_count_as_transfers():
    x = cp.arange(6, dtype=cp.float32).reshape(2, 3)
    with pytest.raises(TypeError, match='Implicit conversion'):
        np.asarray(x)
    with pytest.raises(TypeError, match=r'numpy\.sum\(\) was given a device array'):
        np.sum(x)
    with cp.count_transfers() as n:
        host = cp.asnumpy(x)
        assert isinstance(host, np.ndarray) and host.tolist() == [[0, 1, 2], [3, 4, 5]]
        assert x.get().shape == (2, 3) and x[1, 2].item() == 5.0
        assert float(x.sum()) == 15.0 and int(x.max()) == 5 and bool(x.any())
        assert x.tolist()[0] == [0, 1, 2]
    assert n() == 7


def test_mixing_a_numpy_array_with_a_device_array_raises_but_scalars_are_fine():
    x = cp.ones((2, 2))
    host = np.ones((2, 2))
    for mix in (lambda: x + host, lambda: host + x, lambda: x * host, lambda: cp.maximum(x, host),
                lambda: cp.concatenate([x, host])):
        with pytest.raises(TypeError, match='NumPy array'):
            mix()
    y = 2 * x + np.float32(3) - 1.5 * x
    assert isinstance(y, cp.ndarray) and cp.asnumpy(y).tolist() == [[3.5, 3.5], [3.5, 3.5]]
    assert isinstance(np.float32(2) * x, cp.ndarray)
    assert cp.asnumpy(cp.asarray(host) + x).sum() == 8    # the explicit copy to the device is the way


def test_only_names_that_real_cupy_has():
    with pytest.raises(AttributeError, match=r'cupy\.errstate does not exist in CuPy'):
        cp.errstate
    with pytest.raises(AttributeError, match="'cupy.ndarray' has no attribute 'to_device'"):
        cp.zeros(3).to_device
    assert 'errstate' in NAMES['cupyx'] and 'scatter_add' in NAMES['cupyx']
    assert cp.lib.stride_tricks.as_strided(cp.arange(4), (2, 2), (8, 8)).shape == (2, 2)
    with pytest.raises(AttributeError):
        cp.lib.stride_tricks.broadcast_arrays_but_not_in_cupy


def test_cupy_return_types_and_sequences():
    x = cp.arange(4)
    total, element = x.sum(), x[2]
    assert isinstance(total, cp.ndarray) and total.shape == () and isinstance(element, cp.ndarray)
    with pytest.raises(TypeError, match='expected a cupy.ndarray, got a tuple'):
        cp.prod((2, 3))
    assert cp.zeros((2, 3)).shape == (2, 3) and cp.stack([x, x]).shape == (2, 4)
    acc = cp.zeros(3)
    cp.add.at(acc, cp.asarray(np.array([0, 0, 2])), 1.0)
    assert acc.tolist() == [2.0, 0.0, 1.0]
    acc += 1
    assert acc.tolist() == [3.0, 1.0, 2.0]
    with pytest.raises(NotImplementedError, match='ReductionKernel is not emulated'):
        cp.ReductionKernel('T x', 'T y', 'x', 'a + b', 'y = a', '0', 'total')   # (Raw/Elementwise: emulated)


def test_the_backend_switch_loads_the_stand_in(tmp_path):
    import subprocess
    import sys
    code = ("import minigrad as mg, minigrad.functional as F; from minigrad import strict_cupy as sc\n"
            "x = mg.randn(2, 3, 8, 8, requires_grad=True); w = mg.randn(4, 3, 3, 3, requires_grad=True)\n"
            "with sc.count_transfers() as n:\n"
            "    F.conv2d(x, w, padding=1).sum().backward()\n"
            "print(type(x.array).__module__, mg.backend.default_backend(), n())")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=tmp_path,
                         env={**__import__('os').environ, 'MINIGRAD_BACKEND': 'cupy-strict'})
    assert out.stdout.split() == ['minigrad.strict_cupy', 'cupy', '0'], out.stderr
