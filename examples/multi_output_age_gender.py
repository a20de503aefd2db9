"""Functional API, several outputs: predict age (regression) and gender (binary) from a face.

Each output has its own loss and metric; ``loss_weights`` balances the two losses in the
total that is minimised. The "faces" are synthetic 16x16 images whose brightness encodes
the age and whose left/right contrast encodes the gender.

    python examples/multi_output_age_gender.py [--smoke]
"""

import argparse

import numpy as np

import kcore as keras

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--smoke", action="store_true", help="train for a few batches only")
args = parser.parse_args()

n = 64 if args.smoke else 1024
rng = np.random.default_rng(0)
age = rng.uniform(18, 80, size=(n, 1)).astype("float32")
gender = rng.integers(0, 2, size=(n, 1)).astype("float32")
faces = rng.normal(0, 0.1, size=(n, 16, 16, 1)).astype("float32")
faces += (age / 80.0)[:, :, None, None]
faces[:, :, :8] += 0.5 * gender[:, :, None, None]

inputs = keras.Input(shape=(16, 16, 1), name="face")
x = keras.layers.Conv2D(8, 3, activation="relu")(inputs)
x = keras.layers.MaxPooling2D(2)(x)
x = keras.layers.Flatten()(x)
x = keras.layers.Dense(32, activation="relu")(x)
age_output = keras.layers.Dense(1, name="age")(x)
gender_output = keras.layers.Dense(1, activation="sigmoid", name="gender")(x)
model = keras.Model(inputs, [age_output, gender_output])

model.compile(
    optimizer="adam",
    loss={"age": "mse", "gender": "binary_crossentropy"},
    loss_weights={"age": 0.01, "gender": 1.0},  # the age loss is in years squared
    metrics={"age": ["mae"], "gender": ["accuracy"]},
)
history = model.fit(faces, {"age": age, "gender": gender}, epochs=1 if args.smoke else 25,
                    batch_size=32, validation_split=0.2)
print("logged keys:", sorted(history.history))
results = model.evaluate(faces, {"age": age, "gender": gender}, verbose=0, return_dict=True)
print({k: round(float(v), 4) for k, v in results.items()})
predicted_age, predicted_gender = model.predict(faces[:3], verbose=0)
print("age:", predicted_age.ravel(), "p(gender=1):", predicted_gender.ravel())
