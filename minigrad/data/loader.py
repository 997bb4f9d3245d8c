"""DataLoader: turn a dataset into shuffled mini-batches of minigrad Tensors.

One epoch = one pass over a permutation of the indices (drawn from
:func:`minigrad.random.generator`, so ``minigrad.manual_seed`` fixes the
order), cut into batches of ``batch_size``.  Each sample is optionally
transformed, then :func:`default_collate` stacks the batch on the CPU with
NumPy and moves it to the active backend as Tensors in one transfer.
"""
import math
import numbers

import numpy

from .. import random as _random
from ..creation import stack as _stack_tensors
from ..creation import tensor as _tensor
from ..tensor import Tensor


def _stack(arrays, where):
    shapes = {tuple(a.shape) for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"DataLoader: cannot stack samples of different shapes {sorted(shapes)} "
                         f"({where}); crop or resize them to one size with a transform "
                         f"(e.g. minigrad.data.transforms.RandomCrop) or pass a collate_fn")
    return numpy.stack(arrays)


def numpy_collate(samples, where='sample'):
    """Like :func:`default_collate` but returns stacked NumPy arrays (nothing leaves the CPU)."""
    first = samples[0]
    if isinstance(first, (tuple, list)):
        if any(len(s) != len(first) for s in samples):
            raise ValueError(f"DataLoader: samples have different lengths ({where})")
        return tuple(numpy_collate([s[i] for s in samples], f"{where}[{i}]") for i in range(len(first)))
    if isinstance(first, dict):
        return {k: numpy_collate([s[k] for s in samples], f"{where}[{k!r}]") for k in first}
    if isinstance(first, str) or first is None:
        return list(samples)
    if isinstance(first, Tensor):
        return _stack([s.numpy() for s in samples], where)
    if isinstance(first, (numpy.ndarray, numpy.generic, numbers.Number)):
        arrays = [numpy.asarray(s) for s in samples]
        out = _stack(arrays, where)
        if out.dtype == numpy.float64 and not any(isinstance(s, (numpy.ndarray, numpy.generic))
                                                  for s in samples):
            out = out.astype(numpy.float32)  # Python floats -> float32, as torch does
        return out
    raise TypeError(f"DataLoader: don't know how to batch a {type(first).__name__} ({where}); "
                    f"samples should be NumPy arrays, numbers, or tuples/dicts of them")


def _to_tensors(batch):
    if isinstance(batch, tuple):
        return tuple(_to_tensors(b) for b in batch)
    if isinstance(batch, dict):
        return {k: _to_tensors(v) for k, v in batch.items()}
    if isinstance(batch, numpy.ndarray):
        return _tensor(batch)  # moved to the default backend; dtype kept (int64 labels stay int64)
    return batch


def default_collate(samples):
    """Stack a list of samples into a batch of Tensors on the active backend.

    Arrays (C, H, W) become one Tensor (N, C, H, W) of the same dtype (float32
    images stay float32, int64 label maps stay int64); numbers become a 1-D
    Tensor; tuples and dicts are collated field by field; strings stay a list.
    Tensors in the samples are stacked with :func:`minigrad.stack`.
    """
    if isinstance(samples[0], Tensor):
        return _stack_tensors(samples)
    return _to_tensors(numpy_collate(samples))


class DataLoader:
    """Iterate over ``dataset`` in mini-batches.

    ``shuffle``: a new random order every epoch (from minigrad's seeded generator).
    ``drop_last``: skip the final batch if it is smaller than ``batch_size``.
    ``transform``: applied to each sample before collating (augmentation; see
    :mod:`minigrad.data.transforms`).  ``collate_fn``: list of samples -> batch
    (default :func:`default_collate`; :func:`numpy_collate` keeps NumPy).
    ``len(loader)`` is the number of batches per epoch.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, collate_fn=None,
                 transform=None):
        if not (hasattr(dataset, '__len__') and hasattr(dataset, '__getitem__')):
            raise TypeError(f"DataLoader: dataset must define __len__ and __getitem__, "
                            f"got {type(dataset).__name__}")
        if not isinstance(batch_size, (int, numpy.integer)) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        for name, fn in (('collate_fn', collate_fn), ('transform', transform)):
            if fn is not None and not callable(fn):
                raise TypeError(f"DataLoader: {name} must be callable, got {type(fn).__name__}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn or default_collate
        self.transform = transform

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def indices(self):
        """The sample order of one epoch (draws from the generator when shuffling)."""
        n = len(self.dataset)
        return _random.generator().permutation(n) if self.shuffle else numpy.arange(n)

    def __iter__(self):
        order = self.indices()
        for b in range(len(self)):
            chunk = order[b * self.batch_size:(b + 1) * self.batch_size]
            samples = [self.dataset[int(i)] for i in chunk]
            if self.transform is not None:
                samples = [self.transform(s) for s in samples]
            yield self.collate_fn(samples)

    def __repr__(self):
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, {len(self)} batches)")
