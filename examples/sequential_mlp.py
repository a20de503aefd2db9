"""Sequential MLP: classify the bundled 8x8 digits with a stack of Dense layers.

    python examples/sequential_mlp.py [--smoke]
"""

import argparse

import kcore as keras

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--smoke", action="store_true", help="train for a few batches only")
args = parser.parse_args()

(x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
x_train = x_train.reshape(-1, 64).astype("float32") / 16
x_test = x_test.reshape(-1, 64).astype("float32") / 16

model = keras.Sequential([
    keras.Input(shape=(64,)),
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dropout(0.2),
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])
model.summary()
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=32, epochs=1 if args.smoke else 30,
          steps_per_epoch=3 if args.smoke else None, validation_split=0.15)

loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy: {accuracy:.4f}")
print("predicted classes of 5 test digits:", model.predict(x_test[:5], verbose=0).argmax(axis=-1))
