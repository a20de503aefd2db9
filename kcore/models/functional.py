"""``Functional``: a model defined by a graph of layer calls from ``Input``s to outputs.

Layers are ordered as Keras orders them (by depth from the inputs, ties broken by the order
in which a walk back from the outputs first meets them), so weight order, ``model.layers``
and ``.h5`` files match Keras's for the same graph.
"""

import collections

import numpy as np

from kcore.backend.tensor import Tensor
from kcore.layers.input_layer import InputLayer, KerasTensor, Node, OpLayer
from kcore.layers.layer import Layer, _iter_nested
from kcore.models.model import Model


def _flatten(structure):
    return [t for t in _iter_nested(structure)]


def _sorted_dict(structure):
    if isinstance(structure, dict):
        try:
            return {k: structure[k] for k in sorted(structure)}
        except TypeError:
            return structure
    return structure


def map_graph(inputs, outputs):
    """Orders the graph between ``inputs`` and ``outputs``.

    Returns:
        ``(nodes_by_depth, layers)``: nodes grouped by depth (0 = outputs) and the layers
        from the inputs to the outputs.

    Raises:
        ValueError: for a cycle, a disconnected graph, or two layers with one name.
    """
    finished, in_progress = set(), set()
    walk_order = []  # nodes, each after its parents
    layer_index = {}

    def visit(tensor):
        layer, node_index, _ = tensor._keras_history
        node = layer._inbound_nodes[node_index]
        if id(node) in finished:
            return
        if id(node) in in_progress:
            raise ValueError(f"Tensor {tensor.name} from layer {layer.name!r} is part of a cycle.")
        layer_index.setdefault(id(layer), len(layer_index))
        in_progress.add(id(node))
        if not node.is_input and not any(tensor is i for i in inputs):
            for parent in node.input_tensors:
                visit(parent)
        in_progress.discard(id(node))
        finished.add(id(node))
        walk_order.append(node)

    for out in outputs:
        visit(out)

    node_depth, layer_depth, layers_by_id = {}, {}, {}
    for node in reversed(walk_order):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = depth
        layers_by_id[id(node.layer)] = node.layer
        node_depth[id(node)] = depth
        for parent in node.parent_nodes:
            node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    nodes = {id(n): n for n in walk_order}
    for t in inputs:
        layer = t._keras_history[0]
        if id(layer) not in layer_depth:
            layer_depth[id(layer)] = 0
            layer_index[id(layer)] = -1
            layers_by_id[id(layer)] = layer
            node = layer._inbound_nodes[0]
            node_depth[id(node)] = 0
            nodes[id(node)] = node

    nodes_by_depth = collections.defaultdict(list)
    for key, depth in node_depth.items():
        nodes_by_depth[depth].append(nodes[key])
    layers = []
    by_depth = collections.defaultdict(list)
    for key, depth in layer_depth.items():
        by_depth[depth].append(layers_by_id[key])
    for depth in sorted(by_depth, reverse=True):
        layers.extend(sorted(by_depth[depth], key=lambda l: layer_index[id(l)]))

    computable = {id(t) for t in inputs}
    done = []
    input_ids = {id(t) for t in inputs}
    for depth in sorted(nodes_by_depth, reverse=True):
        for node in nodes_by_depth[depth]:
            if node.is_input and not any(id(t) in input_ids for t in node.flat_outputs):
                t = node.flat_outputs[0]
                users = [n.layer.name for n in walk_order if any(i is t for i in n.input_tensors)]
                raise ValueError(
                    f"Graph disconnected: cannot obtain a value for tensor {t.name} (shape "
                    f"{t.shape}) needed by layer(s) {users}: it comes from Input "
                    f"{node.layer.name!r}, which is not among the model's inputs "
                    f"{[i.name for i in inputs]}. Pass it to Model(inputs=[...])."
                )
            for t in node.input_tensors:
                if id(t) not in computable:
                    raise ValueError(
                        f"Graph disconnected: cannot obtain a value for tensor {t.name} "
                        f"(shape {t.shape}) needed by layer {node.layer.name!r}. It does not come "
                        f"from the model's inputs {[i.name for i in inputs]}. Layers reached "
                        f"without issue: {done}. Pass every Input the graph uses to Model(inputs=...)."
                    )
            done.append(node.layer.name)
            computable.update(id(t) for t in node.flat_outputs)
    names = [l.name for l in layers]
    for name in names:
        if names.count(name) > 1:
            raise ValueError(
                f"The name {name!r} is used {names.count(name)} times in the model; every layer "
                "name must be unique. Pass distinct name= arguments."
            )
    return nodes_by_depth, layers


