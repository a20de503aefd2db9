"""``Model.summary()``: Keras 3's table of layers, output shapes and parameter counts.

The table is drawn with the box characters Keras's ``rich`` table uses, at Keras's default
widths (88 characters for a sequential-like model, 108 with the "Connected to" column); a
cell that does not fit widens its column rather than being cut. The figures are Keras's:
once the optimizer is built (by ``fit`` or ``optimizer.build``), "Total params" includes the
optimizer's variables and an "Optimizer params" line follows; before that there is none.
"""

import numpy as np

from kcore.layers.input_layer import OpLayer
from kcore.models.serialization import keras_ops

# Keras's default column widths (borders excluded, one space of padding each side included).
_SEQUENTIAL_WIDTHS = (38, 29, 17)
_FUNCTIONAL_WIDTHS = (31, 27, 17, 28)
_TRAINABLE_WIDTH = 11


def _fmt_bytes(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.2f} {unit}"
        n /= 1024.0
    return f"{n:.2f} GB"


def _count(weights):
    return int(sum(int(np.prod(w.shape)) for w in weights))


def _nbytes(weights):
    return int(sum(int(np.prod(w.shape)) * np.dtype(w.dtype).itemsize for w in weights))


def _output_shape(layer, model):
    nodes = [n for n in layer._inbound_nodes
             if model is None or id(n) in getattr(model, "_network_nodes", {id(n)})]
    if not nodes:
        return "?"
    shapes = [tuple(t.shape) for t in nodes[0].flat_outputs]
    if len(shapes) == 1:
        return str(shapes[0])
    return "[" + ", ".join(str(s) for s in shapes) + "]"


def _connected_to(layer, model):
    refs = []
    for node in layer._inbound_nodes:
        if id(node) not in model._network_nodes or node.is_input:
            continue
        for t in node.input_tensors:
            src, node_index, tensor_index = t._keras_history
            refs.append(f"{src.name}[{node_index}][{tensor_index}]")
    return ", ".join(refs) or "-"


def _wrap(text, width):
    """Word-wraps ``text`` to lines of at most ``width`` characters, as rich wraps a cell."""
    lines, current = [], ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if current and len(candidate) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    return lines + [current]


def _layers(model, layer_range):
    from kcore.models.sequential import Sequential

    graph_layers = getattr(model, "_graph_layers", None)  # a graph's ops too
    layers = list(model.layers if graph_layers is None else graph_layers)
    graph = model._graph if isinstance(model, Sequential) else model
    if isinstance(model, Sequential) and graph is not None:
        layers = [l for l in graph.layers if l in model.layers] or layers
    if layer_range is not None:
        names = [l.name for l in layers]
        missing = [n for n in layer_range if n not in names]
        if missing:
            raise ValueError(f"summary(layer_range={layer_range!r}): no layer named {missing[0]!r} "
                             f"in model {model.name!r}; its layers are {names}.")
        layers = layers[names.index(layer_range[0]):names.index(layer_range[1]) + 1]
    return layers, graph


def _class_name(layer):
    """The class Keras shows: an op's node shows its Keras operation class (``Sum``)."""
    if isinstance(layer, OpLayer):
        entry = keras_ops()[0].get(layer.op_name)
        if entry is not None:
            return entry["class_name"]
    return type(layer).__name__


def _rows(model, layers, graph, show_connections, show_trainable):
    from kcore.models.functional import Functional

    functional = isinstance(graph, Functional)
    rows = []
    for layer in layers:
        built = layer.built or bool(layer.weights)
        row = [f"{layer.name} ({_class_name(layer)})",
               _output_shape(layer, graph) if functional else "?",
               f"{layer.count_params():,}" if built else "0 (unbuilt)"]
        if show_connections:
            row.append(_connected_to(layer, graph))
        if show_trainable:
            row.append("Y" if layer.trainable else "N")
        rows.append(row)
    return rows


