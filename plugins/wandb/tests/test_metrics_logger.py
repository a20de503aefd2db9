"""WandbMetricsLogger, auto-logging and failed runs, read back from real offline run files."""

import subprocess
import sys

import pytest

import kcore


def rows_with(history, key):
    return [row for row in history if key in row]


def test_found_through_entry_point():
    from kcore_wandb import WandbMetricsLogger, WandbModelCheckpoint

    assert kcore.callbacks.WandbMetricsLogger is WandbMetricsLogger
    assert kcore.callbacks.WandbModelCheckpoint is WandbModelCheckpoint


def test_epoch_logging_into_user_run(wandb_offline, model, data, read_offline_run):
    import wandb

    x, y = data
    run = wandb.init(config={"mine": 1})
    history = model.fit(x, y, batch_size=4, epochs=3, verbose=0, validation_split=0.2,
                        callbacks=[kcore.callbacks.WandbMetricsLogger()])
    assert wandb.run is run  # the user's run is left open
    run.log({"after_fit": 1.0})
    run_dir, run_id = run.dir.rsplit("/files", 1)[0], run.id
    run.finish()
    r = read_offline_run(run_dir)
    assert r["run"]["id"] == run_id and r["config"]["mine"] == 1 and r["exit_code"] == 0
    epoch_rows = rows_with(r["history"], "epoch/epoch")
    assert [row["epoch/epoch"] for row in epoch_rows] == [0, 1, 2]
    for key, values in history.history.items():
        assert [row[f"epoch/{key}"] for row in epoch_rows] == pytest.approx(values)
    assert [row["epoch/learning_rate"] for row in epoch_rows] == pytest.approx([0.001] * 3)
    assert not rows_with(r["history"], "batch/batch_step")
    assert r["metrics"]["epoch/*"] == "epoch/epoch"
    assert r["summary"]["epoch/val_loss"] == pytest.approx(history.history["val_loss"][-1])
    assert rows_with(r["history"], "after_fit")


@pytest.mark.parametrize("log_freq, batches", [("batch", [0, 1, 2, 3, 4]), (2, [0, 2, 4])])
def test_batch_logging(wandb_offline, model, data, read_offline_run, log_freq, batches):
    import wandb

    x, y = data
    run = wandb.init()
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0,
                        callbacks=[kcore.callbacks.WandbMetricsLogger(log_freq=log_freq)])
    run_dir = run.dir.rsplit("/files", 1)[0]
    run.finish()
    r = read_offline_run(run_dir)
    batch_rows = rows_with(r["history"], "batch/batch_step")
    # 5 batches per epoch; batch_step is the 0-based global batch
    assert [row["batch/batch_step"] for row in batch_rows] == batches + [5 + b for b in batches]
    assert all({"batch/loss", "batch/mae", "batch/learning_rate"} <= set(row)
               for row in batch_rows)
    if log_freq == "batch":  # running means: the last batch of an epoch is the epoch value
        assert [batch_rows[4]["batch/loss"], batch_rows[9]["batch/loss"]] == pytest.approx(
            history.history["loss"])
    assert [row["epoch/loss"] for row in rows_with(r["history"], "epoch/epoch")] == \
        pytest.approx(history.history["loss"])
    assert r["metrics"]["batch/*"] == "batch/batch_step"
    assert r["metrics"]["epoch/*"] == "epoch/epoch"


def test_starts_and_finishes_its_own_run(wandb_offline, model, data, run_dirs,
                                         read_offline_run):
    import wandb

    x, y = data
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0, validation_split=0.2,
                        callbacks=["WandbMetricsLogger"])
    assert wandb.run is None
    (run_dir,) = run_dirs()
    r = read_offline_run(run_dir)
    assert r["exit_code"] == 0 and r["run"]["project"] == "kcore-test"
    assert r["config"]["loss"] == "mse" and r["config"]["metrics"] == ["mae"]
    assert r["config"]["optimizer"]["name"] == "adam"
    assert r["config"]["optimizer"]["learning_rate"] == pytest.approx(0.001)
    assert (r["config"]["epochs"], r["config"]["steps"]) == (2, 4)
    assert [row["epoch/val_loss"] for row in rows_with(r["history"], "epoch/epoch")] == \
        pytest.approx(history.history["val_loss"])


