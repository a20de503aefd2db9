"""A custom ``Metric`` subclass: state in ``add_variable``, ``update_state``, ``result``.

``CategoricalTruePositives`` counts the samples whose predicted class is right. Its state
is reset at the start of every epoch and of every ``evaluate``; the running value is shown
in the progress bar and recorded in ``History`` like any built-in metric.

    python examples/custom_metric.py [--smoke]
"""

import argparse

import kcore as keras
from kcore import ops

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--smoke", action="store_true", help="train for a few batches only")
args = parser.parse_args()


class CategoricalTruePositives(keras.metrics.Metric):
    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), initializer="zeros",
                                                name="true_positives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
        values = ops.cast(values, "float32")
        if sample_weight is not None:
            values = ops.multiply(values, ops.cast(sample_weight, "float32"))
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives

    def reset_state(self):
        self.true_positives.assign(0.0)


(x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
x_train = x_train.reshape(-1, 64).astype("float32") / 16
x_test = x_test.reshape(-1, 64).astype("float32") / 16
y_train, y_test = y_train.reshape(-1, 1), y_test.reshape(-1, 1)

model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(64, activation="relu"),
                          keras.layers.Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
              metrics=[CategoricalTruePositives(), "accuracy"])
model.fit(x_train, y_train, batch_size=32, epochs=1 if args.smoke else 10,
          steps_per_epoch=3 if args.smoke else None)
results = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
print(f"{results['categorical_true_positives']:.0f} of {len(x_test)} test digits right "
      f"(accuracy {results['accuracy']:.4f})")

# A metric also works on its own, outside fit:
metric = CategoricalTruePositives()
metric.update_state(y_test, model.predict(x_test, verbose=0))
print("standalone:", float(metric.result()))
