"""The networks the lecture draws.

* :class:`UNet` / :class:`EncoderDecoder` — segmentation-style image-to-image nets (unet.py)
* :class:`UNetGenerator`, :class:`PatchDiscriminator` — pix2pix's G and D (pix2pix.py),
  trained by :class:`Pix2PixTrainer` (pix2pix_trainer.py)
* :class:`ColorizationNet` — colorization as per-pixel classification (colorization.py)
* :class:`Classifier` — a small CNN whose penultimate layer is the "CNN code" (classifier.py)

See docs/models.md for a figure of each.
"""
from .classifier import Classifier, FullyConvClassifier
from .colorization import ColorizationNet
from .pix2pix import PatchDiscriminator, UNetGenerator, init_pix2pix
from .pix2pix_trainer import Pix2PixTrainer
from .unet import DoubleConv, EncoderDecoder, UNet

__all__ = ['UNet', 'EncoderDecoder', 'DoubleConv', 'UNetGenerator', 'PatchDiscriminator', 'init_pix2pix',
           'Pix2PixTrainer', 'ColorizationNet', 'Classifier', 'FullyConvClassifier']
