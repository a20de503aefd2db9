"""``TensorBoard(profile_batch=...)``: a Chrome trace-event timeline of the batches asked for."""

import json
import re

import numpy as np
import pytest

import kcore


class Marker(kcore.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        sum(range(1000))


def _fit(model, data, tmp_path, profile_batch, epochs=2, callbacks=()):
    x, y = data
    tb = kcore.callbacks.TensorBoard(log_dir=tmp_path / "logs", profile_batch=profile_batch)
    model.fit(x, y, batch_size=8, epochs=epochs, verbose=0, callbacks=[Marker(), tb, *callbacks])
    return tb


def _trace(capsys):
    out = capsys.readouterr().out
    path = re.search(r"written to (\S+\.json)", out).group(1)
    with open(path) as f:
        return path, json.load(f)["traceEvents"]


def test_trace_of_a_window_across_epochs(tmp_path, model, data, capsys):
    # 20 samples, batch 8: 3 batches per epoch; batches 3..4 span the epoch boundary.
    _fit(model, data, tmp_path, profile_batch=(3, 4))
    path, events = _trace(capsys)
    assert path.endswith("logs/train/kcore_trace_batches_3_4.json")
    assert all(e["ph"] == "X" and e["dur"] >= 0 and e["ts"] >= 0 for e in events)
    names = [e["name"] for e in events]
    assert names.count("forward") == names.count("backward") == 2
    assert names.count("optimizer") == names.count("metrics") == 2
    assert names.count("Marker.on_train_batch_end") == 2
    assert names.count("TensorBoard.on_epoch_end") == 1  # the epoch ended inside the window
    hooks = {e["name"] for e in events if e["cat"] == "hook"}
    assert {"kcore_on_train_batch_end", "kcore_on_epoch_end"} <= hooks
    # Within a batch the phases run in order, and callbacks nest inside their hook call.
    forward, backward, optimizer = ([e for e in events if e["name"] == n][0]
                                    for n in ("forward", "backward", "optimizer"))
    assert forward["ts"] + forward["dur"] <= backward["ts"] <= optimizer["ts"]
    hook = [e for e in events if e["name"] == "kcore_on_train_batch_end"][0]
    marker = [e for e in events if e["name"] == "Marker.on_train_batch_end"][0]
    assert hook["ts"] <= marker["ts"] and marker["ts"] + marker["dur"] <= hook["ts"] + hook["dur"]
    assert kcore.tracing.current() is None


def test_single_batch_and_string_forms(tmp_path, model, data, capsys):
    _fit(model, data, tmp_path, profile_batch=2, epochs=1)
    path, events = _trace(capsys)
    assert path.endswith("kcore_trace_batches_2_2.json")
    assert [e["name"] for e in events].count("forward") == 1
    _fit(model, data, tmp_path / "again", profile_batch="1,2", epochs=1)
    _, events = _trace(capsys)
    assert [e["name"] for e in events].count("forward") == 2


def test_a_window_past_the_end_writes_nothing_and_stops_tracing(tmp_path, model, data, capsys):
    _fit(model, data, tmp_path, profile_batch=(2, 50), epochs=1)
    assert "written to" not in capsys.readouterr().out
    assert not list((tmp_path / "logs").rglob("kcore_trace_*.json"))
    assert kcore.tracing.current() is None


def test_a_failing_fit_stops_tracing(tmp_path, model, data):
    class Boom(kcore.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        _fit(model, data, tmp_path, profile_batch=(1, 3), callbacks=[Boom()])
    assert kcore.tracing.current() is None


def test_no_tracer_no_spans():
    tracer = kcore.tracing.StepTracer()
    with kcore.tracing.span("outside"):
        pass
    with tracer.active():
        with kcore.tracing.span("inside", size=3):
            np.zeros(3)
    assert [(e["name"], e.get("args")) for e in tracer.events] == [("inside", {"size": 3})]
