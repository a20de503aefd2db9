"""kcore-tensorboard through ``fit``, read back with TensorBoard's own EventAccumulator."""

import glob
import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import kcore
from kcore import ops


def points(ea, tag):
    return [(e.step, e.value) for e in ea.Scalars(tag)]


def event_files(run_dir):
    return sorted(glob.glob(os.path.join(run_dir, "events.out.tfevents.*")))


def test_found_through_entry_point():
    from kcore_tensorboard import TensorBoard

    assert kcore.callbacks.TensorBoard is TensorBoard
    assert isinstance(kcore.callbacks.get({"class_name": "TensorBoard",
                                           "config": {"log_dir": "x"}}), TensorBoard)


def test_epoch_scalars_match_history(tmp_path, model, data, read_run):
    x, y = data
    tb = kcore.callbacks.TensorBoard(log_dir=tmp_path)
    history = model.fit(x, y, batch_size=4, epochs=3, verbose=0, validation_split=0.2,
                        callbacks=[tb])
    train, val = read_run(tmp_path / "train"), read_run(tmp_path / "validation")
    assert sorted(history.history) == ["loss", "mae", "val_loss", "val_mae"]
    for key in ("loss", "mae"):
        assert points(train, f"epoch_{key}") == [
            (e, pytest.approx(v)) for e, v in enumerate(history.history[key])]
        assert points(val, f"epoch_{key}") == [
            (e, pytest.approx(v)) for e, v in enumerate(history.history["val_" + key])]
    assert points(train, "epoch_learning_rate") == [(e, pytest.approx(0.001)) for e in range(3)]
    assert not any(t.startswith("batch_") for t in train.Tags()["scalars"])
    assert not any(t.startswith("epoch_val") for t in val.Tags()["scalars"])
    # write_graph: the Keras JSON as the graph dashboard's conceptual graph
    assert train.PluginTagToContent("graph_keras_model") == {"keras": b"1"}
    payload = train.Tensors("keras")[0].tensor_proto.string_val[0]
    assert json.loads(payload)["class_name"] == "Sequential"
    assert json.loads(payload) == json.loads(model.to_json())


def test_evaluation_vs_iterations(tmp_path, model, data, read_run):
    x, y = data
    tb = kcore.callbacks.TensorBoard(log_dir=tmp_path)
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0, validation_split=0.2,
                        callbacks=[tb])
    val_logs = model.evaluate(x, y, verbose=0, callbacks=[tb], return_dict=True)
    val = read_run(tmp_path / "validation")
    # 16 training samples / batch 4 = 4 optimizer steps per epoch
    assert points(val, "evaluation_loss_vs_iterations") == [
        (4, pytest.approx(history.history["val_loss"][0])),
        (8, pytest.approx(history.history["val_loss"][1])),
        (8, pytest.approx(val_logs["loss"]))]
    assert [s for s, _ in points(val, "evaluation_mae_vs_iterations")] == [4, 8, 8]
    assert tb._writers == {}  # the standalone evaluate() closed its file


@pytest.mark.parametrize("update_freq, steps", [("batch", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
                                                (3, [3, 6, 9])])
def test_batch_scalars(tmp_path, model, data, read_run, update_freq, steps):
    x, y = data
    tb = kcore.callbacks.TensorBoard(log_dir=tmp_path, update_freq=update_freq)
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[tb])
    train = read_run(tmp_path / "train")
    assert [s for s, _ in points(train, "batch_loss")] == steps
    assert [s for s, _ in points(train, "batch_mae")] == steps
    if update_freq == "batch":
        # batch logs are running means since the epoch began: the last batch equals the epoch
        batch_loss = dict(points(train, "batch_loss"))
        assert [batch_loss[5], batch_loss[10]] == pytest.approx(history.history["loss"])


