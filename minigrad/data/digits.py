"""Digits: scikit-learn's 8x8 handwritten digits, upsampled."""
import functools

import numpy

from .dataset import Dataset, check_size
from .transforms import resize

LESSONS_HINT = "install the lessons extra: pip install -e '.[lessons]'"


@functools.lru_cache(maxsize=1)
def _load():
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:
        raise ImportError(f"Digits needs scikit-learn (the digits ship inside its wheel); {LESSONS_HINT}") from exc
    d = load_digits()
    return (d.images / 16.0).astype(numpy.float32), d.target.astype(numpy.int64)


class Digits(Dataset):
    """Handwritten digits 0-9 for the classifier / embedding lessons.

    ``ds[i] = (image, label)``: image (1, size, size) float32 in [0, 1]
    (ink is bright), label a NumPy int64.  The 1797 real scans are
    8x8 pixels with 17 grey levels; they are bilinearly upsampled to ``size``
    (so a 32x32 image is still blurry: the information is 8x8).

    Split: a permutation drawn from ``seed`` puts ``test_fraction`` (20 %) of
    the images in 'test' and the rest in 'train'; 'all' is every image in the
    original order.  Same seed, same split.

    Source: UCI ML hand-written digits (Alpaydin & Kaynak, 1998), copied
    inside scikit-learn's wheel (``sklearn/datasets/data/digits.csv.gz``),
    loaded with ``sklearn.datasets.load_digits`` — no download.  Licence:
    the UCI dataset is CC BY 4.0; scikit-learn itself is BSD-3-Clause.
    """

    num_labels = 10

    def __init__(self, split='train', size=32, seed=0, test_fraction=0.2):
        if split not in ('train', 'test', 'all'):
            raise ValueError(f"Digits: split must be 'train', 'test' or 'all', got {split!r}")
        if not 0 < test_fraction < 1:
            raise ValueError(f"Digits: test_fraction must be in (0, 1), got {test_fraction}")
        images, labels = _load()
        n = len(labels)
        if split == 'all':
            idx = numpy.arange(n)
        else:
            perm = numpy.random.default_rng(seed).permutation(n)
            n_test = int(round(n * test_fraction))
            idx = numpy.sort(perm[:n_test] if split == 'test' else perm[n_test:])
        self.size, self.split = check_size(size, 'Digits'), split
        self.images = resize(images[idx][:, None], self.size)
        self.images.setflags(write=False)
        self.labels = labels[idx]
        self.labels.setflags(write=False)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        i = self._check_index(index)
        return self.images[i], self.labels[i]
