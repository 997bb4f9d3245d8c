"""Embedding: a learned vector per class index, as ``torch.nn.Embedding``."""
from .. import functional as F
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter, empty_array


class Embedding(Module):
    """A table ``weight`` (num_embeddings, embedding_dim), initialised N(0, 1) as torch;
    ``forward(indices)`` with integer indices (*) returns the rows, (*, embedding_dim).

    ``padding_idx``: that row starts at zero and never receives a gradient (a "nothing
    here" token).  ``_weight`` / ``_freeze`` and :meth:`from_pretrained` start from given
    vectors.  ``max_norm``, ``scale_grad_by_freq`` and ``sparse`` are not supported (they raise).
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None):
        super().__init__()
        if max_norm is not None or scale_grad_by_freq or sparse:
            raise ValueError("Embedding: max_norm, scale_grad_by_freq and sparse are not supported")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        if padding_idx is not None:
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(f"Embedding: padding_idx must be within num_embeddings ({num_embeddings}), "
                                 f"got {padding_idx}")
            padding_idx %= self.num_embeddings
        self.padding_idx = padding_idx
        self.max_norm, self.norm_type, self.scale_grad_by_freq, self.sparse = None, norm_type, False, False
        shape = (self.num_embeddings, self.embedding_dim)
        if _weight is None:
            self.weight = Parameter(empty_array(shape, device, dtype), requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != shape:
                raise ValueError(f"Embedding: _weight must have shape {shape}, got {tuple(_weight.shape)}")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.array[self.padding_idx] = 0
            self.weight._version.value += 1

    def forward(self, indices):
        return F.embedding(indices, self.weight, self.padding_idx)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, sparse=False):
        """An Embedding whose table IS ``embeddings`` (2-D; shared, not copied), frozen unless
        ``freeze=False``; the padding row keeps its given values."""
        if not isinstance(embeddings, Tensor) or embeddings.ndim != 2:
            raise ValueError("Embedding.from_pretrained: embeddings must be a 2-D Tensor, got "
                             f"{getattr(embeddings, 'shape', type(embeddings).__name__)}")
        rows, dim = embeddings.shape
        return cls(rows, dim, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=embeddings, _freeze=freeze)

    def extra_repr(self):
        pad = f', padding_idx={self.padding_idx}' if self.padding_idx is not None else ''
        return f'{self.num_embeddings}, {self.embedding_dim}{pad}'
