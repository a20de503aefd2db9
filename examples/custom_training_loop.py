"""A training loop written by hand with ``GradientTape``.

The tape records the forward pass; ``tape.gradient`` returns the gradients of the loss
with respect to the weights, and the optimizer applies them. Metrics are updated and
reset by hand, and a validation pass runs at the end of each epoch.

    python examples/custom_training_loop.py [--smoke]
"""

import argparse

import numpy as np

import kcore as keras

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--smoke", action="store_true", help="run a few batches only")
args = parser.parse_args()

(x_train, y_train), (x_val, y_val) = keras.datasets.digits.load_data()
x_train = x_train.reshape(-1, 64).astype("float32") / 16
x_val = x_val.reshape(-1, 64).astype("float32") / 16

model = keras.Sequential([
    keras.Input(shape=(64,)),
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dense(10),
])
optimizer = keras.optimizers.Adam(learning_rate=1e-3)
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
train_acc_metric = keras.metrics.SparseCategoricalAccuracy()
val_acc_metric = keras.metrics.SparseCategoricalAccuracy()


def train_step(x, y):
    with keras.GradientTape() as tape:
        logits = model(x, training=True)
        loss_value = loss_fn(y, logits)
    grads = tape.gradient(loss_value, model.trainable_weights)
    optimizer.apply_gradients(zip(grads, model.trainable_weights))
    train_acc_metric.update_state(y, logits)
    return loss_value


batch_size = 32
epochs = 1 if args.smoke else 15
rng = np.random.default_rng(0)
for epoch in range(epochs):
    order = rng.permutation(len(x_train))
    steps = 3 if args.smoke else len(order) // batch_size
    for step in range(steps):
        idx = order[step * batch_size:(step + 1) * batch_size]
        loss_value = train_step(x_train[idx], y_train[idx])
    train_acc = float(train_acc_metric.result())
    train_acc_metric.reset_state()

    val_acc_metric.update_state(y_val, model(x_val, training=False))
    val_acc = float(val_acc_metric.result())
    val_acc_metric.reset_state()
    print(f"epoch {epoch + 1}: loss {float(loss_value):.4f}  "
          f"train accuracy {train_acc:.4f}  validation accuracy {val_acc:.4f}")
