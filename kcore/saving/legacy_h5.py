"""Weights in the legacy Keras HDF5 layout (``.h5``), as Keras 3 and tf.keras 2 write it.

One group per layer of ``model.layers``::

    @layer_names = [...]                       (model.layers order, weightless layers too)
    <layer name>/ @weight_names = [w.path...]  (trainable weights first, then the others)
        <w.path split on "/"> = dataset
    top_level_model_weights/ @weight_names     (variables owned by the model itself)

A full model file holds this under ``model_weights/``; a tf.keras ``save_weights("w.h5")``
file holds it at the root. Optimizer state goes to ``optimizer_weights/`` (``@weight_names``
= the optimizer variables' paths). Loading is topological (the n-th layer with weights in
the file goes to the n-th layer with weights in the model) or ``by_name``.
"""

import warnings

import numpy as np

from kcore.saving import h5io


def legacy_weights(layer):
    """A layer's weights in legacy-file order: trainable first, then non-trainable."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def own_variables(layer):
    """The variables a layer (or model) owns itself, not through a sub-layer; trainable
    first, as Keras's ``save_own_variables`` orders them."""
    inherited = {id(v) for child in layer._flatten_layers(include_self=False) for v in child.weights}
    own = [v for v in layer._own_weights() if id(v) not in inherited]
    return [v for v in own if v.trainable] + [v for v in own if not v.trainable]


top_level_weights = own_variables


def _unique_names(variables):
    names, seen = [], {}
    for v in variables:
        name = str(getattr(v, "path", None) or v.name)
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 0
        names.append(name)
    return names


def save_subset(group, variables):
    """Writes ``@weight_names`` and one dataset per variable into ``group``."""
    names = _unique_names(variables)
    h5io.save_attributes(group, "weight_names", names)
    for name, v in zip(names, variables):
        h5io.write_dataset(group, name, v.numpy())


def save_weights_to_group(f, model):
    """Writes every layer's weights (and the model's own) into ``f``, as Keras does."""
    layers = model.layers
    h5io.save_attributes(f, "layer_names", [layer.name for layer in layers])
    f.attrs["backend"] = h5io.BACKEND.encode("utf8")
    f.attrs["keras_version"] = h5io.KERAS_VERSION.encode("utf8")
    # Sorted, as Keras does, so no group name is created after a prefix of itself.
    for layer in sorted(layers, key=lambda l: l.name):
        save_subset(f.create_group(layer.name), legacy_weights(layer))
    save_subset(f.create_group("top_level_model_weights"), top_level_weights(model))


def _read_subset(group, filepath, where):
    values = []
    for name in h5io.load_attributes(group, "weight_names"):
        if name not in group:
            raise ValueError(
                f"{filepath}: weight {name!r} of {where} is listed in @weight_names but has "
                "no dataset. The file is incomplete or was not written by Keras/kcore."
            )
        h5io.check_dataset_size(group[name])
        values.append(np.asarray(group[name]))
    return values


def _assign(layer, variables, values, skip_mismatch, where, filepath):
    for v, value in zip(variables, values):
        if tuple(v.shape) != tuple(value.shape):
            msg = (f"{filepath}: shape mismatch for weight {v.path!r} of {where}: the model "
                   f"expects {tuple(v.shape)}, the file has {tuple(value.shape)}.")
            if skip_mismatch:
                warnings.warn(msg + " Skipped (skip_mismatch=True).", stacklevel=3)
                continue
            raise ValueError(msg + " Is this the same architecture? Pass skip_mismatch=True "
                             "to load the other weights anyway.")
    for v, value in zip(variables, values):
        if tuple(v.shape) == tuple(value.shape):
            v.assign(value)


def _count_mismatch(where, expected, found, names, filepath, skip_mismatch):
    msg = (f"{filepath}: weight count mismatch for {where}: the model expects {expected} "
           f"weight(s) {names}, the file has {found}.")
    if skip_mismatch:
        warnings.warn(msg + " Skipped (skip_mismatch=True).", stacklevel=3)
        return
    raise ValueError(msg)


