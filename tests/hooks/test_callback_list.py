"""CallbackList as the loop's dispatcher: order, shared logs, sessions, exceptions."""

import numpy as np
import pytest

from kcore.callbacks import Callback, CallbackList, History, ProgbarLogger
from kcore.hooks import StepContext, get_plugin_manager, hookimpl


class FakeModel:
    """What the callback list needs from a model until ``fit`` exists."""

    def __init__(self):
        self.stop_training = False
        self.history = None


class Recorder(Callback):
    def __init__(self, name, calls):
        super().__init__()
        self.name = name
        self.calls = calls

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append((self.name, "on_epoch_end", epoch, dict(logs)))
        logs[f"seen_by_{self.name}"] = True

    def on_train_batch_end(self, batch, logs=None):
        self.calls.append((self.name, "on_train_batch_end", batch, dict(logs)))


class Boom(Callback):
    def on_epoch_end(self, epoch, logs=None):
        raise KeyError("boom")


def registered_names():
    return {name for name, _ in get_plugin_manager().list_name_plugin()}


def test_callbacks_run_in_list_order_and_share_logs():
    calls = []
    model = FakeModel()
    cbs = CallbackList([Recorder(n, calls) for n in "abc"], add_history=True, model=model,
                       verbose=0, epochs=1, steps=1)
    logs = {"loss": 0.5}
    with cbs.session(stage="fit"):
        cbs.on_train_begin()
        cbs.on_epoch_end(0, logs)
    assert [c[0] for c in calls] == ["a", "b", "c"]
    assert calls[1][3] == {"loss": 0.5, "seen_by_a": True}  # a's change visible to b
    assert logs == {"loss": 0.5, "seen_by_a": True, "seen_by_b": True, "seen_by_c": True}
    assert model.history is cbs.callbacks[-1]
    assert model.history.history["seen_by_c"] == [True]  # History runs after user callbacks


def test_default_order_is_user_plugin_defaults_history_progbar():
    class Extra(Callback):
        pass

    class Defaults:
        @hookimpl
        def kcore_default_callbacks(self, params):
            return [Extra()] if params["epochs"] == 3 else []

    get_plugin_manager().register(Defaults(), name="defaults")
    user = Callback()
    cbs = CallbackList([user], add_history=True, add_progbar=True, model=FakeModel(),
                       verbose=2, epochs=3, steps=None)
    assert [type(cb) for cb in cbs] == [Callback, Extra, History, ProgbarLogger]
    assert cbs.callbacks[1].params["epochs"] == 3 and cbs.callbacks[1].model is cbs.model


def test_user_history_is_reused():
    history = History()
    cbs = CallbackList([history], add_history=True, model=FakeModel())
    assert list(cbs) == [history]


def test_sessions_register_nothing_even_after_an_exception():
    cbs = CallbackList([Recorder("a", []), Boom()], model=FakeModel())
    before = registered_names()
    assert "kcore-keras-callbacks" in before  # the one adapter, shared by every list
    with cbs.session(stage="fit"):
        assert registered_names() == before
    assert registered_names() == before
    with pytest.raises(KeyError):
        with cbs.session(stage="fit"):
            cbs.on_epoch_end(0, {})
    assert registered_names() == before
    assert not any(get_plugin_manager().gate[f"kcore_on_{e}"] for e in ("epoch_end", "train_batch_end"))


def test_callback_exception_reaches_every_on_exception_impl_then_propagates_unchanged():
    seen = []

    class First:
        @hookimpl
        def kcore_on_exception(self, exception, stage):
            seen.append(("first", exception, stage))
            raise OSError("cleanup failed")

    class Second:
        @hookimpl
        def kcore_on_exception(self, model, exception):
            seen.append(("second", exception, model))

    pm = get_plugin_manager()
    pm.register(First(), name="first")
    pm.register(Second(), name="second")
    model = FakeModel()
    cbs = CallbackList([Boom()], model=model)
    with pytest.raises(KeyError) as info, pytest.warns(RuntimeWarning, match="'first'.*OSError"):
        with cbs.session(stage="fit"):
            cbs.on_epoch_end(0, {})
    error = info.value
    assert error.args == ("boom",)
    assert "in callback Boom.on_epoch_end" in error.__notes__
    assert sorted(name for name, *_ in seen) == ["first", "second"]
    assert all(entry[1] is error for entry in seen)
    assert ("first", error, "fit") in seen and ("second", error, model) in seen


