"""The order docs/plugins.md documents: reduce_logs, then callbacks, then plugin hooks."""

import numpy as np

import kcore
from kcore.hooks import get_plugin_manager


def test_who_sees_logs_and_what_reaches_history():
    seen = []

    class Probe:
        @kcore.hookimpl
        def kcore_reduce_logs(self, logs, scope):
            if scope == "epoch":
                seen.append(("reduce_logs", sorted(logs)))
                logs["from_reduce"] = 1.0

        @kcore.hookimpl
        def kcore_on_epoch_end(self, logs):
            seen.append(("hook", sorted(logs)))
            logs["from_hook"] = 2.0

    class Cb(kcore.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(("callback", sorted(logs)))
            logs["from_callback"] = 3.0

    pm, probe = get_plugin_manager(), Probe()
    pm.register(probe, "logs-order-probe")
    try:
        model = kcore.Sequential([kcore.Input((2,)), kcore.layers.Dense(1)])
        model.compile("sgd", "mse")
        history = model.fit(np.ones((4, 2), "float32"), np.ones((4, 1), "float32"),
                            epochs=1, verbose=0, callbacks=[Cb()])
    finally:
        pm.unregister(probe)
    assert seen == [("reduce_logs", ["loss"]),
                    ("callback", ["from_reduce", "loss"]),
                    ("hook", ["from_callback", "from_reduce", "loss"])]
    # History settles the epoch after the event, so the hook's key reaches it too.
    assert sorted(history.history) == ["from_callback", "from_hook", "from_reduce", "loss"]
