"""Weights in Keras 3's ``.weights.h5`` layout (also ``model.weights.h5`` inside ``.keras``).

Every saveable object (layer, model, optimizer) owns a group ``<path>/vars`` with
``@name = obj.name`` and its own variables as datasets ``0``, ``1``, ... The path follows
the object tree, exactly as Keras 3 walks it:

- a Sequential or Functional model first lists ``layers``;
- then each attribute holding a layer, an optimizer or a list/tuple/dict of them, in
  sorted order with private (``_x``) attributes last; a subclassed model's ``layers``
  property counts as one such attribute;
- a member of a list is named by its snake_case class name plus a counter
  (``dense``, ``dense_1``) — never by ``layer.name``; an attribute by its name (``cell``);
- an object reached twice is stored once, at the first path.

So ``Sequential([Dense(name="d1"), Dense(name="d2")])`` gives ``layers/dense/vars``,
``layers/dense_1/vars``, ``optimizer/vars`` and ``vars`` (the model's own).
"""

import warnings

import numpy as np

from kcore.saving import h5io
from kcore.saving.legacy_h5 import own_variables



def _saveable(obj):
    from kcore.layers.layer import Layer
    from kcore.optimizers import Optimizer

    return isinstance(obj, (Layer, Optimizer))


def _name_key(name):
    return "~" + name if name.startswith("_") else name


def _children(obj):
    """``(attribute, value)`` pairs in Keras 3's walk order (see module docstring)."""
    from kcore.layers.layer import Layer
    from kcore.models.functional import Functional
    from kcore.models.model import Model
    from kcore.models.sequential import Sequential

    if not isinstance(obj, Layer):
        return
    graph = isinstance(obj, (Sequential, Functional))
    if graph:
        yield "layers", obj.layers
    # Each class names its own bookkeeping attributes (``Layer._bookkeeping_attrs``); Keras
    # has no such attributes (its counterparts are skipped by its walk).
    skip = type(obj)._bookkeeping_attrs
    attrs = {k: v for k, v in vars(obj).items() if k not in skip}
    if isinstance(obj, Model) and not graph:
        attrs["layers"] = obj.layers
    for name in sorted(attrs, key=_name_key):
        yield name, attrs[name]


def _to_snake_case(name):
    from kcore.layers.layer import to_snake_case

    return to_snake_case(name)


def _join(path, name):
    return f"{path}/{name}" if path else name


def walk(root):
    """Yields ``(path, obj)`` for every saveable reachable from ``root``, once each."""
    visited = set()

    def visit(obj, path):
        if id(obj) in visited:
            return
        visited.add(id(obj))
        yield path, obj
        for attr, child in _children(obj):
            if _saveable(child):
                yield from visit(child, _join(path, attr))
            elif isinstance(child, (list, tuple, dict)):
                yield from visit_container(child, _join(path, attr), set())

    def visit_container(container, path, seen):
        if id(container) in seen:
            return
        seen.add(id(container))
        used = {}
        items = list(container.values()) if isinstance(container, dict) else container
        for item in items:
            if _saveable(item):
                yield from visit(item, _join(path, _unique(_to_snake_case(type(item).__name__), used)))
            elif isinstance(item, (list, tuple, dict)):
                yield from visit_container(item, _join(path, _unique("container", used)), seen)

    yield from visit(root, "")


def _unique(name, used):
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


class _Store:
    """The ``vars`` group of one object, as the dict-like ``store`` Keras passes to
    ``save_own_variables``/``load_own_variables``."""

    def __init__(self, group):
        self.group = group

    def __setitem__(self, key, value):
        h5io.write_dataset(self.group, key, value.numpy() if hasattr(value, "numpy") else value)

    def __getitem__(self, key):
        dataset = self.group[key]
        h5io.check_dataset_size(dataset)
        return np.asarray(dataset)

    def shape(self, key):
        """The shape of dataset ``key``, without reading it."""
        return tuple(self.group[key].shape)

    def keys(self):
        return list(self.group.keys()) if self.group is not None else []

    def __len__(self):
        return len(self.keys())

    def __contains__(self, key):
        return key in self.keys()


def save_weights(model, f):
    """Writes ``model`` (and its optimizer) into the open h5py file ``f``."""
    for path, obj in walk(model):
        group = f.create_group(_join(path, "vars"))
        group.attrs["name"] = obj.name
        store = _Store(group)
        if hasattr(obj, "save_own_variables"):
            obj.save_own_variables(store)
        else:
            for i, v in enumerate(own_variables(obj)):
                store[str(i)] = v


def _vars_group(f, path):
    key = _join(path, "vars")
    if key in f:
        return f[key]
    # tf.keras 2.13+ wrote "_layer_checkpoint_dependencies" where Keras 3 writes "layers".
    legacy = key.replace("layers", "_layer_checkpoint_dependencies")
    return f[legacy] if legacy in f else None


def load_weights(model, f, skip_mismatch=False, filepath="<file>"):
    """Loads ``model``'s weights (and optimizer state, if both have it) from ``f``.

    Raises:
        ValueError: a variable count or shape mismatch, naming the layer and weight.
    """
    from kcore.optimizers import Optimizer

    for path, obj in walk(model):
        group = _vars_group(f, path)
        store = _Store(group)
        where = f"{type(obj).__name__} {obj.name!r} (path {_join(path, 'vars')!r})"
        if isinstance(obj, Optimizer):
            if len(store):
                if not obj.built:
                    obj.build(model.trainable_weights)
                obj.load_own_variables(store)
        elif hasattr(obj, "load_own_variables"):
            obj.load_own_variables(store)
        else:
            _load_own(obj, store, where, skip_mismatch, filepath)


def _load_own(layer, store, where, skip_mismatch, filepath):
    variables = own_variables(layer)
    if len(store) != len(variables):
        msg = (f"{filepath}: {where} expects {len(variables)} variables "
               f"{[v.path for v in variables]}, but the file has {len(store)}.")
        if skip_mismatch:
            warnings.warn(msg + " Skipped (skip_mismatch=True).", stacklevel=3)
            return
        raise ValueError(msg + " Was it saved from the same architecture?")
    # Shapes are compared before any data is read: a file never makes kcore allocate more
    # than the model's own variables.
    for i, v in enumerate(variables):
        if tuple(v.shape) != store.shape(str(i)):
            msg = (f"{filepath}: shape mismatch for weight {v.path!r} of {where}: the model "
                   f"expects {tuple(v.shape)}, the file has {store.shape(str(i))}.")
            if skip_mismatch:
                warnings.warn(msg + " Skipped (skip_mismatch=True).", stacklevel=3)
                return
            raise ValueError(msg)
    values = [store[str(i)] for i in range(len(variables))]
    for v, value in zip(variables, values):
        v.assign(value)
