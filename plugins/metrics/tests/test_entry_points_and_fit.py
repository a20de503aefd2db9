"""The plugin as users get it: installed, found through its entry points, used in ``fit``."""

import importlib.metadata
import json
import re
import subprocess
import sys

import numpy as np
import pytest

import kcore

CLASSES = [
    "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives", "Precision",
    "Recall", "AUC", "PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity",
    "SpecificityAtSensitivity", "F1Score", "FBetaScore", "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy", "IoU", "MeanIoU", "BinaryIoU", "OneHotIoU",
    "OneHotMeanIoU", "R2Score", "CosineSimilarity", "LogCoshError", "Poisson",
    "KLDivergence", "Hinge", "SquaredHinge", "CategoricalHinge",
]


def keras_snake_case(name):
    """Keras's ``to_snake_case``, written out here: ``"F1Score"`` -> ``"f1_score"``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def ours():
    return {ep.name: ep for ep in importlib.metadata.entry_points(group="kcore.metrics")
            if ep.dist is not None and ep.dist.metadata["Name"] == "kcore-metrics"}


def test_every_class_is_registered_under_its_name_and_keras_alias():
    eps = ours()
    expected = set(CLASSES) | {keras_snake_case(c) for c in CLASSES}
    assert set(eps) == expected
    for cls_name in CLASSES:
        cls = eps[cls_name].load()
        assert cls.__name__ == cls_name
        assert eps[keras_snake_case(cls_name)].load() is cls
        assert issubclass(cls, kcore.metrics.Metric)


@pytest.mark.parametrize("identifier, cls_name", [
    ("auc", "AUC"), ("AUC", "AUC"), ("precision", "Precision"), ("f1_score", "F1Score"),
    ("f_beta_score", "FBetaScore"), ("fbeta_score", "FBetaScore"), ("r2_score", "R2Score"),
    ("top_k_categorical_accuracy", "TopKCategoricalAccuracy"),
    ("log_cosh_error", "LogCoshError"), ("hinge", "Hinge"), ("poisson", "Poisson"),
])
def test_get_resolves_names_to_instances(identifier, cls_name):
    metric = kcore.metrics.get(identifier)
    assert type(metric).__name__ == cls_name
    assert type(metric).__module__.startswith("kcore_metrics.")


def test_module_attributes_resolve_lazily():
    from kcore_metrics import AUC, F1Score, IoU

    assert kcore.metrics.AUC is AUC
    assert kcore.metrics.F1Score is F1Score
    assert kcore.metrics.io_u is IoU
    with pytest.raises(AttributeError, match="logcosh"):
        kcore.metrics.logcosh  # noqa: B018  (not an alias in Keras either)


def test_get_with_config_dict_and_no_direction_for_counts():
    metric = kcore.metrics.get({"class_name": "Precision",
                                "config": {"thresholds": 0.3, "name": "p30"}})
    assert metric.name == "p30" and metric.thresholds == [0.3]
    assert kcore.metrics.get("true_positives").direction is None


def _binary_data(n=128, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x[:, :1] + 0.5 * rng.normal(size=(n, 1)) > 0).astype("float32")
    return x, y


def _binary_model():
    kcore.utils.set_random_seed(0)
    return kcore.Sequential([kcore.Input((4,)), kcore.layers.Dense(1, activation="sigmoid")])


COMPILE_BY_NAME = """
import json, sys
import numpy as np
import kcore

