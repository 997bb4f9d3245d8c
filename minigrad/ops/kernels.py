"""Which kernels an op runs: the plain ones in its own file, or a tuned twin.

Every spatial op's file holds the plain whole-batch kernels the lecture draws
(what CuPy runs and what the assignments solve).  Where measurement paid for
it, :mod:`minigrad.ops.fast` holds a twin module with the *same* function
names and signatures, tuned for NumPy on a CPU; :mod:`minigrad.ops.cuda` holds
twins for CuPy written as CUDA kernels.  These tables are the one place that
pairs them; :func:`minigrad.backend.fast_kernels_for` and
:func:`~minigrad.backend.cuda_kernels_for` are the switches (``MINIGRAD_FAST=0``
turns the CPU twins off everywhere, ``MINIGRAD_CUDA_KERNELS=1`` the CUDA twins on).
"""
import importlib

from ..backend import cuda_kernels_for, fast_kernels_for

#: plain module -> its CPU-tuned twin
FAST_TWINS = {
    'minigrad.ops.conv': 'minigrad.ops.fast.conv',
    'minigrad.ops.pool': 'minigrad.ops.fast.pool',
    'minigrad.optim': 'minigrad.ops.fast.adam',
}
#: plain module -> its CUDA twin
CUDA_TWINS = {
    'minigrad.ops.im2col': 'minigrad.ops.cuda.columns',
    'minigrad.ops.pool': 'minigrad.ops.cuda.pool',
    'minigrad.optim': 'minigrad.ops.cuda.adam',
}


def kernels_for(xp, plain):
    """The module whose kernels run on arrays of ``xp``: ``plain`` (a module name, usually the
    caller's ``__name__``) or, when the twins for ``xp`` are on, its twin.

    A twin may be absent: a student copy of an assignment leaves out the twins that would
    hand out its answers (see :mod:`minigrad.assign.release`); the plain kernels run then."""
    twins = FAST_TWINS if fast_kernels_for(xp) else CUDA_TWINS if cuda_kernels_for(xp) else {}
    twin = twins.get(plain)
    if twin is not None and twin not in _MISSING:
        try:
            return importlib.import_module(twin)
        except ModuleNotFoundError as exc:
            if not (exc.name or '').startswith(('minigrad.ops.fast', 'minigrad.ops.cuda')):
                raise
            _MISSING.add(twin)
    return importlib.import_module(plain)


_MISSING = set()  # twins that are not in this copy
