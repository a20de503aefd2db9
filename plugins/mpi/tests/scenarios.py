"""Training scenarios run once in a single process and once under ``mpirun -n N``.

``python scenarios.py OUT.json [NAME ...]`` runs the named scenarios (all by default)
and rank 0 writes every final weight, the history, ``evaluate`` and ``predict``
results as JSON. The test compares them with the same scenarios run in the pytest
process (single process, no launcher).

To show that rank 0's state really is broadcast, ranks other than 0 perturb their
weights and their global random state right before ``fit``.
"""

import json
import sys

import numpy as np

import kcore
from kcore import layers

ROWS, BATCH, EPOCHS = 40, 16, 2  # batches of 16, 16, 8: uneven over 2 and 3 ranks


def _data(kind):
    rng = np.random.default_rng(7)
    if kind == "image":
        x = rng.random((ROWS, 6, 6, 1), dtype=np.float32)
        return x, (x.reshape(ROWS, -1).sum(1) > 18).astype(np.int64) + (x[:, 0, 0, 0] > .5)
    if kind == "sequence":
        x = rng.random((ROWS, 5, 3), dtype=np.float32)
        return x, x.sum(axis=(1, 2))[:, None] / 7.5
    if kind == "multi":
        a, b = rng.random((ROWS, 4), dtype=np.float32), rng.random((ROWS, 3), dtype=np.float32)
        return {"a": a, "b": b}, {"reg": a.sum(1, keepdims=True),
                                  "cls": (b.sum(1) > 1.5).astype(np.float32)[:, None]}
    x = rng.random((ROWS, 8), dtype=np.float32)
    return x, (x[:, :4].sum(1) > x[:, 4:].sum(1)).astype(np.float32)[:, None]


def _mlp(dropout):
    return kcore.Sequential([kcore.Input((8,)), layers.Dense(12, activation="relu"),
                             *([layers.Dropout(0.3)] if dropout else []),
                             layers.Dense(1, activation="sigmoid")])


def _cnn(dropout):
    # "dropout" also means random augmentation here: per-row flips drawn for the global batch.
    return kcore.Sequential([
        kcore.Input((6, 6, 1)), *([layers.RandomFlip("horizontal")] if dropout else []),
        layers.Conv2D(3, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), *([layers.Dropout(0.25)] if dropout else []),
        layers.Dense(3, activation="softmax")])


def _lstm(dropout):
    return kcore.Sequential([kcore.Input((5, 3)), layers.LSTM(4, dropout=0.2 if dropout else 0.0),
                             layers.Dense(1)])


def _multi(dropout):
    a, b = kcore.Input((4,), name="a"), kcore.Input((3,), name="b")
    h = layers.Dense(6, activation="tanh")(layers.Concatenate()([a, b]))
    if dropout:
        h = layers.Dropout(0.2)(h)
    return kcore.Model([a, b], [layers.Dense(1, name="reg")(h),
                                layers.Dense(1, activation="sigmoid", name="cls")(h)])


def _syncbn(dropout):
    from kcore_mpi import SyncBatchNormalization

    return kcore.Sequential([
        # No conv bias: BN cancels it, its gradient is float noise that Adam would amplify.
        kcore.Input((6, 6, 1)), layers.Conv2D(3, 3, use_bias=False),
        SyncBatchNormalization(momentum=0.8),
        layers.Activation("relu"), layers.Flatten(), *([layers.Dropout(0.25)] if dropout else []),
        layers.Dense(3, activation="softmax")])


class _Subclassed(kcore.Model):
    def __init__(self, dropout, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(10, activation="relu")
        self.drop = layers.Dropout(0.3) if dropout else None
        self.out = layers.Dense(1, activation="sigmoid")

    def call(self, x, training=False):
        h = self.hidden(x)
        if self.drop is not None:
            h = self.drop(h, training=training)
        return self.out(h)


MODELS = {
    "mlp": (_mlp, "vector", "binary_crossentropy", ["accuracy", "auc", "precision"]),
    "cnn": (_cnn, "image", "sparse_categorical_crossentropy", ["accuracy"]),
    "lstm": (_lstm, "sequence", "mse", ["mae"]),
    "multi": (_multi, "multi", {"reg": "mse", "cls": "binary_crossentropy"},
              {"cls": ["accuracy"]}),
    "subclassed": (lambda d: _Subclassed(d), "vector", "binary_crossentropy", ["accuracy"]),
    # One process: SyncBatchNormalization is BatchNormalization on the global batch.
    "syncbn": (_syncbn, "image", "sparse_categorical_crossentropy", ["accuracy"]),
    # Batches of 13: the last global batch has 1 row, so some ranks get none.
    "tinybatch": (_mlp, "vector", "binary_crossentropy", ["accuracy", "auc"]),
}
OPTIMIZERS = {"sgd": lambda: kcore.optimizers.SGD(0.1, momentum=0.9),
              "adam": lambda: kcore.optimizers.Adam(0.01)}


def scenario_names():
    return [f"{m}-{o}-{d}" for m in MODELS for o in OPTIMIZERS for d in ("plain", "dropout")]


def run(name):
    """Train one scenario; returns JSON-able results."""
    model_name, opt_name, drop = name.split("-")
    build, kind, loss, metrics = MODELS[model_name]
    kcore.utils.set_random_seed(0)
    model = build(drop == "dropout")
    x, y = _data(kind)
    if model_name == "subclassed":
        model(x[:1])
    if isinstance(metrics, list):  # fixed names: other tests in the process made AUCs too
        metrics = [kcore.metrics.get(m).__class__(name=m) if m in ("auc", "precision") else m
                   for m in metrics]
    model.compile(optimizer=OPTIMIZERS[opt_name](), loss=loss, metrics=metrics)
    if kcore.distribution.rank() != 0:
        for w in model.weights:
            w.assign(w.numpy() * 2.0 + 1.0)
        kcore.utils.set_random_seed(1000 + kcore.distribution.rank())
    batch = 13 if model_name == "tinybatch" else BATCH
    history = model.fit(x, y, batch_size=batch, epochs=EPOCHS, validation_data=(x, y),
                        verbose=0)
    return {"weights": [w.numpy().tolist() for w in model.weights],
            "history": history.history,
            "evaluate": model.evaluate(x, y, batch_size=batch, verbose=0, return_dict=True),
            "predict": _to_list(model.predict(x, batch_size=batch, verbose=0))}


def _to_list(out):
    if isinstance(out, dict):
        return {k: _to_list(v) for k, v in out.items()}
    if isinstance(out, (list, tuple)):
        return [_to_list(v) for v in out]
    return np.asarray(out).tolist()


def main(argv):
    out, names = argv[0], argv[1:] or scenario_names()
    results = {name: run(name) for name in names}
    results["_distribution"] = [kcore.distribution.rank(), kcore.distribution.size()]
    if kcore.distribution.is_rank_zero():
        with open(out, "w") as f:
            json.dump(results, f)


if __name__ == "__main__":
    main(sys.argv[1:])
