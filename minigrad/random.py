"""The one source of randomness in minigrad.

All random numbers (``randn``, init, dropout masks, data shuffling) are drawn
on the CPU from a single NumPy ``Generator`` and then moved to the active
backend.  One generator means ``manual_seed(s)`` makes a whole run
bit-reproducible on the CPU, and the same seed gives the same numbers on
either backend.
"""
import numpy

_generator = numpy.random.default_rng(0)


def manual_seed(seed):
    """Reset minigrad's random generator to ``seed`` (an int)."""
    global _generator
    if not isinstance(seed, (int, numpy.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed: expected an int seed, got {type(seed).__name__}")
    _generator = numpy.random.default_rng(int(seed))


def generator():
    """The process-wide ``numpy.random.Generator`` (draw on CPU, then move)."""
    return _generator


def get_state():
    """A snapshot of the generator state (for checkpoints)."""
    return _generator.bit_generator.state


def set_state(state):
    """Restore a snapshot taken with :func:`get_state`."""
    _generator.bit_generator.state = state
