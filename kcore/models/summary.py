"""``Model.summary()``: Keras 3's table of layers, output shapes and parameter counts."""

import numpy as np


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
    outs = nodes[0].flat_outputs
    shapes = [tuple(t.shape) for t in outs]
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
    return refs or ["-"]


def _row(cells, widths, left="│", mid="│", right="│", aligns=None):
    parts = []
    for i, (c, w) in enumerate(zip(cells, widths)):
        align = (aligns or ["<"] * len(cells))[i]
        parts.append(f" {c:{align}{w - 2}} ")
    return left + mid.join(parts) + right


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None):
    print_fn = print_fn or print
    from kcore.models.functional import Functional
    from kcore.models.sequential import Sequential

    graph = model._graph if isinstance(model, Sequential) else model
    functional = isinstance(graph, Functional)
    layers = list(model.layers)
    if isinstance(model, Sequential) and graph is not None:
        layers = [l for l in graph.layers if l in model.layers] or layers
    if layer_range is not None:
        names = [l.name for l in layers]
        start, end = names.index(layer_range[0]), names.index(layer_range[1])
        layers = layers[start:end + 1]
    show_connections = functional and not isinstance(model, Sequential) and any(
        len([t for n in l._inbound_nodes if id(n) in graph._network_nodes for t in n.input_tensors]) > 1
        for l in layers)
    headers = ["Layer (type)", "Output Shape", "Param #"]
    if show_connections:
        headers.append("Connected to")
    if show_trainable:
        headers.append("Trainable")
    rows = []
    for layer in layers:
        built = layer.built or bool(layer.weights)
        params = f"{layer.count_params():,}" if built else "0 (unbuilt)"
        shape = _output_shape(layer, graph) if functional else "?"
        row = [f"{layer.name} ({type(layer).__name__})", shape, params]
        if show_connections:
            row.append(_connected_to(layer, graph) if functional else ["-"])
        if show_trainable:
            row.append("Y" if layer.trainable else "N")
        rows.append(row)
    widths = [max(len(h), 20) + 2 for h in headers]
    widths[0] = max([len(headers[0])] + [len(r[0]) for r in rows]) + 2
    widths[1] = max([len(headers[1]), 22] + [len(r[1]) for r in rows]) + 2
    widths[2] = max([len(headers[2]), 13] + [len(r[2]) for r in rows]) + 2
    if show_connections:
        widths[3] = max([len(headers[3])] + [len(c) for r in rows for c in r[3]]) + 2
    if line_length:
        widths[0] = max(widths[0], line_length - sum(widths[1:]) - len(widths) - 1)
    aligns = ["<", "<", ">"] + ["<"] * (len(headers) - 3)
    print_fn(f'Model: "{model.name}"')
    print_fn("┏" + "┳".join("━" * w for w in widths) + "┓")
    print_fn(_row(headers, widths, "┃", "┃", "┃", aligns))
    print_fn("┡" + "╇".join("━" * w for w in widths) + "┩")
    for i, row in enumerate(rows):
        extra = row[3][1:] if show_connections else []
        cells = list(row)
        if show_connections:
            cells[3] = row[3][0]
        print_fn(_row(cells, widths, aligns=aligns))
        for more in extra:
            blanks = [""] * len(headers)
            blanks[3] = more
            print_fn(_row(blanks, widths, aligns=aligns))
        if i < len(rows) - 1:
            print_fn("├" + "┼".join("─" * w for w in widths) + "┤")
    print_fn("└" + "┴".join("─" * w for w in widths) + "┘")
    trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    all_w = model.weights
    print_fn(f" Total params: {_count(all_w):,} ({_fmt_bytes(_nbytes(all_w))})")
    print_fn(f" Trainable params: {_count(trainable):,} ({_fmt_bytes(_nbytes(trainable))})")
    print_fn(f" Non-trainable params: {_count(non_trainable):,} ({_fmt_bytes(_nbytes(non_trainable))})")
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(optimizer, "variables", None):
        ov = [v for v in optimizer.variables]
        print_fn(f" Optimizer params: {_count(ov):,} ({_fmt_bytes(_nbytes(ov))})")
