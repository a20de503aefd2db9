"""Plugins that misbehave (issue 14 §6) and the callbacks' ``on_exception`` extension.

A misspelled hook name is covered in ``test_autoload.py``; here: a callback or metric
entry point whose module fails to import, a hook that raises during ``fit``, and
``on_exception`` delivered to callbacks by the one adapter.
"""

import numpy as np
import pytest

import kcore
from kcore.__main__ import main
from kcore.hooks import get_plugin_manager, hookimpl

BROKEN_MODULE = """
import module_that_is_not_installed_anywhere
"""


def _model():
    model = kcore.Sequential([kcore.Input((3,)), kcore.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(8, 3)).astype("float32"), rng.normal(size=(8, 1)).astype("float32")


@pytest.fixture
def broken_dist(make_dist):
    make_dist("kcore-brokencb", "0.3", {
        "kcore.callbacks": {"BrokenLogger": "kcoretest_brokencb:BrokenLogger"},
        "kcore.metrics": {"broken_metric": "kcoretest_brokencb:BrokenMetric"},
    }, {"kcoretest_brokencb": BROKEN_MODULE})


@pytest.mark.parametrize("use", [
    lambda: kcore.callbacks.get("BrokenLogger"),
    lambda: kcore.callbacks.BrokenLogger,
    lambda: _model().fit(*_data(), verbose=0, callbacks=["BrokenLogger"]),
    lambda: kcore.metrics.get("broken_metric"),
], ids=["callbacks.get", "attribute", "fit-by-name", "metrics.get"])
def test_using_a_name_whose_module_fails_to_import_names_name_dist_and_error(broken_dist, use):
    with pytest.raises(ImportError) as info:
        use()
    message = str(info.value)
    assert "kcore-brokencb 0.3" in message
    assert "ModuleNotFoundError" in message and "module_that_is_not_installed_anywhere" in message
    assert "'BrokenLogger'" in message or "'broken_metric'" in message


def test_plugins_listing_shows_entry_points_that_fail_to_import(broken_dist, capsys):
    assert main(["plugins"]) == 1
    out = capsys.readouterr().out
    assert "kcore.callbacks: BrokenLogger = kcoretest_brokencb:BrokenLogger  [import failed]" in out
    failures = out.split("load failures:")[1]
    assert "'BrokenLogger'" in failures and "'broken_metric'" in failures
    assert "kcore-brokencb 0.3" in failures and "module_that_is_not_installed_anywhere" in failures


class _Exploding:
    @hookimpl
    def kcore_on_epoch_end(self, epoch):
        if epoch == 1:
            raise ZeroDivisionError("plugin bug")


def test_hook_that_raises_during_fit_reraises_the_original_with_a_note():
    get_plugin_manager().register(_Exploding(), name="exploding")
    with pytest.raises(ZeroDivisionError) as info:
        _model().fit(*_data(), epochs=3, verbose=0)
    assert info.value.args == ("plugin bug",)
    assert "in hook kcore_on_epoch_end of kcore plugin 'exploding'" in info.value.__notes__


def test_a_plugin_that_raises_on_a_batch_hook_is_named_too():
    class BatchBug:
        @hookimpl
        def kcore_before_apply_gradients(self, step):
            raise ValueError("bad clip")

    get_plugin_manager().register(BatchBug(), name="batch-bug")
    with pytest.raises(ValueError, match="bad clip") as info:
        _model().fit(*_data(), verbose=0)
    assert info.value.__notes__ == [
        "in hook kcore_before_apply_gradients of kcore plugin 'batch-bug'"]


def test_callbacks_get_on_exception_first_in_list_order_and_isolated():
    seen = []

    class Closer(kcore.callbacks.Callback):
        def __init__(self, name, fail=False):
            super().__init__()
            self.name, self.fail = name, fail

        def on_exception(self, exception, stage):
            seen.append((self.name, type(exception).__name__, stage))
            if self.fail:
                raise OSError("cannot close")

    class Plugin:
        @hookimpl
        def kcore_on_exception(self, exception):
            seen.append(("plugin", type(exception).__name__, None))

    class Boom(kcore.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            raise KeyError("boom")

    get_plugin_manager().register(Plugin(), name="plugin")
    callbacks = [Closer("a", fail=True), Boom(), Closer("b")]
    with pytest.raises(KeyError) as info, pytest.warns(RuntimeWarning,
                                                       match="Closer.on_exception.*OSError"):
        _model().fit(*_data(), verbose=0, callbacks=callbacks)
    assert info.value.args == ("boom",)
    assert seen == [("a", "KeyError", "fit"), ("b", "KeyError", "fit"),
                    ("plugin", "KeyError", None)]


def test_on_exception_reaches_only_the_failing_calls_callbacks():
    seen = []

    class Closer(kcore.callbacks.Callback):
        def on_exception(self, exception, stage):
            seen.append(stage)

    model = _model()
    x, y = _data()
    model.fit(x, y, verbose=0, callbacks=[Closer()])
    assert seen == []
    with pytest.raises(ValueError):
        model.predict(np.ones((2, 5), "float32"), verbose=0, callbacks=[Closer()])
    assert seen == ["predict"]
