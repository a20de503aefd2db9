"""LSTM sentiment classifier on IMDB-format data: word ids -> Embedding -> LSTM -> sigmoid.

``keras.datasets.imdb.load_data()`` downloads the real reviews (needs the network once):

    (x_train, y_train), (x_test, y_test) = keras.datasets.imdb.load_data(num_words=max_features)

So that this example runs offline, it builds synthetic reviews in exactly that format:
1-D object arrays of Python lists of word ids, each starting with ``start_char=1``, with
``oov_char=2`` for rare words and real words from ``index_from=3`` on, and 0/1 labels.
Positive reviews use "positive" words a bit more often. Swap in the line above for the
real data; the rest is unchanged.

    python examples/lstm_text_classifier.py [--smoke]
"""

import argparse

import numpy as np

import kcore as keras

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--smoke", action="store_true", help="train for a few batches only")
args = parser.parse_args()

max_features = 2000  # vocabulary size (num_words)
maxlen = 80  # cut reviews after this many words
batch_size = 32


def synthetic_imdb(n, seed):
    """Reviews in ``keras.datasets.imdb.load_data()`` format (start_char=1, oov_char=2, index_from=3)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=n)
    positive_words = np.arange(3, 103)  # word ids 3..102 lean positive,
    negative_words = np.arange(103, 203)  # 103..202 lean negative, the rest is neutral
    reviews = []
    for label in labels:
        length = int(rng.integers(20, 120))
        words = rng.integers(3, max_features, size=length)
        cues = rng.random(length) < 0.15
        cue_words = rng.choice(positive_words if label else negative_words, size=length)
        words = np.where(cues, cue_words, words)
        words[rng.random(length) < 0.02] = 2  # out-of-vocabulary words
        reviews.append([1] + words.tolist())
    x = np.empty(n, dtype=object)
    x[:] = reviews
    return x, labels


n_train, n_test = (96, 64) if args.smoke else (2000, 500)
(x_train, y_train), (x_test, y_test) = synthetic_imdb(n_train, 0), synthetic_imdb(n_test, 1)
print(len(x_train), "train sequences,", len(x_test), "test sequences")
x_train = keras.utils.pad_sequences(x_train, maxlen=maxlen)
x_test = keras.utils.pad_sequences(x_test, maxlen=maxlen)
print("x_train shape:", x_train.shape)

model = keras.Sequential([
    keras.Input(shape=(maxlen,), dtype="int32"),
    keras.layers.Embedding(max_features, 32),
    keras.layers.LSTM(32, dropout=0.2),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=batch_size, epochs=1 if args.smoke else 4,
          validation_data=(x_test, y_test))
score, acc = model.evaluate(x_test, y_test, batch_size=batch_size, verbose=0)
print(f"test loss {score:.4f}, test accuracy {acc:.4f}")
