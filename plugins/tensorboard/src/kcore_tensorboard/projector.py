"""The embedding projector: ``TensorBoard(embeddings_freq=N, embeddings_metadata=...)``.

Every ``N`` epochs, the matrix of each ``Embedding`` layer is written with tensorboardX's
``add_embedding`` into the ``train`` run: ``train/<epoch:05d>/<layer name>/tensors.tsv``
(and ``metadata.tsv`` when labels are given), listed in ``train/projector_config.pbtxt``
as ``<layer name>:<epoch:05d>``. TensorBoard's Projector tab reads exactly these files; no
TensorFlow checkpoint is needed.
"""

import numpy as np


def check_metadata(embeddings_metadata):
    """Validates ``embeddings_metadata``: ``None``, one file for every layer, or a dict."""
    if embeddings_metadata is None or isinstance(embeddings_metadata, str):
        return embeddings_metadata
    if isinstance(embeddings_metadata, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in embeddings_metadata.items()):
        return dict(embeddings_metadata)
    raise ValueError(
        "TensorBoard(embeddings_metadata=...) expects None, the path of one metadata file "
        "(used for every Embedding layer) or a dict {embedding layer name: metadata file}, "
        f"got {embeddings_metadata!r}.")


def embedding_layers(model):
    """The model's ``Embedding`` layers, nested models included, in model order."""
    from kcore.layers import Embedding

    return [layer for layer in model._flatten_layers(include_self=False)
            if isinstance(layer, Embedding)]


def read_metadata(path, rows, layer_name):
    """Labels of a Keras-style metadata file: one label per line, or a TSV with a header.

    Returns ``(labels, header)``; ``header`` is ``None`` for a single column.
    """
    with open(path, encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f]
    if lines and lines[-1] == "":
        lines.pop()
    header = None
    if lines and "\t" in lines[0]:
        header, lines = lines[0].split("\t"), lines[1:]
        labels = [line.split("\t") for line in lines]
    else:
        labels = lines
    if len(labels) != rows:
        raise ValueError(
            f"TensorBoard(embeddings_metadata=...): {path} has {len(labels)} labels but the "
            f"Embedding layer {layer_name!r} has {rows} rows (input_dim). Write one label "
            "per row of the embedding matrix (after a header line if it has several columns).")
    return labels, header


def plan(model, embeddings_metadata):
    """``[(layer, labels, header)]`` for every Embedding layer; checks names and files first."""
    layers = embedding_layers(model)
    names = {layer.name for layer in layers}
    if isinstance(embeddings_metadata, dict):
        unknown = sorted(set(embeddings_metadata) - names)
        if unknown:
            raise ValueError(
                f"TensorBoard(embeddings_metadata=...) names {unknown}, which are not Embedding "
                f"layers of model {model.name!r}; its Embedding layers are {sorted(names)}.")
    out = []
    for layer in layers:
        path = (embeddings_metadata.get(layer.name) if isinstance(embeddings_metadata, dict)
                else embeddings_metadata)
        labels, header = read_metadata(path, layer.input_dim, layer.name) if path else (None, None)
        out.append((layer, labels, header))
    return out


def write_embeddings(writer, layers, epoch):
    """Writes each planned Embedding layer's current matrix (and labels) for ``epoch``."""
    for layer, labels, header in layers:
        matrix = np.asarray(layer.embeddings.numpy(), dtype=np.float32)
        writer.add_embedding(matrix, metadata=labels, metadata_header=header, tag=layer.name,
                             global_step=epoch)
