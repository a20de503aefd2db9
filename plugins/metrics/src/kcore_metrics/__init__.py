"""kcore-metrics: Keras 3's classification, segmentation and regression metrics for kcore.

Installed, these classes are found by name through the ``kcore.metrics`` entry-point
group: ``kcore.metrics.AUC``, ``kcore.metrics.get("auc")`` and
``model.compile(metrics=["auc", "f1_score"])`` all resolve here. Importing this package
directly works too.

Example:
    >>> import kcore
    >>> m = kcore.metrics.AUC()
    >>> m.update_state([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> float(m.result())
    0.75
"""

from kcore_metrics.auc import AUC
from kcore_metrics.confusion import (FalseNegatives, FalsePositives, Precision, Recall,
                                     TrueNegatives, TruePositives)
from kcore_metrics.f_score import F1Score, FBetaScore
from kcore_metrics.iou import IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from kcore_metrics.mean_losses import (CategoricalHinge, Hinge, KLDivergence, Poisson,
                                       SquaredHinge)
from kcore_metrics.operating_point import (PrecisionAtRecall, RecallAtPrecision,
                                           SensitivityAtSpecificity, SpecificityAtSensitivity)
from kcore_metrics.regression import CosineSimilarity, LogCoshError, R2Score, cosine_similarity
from kcore_metrics.top_k import (SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy,
                                 sparse_top_k_categorical_accuracy, top_k_categorical_accuracy)

__version__ = "0.1.0"

__all__ = [
    "AUC", "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives", "Precision",
    "Recall", "PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity",
    "SpecificityAtSensitivity", "F1Score", "FBetaScore", "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy", "IoU", "MeanIoU", "BinaryIoU", "OneHotIoU",
    "OneHotMeanIoU", "R2Score", "CosineSimilarity", "LogCoshError", "Poisson",
    "KLDivergence", "Hinge", "SquaredHinge", "CategoricalHinge",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "cosine_similarity",
]

# Configs say where a class comes from (``"module": "keras.metrics"``), so that a model
# saved by kcore names Keras's classes and Keras can load it.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type):
        _obj._keras_module = "keras.metrics"
del _name, _obj