def load_weights_from_group(f, model, skip_mismatch=False, filepath="<file>"):
    """Loads weights topologically: the k-th layer with weights gets the k-th saved one.

    Raises:
        ValueError: layer-count, weight-count or shape mismatches, or a missing weight,
            each naming the file, the layer and expected vs found.
    """
    if "layer_names" not in f.attrs and not any(k.startswith("layer_names") for k in f.attrs):
        if "model_weights" in f:
            f = f["model_weights"]
        else:
            raise ValueError(
                f"{filepath}: no @layer_names attribute: this is not a Keras legacy .h5 "
                "weights file (a Keras 3 weights file must be named *.weights.h5)."
            )
    layers = [layer for layer in model.layers if legacy_weights(layer)]
    saved = []
    for name in h5io.load_attributes(f, "layer_names"):
        if name not in f:
            raise ValueError(f"{filepath}: layer {name!r} is listed in @layer_names but has no group.")
        if h5io.load_attributes(f[name], "weight_names"):
            saved.append(name)
    if len(saved) != len(layers):
        raise ValueError(
            f"{filepath}: layer count mismatch when loading weights: the model has "
            f"{len(layers)} layers with weights {[l.name for l in layers]}, the file has "
            f"{len(saved)} {saved}. Use load_weights(..., by_name=True) to match layers by name."
        )
    for k, (name, layer) in enumerate(zip(saved, layers)):
        where = f"layer #{k} (named {layer.name!r} in the model, {name!r} in the file)"
        values = _read_subset(f[name], filepath, where)
        variables = legacy_weights(layer)
        if len(values) != len(variables):
            _count_mismatch(where, len(variables), len(values), [v.path for v in variables],
                            filepath, skip_mismatch)
            continue
        _assign(layer, variables, values, skip_mismatch, where, filepath)
    _load_top_level(f, model, skip_mismatch, filepath)


def load_weights_by_name(f, model, skip_mismatch=False, filepath="<file>"):
    """Loads the weights of every layer whose name is in the file; others are left alone."""
    if "layer_names" not in f.attrs and "model_weights" in f:
        f = f["model_weights"]
    by_name = {}
    for layer in model.layers:
        by_name.setdefault(layer.name, []).append(layer)
    for name in h5io.load_attributes(f, "layer_names"):
        values = _read_subset(f[name], filepath, f"layer {name!r}")
        for layer in by_name.get(name, []):
            variables = legacy_weights(layer)
            where = f"layer {layer.name!r}"
            if len(values) != len(variables):
                _count_mismatch(where, len(variables), len(values), [v.path for v in variables],
                                filepath, skip_mismatch)
                continue
            _assign(layer, variables, values, skip_mismatch, where, filepath)
    _load_top_level(f, model, skip_mismatch, filepath)


def _load_top_level(f, model, skip_mismatch, filepath):
    if "top_level_model_weights" not in f:
        return
    variables = top_level_weights(model)
    values = _read_subset(f["top_level_model_weights"], filepath, "the model's own weights")
    if len(values) != len(variables):
        _count_mismatch(f"model {model.name!r} (its own weights)", len(variables), len(values),
                        [v.path for v in variables], filepath, skip_mismatch)
        return
    _assign(model, variables, values, skip_mismatch, f"model {model.name!r}", filepath)


# -- optimizer state ----------------------------------------------------------------------
def save_optimizer_weights(f, optimizer):
    """Writes ``optimizer_weights/`` (names = variable paths, e.g. ``adam/iteration``)."""
    variables = list(getattr(optimizer, "variables", None) or [])
    if not variables:
        return
    group = f.create_group("optimizer_weights")
    save_subset(group, variables)


def load_optimizer_weights(f, optimizer, trainable_weights, filepath="<file>"):
    """Restores optimizer state from ``optimizer_weights/`` (Keras 3 or tf.keras names).

    The optimizer is built on ``trainable_weights`` first. Keras 3 files list
    ``<opt>/iteration``, ``<opt>/learning_rate``, then the slots; tf.keras files list
    ``iteration:0`` and the slots (``Adam/m/...``), without the learning rate, which then
    comes from the optimizer config. Returns whether the state was restored; a file that
    does not fit the optimizer only warns, since the model itself loaded fine.
    """
    if "optimizer_weights" not in f:
        return False
    group = f["optimizer_weights"]
    names = h5io.load_attributes(group, "weight_names")
    values = _read_subset(group, filepath, "the optimizer")
    if not getattr(optimizer, "built", True):
        optimizer.build(trainable_weights)
    variables = list(optimizer.variables)
    if not any(n.split("/")[-1].split(":")[0] == "learning_rate" for n in names):
        variables = [v for v in variables if v.name != "learning_rate"]
    problem = None
    if len(values) != len(variables):
        problem = (f"the file has {len(values)} optimizer variables, optimizer "
                   f"{optimizer.name!r} has {len(variables)}")
    else:
        for name, v, value in zip(names, variables, values):
            if tuple(v.shape) != tuple(value.shape):
                problem = (f"optimizer variable {v.path!r} has shape {tuple(v.shape)}, the file's "
                           f"{name!r} has {tuple(value.shape)}")
                break
    if problem:
        warnings.warn(
            f"{filepath}: optimizer state not restored ({problem}); the optimizer starts "
            "from scratch. Was the file saved with a different optimizer or model?",
            stacklevel=3)
        return False
    for v, value in zip(variables, values):
        v.assign(value)
    return True
