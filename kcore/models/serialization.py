"""Keras-format configs of Functional models, and layer (de)serialization by class name.

Writes Keras 3's layout (``inbound_nodes`` as ``{"args": [...], "kwargs": {...}}`` with
``__keras_tensor__`` references) and reads both it and tf.keras 2's nested-list layout.
"""

import functools
import inspect
import json
import pathlib

from kcore.backend.serialization import (CustomObjectScope, resolve_class,
                                         serialize_keras_object)
from kcore.layers.input_layer import InputLayer, KerasTensor, OpLayer
from kcore.layers.layer import Layer, _iter_nested
from kcore.ops._symbolic import public_op


def layer_registry():
    """Every built-in layer and model class by name (plus Keras's aliases)."""
    import kcore.layers as layers_pkg
    from kcore.models.functional import Functional
    from kcore.models.model import Model
    from kcore.models.sequential import Sequential

    table = {}
    for name in dir(layers_pkg):
        obj = getattr(layers_pkg, name)
        if isinstance(obj, type) and issubclass(obj, Layer):
            table[name] = obj
    table.update({"Functional": Functional, "Model": Model, "Sequential": Sequential,
                  "InputLayer": InputLayer, "OpLayer": OpLayer})
    return table


def deserialize_layer(config, custom_objects=None):
    """Creates a layer (or a nested model) from its Keras config dict."""
    if isinstance(config, Layer):
        return config
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ValueError(f"Expected a layer config dict with a 'class_name', got "
                         f"{str(config)[:200]!r}: the model config has the wrong structure.")
    name = config["class_name"]
    if name == "__lambda__":
        raise ValueError("A bare lambda is not a layer config; wrap it in a Lambda layer.")
    if str(config.get("module", "")).startswith("keras.src.ops."):
        return _op_from_keras(config)
    # Only a Layer subclass may be constructed from a layer config (never a function or
    # another class bound to the name), and names match exactly.
    cls = resolve_class(
        config, custom_objects, module_objects=layer_registry(), kind="layer",
        printable_module_name="layer",
        hint=f"If {name!r} is a custom layer, pass it as load_model(..., "
             f"custom_objects={{{name!r}: {name}}}).")
    inner = config.get("config") or {}
    if not isinstance(inner, dict):
        raise TypeError(f"The config of layer {name!r} must be a dict, got {type(inner).__name__}.")
    import inspect

    try:
        takes_custom = "custom_objects" in inspect.signature(cls.from_config).parameters
    except (TypeError, ValueError):
        takes_custom = False
    with CustomObjectScope(custom_objects or {}):
        layer = cls.from_config(dict(inner), custom_objects=custom_objects) if takes_custom \
            else cls.from_config(dict(inner))
    build = config.get("build_config")
    if build and not layer.built and hasattr(layer, "build_from_config"):
        try:
            layer.build_from_config(build)
        except Exception:  # Built later on first call instead.
            pass
    return layer


def _tensor_ref(t, node_key):
    layer, node_index, tensor_index = t._keras_history
    return {"class_name": "__keras_tensor__",
            "config": {"shape": list(t.shape), "dtype": t.dtype,
                       "keras_history": [layer.name, node_key(layer, node_index), tensor_index]}}


def _serialize_arg(value, node_key):
    if isinstance(value, KerasTensor):
        return _tensor_ref(value, node_key)
    # Keras 3's encodings for call arguments JSON cannot hold (e.g. x[:, :2]).
    if isinstance(value, slice):
        return {"class_name": "__slice__",
                "config": {"start": value.start, "stop": value.stop, "step": value.step}}
    if value is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(value, tuple):
        return {"class_name": "__tuple__",
                "config": {"value": [_serialize_arg(v, node_key) for v in value]}}
    if isinstance(value, list):
        return [_serialize_arg(v, node_key) for v in value]
    if isinstance(value, dict):
        return {k: _serialize_arg(v, node_key) for k, v in value.items()}
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def functional_config(model):
    """``get_config()`` of a Functional model in Keras 3's format."""
    kept = {}  # (layer id, node index) -> index among the nodes kept in this model

    def node_key(layer, node_index):
        return kept.get((id(layer), node_index), node_index)

    for layer in model._graph_layers:
        k = 0
        for i, node in enumerate(layer._inbound_nodes):
            if id(node) in model._network_nodes:
                kept[(id(layer), i)] = k
                k += 1
    layer_configs = []
    for layer in model._graph_layers:
        if isinstance(layer, OpLayer):
            cfg = _op_to_keras(layer, model, node_key)
            if cfg is not None:
                layer_configs.append(cfg)
                continue
        cfg = serialize_keras_object(layer)
        cfg["name"] = layer.name
        nodes = []
        for node in layer._inbound_nodes:
            if id(node) not in model._network_nodes or node.is_input:
                continue
            nodes.append({"args": _serialize_arg(list(node.args), node_key),
                          "kwargs": _serialize_arg(dict(node.kwargs), node_key)})
        cfg["inbound_nodes"] = nodes
        build = layer.get_build_config() if not isinstance(layer, InputLayer) else None
        if build:
            cfg["build_config"] = build
        layer_configs.append(cfg)

    def refs(struct):
        if isinstance(struct, KerasTensor):
            layer, node_index, tensor_index = struct._keras_history
            return [layer.name, node_key(layer, node_index), tensor_index]
        if isinstance(struct, dict):
            return {k: refs(v) for k, v in struct.items()}
        return [refs(s) for s in struct]

    # A single input/output is written flat (["a", 0, 0]), as Keras does.
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layer_configs,
        "input_layers": refs(model._inputs_struct),
        "output_layers": refs(model._outputs_struct),
    }


