"""Model subclassing with a custom layer: write ``build``/``call`` yourself.

``Linear`` creates its weights in ``build`` with ``add_weight`` (so it adapts to the input
size); ``MLP`` composes layers in ``__init__`` and honours the ``training`` argument
(dropout only while training). Weights are tracked automatically.

    python examples/subclassing_custom_layer.py [--smoke]
"""

import argparse

import kcore as keras
from kcore import ops

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--smoke", action="store_true", help="train for a few batches only")
args = parser.parse_args()


class Linear(keras.layers.Layer):
    """``y = x @ w + b``, written out by hand."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                 initializer="glorot_uniform", trainable=True, name="w")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True,
                                 name="b")

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class MLP(keras.Model):
    def __init__(self, num_classes=10, **kwargs):
        super().__init__(**kwargs)
        self.hidden = Linear(64)
        self.dropout = keras.layers.Dropout(0.2)
        self.classifier = Linear(num_classes)

    def call(self, inputs, training=False):
        x = ops.relu(self.hidden(inputs))
        x = self.dropout(x, training=training)
        return ops.softmax(self.classifier(x))


(x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
x_train = x_train.reshape(-1, 64).astype("float32") / 16
x_test = x_test.reshape(-1, 64).astype("float32") / 16

model = MLP()
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=1 if args.smoke else 30, batch_size=32,
          steps_per_epoch=3 if args.smoke else None)
print("trainable weights:", [w.path for w in model.trainable_weights])
print("test accuracy: %.4f" % model.evaluate(x_test, y_test, verbose=0)[1])
