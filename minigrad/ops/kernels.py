"""Which kernels an op runs: the plain ones in its own file, or their CPU-tuned twin.

Every spatial op's file holds the plain whole-batch kernels the lecture draws
(what CuPy runs and what the assignments solve).  Where measurement paid for
it, :mod:`minigrad.ops.fast` holds a twin module with the *same* function
names and signatures, tuned for NumPy on a CPU.  This table is the one place
that pairs them; :func:`minigrad.backend.fast_kernels_for` is the one switch
(``MINIGRAD_FAST=0`` turns the twins off everywhere).
"""
import importlib

from ..backend import fast_kernels_for

#: plain module -> its CPU-tuned twin
FAST_TWINS = {
    'minigrad.ops.conv': 'minigrad.ops.fast.conv',
    'minigrad.ops.pool': 'minigrad.ops.fast.pool',
    'minigrad.optim': 'minigrad.ops.fast.adam',
}


def kernels_for(xp, plain):
    """The module whose kernels run on arrays of ``xp``: ``plain`` (a module name, usually the
    caller's ``__name__``) or, when the fast kernels are on for ``xp``, its twin.

    A twin may be absent: a student copy of an assignment leaves out the twins that would
    hand out its answers (see :mod:`minigrad.assign.release`); the plain kernels run then."""
    if fast_kernels_for(xp) and plain not in _MISSING:
        try:
            return importlib.import_module(FAST_TWINS[plain])
        except ModuleNotFoundError as exc:
            if not (exc.name or '').startswith('minigrad.ops.fast'):
                raise
            _MISSING.add(plain)
    return importlib.import_module(plain)


_MISSING = set()  # plain modules whose twin is not in this copy
