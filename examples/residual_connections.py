"""Functional API, skip connections: a small ResNet with residual blocks (``layers.add``).

Each block adds its input to the output of two convolutions; a 1x1 convolution projects
the shortcut when the number of channels changes. Trained on the bundled digits.

    python examples/residual_connections.py [--smoke]
"""

import argparse

import kcore as keras
from kcore import layers

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--smoke", action="store_true", help="train for a few batches only")
args = parser.parse_args()

(x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
x_train = x_train[..., None].astype("float32") / 16
x_test = x_test[..., None].astype("float32") / 16


def residual_block(x, filters):
    shortcut = x
    x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    x = layers.Conv2D(filters, 3, padding="same")(x)
    if shortcut.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1)(shortcut)
    x = layers.add([x, shortcut])
    return layers.Activation("relu")(x)


inputs = keras.Input(shape=(8, 8, 1), name="digit")
x = layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
x = residual_block(x, 8)
x = layers.MaxPooling2D(2)(x)
x = residual_block(x, 16)
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs, outputs, name="toy_resnet")
model.summary()

model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=1 if args.smoke else 10, batch_size=32,
          steps_per_epoch=3 if args.smoke else None, validation_split=0.15)
print("test accuracy: %.4f" % model.evaluate(x_test, y_test, verbose=0)[1])