# -- ops: Keras's own records ------------------------------------------------------------------
# Keras 3 stores a ``keras.ops`` call in a Functional graph as a node of an Operation class
# (``{"module": "keras.src.ops.numpy", "class_name": "Sum", "config": {"name": ...,
# "axis": -1, "keepdims": false}}``, the tensors in ``inbound_nodes``). kcore writes its op
# nodes the same way whenever the op has a Keras counterpart, so that Keras loads them, and
# reads Keras's. ``keras_ops.json`` (made from Keras by tools/make_keras_ops_table.py) says
# which arguments are the class's constructor's and which its ``call``'s.

#: kcore op names whose Keras function has another name.
_KERAS_NAMES = {"abs": "absolute", "getitem": "get_item"}
_KCORE_NAMES = {keras: kcore for kcore, keras in _KERAS_NAMES.items()}


@functools.lru_cache(maxsize=None)
def keras_ops():
    """``({kcore op name: entry}, {(module, class_name): kcore op name})`` from the table."""
    table = json.loads((pathlib.Path(__file__).with_name("keras_ops.json")).read_text())["ops"]
    by_name = {}
    for kcore_name, keras_name in list(_KERAS_NAMES.items()) + [(n, n) for n in table]:
        if keras_name in table:
            by_name.setdefault(kcore_name, table[keras_name])
    by_class = {}
    for name, entry in table.items():
        by_class[(entry["module"], entry["class_name"])] = name
    return by_name, by_class


def _op_to_keras(layer, model, node_key):
    """The Keras record of an OpLayer's (single) node, or ``None`` when Keras has no such op
    or the call does not fit Keras's signature (then kcore's own ``OpLayer`` record is
    written, which only kcore reads)."""
    entry = keras_ops()[0].get(layer.op_name)
    nodes = [n for n in layer._inbound_nodes if id(n) in model._network_nodes]
    fn = public_op(layer.op_name)
    if (entry is None or entry["var_call"] or len(nodes) != 1 or fn is None
            or fn is not layer._op):
        return None
    try:  # op_kwargs: the constructor arguments of an op read from a Keras file
        bound = inspect.signature(fn).bind(*nodes[0].args,
                                           **{**layer.op_kwargs, **nodes[0].kwargs}).arguments
    except TypeError:
        return None
    if any(p not in entry["init"] and p not in entry["call"] for p in bound):
        return None
    config = {"name": layer.name}
    for p in entry["init"]:
        if p in bound:
            value = bound[p]
            if isinstance(value, (KerasTensor, Layer)):
                return None
            config[p] = _lists(value)
    args, kwargs, gap = [], {}, False
    for p in entry["call"]:  # positional up to the first one left out, then by keyword
        if p not in bound:
            gap = True
        elif gap:
            kwargs[p] = bound[p]
        else:
            args.append(bound[p])
    return {"module": entry["module"], "class_name": entry["class_name"], "config": config,
            "registered_name": entry["class_name"], "name": layer.name,
            "inbound_nodes": [{"args": _serialize_arg(_lists(args), node_key),
                               "kwargs": _serialize_arg(_lists(kwargs), node_key)}]}


def _lists(value):
    """Tuples as lists, as Keras writes the arguments of its op nodes (a GetItem key)."""
    if isinstance(value, (list, tuple)):
        return [_lists(v) for v in value]
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    return value


def _op_from_keras(config):
    """An OpLayer for a Keras op record (``module`` ``keras.src.ops.*``)."""
    module, class_name = config.get("module"), config.get("class_name")
    name = keras_ops()[1].get((module, class_name))
    kcore_name = _KCORE_NAMES.get(name, name)
    if name is None or public_op(kcore_name) is None:
        raise ValueError(
            f"The model uses the Keras op {module}.{class_name}, which kcore does not "
            "implement. Rebuild the model in kcore with layers or kcore.ops that it has.")
    inner = dict(config.get("config") or {})
    layer_name = inner.pop("name", None) or config.get("name")
    return OpLayer(kcore_name, public=True, op_kwargs=inner, name=layer_name)


