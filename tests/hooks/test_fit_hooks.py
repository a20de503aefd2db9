"""Hooks and callbacks through the real ``fit``/``evaluate``/``predict`` (keras_semantics 1.2)."""

import numpy as np
import pytest

import kcore
import kcore.hooks
from kcore.callbacks import Callback
from kcore.hooks import get_plugin_manager, hookimpl

pytestmark = pytest.mark.skipif(
    not (hasattr(kcore, "Sequential") and hasattr(kcore, "hookimpl")),
    reason="fit not built yet (or its hooks are not wired: kcore.hookimpl missing)")

EVENTS = (
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
    "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
    "on_predict_batch_begin", "on_predict_batch_end",
)
METRICS = ["accuracy", "loss"]
EPOCH_KEYS = ["accuracy", "loss", "val_accuracy", "val_loss"]


def expected_fit_sequence():
    seq = [("on_train_begin", None, [])]
    for epoch in range(2):
        seq.append(("on_epoch_begin", epoch, []))
        for batch in range(2):
            seq += [("on_train_batch_begin", batch, []), ("on_train_batch_end", batch, METRICS)]
        seq += [("on_test_begin", None, []), ("on_test_batch_begin", 0, []),
                ("on_test_batch_end", 0, METRICS), ("on_test_end", None, METRICS),
                ("on_epoch_end", epoch, EPOCH_KEYS)]
    seq.append(("on_train_end", None, EPOCH_KEYS))
    return seq


def expected_evaluate_sequence():
    seq = [("on_test_begin", None, [])]
    for batch in range(3):
        seq += [("on_test_batch_begin", batch, []), ("on_test_batch_end", batch, METRICS)]
    return seq + [("on_test_end", None, METRICS)]


def expected_predict_sequence():
    seq = [("on_predict_begin", None, [])]
    for batch in range(3):
        seq += [("on_predict_batch_begin", batch, []),
                ("on_predict_batch_end", batch, ["outputs"])]
    return seq + [("on_predict_end", None, [])]


def _plugin_event(event):
    if event in ("on_epoch_begin", "on_epoch_end"):
        def impl(self, epoch, logs):
            self.calls.append((event, epoch, sorted(logs)))
    elif "_batch_" in event:
        def impl(self, batch, logs):
            self.calls.append((event, batch, sorted(logs)))
    else:
        def impl(self, logs):
            self.calls.append((event, None, sorted(logs)))
    impl.__name__ = "kcore_" + event
    return hookimpl(impl)


class RecordingPlugin:
    """A Tier-1 plugin implementing every Keras event hook."""

    def __init__(self):
        self.calls = []


for _event in EVENTS:
    setattr(RecordingPlugin, "kcore_" + _event, _plugin_event(_event))


def _callback_event(event):
    if event in ("on_epoch_begin", "on_epoch_end") or "_batch_" in event:
        def method(self, index, logs=None):
            self.calls.append((event, index, sorted(logs)))
    else:
        def method(self, logs=None):
            self.calls.append((event, None, sorted(logs)))
    method.__name__ = event
    return method


class RecordingCallback(Callback):
    def __init__(self):
        super().__init__()
        self.calls = []


for _event in EVENTS:
    setattr(RecordingCallback, _event, _callback_event(_event))


