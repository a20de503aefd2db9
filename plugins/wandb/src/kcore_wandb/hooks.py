"""kcore-wandb's hook module (entry point ``kcore.plugins: wandb``).

- ``kcore_default_callbacks``: opt-in auto-logging. With ``KCORE_WANDB=1`` every
  ``fit`` gets a ``WandbMetricsLogger`` (``KCORE_WANDB_LOG_FREQ`` = ``epoch``,
  ``batch`` or N sets its ``log_freq``); the run goes to ``WANDB_PROJECT``. It
  stands down when the ``fit`` already has a ``WandbMetricsLogger``.
- ``kcore_on_exception``: the run kcore-wandb started for a failing ``fit`` is
  finished with exit code 1 (marked failed). A run you started yourself is
  left to you.

wandb is not imported here.
"""

import os
import sys

from kcore.hooks import hookimpl

_TRUE = ("1", "true", "yes", "on")


@hookimpl
def kcore_default_callbacks():
    if os.environ.get("KCORE_WANDB", "").strip().lower() not in _TRUE:
        return []
    from kcore_wandb.metrics_logger import WandbMetricsLogger

    log_freq = os.environ.get("KCORE_WANDB_LOG_FREQ", "epoch").strip().lower()
    logger = WandbMetricsLogger(log_freq=int(log_freq) if log_freq.isdigit() else log_freq)
    logger._auto = True
    return [logger]


@hookimpl
def kcore_on_exception(model):
    runs = sys.modules.get("kcore_wandb.runs")
    if runs is not None:
        runs.fail(model)
