"""Datasets read from a directory tree: ``image_dataset_from_directory`` and
``text_dataset_from_directory``.

Files are indexed as Keras indexes them: one sub-directory per class (sorted names), files
sorted within each, then shuffled with ``numpy.random.RandomState(seed)`` and split by
``validation_split`` exactly as Keras splits them, so the same ``seed`` puts the same files
in the training and validation subsets. Batches are read lazily by a ``PyDataset`` (images
need Pillow: ``pip install pillow``). Each epoch reshuffles the training order when
``shuffle=True``.
"""

import os

import numpy as np

from kcore.trainers.py_dataset import PyDataset

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
TEXT_FORMATS = (".txt",)


def _index_directory(directory, labels, formats, class_names, follow_links):
    if not os.path.isdir(directory):
        raise ValueError(f"Could not find directory {str(directory)!r}.")
    subdirs = sorted(d for d in os.listdir(directory)
                     if os.path.isdir(os.path.join(directory, d))) if labels == "inferred" else [""]
    if labels == "inferred" and class_names is not None:
        if sorted(class_names) != sorted(subdirs) and set(class_names) != set(subdirs):
            raise ValueError(f"The `class_names` passed {list(class_names)} do not match the "
                             f"names of the sub-directories of {str(directory)!r}: {subdirs}.")
        subdirs = list(class_names)
    elif class_names is not None:
        raise ValueError("`class_names` only applies with labels='inferred'.")
    files, inferred = [], []
    for label, sub in enumerate(subdirs):
        root_dir = os.path.join(directory, sub)
        for root, _, names in sorted(os.walk(root_dir, followlinks=follow_links),
                                     key=lambda w: w[0]):
            for name in sorted(names):
                if name.lower().endswith(formats):
                    files.append(os.path.join(root, name))
                    inferred.append(label)
    if labels == "inferred":
        return files, np.asarray(inferred, dtype="int32"), subdirs
    if labels is None:
        return files, None, None
    if len(labels) != len(files):
        raise ValueError(f"`labels` has {len(labels)} entries but {len(files)} files were "
                         f"found in {str(directory)!r}; give one label per file, in sorted "
                         "file order.")
    return files, np.asarray(labels), [str(x) for x in sorted(set(labels))]


def _select(files, labels, shuffle, seed, validation_split, subset):
    """Keras's shuffle of the file list and its training/validation split."""
    if shuffle:
        seed = np.random.randint(1e6) if seed is None else seed
        order_files, files = np.random.RandomState(seed), list(files)
        order_files.shuffle(files)
        if labels is not None:
            labels = labels.copy()
            np.random.RandomState(seed).shuffle(labels)
    if not validation_split:
        return list(files), labels
    num_val = int(validation_split * len(files))
    part = slice(None, len(files) - num_val) if subset == "training" else \
        slice(len(files) - num_val, None)
    return list(files)[part], None if labels is None else labels[part]


def _check_split(validation_split, subset, shuffle, seed):
    if validation_split is not None and not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be in (0, 1); received {validation_split}.")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("Set both `validation_split` and `subset` (\"training\", "
                         "\"validation\" or \"both\"), or neither.")
    if subset not in (None, "training", "validation", "both"):
        raise ValueError(f"`subset` must be 'training', 'validation' or 'both'; received "
                         f"{subset!r}.")
    if validation_split and shuffle and seed is None:
        raise ValueError("With `validation_split` and shuffle=True, pass a `seed` so the "
                         "training and validation subsets do not overlap.")


def _encode_labels(labels, label_mode, num_classes):
    if labels is None or label_mode is None:
        return None
    if label_mode == "int":
        return labels.astype("int32")
    if label_mode == "binary":
        return labels.astype("float32").reshape(-1, 1)
    out = np.zeros((len(labels), num_classes), dtype="float32")
    out[np.arange(len(labels)), labels.astype("int64")] = 1.0
    return out


class FileDataset(PyDataset):
    """Batches read lazily from files; ``class_names`` and ``file_paths`` as in Keras."""

    def __init__(self, file_paths, labels, load, batch_size, shuffle, seed, class_names):
        super().__init__()
        self.file_paths = list(file_paths)
        self.class_names = class_names
        self._labels = labels
        self._load = load
        self.batch_size = batch_size
        self._shuffle = shuffle
        self._rng = np.random.default_rng(seed)
        self._order = np.arange(len(self.file_paths))

    def __len__(self):
        if self.batch_size is None:
            return len(self.file_paths)
        return -(-len(self.file_paths) // self.batch_size)

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f"batch index {index} out of range for {len(self)} batches")
        index %= len(self)
        size = self.batch_size or 1
        idx = self._order[index * size:(index + 1) * size]
        x = np.stack([self._load(self.file_paths[i]) for i in idx])
        y = None if self._labels is None else self._labels[idx]
        if self.batch_size is None:
            x, y = x[0], None if y is None else y[0]
        return x if y is None else (x, y)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def on_epoch_end(self):
        if self._shuffle:
            self._rng.shuffle(self._order)


