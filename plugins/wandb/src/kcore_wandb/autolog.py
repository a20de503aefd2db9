"""kcore-wandb's opt-in auto-logging (entry point ``kcore.plugins: wandb``).

With ``KCORE_WANDB=1`` every ``fit`` gets a ``WandbMetricsLogger``
(``KCORE_WANDB_LOG_FREQ`` = ``epoch``, ``batch`` or N sets its ``log_freq``); the run
goes to ``WANDB_PROJECT``. It stands down when the ``fit`` already has a
``WandbMetricsLogger``. (Marking a failed ``fit``'s run as failed is the callbacks' own
``on_exception``.) wandb is not imported here.
"""

import os

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
