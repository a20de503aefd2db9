"""What ``plot_model`` draws for one layer, and the matplotlib renderer used without Graphviz.

A layer is drawn as Keras 3 draws it: a card whose black header reads
"**name** (ClassName)", then, as asked, a row "Activation: **relu**" and a row of cells
"Input shape: **(None, 64)**" | "Output shape: **(None, 128)**" | "Output dtype: **float32**"
| "Trainable" (green) or "Non-trainable" (red). Input layers show no input shape. The same
card becomes an HTML-like Graphviz label (``card_to_dot_label``) or is drawn with matplotlib
(``draw_graph``), which needs no Graphviz.
"""

import html

# Layout of a matplotlib drawing, in inches.
_CHAR_W, _LINE_H, _GAP_X, _GAP_Y, _FONT = 0.085, 0.32, 0.35, 0.45, 9
_COLORS = {"Trainable": "forestgreen", "Non-trainable": "firebrick"}


def layer_card(layer, shapes, options):
    """``(title, class_name, rows)`` for ``layer``; each row is a list of (label, value) cells.

    ``shapes(layer, inputs)`` gives the shape text; ``options`` holds ``plot_model``'s flags.
    """
    class_name = type(layer).__name__
    title = layer.name if options["show_layer_names"] else None
    rows = []
    activation = getattr(layer, "activation", None)
    if options["show_layer_activations"] and activation is not None:
        rows.append([("Activation: ", getattr(activation, "__name__", str(activation)))])
    cells = []
    if options["show_shapes"]:
        if class_name != "InputLayer":
            cells.append(("Input shape: ", shapes(layer, inputs=True)))
        cells.append(("Output shape: ", shapes(layer, inputs=False)))
    if options["show_dtype"]:
        cells.append(("Output dtype: ", _output_dtype(layer)))
    if options["show_trainable"] and layer.weights:
        cells.append(("Trainable" if layer.trainable else "Non-trainable", ""))
    if cells:
        rows.append(cells)
    return title, class_name, rows


def _output_dtype(layer):
    node = layer._inbound_nodes[0] if layer._inbound_nodes else None
    tensors = node.flat_outputs if node is not None else []
    return str(tensors[0].dtype) if tensors else "?"


