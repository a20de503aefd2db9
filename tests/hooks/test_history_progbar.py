"""History and ProgbarLogger, driven through a CallbackList as fit drives them."""

import re

import pytest

from kcore.callbacks import Callback, CallbackList, History, ProgbarLogger
from kcore.callbacks.progbar_logger import format_logs, format_time_per_step, resolve_verbose


class FakeModel:
    def __init__(self):
        self.stop_training = False
        self.history = None


def run_fit(cbs, epochs, steps, initial_epoch=0, validate=True):
    """The event sequence of ``fit`` per keras_semantics 1.2, with fake numbers."""
    with cbs.session(stage="fit"):
        cbs.on_train_begin()
        logs = {}
        for epoch in range(initial_epoch, epochs):
            cbs.on_epoch_begin(epoch)
            for batch in range(steps):
                cbs.on_train_batch_begin(batch)
                cbs.on_train_batch_end(batch, {"accuracy": 0.5, "loss": 0.6683 - batch / 100})
            logs = {"accuracy": 0.5, "loss": 0.6683}
            if validate:
                with cbs.session(stage="evaluate"):
                    cbs.on_test_begin()
                    cbs.on_test_batch_begin(0)
                    cbs.on_test_batch_end(0, {"accuracy": 1.0, "loss": 0.65})
                    cbs.on_test_end({"accuracy": 1.0, "loss": 0.65})
                logs.update(val_accuracy=1.0, val_loss=0.6502)
            cbs.on_epoch_end(epoch, logs)
        cbs.on_train_end(logs)


def test_history_records_absolute_epochs_and_accumulates_across_fits():
    model = FakeModel()
    history = History()
    cbs = CallbackList([history], model=model, verbose=0, epochs=4, steps=1)
    run_fit(cbs, epochs=4, steps=1, initial_epoch=2)
    assert history.epoch == [2, 3]
    assert history.history["val_loss"] == [0.6502, 0.6502]
    assert history.params == {"verbose": 0, "epochs": 4, "steps": 1}
    assert model.history is history
    run_fit(CallbackList([history], model=model, epochs=1, steps=1), epochs=1, steps=1)
    assert history.epoch == [0]  # epoch list is reset on train begin...
    assert len(history.history["loss"]) == 3  # ...the history dict is not


def test_fit_adds_a_fresh_history():
    model = FakeModel()
    cbs = CallbackList(None, add_history=True, model=model, verbose=0, epochs=1, steps=1)
    assert model.history is cbs.callbacks[0]
    run_fit(cbs, epochs=1, steps=2)
    assert model.history.history == {"accuracy": [0.5], "loss": [0.6683],
                                     "val_accuracy": [1.0], "val_loss": [0.6502]}


def test_progbar_verbose_2_prints_one_keras_line_per_epoch(capsys):
    cbs = CallbackList([], add_progbar=True, model=FakeModel(), verbose=2, epochs=2, steps=2)
    run_fit(cbs, epochs=2, steps=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    pattern = (r"2/2 - \d+s - \d+(us|ms|s)/step - accuracy: 0\.5000 - loss: 0\.6683"
               r" - val_accuracy: 1\.0000 - val_loss: 0\.6502")
    assert re.fullmatch(pattern, lines[1]), lines[1]  # validation pass printed nothing


def test_progbar_single_epoch_has_no_epoch_header(capsys):
    cbs = CallbackList([], add_progbar=True, model=FakeModel(), verbose=2, epochs=1, steps=3)
    run_fit(cbs, epochs=1, steps=3, validate=False)
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("3/3 - ")


def test_progbar_evaluate_and_predict_print_their_own_line(capsys):
    cbs = CallbackList([], add_progbar=True, model=FakeModel(), verbose=2, epochs=1, steps=None)
    with cbs.session(stage="evaluate"):
        cbs.on_test_begin()
        for batch in range(12):
            cbs.on_test_batch_end(batch, {"loss": 0.00001})
        cbs.on_test_end({"loss": 0.00001})
    with cbs.session(stage="predict"):
        cbs.on_predict_begin()
        cbs.on_predict_batch_end(0, {"outputs": [[1.0]]})
        cbs.on_predict_end()
    evaluate_line, predict_line = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"12/12 - \d+s - \d+(us|ms|s)/step - loss: 1\.0000e-05", evaluate_line)
    assert re.fullmatch(r"1/1 - \d+s - \d+(us|ms|s)/step", predict_line)


def test_progbar_verbose_1_draws_a_bar(capsys):
    pytest.importorskip("tqdm")
    cbs = CallbackList([], add_progbar=True, model=FakeModel(), verbose=1, epochs=1, steps=2)
    run_fit(cbs, epochs=1, steps=2)
    out = capsys.readouterr().out
    final = out.replace("\r", "\n").strip().splitlines()[-1]
    assert final.startswith("2/2 ")
    assert "/step - accuracy: 0.5000 - loss: 0.6683 - val_accuracy: 1.0000" in final


def test_verbose_0_is_silent_and_auto_depends_on_tty(capsys, monkeypatch):
    progbar = ProgbarLogger()
    cbs = CallbackList([progbar], model=FakeModel(), verbose=0, epochs=2, steps=1)
    run_fit(cbs, epochs=2, steps=1)
    assert capsys.readouterr().out == ""
    monkeypatch.setattr("sys.stdout.isatty", lambda: False, raising=False)
    assert resolve_verbose("auto") == 2
    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    assert resolve_verbose("auto") == 1
    assert resolve_verbose(2) == 2


def test_number_formats_match_keras():
    assert format_time_per_step(0.031) == "31ms/step"
    assert format_time_per_step(2.4) == "2s/step"
    assert format_time_per_step(0.000012) == "12us/step"
    assert format_logs({"loss": 0.66834, "acc": 0.0, "outputs": [1, 2]}) == (
        " - loss: 0.6683 - acc: 0.0000e+00")


def test_callback_base_defaults():
    cb = Callback()
    assert cb.model is None and cb.params == {} and cb.state_key == "Callback"
    calls = []

    class Old(Callback):
        def on_batch_begin(self, batch, logs=None):
            calls.append(("begin", batch, logs))

        def on_batch_end(self, batch, logs=None):
            calls.append(("end", batch, logs))

    old = Old()
    old.on_train_batch_begin(0, {})
    old.on_train_batch_end(0, {"loss": 1.0})
    assert calls == [("begin", 0, {}), ("end", 0, {"loss": 1.0})]
