"""kcore-checkpoint: the Keras ``ModelCheckpoint`` and ``BackupAndRestore`` callbacks.

Found through the ``kcore.callbacks`` entry-point group, e.g.
``kcore.callbacks.ModelCheckpoint`` or ``fit(callbacks=["BackupAndRestore"])``.
"""

from kcore_checkpoint.backup_and_restore import BackupAndRestore
from kcore_checkpoint.model_checkpoint import ModelCheckpoint

__version__ = "0.1.0"
__all__ = ["BackupAndRestore", "ModelCheckpoint"]