def make_data(n=10, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    return x, y


def make_model(optimizer="rmsprop", metrics=("accuracy",)):
    model = kcore.Sequential([kcore.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=list(metrics))
    return model


def values(variable):
    return np.array(variable.numpy() if hasattr(variable, "numpy") else variable, copy=True)


def registered():
    """Registered plugins besides the one callback adapter (installed at first use)."""
    return {name for name, _ in get_plugin_manager().list_name_plugin()} - {
        "kcore-keras-callbacks"}


@pytest.fixture
def plugin():
    pm = get_plugin_manager()
    recorder = RecordingPlugin()
    pm.register(recorder, name="recorder")
    yield recorder
    pm.unregister(name="recorder")


def test_public_markers_are_the_hook_markers():
    assert kcore.hookimpl is kcore.hooks.hookimpl


def test_fit_evaluate_predict_fire_keras_hook_sequence(plugin):
    x, y = make_data()
    model = make_model()
    callback = RecordingCallback()
    before = registered()
    history = model.fit(x, y, epochs=2, batch_size=4, validation_split=0.2, verbose=0,
                        callbacks=[callback])
    assert callback.calls == expected_fit_sequence()
    assert plugin.calls == expected_fit_sequence()
    assert sorted(history.history) == EPOCH_KEYS
    assert history.epoch == [0, 1] and model.history is history
    assert registered() == before

    callback.calls.clear()
    plugin.calls.clear()
    model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[callback])
    assert callback.calls == plugin.calls == expected_evaluate_sequence()

    callback.calls.clear()
    plugin.calls.clear()
    model.predict(x, batch_size=4, verbose=0, callbacks=[callback])
    assert callback.calls == plugin.calls == expected_predict_sequence()
    assert registered() == before


def test_gradient_hooks_fire_between_batch_begin_and_end():
    order = []

    class GradientRecorder:
        @hookimpl
        def kcore_on_train_batch_begin(self, batch):
            order.append(("begin", batch))

        @hookimpl
        def kcore_reduce_gradients(self, step):
            order.append(("reduce", step.batch_index))

        @hookimpl
        def kcore_before_apply_gradients(self, step):
            assert len(step.grads) == len(step.variables) > 0
            order.append(("before", step.batch_index))

        @hookimpl
        def kcore_after_apply_gradients(self, step):
            order.append(("after", step.batch_index))

        @hookimpl
        def kcore_on_train_batch_end(self, batch):
            order.append(("end", batch))

    get_plugin_manager().register(GradientRecorder(), name="grads")
    x, y = make_data()
    make_model().fit(x, y, epochs=1, batch_size=5, verbose=0)
    expected = [(kind, b) for b in range(2) for kind in ("begin", "reduce", "before", "after", "end")]
    assert order == expected


def test_before_apply_gradients_clips_the_applied_update():
    lr, max_norm = 0.1, 1e-3
    seen = {}

    class GlobalNormClip:
        @hookimpl
        def kcore_before_apply_gradients(self, step):
            seen["before"] = [values(v) for v in step.variables]
            seen["variables"] = list(step.variables)
            norm = np.sqrt(sum(float(np.sum(np.square(g))) for g in step.grads))
            seen["norm"] = norm
            for g in step.grads:
                g *= max_norm / norm
            seen["clipped"] = [np.array(g, copy=True) for g in step.grads]

    get_plugin_manager().register(GlobalNormClip(), name="clip")
    x, y = make_data()
    model = make_model(optimizer=kcore.optimizers.SGD(learning_rate=lr), metrics=())
    model.fit(x, y, epochs=1, batch_size=10, shuffle=False, verbose=0)
    assert seen["norm"] > max_norm
    clipped_norm = np.sqrt(sum(float(np.sum(np.square(g))) for g in seen["clipped"]))
    np.testing.assert_allclose(clipped_norm, max_norm, rtol=1e-5)
    for variable, before, grad in zip(seen["variables"], seen["before"], seen["clipped"]):
        np.testing.assert_allclose(values(variable), before - lr * grad, rtol=1e-5, atol=1e-7)


def test_step_skip_leaves_weights_unchanged():
    seen = {}

    class SkipAll:
        @hookimpl
        def kcore_before_apply_gradients(self, step):
            seen.setdefault("before", [values(v) for v in step.variables])
            seen["variables"] = list(step.variables)
            step.skip = True

        @hookimpl
        def kcore_after_apply_gradients(self, step):
            seen.setdefault("skips", []).append(step.skip)

    get_plugin_manager().register(SkipAll(), name="skip")
    x, y = make_data()
    history = make_model(optimizer="sgd").fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert seen["skips"] == [True] * 6
    for variable, before in zip(seen["variables"], seen["before"]):
        np.testing.assert_array_equal(values(variable), before)
    assert len(history.history["loss"]) == 2


def test_callback_exception_reaches_on_exception_then_propagates():
    seen = []

    class Catcher:
        @hookimpl
        def kcore_on_exception(self, model, exception, stage):
            seen.append((model, exception, stage))

    class Boom(Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise RuntimeError("boom at epoch end")

    get_plugin_manager().register(Catcher(), name="catcher")
    x, y = make_data()
    model = make_model()
    before = registered()
    with pytest.raises(RuntimeError, match="boom at epoch end") as info:
        model.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[Boom()])
    assert seen == [(model, info.value, "fit")]
    assert "in callback Boom.on_epoch_end" in info.value.__notes__
    assert registered() == before
    assert model.predict(x, verbose=0).shape == (10, 1)  # the model is still usable


def test_stop_training_after_a_batch_ends_fit():
    class StopAfterFirstBatch(Callback):
        def on_train_batch_end(self, batch, logs=None):
            self.model.stop_training = True

    x, y = make_data()
    model = make_model()
    recorder = RecordingCallback()
    history = model.fit(x, y, epochs=3, batch_size=4, validation_split=0.2, verbose=0,
                        callbacks=[StopAfterFirstBatch(), recorder])
    events = [(event, index) for event, index, _ in recorder.calls]
    assert [i for e, i in events if e == "on_train_batch_begin"] == [0]
    assert [i for e, i in events if e == "on_epoch_end"] == [0]
    assert events[-1] == ("on_train_end", None)
    assert history.epoch == [0]
    assert model.stop_training is True
    assert model.fit(x, y, epochs=2, batch_size=4, verbose=0).epoch == [0, 1]  # reset by fit


def test_misspelled_plugin_hook_fails_fit():
    import pluggy

    class Typo:
        @hookimpl
        def kcore_on_epoch_ned(self, epoch, logs):
            pass

    get_plugin_manager().register(Typo(), name="typo")
    x, y = make_data()
    with pytest.raises(pluggy.PluginValidationError, match="kcore_on_epoch_ned"):
        make_model().fit(x, y, epochs=1, verbose=0)
    get_plugin_manager().unregister(name="typo")


def test_keys_a_plugin_adds_at_epoch_end_reach_history():
    class AddsKey:
        @hookimpl
        def kcore_on_epoch_end(self, epoch, logs):
            logs["plugin_key"] = float(epoch) * 10
            logs["loss"] = -1.0  # a changed value is recorded as changed

    class ReadsHistory(Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.lengths = getattr(self, "lengths", []) + [
                len(self.model.history.history.get("loss", []))]

    get_plugin_manager().register(AddsKey(), name="adds-key")
    x, y = make_data()
    reader = ReadsHistory()
    history = make_model().fit(x, y, epochs=3, batch_size=4, verbose=0, callbacks=[reader])
    assert history.history["plugin_key"] == [0.0, 10.0, 20.0]
    assert history.history["loss"] == [-1.0, -1.0, -1.0]
    assert reader.lengths == [0, 1, 2]  # during on_epoch_end: the epochs before, as in Keras