rng = np.random.default_rng(0)
x = rng.normal(size=(128, 4)).astype("float32")
y = (x[:, :1] + 0.5 * rng.normal(size=(128, 1)) > 0).astype("float32")
kcore.utils.set_random_seed(0)
model = kcore.Sequential([kcore.Input((4,)), kcore.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="binary_crossentropy",
              metrics=["auc", kcore.metrics.Precision(thresholds=0.3)])
history = model.fit(x, y, epochs=2, batch_size=32, validation_split=0.25, verbose=0)
auc = kcore.metrics.AUC()
auc.update_state(y[96:], model.predict(x[96:], verbose=0))
json.dump({"history": history.history, "val_auc_now": float(auc.result()),
           "directions": {k: model.get_metric_direction(k) for k in history.history}},
          sys.stdout)
"""


def test_compile_by_name_logs_keras_keys_and_directions():
    # A fresh interpreter, as a user script: default metric names are unique per process
    # (a second Precision() is "precision_1", as in Keras).
    out = subprocess.run([sys.executable, "-c", COMPILE_BY_NAME], capture_output=True,
                         text=True, check=True)
    report = json.loads(out.stdout)
    history = report["history"]
    assert set(history) == {"loss", "auc", "precision", "val_loss", "val_auc",
                            "val_precision"}
    assert all(0.0 <= v <= 1.0 for v in history["val_auc"] + history["precision"])
    assert report["directions"] == {"loss": "down", "val_loss": "down", "auc": "up",
                                    "val_auc": "up", "precision": "up", "val_precision": "up"}
    # The validation AUC in the logs is the AUC of the model's validation predictions.
    assert history["val_auc"][-1] == pytest.approx(report["val_auc_now"], abs=1e-6)


def test_compile_names_string_metrics_as_written():
    x, y = _binary_data()
    model = _binary_model()
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["AUC", "recall", kcore.metrics.AUC(curve="PR", name="pr_auc")])
    history = model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    assert set(history.history) == {"loss", "AUC", "recall", "pr_auc"}
    assert model.get_metric_direction("pr_auc") == "up"


def test_array_results_are_split_into_indexed_log_keys():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(90, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, size=90)]
    kcore.utils.set_random_seed(0)
    model = kcore.Sequential([kcore.Input((4,)), kcore.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy",
                  metrics=[kcore.metrics.F1Score(), kcore.metrics.F1Score(average="macro",
                                                                         name="f1_macro")])
    history = model.fit(x, y, epochs=1, batch_size=30, validation_data=(x, y), verbose=0)
    keys = set(history.history)
    assert {"f1_score_0", "f1_score_1", "f1_score_2", "val_f1_score_0", "val_f1_score_1",
            "val_f1_score_2", "f1_macro", "val_f1_macro"} <= keys
    assert "f1_score" not in keys
    per_class = [history.history[f"val_f1_score_{i}"][0] for i in range(3)]
    assert history.history["val_f1_macro"][0] == pytest.approx(np.mean(per_class), abs=1e-6)


def _early_stopping():
    try:
        return kcore.callbacks.EarlyStopping
    except (AttributeError, ValueError):
        pytest.skip("kcore-earlystopping is not installed")


class _ImprovingWeights(kcore.callbacks.Callback):
    """Sets the kernel so that the validation AUC improves every epoch (lr is 0)."""

    def __init__(self, angles):
        super().__init__()
        self.angles = angles

    def on_epoch_begin(self, epoch, logs=None):
        theta = self.angles[epoch]
        kernel = np.array([[np.cos(theta)], [np.sin(theta)], [0.0], [0.0]], "float32")
        self.model.set_weights([kernel, np.zeros(1, "float32")])


def test_early_stopping_auto_mode_reads_auc_direction():
    EarlyStopping = _early_stopping()
    x, y = _binary_data(400, seed=3)
    angles = [1.4, 1.0, 0.6, 0.2]  # rotating toward feature 0, the informative one
    stop = EarlyStopping(monitor="val_auc", patience=1)  # mode="auto"
    model = _binary_model()
    model.compile(optimizer=kcore.optimizers.SGD(learning_rate=0.0),
                  loss="binary_crossentropy", metrics=["auc"])
    history = model.fit(x, y, epochs=4, batch_size=100, validation_split=0.5, verbose=0,
                        callbacks=[_ImprovingWeights(angles), stop])
    val_auc = history.history["val_auc"]
    assert np.all(np.diff(val_auc) > 0)  # the premise: AUC rises every epoch
    # "up" is inferred from AUC's direction: a rising AUC never stops training
    # (with mode="min" it would stop at the second epoch).
    assert len(val_auc) == 4 and stop.stopped_epoch == 0
    assert stop.best == pytest.approx(val_auc[-1])

    wrong_way = EarlyStopping(monitor="val_auc", patience=1, mode="min")
    model.fit(x, y, epochs=4, batch_size=100, validation_split=0.5, verbose=0,
              callbacks=[_ImprovingWeights(angles), wrong_way])
    assert wrong_way.stopped_epoch == 1


def test_early_stopping_auto_mode_refuses_confusion_counts():
    EarlyStopping = _early_stopping()
    x, y = _binary_data()
    model = _binary_model()
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["true_positives"])
    assert model.get_metric_direction("val_true_positives") is None
    with pytest.raises(Exception, match="true_positives"):
        model.fit(x, y, epochs=2, validation_split=0.25, verbose=0,
                  callbacks=[EarlyStopping(monitor="val_true_positives")])