def test_histograms_and_images(tmp_path, model, data, read_run):
    x, y = data
    tb = kcore.callbacks.TensorBoard(log_dir=tmp_path, histogram_freq=2, write_images=True)
    model.fit(x, y, batch_size=4, epochs=3, verbose=0, callbacks=[tb])
    train = read_run(tmp_path / "train")
    paths = [w.path for w in model.weights]
    assert paths == ["mlp/hidden/kernel", "mlp/hidden/bias", "mlp/out/kernel", "mlp/out/bias"]
    assert sorted(train.Tags()["histograms"]) == sorted(f"{p}/histogram" for p in paths)
    for path, weight in zip(paths, model.weights):
        events = train.Histograms(f"{path}/histogram")
        assert [e.step for e in events] == [0, 2]
        last = events[-1].histogram_value
        values = np.asarray(weight.numpy())
        assert last.num == values.size
        assert (last.min, last.max) == pytest.approx((values.min(), values.max()))
    assert sorted(train.Tags()["images"]) == sorted(f"{p}/image" for p in paths)
    kernel = train.Images("mlp/hidden/kernel/image")[-1]
    assert (kernel.width, kernel.height) == (4, 3)  # (4, 3) kernel shown wide: transposed
    assert kernel.encoded_image_string.startswith(b"\x89PNG")


def test_vector_metric_split_per_element(tmp_path, data, read_run):
    class Counts(kcore.metrics.Metric):
        def __init__(self, name="counts"):
            super().__init__(name=name)
            self.total = self.add_variable(shape=(2,), initializer="zeros", name="total")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.total.assign(ops.add(self.total, ops.convert_to_tensor([1.0, 2.0])))

        def result(self):
            return self.total

    m = kcore.Sequential([kcore.Input((4,)), kcore.layers.Dense(2)])
    m.compile(optimizer="sgd", loss="mse", metrics=[Counts()])
    x, y = data
    history = m.fit(x, y, batch_size=10, epochs=2, verbose=0, validation_split=0.5,
                    callbacks=[kcore.callbacks.TensorBoard(log_dir=tmp_path)])
    train, val = read_run(tmp_path / "train"), read_run(tmp_path / "validation")
    assert {"counts_0", "counts_1", "val_counts_0", "val_counts_1"} <= set(history.history)
    for i in (0, 1):
        assert points(train, f"epoch_counts_{i}") == [
            (e, pytest.approx(v)) for e, v in enumerate(history.history[f"counts_{i}"])]
        assert points(val, f"epoch_counts_{i}") == [
            (e, pytest.approx(v)) for e, v in enumerate(history.history[f"val_counts_{i}"])]


def test_learning_rate_schedule_is_logged(tmp_path, data, read_run):
    schedule = kcore.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    m = kcore.Sequential([kcore.Input((4,)), kcore.layers.Dense(2)])
    m.compile(optimizer=kcore.optimizers.SGD(learning_rate=schedule), loss="mse")
    x, y = data
    m.fit(x, y, batch_size=10, epochs=3, verbose=0,
          callbacks=[kcore.callbacks.TensorBoard(log_dir=tmp_path)])
    # the rate the next step uses: 0.1 * 0.5 ** iterations, 2 iterations per epoch
    assert points(read_run(tmp_path / "train"), "epoch_learning_rate") == [
        (e, pytest.approx(0.1 * 0.5 ** (2 * (e + 1)))) for e in range(3)]


