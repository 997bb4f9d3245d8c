"""Real colour photographs that ship *inside* installed wheels (no download ever).

Only files that are part of the scikit-image, scikit-learn and matplotlib
wheels themselves are used; they are read straight from the package folders
with Pillow, never through a fetcher that could reach the network.
(Several ``skimage.data`` images — ``eagle``, ``lily``, ``skin``, ``brain``,
``kidney``… — are *not* in the wheel and need a download; they are not used.)
``available_photos()`` lists the ones present on this machine.
"""
import functools
import os

import numpy

from .dataset import CachedDataset, check_size
from .transforms import resize

LESSONS_HINT = "install the lessons extra: pip install -e '.[lessons]'"


class Photo:
    """Where a shipped photo lives and under which terms."""

    def __init__(self, package, module, relpath, description, licence):
        self.package, self.module, self.relpath = package, module, relpath
        self.description, self.licence = description, licence

    def path(self):
        """Absolute path of the file, or None when the package is not installed."""
        try:
            mod = __import__(self.module, fromlist=['__file__'])
        except ImportError:
            return None
        if self.module == 'matplotlib':
            root = mod.get_data_path()
        else:
            root = os.path.dirname(mod.__file__)
        p = os.path.join(root, self.relpath)
        return p if os.path.isfile(p) else None


PHOTOS = {
    'astronaut': Photo('scikit-image', 'skimage', 'data/astronaut.png',
                       'Eileen Collins, NASA astronaut, 512x512',
                       'NASA; public domain (skimage.data docs)'),
    'coffee': Photo('scikit-image', 'skimage', 'data/coffee.png',
                    'a cup of coffee on wood, 400x600',
                    'CC0, photographer Rachel Michetti (skimage.data docs)'),
    'rocket': Photo('scikit-image', 'skimage', 'data/rocket.jpg',
                    'Falcon 9 launch of DSCOVR, 427x640',
                    'SpaceX; released into the public domain (skimage.data docs)'),
    'chelsea': Photo('scikit-image', 'skimage', 'data/chelsea.png',
                     'Chelsea the cat, 300x451',
                     'CC0, photographer Stefan van der Walt (skimage.data docs)'),
    'immunohistochemistry': Photo('scikit-image', 'skimage', 'data/ihc.png',
                                  'stained colonic glands (microscopy), 512x512',
                                  'no known copyright restrictions (skimage.data docs)'),
    'china': Photo('scikit-learn', 'sklearn.datasets', 'images/china.jpg',
                   'a Chinese temple, 427x640',
                   'CC BY 2.0, danielbuechele on Flickr (sklearn images/README.txt)'),
    'flower': Photo('scikit-learn', 'sklearn.datasets', 'images/flower.jpg',
                    'a flower close-up, 427x640',
                    'CC BY 2.0, vultilion on Flickr (sklearn images/README.txt)'),
    'grace_hopper': Photo('matplotlib', 'matplotlib', 'sample_data/grace_hopper.jpg',
                          'portrait of Grace Hopper, 600x512',
                          'U.S. Navy photograph, public domain as a work of the U.S. government'),
}

#: Natural photos used for training and for validation (held-out *images*:
#: validation never sees a pixel of a training photo).
TRAIN_PHOTOS = ('astronaut', 'coffee', 'rocket', 'flower', 'grace_hopper')
VAL_PHOTOS = ('chelsea', 'china')


def available_photos():
    """Names in :data:`PHOTOS` whose file is present in an installed wheel."""
    return [name for name, photo in PHOTOS.items() if photo.path() is not None]


@functools.lru_cache(maxsize=None)
def load_photo(name):
    """Photo ``name`` as float32 (3, H, W) in [0, 1] (read-only; copy before editing)."""
    if name not in PHOTOS:
        raise ValueError(f"load_photo: unknown photo {name!r}; known: {sorted(PHOTOS)}")
    path = PHOTOS[name].path()
    if path is None:
        raise FileNotFoundError(f"load_photo: photo {name!r} ships with {PHOTOS[name].package}, "
                                f"which is not installed; {LESSONS_HINT}")
    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError(f"load_photo needs Pillow to read {path}; {LESSONS_HINT}") from exc
    with Image.open(path) as im:
        rgb = numpy.asarray(im.convert('RGB'), dtype=numpy.float32) / 255.0
    out = numpy.ascontiguousarray(rgb.transpose(2, 0, 1))
    out.setflags(write=False)
    return out


def _split_photos(split, photos, owner):
    if split not in ('train', 'val'):
        raise ValueError(f"{owner}: split must be 'train' or 'val', got {split!r}")
    wanted = list(photos) if photos is not None else list(TRAIN_PHOTOS if split == 'train' else VAL_PHOTOS)
    unknown = [p for p in wanted if p not in PHOTOS]
    if unknown:
        raise ValueError(f"{owner}: unknown photos {unknown}; known: {sorted(PHOTOS)}")
    have = [p for p in wanted if PHOTOS[p].path() is not None]
    if not have:
        raise FileNotFoundError(f"{owner}: none of the photos {wanted} is installed; {LESSONS_HINT}")
    return have