def _column_widths(headers, rows, show_connections, line_length, positions):
    widths = list(_FUNCTIONAL_WIDTHS if show_connections else _SEQUENTIAL_WIDTHS)
    if len(headers) > len(widths):
        widths.append(_TRAINABLE_WIDTH)
    if line_length:
        positions = positions or ([0.3, 0.6, 0.7, 1.0] if show_connections else [0.45, 0.84, 1.0])
        inner = line_length - len(widths) - 1
        bounds = [int(p * inner) for p in positions[:len(widths)]]
        widths = [b - a for a, b in zip([0] + bounds[:-1], bounds)] + widths[len(bounds):]
    for i, header in enumerate(headers):
        # A cell wraps at spaces; only a word longer than its column widens the column.
        longest = max(len(word) for cell in [header] + [r[i] for r in rows]
                      for word in cell.split(" "))
        widths[i] = max(widths[i], longest + 2)
    return widths


def _line(cells, widths, aligns, edge="│"):
    return edge + edge.join(f" {c:{a}{w - 2}} " for c, w, a in zip(cells, widths, aligns)) + edge


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None):
    """Prints ``model``'s summary table and totals through ``print_fn`` (default ``print``)."""
    print_fn = print_fn or print
    from kcore.models.functional import Functional
    from kcore.models.sequential import Sequential

    layers, graph = _layers(model, layer_range)
    show_connections = (isinstance(graph, Functional) and not isinstance(model, Sequential)
                        and not _sequential_like(graph))
    headers = ["Layer (type)", "Output Shape", "Param #"]
    headers += ["Connected to"] if show_connections else []
    headers += ["Trainable"] if show_trainable else []
    rows = _rows(model, layers, graph, show_connections, show_trainable)
    widths = _column_widths(headers, rows, show_connections, line_length, positions)
    aligns = ["<", "<", ">"] + ["<"] * (len(headers) - 3)
    if show_trainable:
        aligns[-1] = "^"
    out = [f'Model: "{model.name}"',
           "┏" + "┳".join("━" * w for w in widths) + "┓",
           _line(headers, widths, aligns, "┃"),
           "┡" + "╇".join("━" * w for w in widths) + "┩"]
    for i, row in enumerate(rows):
        wrapped = [_wrap(cell, w - 2) for cell, w in zip(row, widths)]
        for k in range(max(len(w) for w in wrapped)):
            out.append(_line([w[k] if k < len(w) else "" for w in wrapped], widths, aligns))
        out.append(("├" + "┼".join("─" * w for w in widths) + "┤") if i < len(rows) - 1 else
                   ("└" + "┴".join("─" * w for w in widths) + "┘"))
    if not rows:
        out.append("└" + "┴".join("─" * w for w in widths) + "┘")
    out.extend(_totals(model))
    for line in out:
        print_fn(line)


def _sequential_like(model):
    """Keras's test: every layer has at most one inbound node with at most one input tensor."""
    for layer in model._graph_layers:
        nodes = [n for n in layer._inbound_nodes
                 if id(n) in model._network_nodes and not n.is_input]
        if len(nodes) > 1 or any(len(n.input_tensors) > 1 for n in nodes):
            return False
    return True


def _totals(model):
    """The totals lines. The optimizer counts only once it is built, as in Keras."""
    trainable, non_trainable = model.trainable_weights, model.non_trainable_weights
    optimizer = getattr(model, "optimizer", None)
    opt_vars = list(optimizer.variables) if getattr(optimizer, "built", False) else []
    every = list(model.weights) + opt_vars
    lines = [f" Total params: {_count(every):,} ({_fmt_bytes(_nbytes(every))})",
             f" Trainable params: {_count(trainable):,} ({_fmt_bytes(_nbytes(trainable))})",
             f" Non-trainable params: {_count(non_trainable):,} "
             f"({_fmt_bytes(_nbytes(non_trainable))})"]
    if opt_vars:
        lines.append(f" Optimizer params: {_count(opt_vars):,} ({_fmt_bytes(_nbytes(opt_vars))})")
    return lines