def _is_ref(value):
    return isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"


def _parse_nodes(layer_cfg):
    """Normalizes both inbound-node formats to ``[(args, kwargs, [refs])]``."""
    out = []
    for node in layer_cfg.get("inbound_nodes", []):
        if isinstance(node, dict):  # Keras 3
            out.append((node.get("args", []), node.get("kwargs", {})))
        else:  # tf.keras 2: [[name, node_index, tensor_index, kwargs], ...]
            refs = [{"class_name": "__keras_tensor__",
                     "config": {"keras_history": [r[0], r[1], r[2]]}} for r in node]
            kwargs = node[0][3] if node and len(node[0]) > 3 and node[0][3] else {}
            args = [refs[0] if len(refs) == 1 else refs]
            out.append((args, dict(kwargs)))
    return out


def functional_from_config(cls, config, custom_objects=None):
    """Rebuilds a Functional model (Keras 3 or tf.keras 2 config)."""
    layers = {}
    order = []
    for layer_cfg in config["layers"]:
        layer = deserialize_layer(layer_cfg, custom_objects)
        name = layer_cfg.get("name") or layer.name
        layers[name] = layer
        order.append((name, layer_cfg))
    outputs_of = {}  # (layer name, node index) -> flat output tensors
    for name, layer in layers.items():
        if isinstance(layer, InputLayer):
            outputs_of[(name, 0)] = [layer.output]
    pending = [(name, i, args, kwargs) for name, cfg in order
               for i, (args, kwargs) in enumerate(_parse_nodes(cfg))]

    def resolve(value):
        if _is_ref(value):
            lname, nidx, tidx = value["config"]["keras_history"]
            return outputs_of[(lname, nidx)][tidx]
        if isinstance(value, dict) and value.get("class_name") == "__slice__":
            c = value["config"]
            return slice(c.get("start"), c.get("stop"), c.get("step"))
        if isinstance(value, dict) and value.get("class_name") == "__ellipsis__":
            return Ellipsis
        if isinstance(value, dict) and value.get("class_name") == "__tuple__":
            return tuple(resolve(v) for v in value["config"]["value"])
        if isinstance(value, list):
            return [resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        return value

    def ready(value):
        if _is_ref(value):
            lname, nidx, _ = value["config"]["keras_history"]
            return (lname, nidx) in outputs_of
        if isinstance(value, dict) and value.get("class_name") == "__tuple__":
            return all(ready(v) for v in value["config"]["value"])
        if isinstance(value, list):
            return all(ready(v) for v in value)
        if isinstance(value, dict):
            return all(ready(v) for v in value.values())
        return True

    while pending:
        progressed = False
        remaining = []
        blocked = set()  # a layer's calls are replayed in their saved order
        for item in pending:
            name, node_index, args, kwargs = item
            if name not in blocked and ready(args) and ready(kwargs):
                out = layers[name](*resolve(args), **resolve(kwargs))
                offset = 1 if isinstance(layers[name], InputLayer) else 0
                outputs_of[(name, node_index + offset)] = [
                    t for t in _iter_nested(out) if isinstance(t, KerasTensor)]
                progressed = True
            else:
                blocked.add(name)
                remaining.append(item)
        if not progressed:
            missing = sorted({n for n, *_ in remaining})
            raise ValueError(f"Cannot rebuild the model graph: inputs of layers {missing} are never produced.")
        pending = remaining

    def struct(spec):
        if isinstance(spec, dict):
            return {k: struct(v) for k, v in spec.items()}
        if spec and isinstance(spec[0], str):
            lname, nidx, tidx = spec[:3]
            return outputs_of[(lname, nidx)][tidx]
        return [struct(s) for s in spec]

    inputs = struct(config["input_layers"])
    outputs = struct(config["output_layers"])
    if isinstance(inputs, list) and len(inputs) == 1:
        inputs = inputs[0]
    if isinstance(outputs, list) and len(outputs) == 1:
        outputs = outputs[0]
    from kcore.models.functional import Functional

    target = cls if isinstance(cls, type) and issubclass(cls, Functional) else Functional
    name, trainable = config.get("name"), config.get("trainable", True)
    try:
        return target(inputs, outputs, name=name, trainable=trainable)
    except TypeError:
        # A subclass whose __init__ takes other arguments: build the graph directly.
        model = Functional.__new__(target, inputs, outputs)
        Functional.__init__(model, inputs, outputs, name=name, trainable=trainable)
        return model
