"""kcore-csvlogger: the Keras ``CSVLogger`` callback, with stable columns.

Found through the ``kcore.callbacks`` entry-point group: ``kcore.callbacks.CSVLogger``.
"""

from kcore_csvlogger.csv_logger import CSVLogger

__version__ = "0.1.0"
__all__ = ["CSVLogger"]
