"""The three ways to build a model, their configs, and graph errors."""

import json

import numpy as np
import pytest

import kcore
from kcore import layers


def _weights(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(5, 8)).astype("float32"), rng.normal(size=8).astype("float32"),
            rng.normal(size=(8, 3)).astype("float32"), rng.normal(size=3).astype("float32")]


def _sequential():
    return kcore.Sequential([kcore.Input((5,)), layers.Dense(8, activation="tanh"),
                             layers.Dense(3, activation="softmax")])


def _functional():
    inputs = kcore.Input((5,))
    h = layers.Dense(8, activation="tanh")(inputs)
    return kcore.Model(inputs, layers.Dense(3, activation="softmax")(h))


class _Subclassed(kcore.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(8, activation="tanh")
        self.out = layers.Dense(3, activation="softmax")

    def call(self, inputs, training=None):
        return self.out(self.hidden(inputs))


def test_three_styles_give_identical_outputs_and_gradients():
    x = np.random.default_rng(1).normal(size=(4, 5)).astype("float32")
    y = np.eye(3, dtype="float32")[[0, 1, 2, 0]]
    results = []
    for build in (_sequential, _functional, _Subclassed):
        model = build()
        model(x)
        model.set_weights(_weights())
        with kcore.GradientTape() as tape:
            out = model(x)
            loss = kcore.losses.categorical_crossentropy(y, out)
            loss = kcore.ops.mean(loss)
        grads = tape.gradient(loss, model.trainable_weights)
        results.append((out.numpy(), [g.numpy() for g in grads]))
    for out, grads in results[1:]:
        np.testing.assert_array_equal(out, results[0][0])
        for g, g0 in zip(grads, results[0][1]):
            np.testing.assert_array_equal(g, g0)


def test_sequential_add_pop_and_deferred_build():
    model = kcore.Sequential()
    model.add(layers.Dense(4))
    model.add(layers.Dense(2))
    assert not model.built
    out = model(np.ones((3, 6), "float32"))
    assert out.shape == (3, 2) and model.built
    assert [w.shape for w in model.weights] == [(6, 4), (4,), (4, 2), (2,)]
    popped = model.pop()
    assert isinstance(popped, layers.Dense) and len(model.layers) == 1
    with pytest.raises(TypeError, match="kcore layer"):
        model.add("dense")
    dup = layers.Dense(3, name="same")
    model.add(dup)
    with pytest.raises(ValueError, match="unique names"):
        model.add(layers.Dense(3, name="same"))


def test_automatic_names_are_unique_as_in_keras():
    kcore.utils.clear_session()
    a, b = layers.Dense(1), layers.Dense(1)
    assert (a.name, b.name) == ("dense", "dense_1")
    assert layers.Dense(1, name="x").name == "x"


def test_functional_config_round_trip_and_json():
    kcore.utils.clear_session()
    a = kcore.Input((4,), name="a")
    b = kcore.Input((2,), name="b")
    shared = layers.Dense(3, name="shared")
    merged = layers.Concatenate(name="merge")([shared(a), layers.Dense(3, name="side")(b)])
    out = layers.Dense(1, name="out")(merged)
    model = kcore.Model([a, b], out, name="price")
    config = model.get_config()
    # Keras orders by depth from the inputs: both inputs, both Dense, merge, output.
    assert [l["name"] for l in config["layers"]] == ["a", "b", "shared", "side", "merge", "out"]
    node = config["layers"][4]["inbound_nodes"][0]
    assert node["args"][0][0]["class_name"] == "__keras_tensor__"
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    clone = kcore.Model.from_config(config)
    rebuilt = type(model).from_config(json.loads(json.dumps(config)))
    rebuilt.set_weights(model.get_weights())
    xa, xb = np.ones((2, 4), "float32"), np.ones((2, 2), "float32")
    np.testing.assert_allclose(rebuilt([xa, xb]).numpy(), model([xa, xb]).numpy(), rtol=1e-6)
    assert json.loads(model.to_json())["class_name"] == "Functional"
    assert clone is not None


def test_sequential_config_round_trip():
    model = _sequential()
    config = model.get_config()
    assert config["layers"][0]["class_name"] == "InputLayer"
    rebuilt = kcore.Sequential.from_config(config)
    rebuilt.set_weights(model.get_weights())
    x = np.ones((2, 5), "float32")
    np.testing.assert_allclose(rebuilt(x).numpy(), model(x).numpy(), rtol=1e-6)


def test_tf_keras_style_inbound_nodes_are_read():
    config = {
        "name": "m", "layers": [
            {"class_name": "InputLayer", "name": "inp",
             "config": {"batch_input_shape": [None, 3], "dtype": "float32", "name": "inp"},
             "inbound_nodes": []},
            {"class_name": "Dense", "name": "d", "config": {"name": "d", "units": 2},
             "inbound_nodes": [[["inp", 0, 0, {}]]]},
        ],
        "input_layers": [["inp", 0, 0]], "output_layers": [["d", 0, 0]]}
    model = kcore.models.Functional.from_config(config)
    assert model(np.ones((1, 3), "float32")).shape == (1, 2)


def test_shared_layer_has_one_weight_set_and_nested_models():
    kcore.utils.clear_session()
    encoder_in = kcore.Input((6,))
    encoder = kcore.Model(encoder_in, layers.Dense(4, activation="relu")(encoder_in), name="encoder")
    left, right = kcore.Input((6,), name="left"), kcore.Input((6,), name="right")
    distance = layers.Subtract()([encoder(left), encoder(right)])
    siamese = kcore.Model([left, right], layers.Dense(1)(distance))
    assert len(siamese.weights) == 4  # encoder kernel+bias once, head kernel+bias
    x = np.random.default_rng(0).normal(size=(3, 6)).astype("float32")
    np.testing.assert_allclose(siamese([x, x]).numpy(),
                               np.broadcast_to(siamese.layers[-1].bias.numpy(), (3, 1)), atol=1e-6)
    assert siamese.get_layer("encoder") is encoder
    assert siamese.get_layer(index=0).name == "left"
    with pytest.raises(ValueError, match="No such layer"):
        siamese.get_layer("nope")


def test_inception_and_residual_graphs():
    inputs = kcore.Input((8, 8, 3))
    branches = [layers.Conv2D(4, 1, padding="same")(inputs),
                layers.Conv2D(4, 3, padding="same")(inputs),
                layers.MaxPooling2D(3, strides=1, padding="same")(inputs)]
    merged = layers.Concatenate()(branches)
    residual = layers.Add()([layers.Conv2D(11, 3, padding="same")(merged), merged])
    model = kcore.Model(inputs, layers.GlobalAveragePooling2D()(residual))
    assert model.output_shape == (None, 11)
    assert model(np.zeros((2, 8, 8, 3), "float32")).shape == (2, 11)


def test_graph_errors_name_the_problem():
    a, b = kcore.Input((2,), name="in_a"), kcore.Input((2,), name="in_b")
    with pytest.raises(ValueError, match="Graph disconnected.*in_b"):
        kcore.Model(a, layers.Dense(1)(b))
    d1, d2 = layers.Dense(2, name="twin"), layers.Dense(2, name="twin")
    with pytest.raises(ValueError, match="'twin' is used 2 times"):
        kcore.Model(a, d2(d1(a)))
    model = kcore.Model(a, layers.Dense(1)(a))
    with pytest.raises(ValueError, match="expects 1 input"):
        model([np.ones((1, 2)), np.ones((1, 2))])


def test_input_spec_errors_suggest_a_fix():
    model = kcore.Sequential([kcore.Input((784,)), layers.Dense(10)])
    with pytest.raises(ValueError, match="784.*Flatten|Flatten"):
        layers.Dense(10, name="dense_x").build((None, 784)) or model.layers[0](np.ones((32, 28, 28)))


def test_training_flag_reaches_nested_layers():
    seen = []

    class Probe(layers.Layer):
        def call(self, inputs, training=None):
            seen.append(training)
            return inputs

    inner = kcore.Sequential([Probe()])
    outer_in = kcore.Input((2,))
    outer = kcore.Model(outer_in, inner(outer_in))
    seen.clear()
    outer(np.ones((1, 2), "float32"), training=True)
    outer(np.ones((1, 2), "float32"))
    assert seen == [True, None] or seen == [True, False]


def test_summary_lists_layers_and_totals():
    lines = []
    _functional().summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Total params: 75" in text and "Trainable params: 75" in text
    assert "Output Shape" in text and "(None, 3)" in text


def test_custom_layer_tracks_weights_in_lists_and_dicts():
    class Block(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.stack = [layers.Dense(3), layers.Dense(3)]
            self.heads = {"a": layers.Dense(1)}

        def build(self, input_shape):
            self.scale = self.add_weight(shape=(), initializer="ones", name="scale")

        def call(self, inputs):
            h = self.stack[1](self.stack[0](inputs))
            return self.heads["a"](h) * self.scale

    block = Block()
    block(np.ones((2, 4), "float32"))
    assert len(block.weights) == 7 and block.weights[0].name == "scale"
    block.trainable = False
    assert block.trainable_weights == [] and len(block.non_trainable_weights) == 7


def test_layer_input_and_output_for_feature_extraction():
    inputs = kcore.Input((4,), name="x")
    hidden = layers.Dense(3, name="h")(inputs)
    model = kcore.Model(inputs, layers.Dense(1)(hidden))
    features = kcore.Model(model.input, model.get_layer("h").output)
    assert features(np.ones((2, 4), "float32")).shape == (2, 3)
    assert model.get_layer("x").output is inputs
    shared = layers.Dense(2)
    shared(inputs)
    shared(kcore.Input((4,)))
    with pytest.raises(AttributeError, match="called 2 times"):
        shared.output
    with pytest.raises(AttributeError, match="never been called"):
        layers.Dense(2).output


def test_config_round_trip_keeps_the_node_order_of_shared_layers():
    """A shared layer whose later call becomes ready first must not swap its calls."""
    kcore.utils.clear_session()
    a = kcore.Input((4,))
    shared = layers.Dense(4, name="shared")
    first = layers.Dense(4, name="first")
    y = shared(first(a))            # node 0 of `shared` needs `first` first
    w = layers.Dense(2, name="chain")(shared(a))   # node 1 is ready immediately
    model = kcore.Model(a, [w, y])
    clone = kcore.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    for got, want in zip(clone(x), model(x)):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


def test_frozen_layers_freeze_their_variables_and_penalties():
    dense = layers.Dense(3, kernel_regularizer="l2")
    model = kcore.Sequential([kcore.Input((2,)), dense, layers.Dense(1)])
    dense.trainable = False
    assert not dense.kernel.trainable and len(model.trainable_weights) == 2
    assert dense.losses == []
    dense.trainable = True
    assert dense.kernel.trainable and len(model.trainable_weights) == 4
    dense.kernel.trainable = False  # a single variable, after the cache was built
    assert len(model.trainable_weights) == 3


def test_losses_do_not_pile_up_across_calls_and_training_default_is_used():
    inputs = kcore.Input((2,))
    model = kcore.Model(inputs, layers.Dense(2, activity_regularizer="l2")(inputs))
    for _ in range(3):
        model(np.ones((1, 2), "float32"))
    assert len(model.losses) == 1
    seen = []

    class Probe(layers.Layer):
        def call(self, inputs, training=True):
            seen.append(training)
            return inputs

    Probe()(np.ones((1, 2), "float32"))
    assert seen == [True]


def test_gradient_inside_stop_recording():
    w = kcore.Variable(np.array([2.0], "float32"))
    with kcore.GradientTape() as tape:
        y = w * w
        with tape.stop_recording():
            g = tape.gradient(y, w)
    assert float(g.numpy()[0]) == 4.0


def test_building_a_graph_does_not_change_layer_state_or_random_streams():
    class ComputeSum(layers.Layer):
        def build(self, input_shape):
            self.total = self.add_weight(shape=(input_shape[-1],), initializer="zeros",
                                         trainable=False, name="total")

        def call(self, inputs):
            self.total.assign_add(kcore.ops.sum(inputs, axis=0))
            return inputs

    layer = ComputeSum()
    inputs = kcore.Input((3,))
    kcore.utils.set_random_seed(1)
    kcore.Model(inputs, layers.Dropout(0.5)(layer(inputs), training=True))
    np.testing.assert_array_equal(layer.total.numpy(), np.zeros(3))
    after_build = kcore.random.uniform((2,)).numpy()
    kcore.utils.set_random_seed(1)
    np.testing.assert_array_equal(after_build, kcore.random.uniform((2,)).numpy())


def test_unknown_axes_stay_unknown_through_pooling_and_reshape():
    assert layers.MaxPooling2D(2)(kcore.Input((None, None, 3))).shape == (None, None, None, 3)
    assert layers.Reshape((-1, 2))(kcore.Input((None,))).shape == (None, None, 2)


def test_functional_model_with_slicing_saves_and_reloads(tmp_path):
    inputs = kcore.Input((4,))
    outputs = layers.Dense(2)(inputs[:, :2] * 2.0)
    model = kcore.Model(inputs, outputs)
    x = np.arange(8, dtype="float32").reshape(2, 4)
    json_model = kcore.models.model_from_json(model.to_json())
    json_model.set_weights(model.get_weights())
    np.testing.assert_allclose(json_model(x).numpy(), model(x).numpy(), rtol=1e-6)
    model.save(tmp_path / "sliced.h5")
    reloaded = kcore.models.load_model(tmp_path / "sliced.h5")
    np.testing.assert_allclose(reloaded(x).numpy(), model(x).numpy(), rtol=1e-6)


def test_dict_input_model_refuses_a_list_and_says_how_to_pass_the_data():
    ib, ia = kcore.Input((2,), name="b"), kcore.Input((3,), name="a")
    model = kcore.Model({"b": ib, "a": ia}, layers.Concatenate()([ib, ia]))
    xb, xa = np.ones((4, 2), "float32"), np.zeros((4, 3), "float32")
    with pytest.raises(ValueError, match=r"takes a dict keyed by input name, e\.g\. "
                                         r"\{'b': \.\.\., 'a': \.\.\.\}; received a list of 2"):
        model.predict([xb, xa], verbose=0)
    np.testing.assert_array_equal(model.predict({"a": xa, "b": xb}, verbose=0)[:, :2], xb)
