"""Functional API, several inputs: predict a product's price from metadata, text and an image.

Three branches (a Dense stack for tabular metadata, an Embedding for the title's word ids,
a small CNN for the picture) are merged with ``concatenate`` into one regression head.
The data is synthetic: the price depends on one feature of each input.

    python examples/functional_price_model.py [--smoke] [--output DIR]
"""

import argparse
from pathlib import Path

import numpy as np

import kcore as keras

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--smoke", action="store_true", help="train for a few batches only")
parser.add_argument("--output", type=Path,
                    default=Path(__file__).resolve().parent / "output" / "functional_price_model",
                    help="where the files go (default: examples/output/functional_price_model/)")
args = parser.parse_args()
args.output.mkdir(parents=True, exist_ok=True)

n, vocab, title_len = 64 if args.smoke else 1024, 500, 12
rng = np.random.default_rng(0)
metadata = rng.normal(size=(n, 8)).astype("float32")
titles = rng.integers(1, vocab, size=(n, title_len))
images = rng.uniform(size=(n, 16, 16, 3)).astype("float32")
price = (2.0 * metadata[:, 0] + (titles[:, 0] < vocab // 2) + 3.0 * images[:, :8, :8, 0].mean(axis=(1, 2)))
price = price.astype("float32")

metadata_input = keras.Input(shape=(8,), name="metadata")
title_input = keras.Input(shape=(title_len,), dtype="int32", name="title")
image_input = keras.Input(shape=(16, 16, 3), name="image")

m = keras.layers.Dense(32, activation="relu")(metadata_input)
t = keras.layers.Embedding(vocab, 16)(title_input)
t = keras.layers.GlobalAveragePooling1D()(t)
i = keras.layers.Conv2D(8, 3, activation="relu")(image_input)
i = keras.layers.MaxPooling2D(2)(i)
i = keras.layers.Flatten()(i)
x = keras.layers.concatenate([m, t, i])
x = keras.layers.Dense(32, activation="relu")(x)
price_output = keras.layers.Dense(1, name="price")(x)

model = keras.Model(inputs=[metadata_input, title_input, image_input], outputs=price_output)
model.summary()
drawing = keras.utils.plot_model(model, args.output / "price_model.png", show_shapes=True)
print("model graph drawn in", drawing)

model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=["mae"])
# Inputs can be passed as a list in order, or as a dict keyed by the Input names.
model.fit({"metadata": metadata, "title": titles, "image": images}, price,
          epochs=1 if args.smoke else 20, batch_size=32, validation_split=0.2)
print("predicted prices:", model.predict([metadata[:3], titles[:3], images[:3]], verbose=0).ravel())
