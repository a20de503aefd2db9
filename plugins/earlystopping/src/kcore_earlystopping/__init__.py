"""kcore-earlystopping: the Keras ``EarlyStopping`` and ``TerminateOnNaN`` callbacks.

Found through the ``kcore.callbacks`` entry-point group: ``kcore.callbacks.EarlyStopping``,
``kcore.callbacks.get("EarlyStopping")`` and ``fit(callbacks=["EarlyStopping"])``.
"""

from kcore_earlystopping.early_stopping import EarlyStopping
from kcore_earlystopping.terminate_on_nan import TerminateOnNaN

__version__ = "0.1.0"
__all__ = ["EarlyStopping", "TerminateOnNaN"]
