"""Datasets: anything with ``len(ds)`` and ``ds[i]``.

A sample is whatever ``ds[i]`` returns: a NumPy array, a tuple of them
(``(image, labels)``, ``(input, target)``), or a dict.  Samples stay NumPy
on the CPU; the :class:`~minigrad.data.DataLoader` stacks them into batches
and moves the batch to the active backend in one go.
"""
import numpy

from ..tensor import Tensor


def check_size(size, who, minimum=1, maximum=2 ** 16):
    """An image side as an int in [minimum, maximum]: ``size=2.7`` is an error, never a silent 2."""
    if isinstance(size, bool) or not isinstance(size, (int, numpy.integer)):
        raise TypeError(f"{who}: size must be an int, got {type(size).__name__} {size!r}")
    if not minimum <= size <= maximum:
        raise ValueError(f"{who}: size must be between {minimum} and {maximum}, got {size}")
    return int(size)


class Dataset:
    """Base class: subclasses define ``__len__`` and ``__getitem__(i)`` for 0 <= i < len."""

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def _check_index(self, index):
        """``index`` as a non-negative int (negative counts from the end); IndexError if out of range."""
        if not isinstance(index, (int, numpy.integer)) or isinstance(index, bool):
            raise TypeError(f"{type(self).__name__}: index must be an int, got {type(index).__name__}")
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"{type(self).__name__}: index {index} out of range for {n} samples")
        return int(index) % n

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


class TensorDataset(Dataset):
    """Samples are the i-th rows of equally long arrays: ``ds[i] == (a[i], b[i], ...)``.

    Accepts NumPy arrays, minigrad Tensors (copied to NumPy) or lists.  With a
    single array, ``ds[i]`` is that array's row, not a 1-tuple.
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset: expected at least one array")
        self.arrays = [a.numpy() if isinstance(a, Tensor) else numpy.asarray(a) for a in arrays]
        lengths = [len(a) for a in self.arrays]
        if len(set(lengths)) != 1:
            raise ValueError(f"TensorDataset: all arrays need the same length (first axis), got {lengths}")

    def __len__(self):
        return len(self.arrays[0])

    def __getitem__(self, index):
        i = self._check_index(index)
        rows = tuple(a[i] for a in self.arrays)
        return rows[0] if len(rows) == 1 else rows


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = [int(i) for i in indices]
        n = len(dataset)
        bad = [i for i in self.indices if not -n <= i < n]
        if bad:
            raise IndexError(f"Subset: indices {bad[:5]} out of range for a dataset of {n} samples")

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        return self.dataset[self.indices[self._check_index(index)]]


class TransformedDataset(Dataset):
    """``dataset`` with ``transform(sample)`` applied on every access (augmentation)."""

    def __init__(self, dataset, transform):
        if not callable(transform):
            raise TypeError(f"TransformedDataset: transform must be callable, got {type(transform).__name__}")
        self.dataset = dataset
        self.transform = transform

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, index):
        return self.transform(self.dataset[self._check_index(index)])


class CachedDataset(Dataset):
    """Base for generated datasets: sample i is ``self.make(i)``, computed once and kept.

    ``make(i)`` must depend only on the constructor's arguments (seed included)
    and ``i``; subclasses draw from ``self.rng(i)``, a generator seeded with
    ``(seed, i)``, so any sample can be produced alone, in any order, and is
    the same every time.  Cached arrays are read-only (copy before editing).
    """

    def __init__(self, n, seed, cache=True):
        if not isinstance(n, (int, numpy.integer)) or n < 0:
            raise ValueError(f"{type(self).__name__}: n must be a non-negative int, got {n!r}")
        self.n = int(n)
        self.seed = int(seed)
        self.cache = {} if cache else None

    def rng(self, index, *salt):
        """A NumPy generator for sample ``index``, a pure function of (seed, salt, index)."""
        return numpy.random.default_rng([self.seed, *salt, index])

    def make(self, index):
        raise NotImplementedError

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        i = self._check_index(index)
        if self.cache is None:
            return self.make(i)
        if i not in self.cache:
            self.cache[i] = _freeze(self.make(i))
        return self.cache[i]


class RenderedPairs(CachedDataset):
    """Base for the procedural label <-> image datasets (facades, maps).

    A subclass sets ``num_labels``, ``class_names``, ``palette`` and writes
    ``_render(index) -> (A, B, class_map)``; sample i is ``(A, B)``, or
    ``(A, B, class_map)`` with ``return_class_map=True``.
    """

    def __init__(self, n, size=64, seed=0, return_class_map=False, cache=True):
        super().__init__(n, seed, cache)
        self.size = check_size(size, type(self).__name__, minimum=32)
        self.return_class_map = return_class_map

    def _render(self, index):
        raise NotImplementedError

    def class_map(self, index):
        """The integer class map of sample ``index`` (rendered if not kept in the sample)."""
        return self[index][2] if self.return_class_map else self._render(self._check_index(index))[2]

    def make(self, index):
        a, b, classes = self._render(index)
        return (a, b, classes) if self.return_class_map else (a, b)


def _freeze(sample):
    """Make cached arrays read-only, so an in-place edit of a sample fails loudly
    instead of silently changing the dataset for every later epoch."""
    parts = sample.values() if isinstance(sample, dict) else sample if isinstance(sample, tuple) else [sample]
    for part in parts:
        if isinstance(part, numpy.ndarray):
            part.setflags(write=False)
    return sample
