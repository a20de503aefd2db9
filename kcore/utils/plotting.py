"""Plots: training curves (``plot_history``, matplotlib) and model graphs (``plot_model``, DOT).

Both import their dependencies lazily: importing kcore never imports matplotlib, and
``plot_model`` needs nothing but the standard library to write DOT text. An image is
rendered by the Graphviz ``dot`` program when installed, else drawn with matplotlib.
"""

import importlib.util
import os
import shutil
import subprocess
import warnings

from kcore.utils.model_drawing import card_to_dot_label, draw_graph, layer_card

_IMAGE_FORMATS = ("png", "svg", "pdf", "jpg", "jpeg", "gif")


# -- training curves ------------------------------------------------------------------------


def plot_history(history, path, metrics=None):
    """Writes a PNG with one panel per metric: the training curve and its ``val_`` twin.

    matplotlib is imported when called and drawn through its Agg canvas directly, so the
    global pyplot backend of a notebook is left alone.

    Args:
        history: the ``History`` returned by ``fit``, or its ``.history`` dict
            (``{key: [value per epoch]}``).
        path: the image file to write (``.png``; ``.svg``/``.pdf`` work too).
        metrics: base names to plot (``["loss", "accuracy"]``); default: every key of
            the history that is not a ``val_`` key, in order. A ``learning_rate``
            panel uses a log scale.

    Returns:
        ``path`` as a string.

    Raises:
        ImportError: matplotlib is not installed (``pip install kcore[plot]``).
        ValueError: an empty history, or a metric it does not contain.

    Example:
        >>> history = model.fit(x, y, epochs=5, validation_split=0.2)
        >>> kcore.utils.plot_history(history, "curves.png", metrics=["loss", "accuracy"])
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs or not any(len(v) for v in logs.values()):
        raise ValueError(f"plot_history needs a History from fit() (or its .history dict) "
                         f"with at least one epoch; got {history!r}.")
    metrics = _history_panels(logs, metrics)
    epochs = getattr(history, "epoch", None) or range(len(logs[metrics[0]]))
    steps = [e + 1 for e in epochs]
    figure, canvas = _agg_figure(len(metrics))
    for index, name in enumerate(metrics):
        axes = figure.add_subplot(1, len(metrics), index + 1)
        for key, label in ((name, "train"), ("val_" + name, "validation")):
            if key in logs:
                values = [float(v) for v in logs[key]]
                axes.plot(steps[-len(values):], values, marker="o", markersize=3, label=label)
        if name in ("learning_rate", "lr") and all(v > 0 for v in logs.get(name, [0])):
            axes.set_yscale("log")
        axes.set_title(name)
        axes.set_xlabel("epoch")
        axes.grid(alpha=0.3)
        if "val_" + name in logs:
            axes.legend()
    figure.tight_layout()
    path = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    canvas.print_figure(path, dpi=100)
    return path


def _history_panels(logs, metrics):
    available = [k for k in logs if not k.startswith("val_")]
    available += [k[4:] for k in logs if k.startswith("val_") and k[4:] not in logs]
    if metrics is None:
        return available
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    missing = [m for m in metrics if m not in logs and "val_" + m not in logs]
    if missing:
        raise ValueError(f"plot_history: {missing} not in the history; it has {sorted(logs)}.")
    return metrics


def _agg_figure(panels):
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError("plot_history needs matplotlib: pip install 'kcore[plot]' "
                          "(or pip install matplotlib).") from exc
    figure = Figure(figsize=(4.2 * panels, 3.4))
    return figure, FigureCanvasAgg(figure)


# -- model graphs ---------------------------------------------------------------------------


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=True, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False):
    """Draws a Functional or Sequential model as a Graphviz graph.

    The graph is built from the model's layers and the nodes recorded when they were
    called (``layer._inbound_nodes``), so it shows exactly the connections the model
    runs: branches, merges, shared layers and (with ``expand_nested``) nested models.

    Each layer is drawn as Keras draws it: a card with "name (ClassName)" on a black
    header and, as asked, its activation, input and output shapes, dtype and trainable
    state. ``to_file`` ending in ``.dot`` gets the DOT text. An image (``.png``, ``.svg``,
    ``.pdf``, ``.jpg``) is rendered by Graphviz's ``dot`` program when it is on ``PATH``;
    otherwise matplotlib draws the same cards and arrows (nested models as one card);
    without either, the DOT text is written next to it (``model.png`` -> ``model.dot``)
    with a warning, instead of failing as Keras does without pydot.

    Args:
        model: a built Functional or Sequential model.
        to_file: the file to write.
        show_shapes: show each layer's input and output shapes.
        show_dtype: show each layer's dtype.
        show_layer_names: show layer names (else only class names).
        rankdir: ``"TB"`` (top to bottom) or ``"LR"`` (left to right).
        expand_nested: draw the layers of nested models inside a box.
        dpi: resolution of a rendered image.
        show_layer_activations: show the activation of layers that have one.
        show_trainable: mark each layer as trainable or frozen.

    Returns:
        The path of the file written, as a string.

    Raises:
        ValueError: a subclassed model (no static graph), an unbuilt Sequential model,
            or a bad ``rankdir``.
        RuntimeError: ``dot`` is installed but failed to render.

    Example:
        >>> kcore.utils.plot_model(model, "model.dot", show_shapes=True)
    """
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"plot_model(rankdir=...) must be 'TB' or 'LR', got {rankdir!r}.")
    options = dict(show_shapes=show_shapes, show_dtype=show_dtype,
                   show_layer_names=show_layer_names, expand_nested=expand_nested,
                   show_layer_activations=show_layer_activations, show_trainable=show_trainable)
    text = model_to_dot(model, rankdir=rankdir, dpi=dpi, **options)
    to_file = os.fspath(to_file)
    base, ext = os.path.splitext(to_file)
    fmt = ext[1:].lower()
    os.makedirs(os.path.dirname(os.path.abspath(to_file)), exist_ok=True)
    if fmt == "dot" or fmt not in _IMAGE_FORMATS:
        return _write_text(to_file if fmt == "dot" else to_file + ".dot", text)
    dot = shutil.which("dot")
    if dot is None and importlib.util.find_spec("matplotlib") is not None and fmt != "gif":
        return _draw_with_matplotlib(model, to_file, rankdir, dpi, options)
    if dot is None:
        written = _write_text(base + ".dot", text)
        warnings.warn(f"plot_model: Graphviz's 'dot' program was not found, so {to_file} was not "
                      f"rendered; wrote the graph to {written} instead. Install Graphviz "
                      f"(e.g. apt install graphviz) and run: dot -T{fmt} {written} -o {to_file}",
                      RuntimeWarning, stacklevel=3)
        return written
    result = subprocess.run([dot, f"-T{fmt}", "-o", to_file], input=text, text=True,
                            capture_output=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"plot_model: 'dot -T{fmt}' failed for {to_file}: "
                           f"{result.stderr.strip()}")
    return to_file


def _draw_with_matplotlib(model, to_file, rankdir, dpi, options):
    graph = _static_graph(model)
    layers = list(graph._graph_layers)
    cards = {id(l): layer_card(l, _shapes, options) for l in layers}
    return draw_graph(layers, _edges(graph), cards, to_file, rankdir=rankdir, dpi=dpi)


def model_to_dot(model, rankdir="TB", dpi=200, **options):
    """The Graphviz DOT text of a Functional or Sequential model (see ``plot_model``)."""
    graph = _static_graph(model)
    lines = [f'digraph "{_escape(model.name)}" {{',
             f'  graph [rankdir={rankdir}, dpi={int(dpi)}, concentrate=true];',
             '  node [shape=plain, fontname="Helvetica", margin=0];']
    _GraphWriter(lines, options).add_model(graph, prefix="", indent="  ")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _static_graph(model):
    from kcore.models.functional import Functional
    from kcore.models.sequential import Sequential

    if isinstance(model, Sequential):
        if model._graph is None:
            raise ValueError(f"plot_model: the Sequential model {model.name!r} is not built; "
                             "start it with kcore.Input(shape) or call model.build(input_shape).")
        return model._graph
    if isinstance(model, Functional):
        return model
    raise ValueError(f"plot_model draws Functional and Sequential models; {model.name!r} is a "
                     f"subclassed {type(model).__name__} with no static graph of layer calls.")


class _GraphWriter:
    """Appends DOT statements for a model's layers and edges (recursing into nested models)."""

    def __init__(self, lines, options):
        self.lines = lines
        self.options = options
        self.cluster_count = 0

    def add_model(self, graph, prefix, indent):
        """Writes the layers of ``graph``; returns ``{id(layer): (entry ids, exit ids)}``."""
        ends = {}
        for layer in graph._graph_layers:
            inner = self._nested_graph(layer)
            if inner is not None and self.options["expand_nested"]:
                ends[id(layer)] = self._add_cluster(layer, inner, prefix, indent)
            else:
                node_id = f"{prefix}{layer.name}"
                label = card_to_dot_label(layer_card(layer, _shapes, self.options))
                self.lines.append(f'{indent}"{_escape(node_id)}" [label={label}];')
                ends[id(layer)] = ([node_id], [node_id])
        for src, dst in _edges(graph):
            for a in ends[id(src)][1]:
                for b in ends[id(dst)][0]:
                    self.lines.append(f'{indent}"{_escape(a)}" -> "{_escape(b)}";')
        return ends

    def _add_cluster(self, layer, inner, prefix, indent):
        self.cluster_count += 1
        self.lines.append(f"{indent}subgraph cluster_{self.cluster_count} {{")
        self.lines.append(f'{indent}  label="{_escape(layer.name)} ({type(layer).__name__})";')
        self.lines.append(f"{indent}  style=dashed;")
        inner_ends = self.add_model(inner, f"{prefix}{layer.name}/", indent + "  ")
        self.lines.append(f"{indent}}}")
        entries = [n for t in inner.inputs for n in inner_ends[id(t._keras_history[0])][0]]
        exits = [n for t in inner.outputs for n in inner_ends[id(t._keras_history[0])][1]]
        return entries, exits

    @staticmethod
    def _nested_graph(layer):
        from kcore.models.functional import Functional
        from kcore.models.sequential import Sequential

        if isinstance(layer, Sequential):
            return layer._graph
        return layer if isinstance(layer, Functional) else None


def _edges(graph):
    """(source layer, target layer) pairs of ``graph``, in order, without duplicates."""
    seen, edges = set(), []
    for layer in graph._graph_layers:
        for node in layer._inbound_nodes:
            if id(node) not in graph._network_nodes:
                continue
            for tensor in node.input_tensors:
                src = tensor._keras_history[0]
                if (id(src), id(layer)) not in seen:
                    seen.add((id(src), id(layer)))
                    edges.append((src, layer))
    return edges


def _shapes(layer, inputs):
    node = layer._inbound_nodes[0] if layer._inbound_nodes else None
    if node is None:
        return "?"
    tensors = node.input_tensors if inputs and not node.is_input else node.flat_outputs
    shapes = [tuple(t.shape) for t in tensors]
    text = ", ".join(str(s) for s in shapes)
    return text if len(shapes) == 1 else f"[{text}]"


def _write_text(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def _escape(text):
    return str(text).replace("\\", "\\\\").replace('"', '\\"')


__all__ = ["plot_history", "plot_model", "model_to_dot"]
