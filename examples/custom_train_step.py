"""Customise what ``fit`` does by overriding ``train_step`` (and ``test_step``).

``fit`` keeps everything else: batching, callbacks, the progress bar, validation,
``History``. The step below is the standard one written out: forward pass under a
``GradientTape``, ``compute_loss``, gradients, ``apply_gradients``, metric updates.

    python examples/custom_train_step.py [--smoke]
"""

import argparse

import numpy as np

import kcore as keras

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--smoke", action="store_true", help="train for a few batches only")
args = parser.parse_args()


class CustomModel(keras.Model):
    def train_step(self, data):
        x, y = data
        with keras.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply_gradients(zip(gradients, trainable_vars))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


rng = np.random.default_rng(0)
x = rng.random((1000, 32)).astype("float32")
y = x[:, :4].sum(axis=1, keepdims=True)

# Construct an instance of CustomModel from inputs and outputs, as a Functional model.
inputs = keras.Input(shape=(32,))
hidden = keras.layers.Dense(32, activation="relu")(inputs)
outputs = keras.layers.Dense(1)(hidden)
model = CustomModel(inputs, outputs)
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
history = model.fit(x, y, epochs=1 if args.smoke else 10, batch_size=32,
                    steps_per_epoch=3 if args.smoke else None, validation_split=0.2)
print({k: round(v[-1], 4) for k, v in history.history.items()})