class PhotoCrops(CachedDataset):
    """Random square crops of real photographs, resized to ``size``.

    ``ds[i]`` is a (3, size, size) float32 RGB image in [0, 1].  Crop i comes
    from photo ``i % len(photos)`` (so every photo is used equally), with a
    side of ``scale`` (a range, fraction of the photo's shorter side) drawn at
    random, at a random position, and is shrunk with an anti-aliased bilinear
    resize.

    ``split='train'`` uses :data:`TRAIN_PHOTOS` (astronaut, coffee, rocket from
    scikit-image; flower from scikit-learn; grace_hopper from matplotlib),
    ``split='val'`` the held-out :data:`VAL_PHOTOS` (chelsea from scikit-image,
    china from scikit-learn): a model is validated on scenes it never saw.
    Photos whose package is missing are skipped (with scikit-image alone:
    train = astronaut, coffee, rocket; val = chelsea).  ``photos=[...]``
    overrides the list.  Sources and licences: :data:`PHOTOS` (all public
    domain, CC0 or CC BY 2.0).  Deterministic: sample i depends only on
    (seed, split, i).
    """

    def __init__(self, n, size=64, split='train', seed=0, photos=None, scale=(0.25, 0.9), cache=True):
        super().__init__(n, seed, cache)
        self.photos = _split_photos(split, photos, type(self).__name__)
        if not 0 < scale[0] <= scale[1] <= 1:
            raise ValueError(f"{type(self).__name__}: scale must satisfy 0 < lo <= hi <= 1, got {scale}")
        self.size, self.split, self.scale = check_size(size, type(self).__name__), split, tuple(scale)

    def crop(self, index):
        rng = self.rng(index, 0 if self.split == 'train' else 1)
        img = load_photo(self.photos[index % len(self.photos)])
        H, W = img.shape[1:]
        short = min(H, W)
        side = int(round(rng.uniform(*self.scale) * short))
        side = min(max(side, min(self.size, short)), short)
        top, left = int(rng.integers(0, H - side + 1)), int(rng.integers(0, W - side + 1))
        return resize(img[:, top:top + side, left:left + side], self.size)

    def make(self, index):
        return self.crop(index)


class ColorizationCrops(PhotoCrops):
    """Photo crops split into lightness and colour, for the colorization lesson.

    ``ds[i] = (L, ab)``: L (1, size, size) and ab (2, size, size), float32 in
    raw CIE Lab units (L in [0, 100], a and b roughly in [-110, 110]), computed
    with :func:`minigrad.color.rgb_to_lab`.  Raw units are what the ab bins
    of :mod:`minigrad.color` are defined in; a network usually sees
    ``L / 50 - 1``.  ``ds.rgb(i)`` is the original crop.  Photos, splits and
    licences as :class:`PhotoCrops`.
    """

    def rgb(self, index):
        return self.crop(self._check_index(index))

    def make(self, index):
        from ..color import rgb_to_lab
        lab = rgb_to_lab(self.crop(index))
        return lab[:1].copy(), lab[1:].copy()


class EdgesToPhotos(PhotoCrops):
    """(edges, photo) pairs, like pix2pix's edges -> shoes / handbags.

    ``ds[i] = (edges, photo)``: edges (1, size, size) and photo (3, size, size),
    float32 in **[-1, 1]** (pix2pix convention); edges are drawn dark (-1) on
    white (+1), like the sketches in the pix2pix edge sets.

    ``method='sobel'`` (default): :func:`minigrad.data.edges.sobel_edges`, a
    blur and Sobel filter run with minigrad's own ``conv2d``, then a plain
    threshold (no non-maximum suppression, so lines are 1-3 px thick).
    ``method='canny'``: scikit-image's Canny detector (thin, linked edges).
    Photos, splits and licences as :class:`PhotoCrops`.
    """

    def __init__(self, n, size=64, split='train', seed=0, method='sobel', photos=None,
                 scale=(0.25, 0.9), cache=True):
        if method not in ('sobel', 'canny'):
            raise ValueError(f"EdgesToPhotos: method must be 'sobel' or 'canny', got {method!r}")
        super().__init__(n, size, split, seed, photos, scale, cache)
        self.method = method

    def make(self, index):
        from ..color import rgb_to_gray
        from .edges import canny_edges, sobel_edges
        photo = self.crop(index)
        gray = rgb_to_gray(photo)
        edges = sobel_edges(gray) if self.method == 'sobel' else canny_edges(gray)
        sketch = numpy.where(edges, -1.0, 1.0).astype(numpy.float32)
        return sketch, (photo * 2 - 1).astype(numpy.float32)
