"""kcore-wandb: Weights & Biases logging for kcore.

- ``WandbMetricsLogger``: metrics and learning rate per epoch or per batch.
- ``WandbModelCheckpoint``: saves the model through kcore's saving and logs each
  saved file as a ``model`` artifact.
- Opt-in auto-logging: ``KCORE_WANDB=1`` adds a ``WandbMetricsLogger`` to every
  ``fit`` (the ``kcore.plugins`` hook module ``kcore_wandb.autolog``).

Both callbacks use the active run (``wandb.init()`` called by you) or, when
there is none, start a run for the ``fit`` and finish it at its end (marked
failed if ``fit`` raises). wandb is imported only when a callback starts
logging, so ``import kcore`` and ``python -m kcore plugins`` stay light.
"""

from kcore_wandb.metrics_logger import WandbMetricsLogger
from kcore_wandb.model_checkpoint import WandbModelCheckpoint

__all__ = ["WandbMetricsLogger", "WandbModelCheckpoint"]
__version__ = "0.1.0"
