"""Models survive save → load: same predictions, same weights, same training afterwards."""

import numpy as np
import pytest

import kcore
from kcore.models.cloning import clone_model
from kcore.saving import saving_api

from saving_helpers import (TwoLayer, data, multi_io, multi_io_data, nested, sequential,
                            stand_in_objects, subclassed)


def _compile(model, multi=False):
    if multi:
        model.compile(optimizer=kcore.optimizers.Adam(1e-2),
                      loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                      metrics={"cls": ["accuracy"]})
    else:
        model.compile(optimizer=kcore.optimizers.Adam(1e-2),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


BUILDERS = {
    "sequential": (sequential, data, False),
    "functional_multi_io_shared": (multi_io, multi_io_data, True),
    "functional_nested": (nested, data, False),
    "subclassed": (subclassed, data, False),
}


@pytest.fixture(params=sorted(BUILDERS))
def case(request):
    build, make_data, multi = BUILDERS[request.param]
    return build, make_data, multi


def _predict(model, x):
    out = model.predict(x, verbose=0)
    return out if isinstance(out, list) else [out]


def test_h5_round_trip_predictions_and_state(case, tmp_path):
    build, make_data, multi = case
    kcore.utils.set_random_seed(1)
    model = _compile(build(), multi)
    x, y = make_data()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    path = tmp_path / "m.h5"
    model.save(path) if hasattr(model, "save") and _wired() else saving_api.save_model(model, path)
    loaded = saving_api.load_model(path, custom_objects=stand_in_objects())
    assert type(loaded) is type(model)
    assert [l.name for l in loaded.layers] == [l.name for l in model.layers]
    for a, b in zip(_predict(model, x), _predict(loaded, x)):
        np.testing.assert_array_equal(a, b)
    assert loaded.compiled and type(loaded.optimizer) is type(model.optimizer)
    assert [v.path for v in loaded.optimizer.variables] == [v.path for v in model.optimizer.variables]
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert int(loaded.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy()) > 0


def _wired():
    # Model.save is wired to kcore.saving by the lead; until then call the functions.
    from kcore.models.model import Model

    return "save" in vars(Model)


@pytest.mark.parametrize("suffix", [".weights.h5", ".h5"])
def test_weights_round_trip(case, suffix, tmp_path):
    build, make_data, multi = case
    model = build()
    x, _ = make_data()
    path = tmp_path / f"w{suffix}"
    saving_api.save_weights(model, path)
    other = build()
    assert not all(np.array_equal(a, b) for a, b in zip(model.get_weights(), other.get_weights()))
    saving_api.load_weights(other, path)
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(_predict(model, x), _predict(other, x)):
        np.testing.assert_array_equal(a, b)


def _train(build, make_data, multi, epochs, tmp_path=None, save_after=None, shuffle=False):
    kcore.utils.set_random_seed(7)
    model = _compile(build(), multi)
    x, y = make_data()
    if save_after is None:
        model.fit(x, y, epochs=epochs, batch_size=8, verbose=0, shuffle=shuffle)
        return model
    model.fit(x, y, epochs=save_after, batch_size=8, verbose=0, shuffle=shuffle)
    path = tmp_path / "mid.h5"
    saving_api.save_model(model, path)
    del model
    model = saving_api.load_model(path, custom_objects=stand_in_objects())
    model.fit(x, y, epochs=epochs, initial_epoch=save_after, batch_size=8, verbose=0,
              shuffle=shuffle)
    return model


def test_continued_training_is_exact(case, tmp_path):
    """Train 2 epochs, save, load, train 1 more == train 3 epochs without saving."""
    build, make_data, multi = case
    straight = _train(build, make_data, multi, epochs=3)
    resumed = _train(build, make_data, multi, epochs=3, tmp_path=tmp_path, save_after=2)
    assert int(resumed.optimizer.iterations.numpy()) == int(straight.optimizer.iterations.numpy())
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(straight.optimizer.variables, resumed.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_loading_does_not_disturb_the_random_stream(tmp_path):
    """With shuffling, fit; save; load; fit == fit; fit: loading draws no random numbers."""
    x, y = data()

    def run(reload):
        kcore.utils.set_random_seed(3)
        model = _compile(sequential())
        model.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=True)
        if reload:
            saving_api.save_model(model, tmp_path / "r.h5")
            model = saving_api.load_model(tmp_path / "r.h5")
        model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=True)
        return model.get_weights()

    for a, b in zip(run(False), run(True)):
        np.testing.assert_array_equal(a, b)


