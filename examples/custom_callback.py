"""A custom ``Callback`` subclass: react to training events with Keras's method names.

``LossHistory`` records every batch loss; ``StopAtAccuracy`` stops training once the
validation accuracy reaches a target by setting ``self.model.stop_training``. The same
class works in Keras: override the ``on_*`` methods you need, nothing else.

    python examples/custom_callback.py [--smoke]
"""

import argparse

import kcore as keras

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--smoke", action="store_true", help="train for a few batches only")
args = parser.parse_args()


class LossHistory(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.batch_losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.batch_losses.append(logs["loss"])


class StopAtAccuracy(keras.callbacks.Callback):
    def __init__(self, target):
        super().__init__()
        self.target = target

    def on_epoch_end(self, epoch, logs=None):
        accuracy = logs.get("val_accuracy")
        if accuracy is not None and accuracy >= self.target:
            print(f"\nepoch {epoch + 1}: val_accuracy {accuracy:.4f} >= {self.target}, stopping")
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        print(f"trained with {self.params['steps']} steps per epoch, "
              f"optimizer {type(self.model.optimizer).__name__}")


(x_train, y_train), _ = keras.datasets.digits.load_data()
x_train = x_train.reshape(-1, 64).astype("float32") / 16

model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(64, activation="relu"),
                          keras.layers.Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
loss_history = LossHistory()
history = model.fit(x_train, y_train, batch_size=32, epochs=2 if args.smoke else 50,
                    steps_per_epoch=3 if args.smoke else None, validation_split=0.2, verbose=0,
                    callbacks=[loss_history, StopAtAccuracy(0.95)])
print(f"{len(history.epoch)} epochs, {len(loss_history.batch_losses)} batches; "
      f"first and last batch loss: {loss_history.batch_losses[0]:.3f}, "
      f"{loss_history.batch_losses[-1]:.3f}")
