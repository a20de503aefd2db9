"""kcore-tensorboard's hook module (entry point ``kcore.plugins: tensorboard``).

A Keras callback is not told when ``fit`` fails, so this hook closes the event
files of every ``TensorBoard`` callback of the failing call: whatever was
logged before the exception is on disk, and no writer thread is left behind.
"""

from kcore.hooks import hookimpl

from kcore_tensorboard.callback import TensorBoard


@hookimpl
def kcore_on_exception(model):
    for callback in model.active_callbacks or ():
        if isinstance(callback, TensorBoard):
            callback.close()
