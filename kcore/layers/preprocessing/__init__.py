"""Preprocessing layers, as ``keras.layers`` has them: numeric scaling and normalisation,
image resizing and augmentation, discretisation, category encoding, hashing, vocabulary
lookups and text vectorisation.

They work on numpy arrays directly and inside models. Random augmentation layers act only
when called with ``training=True`` and draw from their own ``SeedGenerator``. Layers that
learn state from data have ``adapt(data)``.
"""

from kcore.layers.preprocessing.image import CenterCrop, Resizing
from kcore.layers.preprocessing.image_random import (RandomBrightness, RandomContrast,
                                                     RandomCrop, RandomFlip, RandomRotation,
                                                     RandomTranslation, RandomZoom)
from kcore.layers.preprocessing.numeric import Normalization, Rescaling

__all__ = ["CenterCrop", "Normalization", "RandomBrightness", "RandomContrast", "RandomCrop",
           "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom", "Rescaling",
           "Resizing"]