def test_steps_per_second_and_hparams(tmp_path, model, data, read_run):
    from tensorboard.plugins.hparams import plugin_data_pb2

    x, y = data
    tb = kcore.callbacks.TensorBoard(log_dir=tmp_path, update_freq="batch",
                                     write_steps_per_second=True, write_hparams=True)
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[tb])
    train = read_run(tmp_path / "train")
    assert [s for s, _ in points(train, "epoch_steps_per_second")] == [0, 1]
    assert len(points(train, "batch_steps_per_second")) == 10
    assert all(v > 0 for _, v in points(train, "batch_steps_per_second"))
    content = train.PluginTagToContent("hparams")
    start = next(d for d in (plugin_data_pb2.HParamsPluginData.FromString(raw)
                             for raw in content.values())
                 if d.WhichOneof("data") == "session_start_info")
    hparams = {k: getattr(v, v.WhichOneof("kind"))
               for k, v in start.session_start_info.hparams.items()}
    assert hparams == {"optimizer": "Adam", "learning_rate": pytest.approx(0.001),
                       "loss": "mse", "epochs": 2.0, "steps": 5.0}
    assert os.listdir(tmp_path / "train") == [os.path.basename(event_files(
        tmp_path / "train")[0])]  # no time-stamped hparams sub-run


def test_two_fits_into_one_log_dir_keep_both_files(tmp_path, model, data, read_run):
    x, y = data
    tb = kcore.callbacks.TensorBoard(log_dir=tmp_path)
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[tb])
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[tb])  # same instance
    model.fit(x, y, batch_size=4, epochs=4, initial_epoch=2, verbose=0,
              callbacks=[kcore.callbacks.TensorBoard(log_dir=tmp_path)])  # a new one
    assert len(event_files(tmp_path / "train")) == 3  # within the same second, too
    steps = [s for s, _ in points(read_run(tmp_path / "train"), "epoch_loss")]
    assert sorted(steps) == [0, 0, 1, 1, 2, 3]


def test_exception_closes_writers_and_keeps_data(tmp_path, model, data, read_run):
    from tensorboardX.event_file_writer import _EventLoggerThread

    class Boom(kcore.callbacks.Callback):
        epoch = 0

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            if self.epoch == 1 and batch == 2:
                raise RuntimeError("boom")

    def writer_threads():
        return sum(isinstance(t, _EventLoggerThread) for t in threading.enumerate())

    before = writer_threads()
    x, y = data
    tb = kcore.callbacks.TensorBoard(log_dir=tmp_path, update_freq="batch")
    with pytest.raises(RuntimeError, match="boom"):
        model.fit(x, y, batch_size=4, epochs=3, verbose=0, callbacks=[tb, Boom()])
    assert tb._writers == {} and writer_threads() == before
    train = read_run(tmp_path / "train")
    # batches 6..8 were written after the last epoch-end flush: close() put them on disk
    assert [s for s, _ in points(train, "batch_loss")] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert [s for s, _ in points(train, "epoch_loss")] == [0]


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


def test_only_rank_zero_writes(tmp_path, model, data, rank_one):
    x, y = data
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, validation_split=0.2,
              callbacks=[kcore.callbacks.TensorBoard(log_dir=tmp_path / "logs",
                                                     update_freq="batch", histogram_freq=1)])
    assert not (tmp_path / "logs").exists()


@pytest.mark.parametrize("kwargs, match", [
    ({"profile_batch": 2}, "profiling is not supported"),
    ({"profile_batch": (2, 4)}, "profiling is not supported"),
    ({"profile_batch": "1,3"}, "profiling is not supported"),
    ({"embeddings_freq": 1}, "embedding projector is not supported"),
    ({"update_freq": "step"}, "update_freq"),
    ({"update_freq": 0}, "update_freq"),
    ({"histogram_freq": -1}, "histogram_freq"),
])
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        kcore.callbacks.TensorBoard(**kwargs)


def test_profile_batch_zero_is_accepted():
    for value in (0, (0, 0), "0,0"):
        kcore.callbacks.TensorBoard(profile_batch=value)


def test_tensorboardx_imported_only_when_used():
    code = (
        "import sys, io, contextlib, kcore\n"
        "from kcore.__main__ import _plugins_report\n"
        "_plugins_report(io.StringIO())\n"
        "tb = kcore.callbacks.TensorBoard(log_dir='unused')\n"
        "print('tensorboardX' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "False"