def test_load_without_compile(tmp_path):
    model = _compile(sequential())
    saving_api.save_model(model, tmp_path / "m.h5")
    loaded = saving_api.load_model(tmp_path / "m.h5", compile=False)
    assert not loaded.compiled


def test_uncompiled_model_warns_on_load(tmp_path):
    saving_api.save_model(sequential(), tmp_path / "m.h5")
    with pytest.warns(UserWarning, match="not\\* compiled"):
        loaded = saving_api.load_model(tmp_path / "m.h5")
    assert not loaded.compiled


def test_include_optimizer_false(tmp_path):
    import h5py

    model = _compile(sequential())
    saving_api.save_model(model, tmp_path / "m.h5", include_optimizer=False)
    with h5py.File(tmp_path / "m.h5") as f:
        assert "training_config" not in f.attrs and "optimizer_weights" not in f


def test_by_name_and_skip_mismatch(tmp_path):
    x, _ = data()
    src = sequential()
    saving_api.save_weights(src, tmp_path / "w.h5")
    # Same names, an extra layer and a different head: by_name loads d1 only.
    other = kcore.Sequential([kcore.Input((6,)), kcore.layers.Dense(8, activation="relu", name="d1"),
                              kcore.layers.Dense(4, name="extra"),
                              kcore.layers.Dense(3, name="out")])
    with pytest.raises(ValueError, match="shape mismatch for weight .*out"):
        saving_api.load_weights(other, tmp_path / "w.h5", by_name=True)
    with pytest.warns(UserWarning, match="shape mismatch"):
        saving_api.load_weights(other, tmp_path / "w.h5", by_name=True, skip_mismatch=True)
    np.testing.assert_array_equal(other.get_layer("d1").get_weights()[0],
                                  src.get_layer("d1").get_weights()[0])


def test_model_from_json_and_clone_model():
    for build in (sequential, multi_io, nested):
        model = build()
        again = saving_api.model_from_json(model.to_json(), custom_objects=stand_in_objects())
        clone = clone_model(model)
        for other in (again, clone):
            assert [l.name for l in other.layers] == [l.name for l in model.layers]
            assert [w.shape for w in other.get_weights()] == [w.shape for w in model.get_weights()]
            assert not any(a is b for a in model.weights for b in other.weights)
        clone.set_weights(model.get_weights())
        x = multi_io_data()[0] if build is multi_io else data()[0]
        for a, b in zip(_predict(model, x), _predict(clone, x)):
            np.testing.assert_array_equal(a, b)


def test_clone_model_with_clone_function_and_input_tensors():
    model = multi_io()
    shared = model.get_layer("shared")
    new_inputs = [kcore.Input((4,), name="x_a"), kcore.Input((4,), name="x_b")]
    clone = clone_model(model, input_tensors=new_inputs,
                        clone_function=lambda l: l if l.name == "shared" else
                        l.__class__.from_config(l.get_config()))
    assert clone.get_layer("shared") is shared
    assert clone.input_names == ["x_a", "x_b"]


def test_clone_subclassed_uses_config():
    clone = clone_model(subclassed())
    assert isinstance(clone, TwoLayer) and clone.units == 8


@pytest.mark.parametrize("seed", [None, 11], ids=["unseeded-dropout", "seeded-dropout"])
def test_reloaded_model_with_dropout_continues_exactly(tmp_path, seed):
    """Dropout draws continue where they stopped: fit; save; load; fit == fit; fit."""
    x, y = data()

    def build():
        return kcore.Sequential([kcore.Input((6,)), kcore.layers.Dense(8, activation="relu"),
                                 kcore.layers.Dropout(0.3, seed=seed),
                                 kcore.layers.Dense(3, activation="softmax")])

    def run(reload):
        kcore.utils.set_random_seed(5)
        model = _compile(build())
        model.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=True)
        if reload:
            saving_api.save_model(model, tmp_path / "d.h5")
            model = saving_api.load_model(tmp_path / "d.h5")
        model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=True)
        return model.get_weights()

    for a, b in zip(run(False), run(True)):
        np.testing.assert_array_equal(a, b)
