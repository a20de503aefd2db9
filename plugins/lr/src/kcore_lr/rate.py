"""The learning rate the LR callbacks write into an epoch's logs."""


def used_learning_rate(optimizer):
    """The rate the epoch's last training step used: ``optimizer.last_learning_rate``.

    ``TensorBoard`` and the W&B logger record the same value, so every logger of a run
    shows one number per epoch with one meaning. Before any step (or with an optimizer
    that does not record it) this is the current rate.
    """
    last = getattr(optimizer, "last_learning_rate", None)
    return float(optimizer.learning_rate) if last is None else float(last)
