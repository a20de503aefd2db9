"""Convolutional network on images: the bundled digits as 8x8x1 images.

Conv2D -> MaxPooling2D -> Conv2D -> Flatten -> Dense, the classic Keras MNIST convnet,
scaled to 8x8 pictures. For MNIST itself (downloaded once), use
``keras.datasets.mnist.load_data()`` and ``keras.Input((28, 28, 1))``.

    python examples/cnn_digits.py [--smoke]
"""

import argparse

import numpy as np

import kcore as keras
from kcore import layers

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--smoke", action="store_true", help="train for a few batches only")
args = parser.parse_args()

num_classes = 10
(x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
x_train = np.expand_dims(x_train.astype("float32") / 16, -1)
x_test = np.expand_dims(x_test.astype("float32") / 16, -1)
y_train = keras.utils.to_categorical(y_train, num_classes)
y_test = keras.utils.to_categorical(y_test, num_classes)
print("x_train shape:", x_train.shape)

model = keras.Sequential([
    keras.Input(shape=(8, 8, 1)),
    layers.Conv2D(16, kernel_size=(3, 3), padding="same", activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Conv2D(32, kernel_size=(3, 3), padding="same", activation="relu"),
    layers.Flatten(),
    layers.Dropout(0.3),
    layers.Dense(num_classes, activation="softmax"),
])
model.summary()
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=32, epochs=1 if args.smoke else 15,
          steps_per_epoch=3 if args.smoke else None, validation_split=0.1)
score = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss {score[0]:.4f}, test accuracy {score[1]:.4f}")
