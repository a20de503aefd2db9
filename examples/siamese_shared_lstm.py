"""Functional API, shared layers: a Siamese network that reuses one LSTM for two inputs.

Does a pair of sequences come from the same source? One ``LSTM`` instance encodes both
sequences (same weights, trained by both branches); the two codes are concatenated and
classified. The data is synthetic: sequences of tokens from one of two vocabularies.

    python examples/siamese_shared_lstm.py [--smoke]
"""

import argparse

import numpy as np

import kcore as keras
from kcore import layers

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--smoke", action="store_true", help="train for a few batches only")
args = parser.parse_args()

n, length, vocab = 64 if args.smoke else 1024, 20, 64
rng = np.random.default_rng(0)


def sequences(source):
    # Source 0 writes tokens 1..31, source 1 tokens 32..63.
    low = np.where(source == 0, 1, vocab // 2)[:, None]
    return low + rng.integers(0, vocab // 2 - 1, size=(len(source), length))


source_a = rng.integers(0, 2, size=n)
same = rng.integers(0, 2, size=n)
source_b = np.where(same == 1, source_a, 1 - source_a)
seq_a, seq_b, labels = sequences(source_a), sequences(source_b), same.astype("float32")

input_a = keras.Input(shape=(length,), dtype="int32", name="sequence_a")
input_b = keras.Input(shape=(length,), dtype="int32", name="sequence_b")
embedding = layers.Embedding(vocab, 16)
shared_lstm = layers.LSTM(32)  # one layer object, called twice: its weights are shared
encoded_a = shared_lstm(embedding(input_a))
encoded_b = shared_lstm(embedding(input_b))
merged = layers.concatenate([encoded_a, encoded_b], axis=-1)
merged = layers.Dense(16, activation="relu")(merged)
predictions = layers.Dense(1, activation="sigmoid")(merged)
model = keras.Model(inputs=[input_a, input_b], outputs=predictions)
model.summary()

model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit([seq_a, seq_b], labels, epochs=1 if args.smoke else 10, batch_size=32,
          validation_split=0.2)
print("weights of the shared LSTM, used by both branches:", [w.path for w in shared_lstm.weights])