def test_failing_fit_marks_its_run_failed(wandb_offline, model, data, run_dirs,
                                          read_offline_run):
    import wandb

    class Boom(kcore.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("boom")

    x, y = data
    with pytest.raises(RuntimeError, match="boom"):
        model.fit(x, y, batch_size=4, epochs=3, verbose=0,
                  callbacks=[kcore.callbacks.WandbMetricsLogger(), Boom()])
    assert wandb.run is None
    (run_dir,) = run_dirs()
    r = read_offline_run(run_dir)
    assert r["exit_code"] == 1
    assert [row["epoch/epoch"] for row in rows_with(r["history"], "epoch/epoch")] == [0]


def test_failing_fit_leaves_the_user_run_alone(wandb_offline, model, data):
    import wandb

    class Boom(kcore.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise RuntimeError("boom")

    run = wandb.init()
    with pytest.raises(RuntimeError, match="boom"):
        model.fit(*data, verbose=0, callbacks=[kcore.callbacks.WandbMetricsLogger(), Boom()])
    assert wandb.run is run
    run.finish()


def test_auto_logging_with_env_var(wandb_offline, model, data, monkeypatch, run_dirs,
                                   read_offline_run):
    monkeypatch.setenv("KCORE_WANDB", "1")
    monkeypatch.setenv("WANDB_PROJECT", "kcore-auto")
    monkeypatch.setenv("KCORE_WANDB_LOG_FREQ", "batch")
    x, y = data
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0)  # no callbacks passed
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)  # neither starts a run
    (run_dir,) = run_dirs()
    r = read_offline_run(run_dir)
    assert r["run"]["project"] == "kcore-auto" and r["exit_code"] == 0
    assert [row["epoch/loss"] for row in rows_with(r["history"], "epoch/epoch")] == \
        pytest.approx(history.history["loss"])
    assert len(rows_with(r["history"], "batch/batch_step")) == 10


def test_auto_logger_stands_down_for_the_users_logger(wandb_offline, model, data, monkeypatch,
                                                      run_dirs, read_offline_run):
    monkeypatch.setenv("KCORE_WANDB", "1")
    x, y = data
    model.fit(x, y, batch_size=4, epochs=2, verbose=0,
              callbacks=[kcore.callbacks.WandbMetricsLogger()])
    (run_dir,) = run_dirs()
    r = read_offline_run(run_dir)
    assert [row["epoch/epoch"] for row in rows_with(r["history"], "epoch/epoch")] == [0, 1]


def test_no_auto_logging_without_env_var(wandb_offline, model, data, run_dirs):
    model.fit(*data, epochs=1, verbose=0)
    assert run_dirs() == []


class _RankOne:
    """Answers ``kcore_distribution`` as rank 1 of 2 (what kcore-mpi does under mpirun)."""

    @kcore.hookimpl
    def kcore_distribution(self):
        return kcore.distribution.Distribution(rank=1, size=2, backend="test")


@pytest.fixture
def rank_one():
    pm = kcore.hooks.get_plugin_manager()
    plugin = _RankOne()
    pm.register(plugin)
    yield
    pm.unregister(plugin)


def test_only_rank_zero_logs(wandb_offline, model, data, run_dirs, rank_one):
    model.fit(*data, epochs=1, verbose=0, callbacks=[kcore.callbacks.WandbMetricsLogger()])
    assert run_dirs() == []


def test_invalid_log_freq():
    with pytest.raises(ValueError, match="log_freq"):
        kcore.callbacks.WandbMetricsLogger(log_freq="step")


def test_wandb_imported_only_when_used():
    code = (
        "import sys, io, kcore\n"
        "from kcore.__main__ import _plugins_report\n"
        "_plugins_report(io.StringIO())\n"
        "kcore.callbacks.WandbMetricsLogger()\n"
        "kcore.callbacks.WandbModelCheckpoint('m.h5')\n"
        "print('wandb' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "False"
