"""one_hot and embedding with PyTorch's arguments and errors."""
import numpy

from ..backend import get_array_module
from ..ops.embedding import Embedding
from ..tensor import Tensor


def _indices(op, t):
    """The integer array inside ``t`` (a Tensor of class indices)."""
    array = t.array if isinstance(t, Tensor) else None
    if array is None or array.dtype.kind not in 'iu':
        what = type(t).__name__ if array is None else f'dtype {array.dtype}'
        raise TypeError(f"{op}: expected a Tensor of integer class indices, got {what}")
    return array


def one_hot(tensor, num_classes=-1):
    """(*) int64 class indices -> (*, num_classes) int64, 1 at each index, as
    ``torch.nn.functional.one_hot``.  ``num_classes=-1``: one more than the largest index.
    Negative or too large indices raise (RuntimeError, as torch)."""
    idx = _indices('one_hot', tensor)
    xp = get_array_module(idx)
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("one_hot: can not infer the number of classes from an empty tensor")
        num_classes = int(idx.max()) + 1
    if not isinstance(num_classes, int) or num_classes < 0:
        raise RuntimeError(f"one_hot: num_classes must be -1 or >= 0, got {num_classes!r}")
    if idx.size:
        if int(idx.min()) < 0:
            raise RuntimeError(f"one_hot: class values must be non-negative, got {int(idx.min())}")
        if int(idx.max()) >= num_classes:
            raise RuntimeError(f"one_hot: class values must be smaller than num_classes={num_classes}, "
                               f"got {int(idx.max())}")
    return Tensor((idx[..., None] == xp.arange(num_classes)).astype(numpy.int64))


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Rows of ``weight`` (V, D) picked by the integer ``input`` (*) -> (*, D), as
    ``torch.nn.functional.embedding``; the row ``padding_idx`` gets no gradient.
    (``max_norm``, ``scale_grad_by_freq`` and ``sparse`` are not supported: they raise.)"""
    op = 'embedding'
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise ValueError(f"{op}: max_norm, scale_grad_by_freq and sparse are not supported")
    idx = _indices(op, input)
    if weight.ndim != 2:
        raise ValueError(f"{op}: weight must be 2-D (num_embeddings, embedding_dim), got {tuple(weight.shape)}")
    rows = weight.shape[0]
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= rows):
        raise IndexError(f"{op}: index out of range: indices must lie in [0, {rows}), got values in "
                         f"[{int(idx.min())}, {int(idx.max())}]")
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise ValueError(f"{op}: padding_idx must be within num_embeddings ({rows}), got {padding_idx}")
        padding_idx %= rows
    return Embedding.apply(weight, indices=idx, padding_idx=padding_idx)