def card_to_dot_label(card):
    """The card as a Graphviz HTML-like label (Keras's table)."""
    title, class_name, rows = card
    span = max([1] + [len(r) for r in rows])
    e = html.escape
    head = f"<b>{e(title)}</b> ({e(class_name)})" if title else f"<b>{e(class_name)}</b>"
    out = ['<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">',
           f'<tr><td colspan="{span}" bgcolor="black"><font point-size="16" color="white">'
           f"{head}</font></td></tr>"]
    for row in rows:
        cells = []
        for label, value in row:
            if label in _COLORS:
                cells.append(f'<td bgcolor="{_COLORS[label]}"><font point-size="14" '
                             f'color="white"><b>{label}</b></font></td>')
            else:
                colspan = f' colspan="{span}"' if len(row) == 1 and span > 1 else ""
                cells.append(f'<td bgcolor="white"{colspan}><font point-size="14">'
                             f"{e(label)}<b>{e(value)}</b></font></td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    return "".join(out) + "</table>>"


def _ranks(layers, edges):
    """The row of each layer: its depth from the inputs, then pulled down next to its
    consumers (as Graphviz keeps edges short), so a short branch does not cross a long one."""
    rank = {id(l): 0 for l in layers}
    for _ in layers:
        changed = False
        for src, dst in edges:
            if rank[id(dst)] < rank[id(src)] + 1:
                rank[id(dst)] = rank[id(src)] + 1
                changed = True
        if not changed:
            break
    for layer in reversed(layers):
        below = [rank[id(dst)] for src, dst in edges if src is layer]
        if below:
            rank[id(layer)] = min(below) - 1
    return rank


def _card_size(card):
    title, class_name, rows = card
    head = f"{title} ({class_name})" if title else class_name
    widths = [len(head) * 1.15] + [sum(len(a) + len(b) + 3 for a, b in row) for row in rows]
    return max(widths) * _CHAR_W + 0.3, _LINE_H * (1 + len(rows))


def draw_graph(layers, edges, cards, path, rankdir="TB", dpi=200):
    """Draws the cards and arrows with matplotlib (Agg) and saves the figure to ``path``."""
    from matplotlib.figure import Figure
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: F401 - Agg canvas

    rank = _ranks(layers, edges)
    sizes = {id(l): _card_size(cards[id(l)]) for l in layers}
    levels = {}
    for layer in layers:
        levels.setdefault(rank[id(layer)], []).append(layer)
    cell_w = max(w for w, _ in sizes.values()) + _GAP_X
    cell_h = max(h for _, h in sizes.values()) + _GAP_Y
    centers = {}
    for depth, members in levels.items():
        for i, layer in enumerate(members):
            offset = (i - (len(members) - 1) / 2) * (cell_w if rankdir == "TB" else cell_h)
            centers[id(layer)] = ((offset, -depth * cell_h) if rankdir == "TB"
                                  else (depth * cell_w, -offset))
    boxes = [(centers[id(l)], sizes[id(l)]) for l in layers]
    x0 = min(c[0] - w / 2 for c, (w, h) in boxes) - 0.2
    x1 = max(c[0] + w / 2 for c, (w, h) in boxes) + 0.2
    y0 = min(c[1] - h / 2 for c, (w, h) in boxes) - 0.2
    y1 = max(c[1] + h / 2 for c, (w, h) in boxes) + 0.2
    figure = Figure(figsize=(x1 - x0, y1 - y0), dpi=dpi)
    FigureCanvasAgg(figure)
    ax = figure.add_axes([0, 0, 1, 1])
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.axis("off")
    for src, dst in edges:
        _arrow(ax, centers[id(src)], sizes[id(src)], centers[id(dst)], sizes[id(dst)], rankdir)
    for layer in layers:
        _draw_card(ax, cards[id(layer)], centers[id(layer)], sizes[id(layer)])
    figure.savefig(path, dpi=dpi)
    return path


def _arrow(ax, a, a_size, b, b_size, rankdir):
    if rankdir == "TB":
        start, end = (a[0], a[1] - a_size[1] / 2), (b[0], b[1] + b_size[1] / 2)
    else:
        start, end = (a[0] + a_size[0] / 2, a[1]), (b[0] - b_size[0] / 2, b[1])
    ax.annotate("", xy=end, xytext=start,
                arrowprops=dict(arrowstyle="-|>", color="black", lw=1.0, shrinkA=0, shrinkB=0))


def _draw_card(ax, card, center, size):
    from matplotlib.patches import Rectangle

    title, class_name, rows = card
    width, height = size
    left, top = center[0] - width / 2, center[1] + height / 2
    ax.add_patch(Rectangle((left, top - _LINE_H), width, _LINE_H, facecolor="black",
                           edgecolor="black", zorder=2))
    head = (rf"$\bf{{{_tex(title)}}}$ ({class_name})" if title
            else rf"$\bf{{{_tex(class_name)}}}$")
    ax.text(center[0], top - _LINE_H / 2, head, color="white", ha="center", va="center",
            fontsize=_FONT + 1, zorder=3)
    for r, row in enumerate(rows, start=1):
        cell_w = width / len(row)
        y = top - _LINE_H * (r + 1)
        for c, (label, value) in enumerate(row):
            x = left + c * cell_w
            color = _COLORS.get(label, "white")
            ax.add_patch(Rectangle((x, y), cell_w, _LINE_H, facecolor=color,
                                   edgecolor="black", zorder=2))
            text = (rf"$\bf{{{_tex(label)}}}$" if label in _COLORS
                    else label + (rf"$\bf{{{_tex(value)}}}$" if value else ""))
            ax.text(x + cell_w / 2, y + _LINE_H / 2, text, ha="center", va="center",
                    fontsize=_FONT, color="white" if label in _COLORS else "black", zorder=3)


def _tex(text):
    """Escapes ``text`` for matplotlib's mathtext bold (spaces and specials kept literal)."""
    out = []
    for ch in str(text):
        if ch == " ":
            out.append(r"\ ")
        elif ch in "_$%#&{}^~\\":
            out.append("\\" + ch if ch in "_$%#&{}" else " ")
        else:
            out.append(ch)
    return "".join(out)
