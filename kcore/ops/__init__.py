"""``kcore.ops``: the differentiable op set, with ``keras.ops`` names and signatures.

Every op accepts tensors, variables, numpy arrays and Python numbers, and returns a
``Tensor``. Ops are recorded on an active ``GradientTape`` and cost only the numpy call
otherwise.
"""

from kcore.ops.core import *  # noqa: F401,F403
from kcore.ops.math import *  # noqa: F401,F403
from kcore.ops.conv import *  # noqa: F401,F403
