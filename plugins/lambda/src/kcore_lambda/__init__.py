"""kcore-lambda: the Keras ``LambdaCallback``.

Found through the ``kcore.callbacks`` entry-point group: ``kcore.callbacks.LambdaCallback``.
"""

from kcore_lambda.lambda_callback import LambdaCallback

__version__ = "0.1.0"
__all__ = ["LambdaCallback"]
