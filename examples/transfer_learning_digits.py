"""Transfer learning with an application model, as in Keras's transfer-learning guide.

The bundled digits (8x8) are resized to 32x32 RGB images. A small MobileNet (alpha=0.25) is
first trained on the digits 0-4 (the "pretraining" task) and its weights are saved to a
local file. A new MobileNet is then built with ``weights=<that file>`` and
``include_top=False``, frozen, and used as the base of a classifier for the digits 5-9:

1. train only the new head with the base frozen (``base_model.trainable = False``, and the
   base called with ``training=False`` so its batch norms stay in inference mode);
2. unfreeze the base and fine-tune everything with a low learning rate.

With ImageNet weights on disk (see docs/applications.md), pass their path instead of
pretraining here.

    python examples/transfer_learning_digits.py [--smoke] [--output DIR]
"""

import argparse
from pathlib import Path

import numpy as np

import kcore as keras
from kcore import layers

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--smoke", action="store_true", help="train for a few batches only")
parser.add_argument("--output", type=Path,
                    default=Path(__file__).resolve().parent / "output" / "transfer_learning_digits",
                    help="where the files go (default: examples/output/transfer_learning_digits/)")
args = parser.parse_args()
args.output.mkdir(parents=True, exist_ok=True)
keras.utils.set_random_seed(0)

IMAGE_SHAPE = (32, 32, 3)
(x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()


def to_images(x):
    """8x8 counts 0..16 -> 32x32 RGB pixels 0..255 (what application models expect)."""
    x = x.astype("float32") * (255.0 / 16.0)
    x = np.repeat(np.repeat(x, 4, axis=1), 4, axis=2)  # nearest-neighbour resize, 8 -> 32
    return np.repeat(x[..., None], 3, axis=-1)


x_train, x_test = to_images(x_train), to_images(x_test)
source_train, source_test = y_train < 5, y_test < 5
steps = 3 if args.smoke else None
epochs = (1, 1, 1) if args.smoke else (3, 3, 2)


def classifier(base_model, num_classes, base_training=None):
    """Image in [0, 255] -> MobileNet's input scaling -> base -> new classification head."""
    inputs = keras.Input(shape=IMAGE_SHAPE)
    x = layers.Rescaling(scale=1 / 127.5, offset=-1)(inputs)  # mobilenet.preprocess_input
    x = base_model(x, training=base_training)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


# -- 1. pretrain a base on the digits 0-4 and save its weights to a local file --------------
source_base = keras.applications.MobileNet(input_shape=IMAGE_SHAPE, alpha=0.25,
                                           include_top=False, weights=None)
# A short pretraining: let the batch norms' moving statistics follow the weights faster
# than the default momentum (0.99) would, since the frozen base later runs in inference mode.
for layer in source_base.layers:
    if isinstance(layer, layers.BatchNormalization):
        layer.momentum = 0.9
source_model = classifier(source_base, 5)
source_model.compile(optimizer=keras.optimizers.Adam(3e-3),
                     loss="sparse_categorical_crossentropy", metrics=["accuracy"])
source_model.fit(x_train[source_train], y_train[source_train], batch_size=32,
                 epochs=epochs[0], steps_per_epoch=steps, verbose=2)
weights_path = args.output / "mobilenet_025_digits04_notop.weights.h5"
source_base.save_weights(weights_path)
print("pretrained base saved to", weights_path)

# -- 2. a new model for the digits 5-9 on top of the frozen pretrained base ------------------
base_model = keras.applications.MobileNet(input_shape=IMAGE_SHAPE, alpha=0.25,
                                          include_top=False, weights=str(weights_path))
base_model.trainable = False
model = classifier(base_model, 5, base_training=False)
model.summary(show_trainable=True)
target_x, target_y = x_train[~source_train], y_train[~source_train] - 5
test_x, test_y = x_test[~source_test], y_test[~source_test] - 5
model.compile(optimizer=keras.optimizers.Adam(1e-2),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(target_x, target_y, batch_size=32, epochs=epochs[1], steps_per_epoch=steps,
          validation_split=0.2, verbose=2)
frozen = model.evaluate(test_x, test_y, verbose=0)

# -- 3. unfreeze the base and fine-tune end to end with a low learning rate -----------------
base_model.trainable = True
model.summary(show_trainable=True)
model.compile(optimizer=keras.optimizers.Adam(1e-4),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(target_x, target_y, batch_size=32, epochs=epochs[2], steps_per_epoch=steps,
          validation_split=0.2, verbose=2)
tuned = model.evaluate(test_x, test_y, verbose=0)
print(f"digits 5-9 test accuracy: frozen base {frozen[1]:.3f}, fine-tuned {tuned[1]:.3f}")
