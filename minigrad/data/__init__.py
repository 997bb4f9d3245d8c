"""Data for the lessons: datasets, a DataLoader and paired transforms.

Everything works offline.  Synthetic sets (:class:`SyntheticShapes`,
:class:`ProceduralFacades`, :class:`ProceduralMaps`) need NumPy only; the real
photos (:class:`PhotoCrops`, :class:`ColorizationCrops`,
:class:`EdgesToPhotos`) are read from files inside the scikit-image,
scikit-learn and matplotlib wheels, :class:`Digits` from scikit-learn's, and
:class:`AlignedImageFolder` reads a downloaded pix2pix dataset — these need
``pip install -e '.[lessons]'`` and import it only when used.
See docs/data.md.
"""
from . import transforms
from .dataset import CachedDataset, Dataset, Subset, TensorDataset, TransformedDataset
from .digits import Digits
from .facades import FACADE_CLASSES, FACADE_PALETTE, ProceduralFacades
from .folder import AlignedImageFolder
from .loader import DataLoader, default_collate, numpy_collate
from .maps import MAP_CLASSES, MAP_PALETTE, ProceduralMaps
from .photos import (PHOTOS, TRAIN_PHOTOS, VAL_PHOTOS, ColorizationCrops, EdgesToPhotos, PhotoCrops,
                     available_photos, load_photo)
from .shapes import SyntheticShapes

__all__ = ['Dataset', 'TensorDataset', 'Subset', 'TransformedDataset', 'CachedDataset', 'DataLoader',
           'default_collate', 'numpy_collate', 'transforms', 'SyntheticShapes', 'ProceduralFacades',
           'FACADE_CLASSES', 'FACADE_PALETTE', 'ProceduralMaps', 'MAP_CLASSES', 'MAP_PALETTE',
           'PhotoCrops', 'ColorizationCrops', 'EdgesToPhotos', 'PHOTOS', 'TRAIN_PHOTOS', 'VAL_PHOTOS',
           'available_photos', 'load_photo', 'Digits', 'AlignedImageFolder']
