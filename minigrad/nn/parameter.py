"""Parameter: a Tensor that a Module registers as something to learn."""
import numpy

from .. import backend
from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor with ``requires_grad=True`` that marks itself as a learnable weight.

    Assigning a Parameter to a Module attribute (``self.weight = Parameter(...)``)
    registers it: it then shows up in ``parameters()`` and ``state_dict()``.
    ``Parameter(t)`` shares ``t``'s array (no copy), as torch.
    """

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = backend.default_xp().zeros((0,), dtype=numpy.float32)
        super().__init__(data, requires_grad=requires_grad)
        source = data.array if isinstance(data, Tensor) else data
        if hasattr(source, 'shape') and backend.backend_of(source) != backend.backend_of(self.array):
            self.array = source  # keep an explicitly placed array where it is (see io.tensor_of)

    def __repr__(self):
        return 'Parameter containing:\n' + super().__repr__()


def empty_array(shape, device=None, dtype=None):
    """An uninitialised-looking (zero-filled) array for a new layer's weight.

    ``device``: None (default backend), 'cpu' or 'gpu'; ``dtype``: None (float32) or a NumPy dtype.
    """
    array = numpy.zeros(tuple(shape), dtype=numpy.dtype(dtype) if dtype is not None else numpy.float32)
    return backend.to_device(array, device if device is not None else backend.default_device())
