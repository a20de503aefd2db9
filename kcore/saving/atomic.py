"""Atomic file replacement: write to a temporary file beside the target, then rename.

A crash or an exception while writing leaves the previous file untouched, and readers
never see a half-written file (``os.replace`` is atomic on POSIX and Windows).
"""

import contextlib
import os
import sys
import tempfile


def _ask_to_overwrite(path):
    answer = input(f"[WARNING] {path} already exists - overwrite? [y/n] ").strip().lower()
    return answer in ("y", "yes")


def may_write(filepath, overwrite):
    """Whether to write ``filepath``: always if ``overwrite``, else ask (as Keras) or refuse.

    Raises:
        FileExistsError: ``overwrite=False``, the file exists and nobody can be asked.
    """
    if overwrite or not os.path.exists(filepath):
        return True
    if sys.stdin is not None and sys.stdin.isatty():
        return _ask_to_overwrite(filepath)
    raise FileExistsError(
        f"{filepath!r} already exists and overwrite=False. Pass overwrite=True to replace it."
    )


def _default_mode():
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_write(filepath):
    """Yields a temporary path to write; on success it replaces ``filepath`` atomically.

    Example:
        >>> with atomic_write("model.h5") as tmp:
        ...     write_everything_to(tmp)
    """
    filepath = os.fspath(filepath)
    directory = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(filepath) + ".", suffix=".tmp",
                               dir=directory)
    os.close(fd)
    try:
        yield tmp
        mode = os.stat(filepath).st_mode & 0o777 if os.path.exists(filepath) else _default_mode()
        os.chmod(tmp, mode)
        _fsync(tmp)
        os.replace(tmp, filepath)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    _fsync_dir(directory)


def _fsync(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory):
    # Makes the rename itself durable; not possible (nor needed) on every platform.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