class Functional(Model):
    """A model built from ``Input``s and layer calls: ``kcore.Model(inputs, outputs)``.

    Args:
        inputs: a ``KerasTensor`` from ``kcore.Input``, or a list or dict of them.
        outputs: the output tensor(s): a tensor, a list, or a dict keyed by output name.
        name: the model's name.

    Example:
        >>> a = kcore.Input((4,), name="a"); b = kcore.Input((2,), name="b")
        >>> x = kcore.layers.Concatenate()([a, b])
        >>> model = kcore.Model([a, b], kcore.layers.Dense(1)(x))
    """

    _bookkeeping_attrs = Model._bookkeeping_attrs | frozenset({
        "_inputs_struct", "_outputs_struct", "_input_tensors", "_output_tensors",
        "_nodes_by_depth", "_graph_layers", "_execution_order"})

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        # As Keras (whose flattening sorts dict keys): dict inputs and outputs are listed in
        # `inputs`, `outputs` and `output_names` by sorted key; `input`/`output`, calls and
        # configs keep the user's dicts, and the layers keep the order of the user's inputs.
        flat_inputs = _flatten(_sorted_dict(inputs))
        flat_outputs = _flatten(_sorted_dict(outputs))
        for t in flat_inputs:
            if not isinstance(t, KerasTensor) or not isinstance(t._keras_history[0], InputLayer):
                raise ValueError(
                    "Model inputs must come from kcore.Input(...); received "
                    f"{t!r}. Create them with kcore.Input(shape=...)."
                )
        for t in flat_outputs:
            if not isinstance(t, KerasTensor):
                raise ValueError(
                    f"Model outputs must be symbolic tensors produced by layers, got {type(t).__name__}."
                )
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self._input_tensors = flat_inputs
        self._output_tensors = flat_outputs
        self._nodes_by_depth, self._graph_layers = map_graph(_flatten(inputs), flat_outputs)
        self._execution_order = [n for d in sorted(self._nodes_by_depth, reverse=True)
                                 for n in self._nodes_by_depth[d] if not n.is_input]
        self._network_nodes = {id(n) for ns in self._nodes_by_depth.values() for n in ns}
        self.built = True
        self._build_shapes = [t.shape for t in flat_inputs] if len(flat_inputs) > 1 else flat_inputs[0].shape

    # -- structure ----------------------------------------------------------------------
    def _sublayers(self):
        return list(self._graph_layers)

    @property
    def layers(self):
        """The graph's layers; as in Keras 3, without the nodes of ops called on symbolic
        tensors (``x * 2``, ``ops.sum(x)``), which ``summary()`` and saved configs show."""
        return [layer for layer in self._graph_layers if not isinstance(layer, OpLayer)]

    @property
    def inputs(self):
        return list(self._input_tensors)

    @property
    def outputs(self):
        return list(self._output_tensors)

    @property
    def input(self):
        return self._inputs_struct

    @property
    def output(self):
        return self._outputs_struct

    @property
    def input_names(self):
        return [t._keras_history[0].name for t in self._input_tensors]

    @property
    def output_names(self):
        if isinstance(self._outputs_struct, dict):
            return list(_sorted_dict(self._outputs_struct).keys())
        return [t._keras_history[0].name for t in self._output_tensors]

    @property
    def input_shape(self):
        shapes = [t.shape for t in self._input_tensors]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self._output_tensors]
        return shapes[0] if len(shapes) == 1 else shapes

    def build(self, input_shape):
        self.built = True

    # -- execution ----------------------------------------------------------------------
    def _standardize_inputs(self, inputs):
        tensors = self._input_tensors
        if isinstance(inputs, dict):
            names = self.input_names
            missing = [n for n in names if n not in inputs]
            if isinstance(self._inputs_struct, dict):
                keys = list(_sorted_dict(self._inputs_struct).keys())
                missing = [k for k, n in zip(keys, names) if k not in inputs and n not in inputs]
                flat = [inputs[k] if k in inputs else inputs[n] for k, n in zip(keys, names)]
            elif missing:
                raise ValueError(
                    f"Model {self.name!r} expects inputs named {names}, but the dict has keys "
                    f"{sorted(inputs)}; missing {missing}."
                )
            else:
                flat = [inputs[n] for n in names]
        elif isinstance(inputs, (list, tuple)) and (len(tensors) > 1 or len(inputs) != 1 or
                                                   not isinstance(inputs[0], (int, float))):
            if isinstance(self._inputs_struct, dict) and len(tensors) > 1:
                # As Keras: which array is which input would be a guess (Keras lists dict
                # inputs by sorted key, the dict itself keeps the user's order).
                example = ", ".join(f"{key!r}: ..." for key in self._inputs_struct)
                raise ValueError(
                    f"Model {self.name!r} was built with a dict of inputs, so it takes a dict "
                    f"keyed by input name, e.g. {{{example}}}; received a "
                    f"{type(inputs).__name__} of {len(inputs)} arrays.")
            flat = list(inputs)
        else:
            flat = [inputs]
        if len(flat) != len(tensors):
            raise ValueError(
                f"Model {self.name!r} expects {len(tensors)} input(s) "
                f"{[t.name for t in tensors]}, but it received {len(flat)}. Pass a list of "
                f"{len(tensors)} arrays (or a dict keyed by input name)."
            )
        out = []
        for kt, x in zip(tensors, flat):
            if isinstance(x, KerasTensor):
                out.append(x)
                continue
            arr = x.value if isinstance(x, Tensor) else np.asarray(x)
            # Text inputs ("string") pass as numpy str/object arrays, uncast.
            want = arr.dtype if kt.dtype == "string" else np.dtype(kt.dtype)
            mask = getattr(x, "_keras_mask", None)
            if arr.dtype != want and not (arr.dtype.kind in "iu" and want.kind in "iu"):
                x = Tensor(arr.astype(want))
                x._keras_mask = mask
            elif not isinstance(x, Tensor):
                x = Tensor(arr)
            shape = kt.shape
            if len(arr.shape) != len(shape) or any(
                    s is not None and s != a for s, a in zip(shape[1:], arr.shape[1:])):
                raise ValueError(
                    f"Input {kt._keras_history[0].name!r} of model {self.name!r} expects shape "
                    f"{shape}, got {arr.shape}."
                    + (" Did you forget a Reshape/Flatten, or the batch axis?"
                       if len(arr.shape) != len(shape) else "")
                )
            out.append(x)
        return out

    def call(self, inputs, training=None, mask=None):
        flat = self._standardize_inputs(inputs)
        if mask is not None:
            masks = _flatten(mask) if isinstance(mask, (list, tuple, dict)) else [mask]
            for x, m in zip(flat, masks):
                if m is not None and isinstance(x, Tensor):
                    x._keras_mask = getattr(m, "value", m)
        values = {id(kt): x for kt, x in zip(self._input_tensors, flat)}

        def lookup(kt):
            return values[id(kt)]

        from kcore.layers.input_layer import _replace

        for node in self._execution_order:
            args = _replace(node.args, lookup)
            kwargs = _replace(node.kwargs, lookup)
            outputs = node.layer(*args, **kwargs)
            for kt, value in zip(node.flat_outputs, _iter_nested(outputs)):
                values[id(kt)] = value
        return _replace(self._outputs_struct, lookup)

    # -- config -------------------------------------------------------------------------
    def get_config(self):
        from kcore.models.serialization import functional_config

        return functional_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kcore.models.serialization import functional_from_config

        return functional_from_config(cls, config, custom_objects)
