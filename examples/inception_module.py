"""Functional API, parallel branches: an Inception module (1x1, 3x3, 5x5 and pooling towers).

Four convolution towers read the same input and their feature maps are concatenated on
the channel axis, as in GoogLeNet. Trained on the bundled digits as 8x8x1 images.

    python examples/inception_module.py [--smoke]
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


def inception_module(x, filters):
    tower_1 = layers.Conv2D(filters, (1, 1), padding="same", activation="relu")(x)
    tower_1 = layers.Conv2D(filters, (3, 3), padding="same", activation="relu")(tower_1)
    tower_2 = layers.Conv2D(filters, (1, 1), padding="same", activation="relu")(x)
    tower_2 = layers.Conv2D(filters, (5, 5), padding="same", activation="relu")(tower_2)
    tower_3 = layers.MaxPooling2D((3, 3), strides=(1, 1), padding="same")(x)
    tower_3 = layers.Conv2D(filters, (1, 1), padding="same", activation="relu")(tower_3)
    return layers.concatenate([tower_1, tower_2, tower_3], axis=-1)


inputs = keras.Input(shape=(8, 8, 1))
x = inception_module(inputs, 8)
x = layers.MaxPooling2D(2)(x)
x = layers.Flatten()(x)
outputs = layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs, outputs, name="inception")
model.summary()

model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=1 if args.smoke else 10, batch_size=32,
          steps_per_epoch=3 if args.smoke else None, validation_split=0.15)
print("test accuracy: %.4f" % model.evaluate(x_test, y_test, verbose=0)[1])