def test_reduce_logs_runs_first_with_scope():
    order = []

    class Reducer:
        @hookimpl
        def kcore_reduce_logs(self, logs, scope):
            order.append(("reduce", scope))
            logs["reduced"] = 1.0

    class Watcher(Callback):
        def on_train_batch_end(self, batch, logs=None):
            order.append(("callback", logs.get("reduced")))

        def on_test_end(self, logs=None):
            order.append(("callback", logs.get("reduced")))

    get_plugin_manager().register(Reducer(), name="reducer")
    cbs = CallbackList([Watcher()], model=FakeModel())
    with cbs.session(stage="fit"):
        cbs.on_train_batch_end(0, {"loss": 1.0})
        cbs.on_test_end({"loss": 1.0})
    assert order == [("reduce", "train_batch"), ("callback", 1.0),
                     ("reduce", "test"), ("callback", 1.0)]


def test_callbacks_run_before_plugins_and_plugins_see_their_changes():
    seen = []

    class Logger:
        @hookimpl
        def kcore_on_epoch_end(self, epoch, logs):
            seen.append(dict(logs))

    class SetsLR(Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["learning_rate"] = 0.1

    get_plugin_manager().register(Logger(), name="logger")
    cbs = CallbackList([SetsLR()], model=FakeModel())
    with cbs.session(stage="fit"):
        cbs.on_epoch_end(0, {"loss": 1.0})
    assert seen == [{"loss": 1.0, "learning_rate": 0.1}]


def test_batch_hooks_stay_gated_off_for_callbacks_that_do_not_override_them():
    class EpochOnly(Callback):
        def on_epoch_end(self, epoch, logs=None):
            pass

    class OldStyle(Callback):
        def on_batch_end(self, batch, logs=None):
            self.batches = getattr(self, "batches", 0) + 1

    gate = get_plugin_manager().gate
    cbs = CallbackList([EpochOnly() for _ in range(10)] + [History()], model=FakeModel())
    with cbs.session(stage="fit"):
        table = cbs.dispatch_table
        assert len(table["on_epoch_end"]) == 11 and len(table["on_train_begin"]) == 1
        assert not table["on_train_batch_end"] and not table["on_train_batch_begin"]
        assert not any(gate.values())  # the adapter is not counted: no plugin implements
    old = OldStyle()
    with CallbackList([old], model=FakeModel()).session() as cbs:
        assert cbs.dispatch_table["on_train_batch_end"]  # via the on_batch_end alias
        cbs.on_train_batch_end(0, {})
        cbs.on_train_batch_end(1, {})
    assert old.batches == 2


def test_nested_session_is_reentrant_and_keeps_outer_stage():
    stages = []

    class Catch:
        @hookimpl
        def kcore_on_exception(self, stage):
            stages.append(stage)

    get_plugin_manager().register(Catch(), name="catch")
    cbs = CallbackList([Boom()], model=FakeModel())
    before = registered_names()
    with pytest.raises(KeyError):
        with cbs.session(stage="fit"):
            with cbs.session(stage="evaluate"):
                assert registered_names() == before
            with cbs.session(stage="evaluate"):
                cbs.on_epoch_end(0, {})
    assert stages == ["fit"]
    assert registered_names() == before


def test_inner_callback_list_events_do_not_reach_outer_callbacks():
    outer_calls, inner_calls = [], []

    class Outer(Callback):
        def on_test_begin(self, logs=None):
            outer_calls.append("test_begin")

        def on_epoch_end(self, epoch, logs=None):
            # What a callback calling model.evaluate() does.
            with CallbackList([Inner()], model=self.model).session(stage="evaluate") as inner:
                inner.on_test_begin()

    class Inner(Callback):
        def on_test_begin(self, logs=None):
            inner_calls.append("test_begin")

    with CallbackList([Outer()], model=FakeModel()).session() as cbs:
        cbs.on_epoch_end(0, {})
    assert inner_calls == ["test_begin"] and outer_calls == []


def test_duplicate_state_key_is_rejected_at_session_start():
    class Stateful(Callback):
        def state_dict(self):
            return {}

        def load_state_dict(self, state):
            pass

    class Keyed(Stateful):
        def __init__(self, key):
            super().__init__()
            self.key = key

        @property
        def state_key(self):
            return self.key

    cbs = CallbackList([Stateful(), Callback(), Stateful()], model=FakeModel())
    with pytest.raises(ValueError, match="state_key 'Stateful'.*position 0.*position 2"):
        with cbs.session():
            pass
    with CallbackList([Keyed("a"), Keyed("b"), Callback(), Callback()], model=FakeModel()).session():
        pass


def test_unknown_on_method_warns():
    class Typo(Callback):
        def on_epoch_ned(self, epoch, logs=None):
            pass

    with pytest.warns(UserWarning, match="on_epoch_ned.*Did you mean 'on_epoch_end'"):
        with CallbackList([Typo()], model=FakeModel()).session():
            pass


def test_stop_training_is_never_reset_by_the_list():
    class Stopper(Callback):
        def on_train_batch_end(self, batch, logs=None):
            self.model.stop_training = True

    model = FakeModel()
    with CallbackList([Stopper(), History()], model=model).session() as cbs:
        cbs.on_train_begin()
        cbs.on_train_batch_end(0, {})
        cbs.on_epoch_end(0, {})
        cbs.on_train_end({})
    assert model.stop_training is True


def test_gradient_hooks_compose_in_place_and_reduce_is_firstresult():
    calls = []

    class Reducer:
        @hookimpl
        def kcore_reduce_gradients(self, step):
            calls.append("reduce")
            step.grads = [g / 2 for g in step.grads]
            return True

    class Passes:
        @hookimpl
        def kcore_reduce_gradients(self, step):
            calls.append("pass")

    class Clip:
        @hookimpl
        def kcore_before_apply_gradients(self, step):
            norm = np.sqrt(sum(float(np.sum(g * g)) for g in step.grads))
            for g in step.grads:
                g *= min(1.0, 1.0 / norm)
            step.skip = bool(norm > 100)

    class After:
        @hookimpl
        def kcore_after_apply_gradients(self, model, step):
            calls.append(("after", step.skip))

    cbs = CallbackList([], model=FakeModel())
    step = StepContext(batch_index=0, epoch=0, grads=[np.full(4, 2.0)], variables=[None])
    assert cbs.reduce_gradients(step) is None  # no impls: nothing happens
    assert not cbs.has_step_hooks
    pm = get_plugin_manager()
    for plugin in (Passes(), Reducer(), Clip(), After()):
        pm.register(plugin)
    assert cbs.has_step_hooks
    with cbs.session():
        assert cbs.reduce_gradients(step) is True
        cbs.before_apply_gradients(step)
        cbs.after_apply_gradients(step)
    assert calls == ["reduce", ("after", False)]  # the reducer registered last ran first and won
    np.testing.assert_allclose(step.grads[0], np.full(4, 0.5))  # [1,1,1,1] clipped to norm 1


def test_outside_a_session_callbacks_are_called_directly():
    calls = []
    cbs = CallbackList([Recorder("a", calls), Recorder("b", calls)], model=FakeModel())
    cbs.on_epoch_end(4, {"loss": 1.0})
    assert [(c[0], c[2]) for c in calls] == [("a", 4), ("b", 4)]


def test_logs_none_becomes_one_shared_dict():
    got = []

    class Grab(Callback):
        def on_train_begin(self, logs=None):
            got.append(logs)

    with CallbackList([Grab(), Grab()], model=FakeModel()).session() as cbs:
        cbs.on_train_begin()
    assert got[0] == {} and got[0] is got[1]


def test_append_iteration_and_params():
    cbs = CallbackList(model=FakeModel(), verbose=0, epochs=2, steps=5)
    cb = Callback()
    cbs.append(cb)
    assert list(cbs) == [cb]
    assert cb.params == {"verbose": 0, "epochs": 2, "steps": 5} and cb.model is cbs.model
    with pytest.raises(TypeError, match="pass an instance"):
        CallbackList([Callback])


def test_batch_frequency_follows_keras_save_freq_rule():
    """save_freq=3 with 4 batches per epoch fires after global batches 3, 6, 9 and 12."""
    from kcore.callbacks import BatchFrequency

    freq = BatchFrequency(3)
    fired = [(epoch, batch) for epoch in range(3) for batch in range(4) if freq.step(batch)]
    assert fired == [(0, 2), (1, 1), (2, 0), (2, 3)]
    clone = BatchFrequency(3)
    clone.load_state_dict(freq.state_dict())
    assert clone.state_dict() == freq.state_dict()
