"""``plot_model``: Keras's layer cards, as DOT text and as a matplotlib drawing without Graphviz."""

import numpy as np
import pytest

import kcore
from kcore.utils.model_drawing import card_to_dot_label, layer_card
from kcore.utils.plotting import _shapes

ALL = dict(show_shapes=True, show_dtype=True, show_layer_names=True,
           show_layer_activations=True, show_trainable=True, expand_nested=False)


def two_branch_model():
    a = kcore.Input((8,), name="metadata")
    b = kcore.Input((12,), dtype="int32", name="title")
    m = kcore.layers.Dense(32, activation="relu", name="dense")(a)
    t = kcore.layers.Embedding(50, 16, name="embedding")(b)
    t = kcore.layers.GlobalAveragePooling1D(name="pool")(t)
    x = kcore.layers.Concatenate(name="concatenate")([m, t])
    return kcore.Model([a, b], kcore.layers.Dense(1, name="price")(x), name="price_model")


def test_cards_read_as_keras_draws_them():
    model = two_branch_model()
    model.get_layer("embedding").trainable = False
    card = layer_card(model.get_layer("dense"), _shapes, ALL)
    assert card == ("dense", "Dense", [
        [("Activation: ", "relu")],
        [("Input shape: ", "(None, 8)"), ("Output shape: ", "(None, 32)"),
         ("Output dtype: ", "float32"), ("Trainable", "")]])
    title, _, rows = layer_card(model.get_layer("title"), _shapes, ALL)
    assert rows == [[("Output shape: ", "(None, 12)"), ("Output dtype: ", "int32")]]
    _, _, rows = layer_card(model.get_layer("embedding"), _shapes, ALL)
    assert rows[-1][-1] == ("Non-trainable", "")
    _, _, rows = layer_card(model.get_layer("concatenate"), _shapes, ALL)
    assert rows[0][0] == ("Input shape: ", "[(None, 32), (None, 16)]")
    no_names = dict(ALL, show_layer_names=False, show_shapes=False, show_dtype=False,
                    show_trainable=False, show_layer_activations=False)
    assert layer_card(model.get_layer("dense"), _shapes, no_names) == (None, "Dense", [])


def test_dot_text_has_keras_html_labels_and_every_edge(tmp_path):
    model = two_branch_model()
    path = kcore.utils.plot_model(model, tmp_path / "m.dot", show_shapes=True)
    text = (tmp_path / "m.dot").read_text()
    assert path == str(tmp_path / "m.dot") and text.startswith('digraph "price_model"')
    assert '<b>dense</b> (Dense)' in text and "Output shape: <b>(None, 32)</b>" in text
    for src, dst in [("metadata", "dense"), ("title", "embedding"), ("embedding", "pool"),
                     ("dense", "concatenate"), ("pool", "concatenate"),
                     ("concatenate", "price")]:
        assert f'"{src}" -> "{dst}";' in text
    label = card_to_dot_label(("a<b", "Dense", [[("Trainable", "")]]))
    assert "<b>a&lt;b</b>" in label and 'bgcolor="forestgreen"' in label


def test_png_drawn_with_matplotlib_when_dot_is_missing(tmp_path, monkeypatch):
    import matplotlib.image

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no Graphviz `dot` to be found
    model = two_branch_model()
    model.get_layer("embedding").trainable = False
    ratios = {}
    for rankdir in ("TB", "LR"):
        path = kcore.utils.plot_model(model, tmp_path / f"{rankdir}.png", rankdir=rankdir,
                                      dpi=60, **ALL)
        assert path == str(tmp_path / f"{rankdir}.png")
        image = matplotlib.image.imread(path)[..., :3]
        ratios[rankdir] = image.shape[1] / image.shape[0]
        black = np.all(image < 0.05, axis=-1).mean()
        green = np.all(np.abs(image - [34 / 255, 139 / 255, 34 / 255]) < 0.05, axis=-1).sum()
        red = np.all(np.abs(image - [178 / 255, 34 / 255, 34 / 255]) < 0.05, axis=-1).sum()
        assert black > 0.01 and green > 50 and red > 50  # headers, Trainable, Non-trainable
    assert not list(tmp_path.glob("*.dot"))
    assert ratios["LR"] > 2 * ratios["TB"]  # five ranks across instead of down


def test_sequential_png_without_dot(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    model = kcore.Sequential([kcore.Input((4,)), kcore.layers.Dense(2)])
    path = kcore.utils.plot_model(model, tmp_path / "seq.png", show_shapes=True, dpi=50)
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_op_nodes_are_drawn_although_model_layers_leaves_them_out(tmp_path):
    x = kcore.Input((3,), name="x")
    h = kcore.layers.Dense(4, name="d")(x)
    model = kcore.Model(x, kcore.layers.Dense(2, name="o")(
        kcore.ops.sum(h * 2.0, axis=-1, keepdims=True)))
    assert [layer.name for layer in model.layers] == ["x", "d", "o"]
    kcore.utils.plot_model(model, tmp_path / "m.dot")
    text = (tmp_path / "m.dot").read_text()
    ops = [entry["name"] for entry in model.get_config()["layers"]][2:4]  # unique names
    assert ops[0].startswith("multiply") and ops[1].startswith("sum")
    for src, dst in [("d", ops[0]), (ops[0], ops[1]), (ops[1], "o")]:
        assert f'"{src}" -> "{dst}";' in text
