"""AlignedImageFolder: the standard pix2pix dataset layout, for real downloads."""
import os

import numpy

from .dataset import Dataset, check_size
from .imagefile import image_info, read_rgb
from .transforms import resize

EXTENSIONS = ('.jpg', '.jpeg', '.png')


class AlignedImageFolder(Dataset):
    """Image pairs stored side by side, as in the pix2pix datasets.

    Layout (what ``facades.tar.gz``, ``maps.tar.gz``, ``edges2shoes`` … unpack to)::

        root/train/1.jpg   root/val/…   root/test/…

    where each file is one image ``2W`` wide and ``W`` high: the left half is
    A, the right half is B (for facades A is the photo and B the labels, so
    pass ``direction='BtoA'`` for labels -> photo, as the lecture does).

    ``ds[i] = (input, target)``: both (3, H, W) float32 in **[-1, 1]**
    (pix2pix convention), A -> B for ``direction='AtoB'``; every image mode is
    scaled by its own bit depth first (16-bit greyscale by 65535; see
    :mod:`minigrad.data.imagefile`).  ``size`` (an int) resizes both halves to
    size x size (bilinear), else they keep their size.  Add augmentation with
    ``DataLoader(..., transform=Pix2PixJitter(size))``.

    Errors are raised when the dataset is built, not mid-epoch:
    FileNotFoundError for a missing root or split folder, ValueError for a
    split with no .jpg/.jpeg/.png files, a file Pillow cannot open, an image
    mode it cannot read, or an image whose width is odd or not twice its height
    (naming the file and its size).  Building reads only the headers; with
    ``verify=True`` it decodes every file, so a truncated or corrupt one is
    reported now instead of mid-epoch.  Reading a sample checks the file again
    (it may have been replaced since) and names it in any error.  Files are
    listed in sorted order; images are read when accessed (needs Pillow).

    Data: not shipped.  The pix2pix datasets come from their own sources
    (CMP Facades: Tyleček & Šára 2013; maps: Google Maps tiles …) under
    their own terms — check them before redistributing anything.
    """

    def __init__(self, root, split='train', direction='AtoB', size=None, verify=False):
        if direction not in ('AtoB', 'BtoA'):
            raise ValueError(f"AlignedImageFolder: direction must be 'AtoB' or 'BtoA', got {direction!r}")
        size = None if size is None else check_size(size, 'AlignedImageFolder')
        if not os.path.isdir(root):
            raise FileNotFoundError(f"AlignedImageFolder: root folder {root!r} does not exist")
        folder = os.path.join(root, split)
        if not os.path.isdir(folder):
            have = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
            raise FileNotFoundError(f"AlignedImageFolder: split folder {folder!r} does not exist "
                                    f"(subfolders of the root: {have or 'none'})")
        files = sorted(f for f in os.listdir(folder)
                       if f.lower().endswith(EXTENSIONS) and os.path.isfile(os.path.join(folder, f)))
        if not files:
            raise ValueError(f"AlignedImageFolder: no {'/'.join(EXTENSIONS)} images in {folder!r}")
        self.paths = [os.path.join(folder, f) for f in files]
        for path in self.paths:
            w, h, _ = image_info(path, 'AlignedImageFolder', decode=verify)
            _check_pair(path, w, h)
        self.root, self.split, self.direction, self.size = root, split, direction, size

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, index):
        path = self.paths[self._check_index(index)]
        pair = read_rgb(path, 'AlignedImageFolder')
        _check_pair(path, pair.shape[2], pair.shape[1], ' (the file changed after the dataset was built)')
        half = pair.shape[2] // 2
        a, b = pair[:, :, :half], pair[:, :, half:]
        if self.size is not None:
            a, b = resize(a, self.size), resize(b, self.size)
        a, b = (numpy.ascontiguousarray(x * 2 - 1, dtype=numpy.float32) for x in (a, b))
        return (a, b) if self.direction == 'AtoB' else (b, a)


def _check_pair(path, w, h, note=''):
    if w % 2 or w != 2 * h:
        raise ValueError(f"AlignedImageFolder: {path} is {w}x{h} (width x height){note}; an aligned pair "
                         f"must be exactly twice as wide as it is high (A | B side by side)")
