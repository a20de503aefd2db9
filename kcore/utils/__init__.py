"""``kcore.utils``: seeding, ``PyDataset``, label/sequence helpers, datasets, plotting.

Datasets come from arrays (``timeseries_dataset_from_array``, ``split_dataset``) and from
directories of images or text files.
"""

from kcore.backend.random import set_random_seed
from kcore.backend.serialization import (CustomObjectScope, custom_object_scope,
                                         deserialize_keras_object, get_custom_objects,
                                         get_registered_name, get_registered_object,
                                         register_keras_serializable, serialize_keras_object)
from kcore.layers.layer import clear_session
from kcore.trainers.py_dataset import PyDataset
from kcore.utils.array_datasets import split_dataset, timeseries_dataset_from_array
from kcore.utils.arrays import normalize, pad_sequences, to_categorical
from kcore.utils.file_datasets import image_dataset_from_directory, text_dataset_from_directory

Sequence = PyDataset


def plot_history(history, path, metrics=None):
    """Writes a PNG of the training curves in ``history`` (needs matplotlib)."""
    from kcore.utils.plotting import plot_history as _plot

    return _plot(history, path, metrics=metrics)


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=True, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, **kwargs):
    """Draws the model as Keras does: PNG/SVG/PDF with Graphviz's ``dot`` if installed,
    else with matplotlib; a ``.dot`` name gets the Graphviz text (see ``kcore.utils.plotting``)."""
    from kcore.utils.plotting import plot_model as _plot

    return _plot(model, to_file=to_file, show_shapes=show_shapes, show_dtype=show_dtype,
                 show_layer_names=show_layer_names, rankdir=rankdir, expand_nested=expand_nested,
                 dpi=dpi, show_layer_activations=show_layer_activations,
                 show_trainable=show_trainable)
