"""kcore.ops on symbolic tensors build Functional models, including ops whose numpy
implementation only indexes its input (``np.flip`` returns the symbolic tensor through
``__getitem__`` instead of raising)."""

import numpy as np
import pytest

import kcore


@pytest.mark.parametrize("op, reference", [
    (lambda t: kcore.ops.flip(t, axis=1), lambda x: x[:, ::-1]),
    (lambda t: kcore.ops.flip(t), lambda x: x[::-1, ::-1, ::-1]),
    (lambda t: kcore.ops.roll(t, 1, axis=2), lambda x: np.roll(x, 1, axis=2)),
])
def test_indexing_ops_on_symbolic_inputs(op, reference):
    inputs = kcore.Input((4, 3))
    outputs = op(inputs)
    model = kcore.Model(inputs, outputs)
    x = np.arange(2 * 4 * 3, dtype="float32").reshape(2, 4, 3)
    assert tuple(outputs.shape)[1:] == (4, 3)
    np.testing.assert_array_equal(model.predict(x, verbose=0), reference(x))


def _public_ops_model():
    ops = kcore.ops
    x = kcore.Input((4,), name="x")
    y = kcore.Input((4,), name="y")
    h = kcore.layers.Dense(4, name="d")(x)
    outputs = {
        "sum": ops.sum(h * y, axis=-1, keepdims=True),
        "mean": ops.mean(h, axis=-1),
        "softmax": ops.softmax(h),
        "concat": ops.concatenate([h, y], axis=-1),
        "cast": ops.cast(h > y, "float32"),
        "expand": ops.expand_dims(h, -1),
        "stack": ops.stack([h, y], axis=1),
        "where": ops.where(h > 0, h, y),
        "logic": ops.cast((h >= 0) & ~(y < 1.0) | (h != y), "float32"),
        "relu6": ops.relu6(h) / 6.0,
        "slice": ops.clip(h[:, 1:3], -0.5, 0.5),
    }
    return kcore.Model({"x": x, "y": y}, outputs)


def _public_ops_reference(model, xv, yv):
    W, b = [w.numpy() for w in model.get_layer("d").weights]
    h = xv @ W + b
    e = np.exp(h - h.max(-1, keepdims=True))
    return {"sum": (h * yv).sum(-1, keepdims=True), "mean": h.mean(-1),
            "softmax": e / e.sum(-1, keepdims=True), "concat": np.concatenate([h, yv], -1),
            "cast": (h > yv).astype("float32"), "expand": h[..., None],
            "stack": np.stack([h, yv], 1), "where": np.where(h > 0, h, yv),
            "logic": ((h >= 0) & ~(yv < 1) | (h != yv)).astype("float32"),
            "relu6": np.minimum(np.maximum(h, 0), 6) / 6, "slice": np.clip(h[:, 1:3], -0.5, 0.5)}


def test_public_ops_on_symbolic_inputs_are_one_node_each(tmp_path):
    """Ops written in numpy beyond one primitive (sum, softmax, concatenate, cast...) and
    comparison operators build graphs, one node per call as in Keras, and save and reload."""
    model = _public_ops_model()
    # As Keras 3: model.layers has no op nodes; the config records each as its operation.
    assert sorted(layer.name for layer in model.layers) == ["d", "x", "y"]
    classes = [entry["class_name"] for entry in model.get_config()["layers"]]
    for name in ("Sum", "Mean", "Softmax", "Concatenate", "Cast", "ExpandDims", "Stack",
                 "Where", "Relu6", "Clip", "Greater", "LogicalAnd", "NotEqual", "GetItem"):
        assert name in classes, name
    rng = np.random.default_rng(0)
    xv = rng.standard_normal((5, 4)).astype("float32")
    yv = rng.standard_normal((5, 4)).astype("float32")
    pred = model.predict({"x": xv, "y": yv}, verbose=0)
    want = _public_ops_reference(model, xv, yv)
    for key, value in want.items():
        np.testing.assert_allclose(pred[key], value, rtol=1e-6, atol=1e-6, err_msg=key)
    for suffix in (".keras", ".h5"):
        model.save(tmp_path / f"m{suffix}")
        again = kcore.models.load_model(tmp_path / f"m{suffix}").predict(
            {"x": xv, "y": yv}, verbose=0)
        for key in want:
            np.testing.assert_array_equal(again[key], pred[key], err_msg=f"{suffix} {key}")


def test_symbolic_equality_stays_identity():
    """As Keras's KerasTensor: `==` compares objects (graph code hashes and compares
    tensors), every other comparison is an op."""
    a, b = kcore.Input((2,)), kcore.Input((2,))
    assert (a == a) is True and (a == b) is False
    assert isinstance(a != b, type(a)) and isinstance(a < b, type(a))


def test_training_through_public_op_nodes():
    ops = kcore.ops
    x = kcore.Input((4,))
    weights = np.array([1.0, 2.0, 3.0], "float32")
    out = ops.sum(ops.softmax(kcore.layers.Dense(3)(x)) * weights, axis=-1, keepdims=True)
    model = kcore.Model(x, out)
    model.compile("adam", "mse")
    rng = np.random.default_rng(1)
    xv, yv = rng.standard_normal((16, 4)).astype("float32"), np.full((16, 1), 2.9, "float32")
    before = model.evaluate(xv, yv, verbose=0)
    model.fit(xv, yv, epochs=20, verbose=0)
    assert model.evaluate(xv, yv, verbose=0) < before
