"""The mutable per-batch context handed to the gradient hooks."""

import dataclasses
from typing import Any


@dataclasses.dataclass
class StepContext:
    """One training step, as seen by the gradient hooks.

    The loop creates one per training batch and passes the same object to
    ``kcore_reduce_gradients``, ``kcore_before_apply_gradients`` and
    ``kcore_after_apply_gradients``. pluggy gives every implementation the
    same arguments, so plugins transform the step *in place*: scale the arrays
    in ``grads``, replace ``grads`` with a list of the same length, or set
    ``skip``.

    Attributes:
        batch_index: 0-based batch index within the epoch.
        epoch: absolute 0-based epoch index.
        x: the batch inputs.
        y: the batch targets (``None`` when the model has none).
        sample_weight: the batch sample weights, or ``None``.
        outputs: the model outputs of the forward pass.
        loss: the scalar loss of the batch.
        grads: one ``np.ndarray`` per variable, in the order of ``variables``.
        variables: the trainable variables the optimizer will update.
        skip: set to ``True`` to skip the optimizer update of this batch.
    """

    batch_index: int
    epoch: int
    x: Any = None
    y: Any = None
    sample_weight: Any = None
    outputs: Any = None
    loss: Any = None
    grads: list = dataclasses.field(default_factory=list)
    variables: list = dataclasses.field(default_factory=list)
    skip: bool = False