def _datasets(directory, labels, label_mode, class_names, formats, batch_size, shuffle,
              seed, validation_split, subset, follow_links, verbose, load):
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple, np.ndarray)):
        raise ValueError("`labels` must be 'inferred', None, or a list/tuple of labels; "
                         f"received {labels!r}.")
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError("`label_mode` must be 'int', 'categorical', 'binary' or None; "
                         f"received {label_mode!r}.")
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    _check_split(validation_split, subset, shuffle, seed)
    files, found, names = _index_directory(directory, labels, formats, class_names,
                                           follow_links)
    if label_mode == "binary" and names is not None and len(names) != 2:
        raise ValueError(f"label_mode='binary' needs exactly 2 classes; found {len(names)}: "
                         f"{names}.")
    if verbose:
        print(f"Found {len(files)} files" + (f" belonging to {len(names)} classes."
                                             if names is not None else "."))
    subsets = ["training", "validation"] if subset == "both" else [subset]
    out = []
    for part in subsets:
        part_files, part_labels = _select(files, found, shuffle, seed, validation_split, part)
        if verbose and validation_split:
            print(f"Using {len(part_files)} files for {part}.")
        if not part_files:
            raise ValueError(f"No files with extensions {formats} found in "
                             f"{str(directory)!r}" + (f" for subset {part!r}." if part else "."))
        encoded = _encode_labels(part_labels, label_mode,
                                 len(names) if names is not None else 0)
        out.append(FileDataset(part_files, encoded, load, batch_size, shuffle, seed, names))
    return tuple(out) if subset == "both" else out[0]


def _image_loader(color_mode, image_size, interpolation, crop_to_aspect_ratio,
                  pad_to_aspect_ratio, data_format):
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("image_dataset_from_directory needs Pillow to read images: "
                          "pip install pillow (or kcore[images]).") from None
    from kcore.layers.preprocessing.image import resize_batch

    modes = {"rgb": "RGB", "rgba": "RGBA", "grayscale": "L"}
    if color_mode not in modes:
        raise ValueError(f"`color_mode` must be 'rgb', 'rgba' or 'grayscale'; received "
                         f"{color_mode!r}.")
    height, width = image_size

    def load(path):
        with Image.open(path) as img:
            arr = np.asarray(img.convert(modes[color_mode]), dtype="float32")
        if arr.ndim == 2:
            arr = arr[..., None]
        out = resize_batch(arr[None], height, width, interpolation,
                           crop_to_aspect_ratio=crop_to_aspect_ratio,
                           pad_to_aspect_ratio=pad_to_aspect_ratio)
        out = np.asarray(getattr(out, "value", out), dtype="float32")[0]
        return np.transpose(out, (2, 0, 1)) if data_format == "channels_first" else out
    return load


def image_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, color_mode="rgb", batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False,
                                 pad_to_aspect_ratio=False, data_format=None, verbose=True):
    """A ``PyDataset`` of ``(images, labels)`` batches from ``directory/<class>/*.png`` etc.

    Images (bmp, gif, jpeg, png) are decoded with Pillow, converted to ``color_mode``
    (``"rgb"``, ``"rgba"``, ``"grayscale"``) and resized to ``image_size`` (as the
    ``Resizing`` layer: ``interpolation``, ``crop_to_aspect_ratio``,
    ``pad_to_aspect_ratio``), float32 in ``[0, 255]``. Labels: ``"inferred"`` from the
    sub-directory names (``class_names`` fixes their order), a list with one label per
    file (sorted path order), or ``None``. ``label_mode``: ``"int"``, ``"categorical"``,
    ``"binary"`` or ``None``. ``validation_split`` with ``subset="training"``,
    ``"validation"`` or ``"both"`` (a pair) splits as Keras does for the same ``seed``.

    Returns:
        A ``PyDataset`` (or two) with ``class_names`` and ``file_paths`` attributes.
    """
    from kcore.backend import config

    data_format = data_format or config.image_data_format()
    load = _image_loader(color_mode, tuple(image_size), interpolation, crop_to_aspect_ratio,
                         pad_to_aspect_ratio, data_format)
    return _datasets(directory, labels, label_mode, class_names, IMAGE_FORMATS, batch_size,
                     shuffle, seed, validation_split, subset, follow_links, verbose, load)


def text_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                class_names=None, batch_size=32, max_length=None,
                                shuffle=True, seed=None, validation_split=None, subset=None,
                                follow_links=False, verbose=True):
    """A ``PyDataset`` of ``(texts, labels)`` batches from ``directory/<class>/*.txt``.

    Texts are numpy ``str`` arrays (UTF-8 decoded), truncated to ``max_length``
    characters if given; the other arguments are as ``image_dataset_from_directory``'s.
    """
    def load(path):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        return np.str_(text[:max_length] if max_length is not None else text)

    return _datasets(directory, labels, label_mode, class_names, TEXT_FORMATS, batch_size,
                     shuffle, seed, validation_split, subset, follow_links, verbose, load)
