"""Small standard datasets with the ``keras.datasets`` API.

Submodules (imported on first use, so ``import kcore.datasets`` stays cheap)::

    mnist, fashion_mnist, cifar10, cifar100, imdb, reuters, boston_housing
    digits   (kcore's own, bundled with the package: works offline)

Downloaded files are cached, verified by checksum, in ``$KCORE_HOME/datasets``
(``KCORE_HOME`` defaults to ``~/.kcore``).  Example::

    from kcore.datasets import mnist
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
"""

import importlib

_SUBMODULES = (
    "boston_housing",
    "cifar10",
    "cifar100",
    "digits",
    "fashion_mnist",
    "imdb",
    "mnist",
    "reuters",
)
# Public helpers that live in the (light) _cache module.
_CACHE_NAMES = (
    "DatasetError",
    "DatasetDownloadError",
    "DatasetIntegrityError",
    "datasets_dir",
)

__all__ = list(_SUBMODULES + _CACHE_NAMES)


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _CACHE_NAMES:
        return getattr(importlib.import_module(f"{__name__}._cache"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
