"""Atomic file replacement: write to a temporary file beside the target, then rename.
``atomic_folder`` does the same for a folder of files (an unzipped ``.keras`` model).

A crash or an exception while writing leaves the previous file untouched, and readers
never see a half-written file (``os.replace`` is atomic on POSIX and Windows).

A process killed mid-write cannot remove its temporary, so temporaries carry a name that
says whose they are — ``<target>.kcore-tmp-<host>-<pid>-<random>`` — and every write into
a directory first removes the *stale* ones there: written on this host by a process that no
longer runs (or whose PID now belongs to a process started after the file was last written).
A temporary of a live writer, or of another host sharing the directory, is never touched.
"""

import contextlib
import os
import re
import secrets
import shutil
import socket
import sys

TMP_MARKER = ".kcore-tmp-"
_TMP_PATTERN = re.compile(r"\.kcore-tmp-(?P<host>.+)-(?P<pid>\d+)-[0-9a-f]+$")


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


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _default_mode():
    return 0o666 & ~_umask()


def _host():
    # Dashes are fine (the pattern anchors on the PID); path separators are not.
    return re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname() or "host")


@contextlib.contextmanager
def atomic_write(filepath):
    """Yields a temporary path beside ``filepath``; on success it replaces ``filepath``.

    The temporary is removed on any exception; if the process is killed, the next
    ``atomic_write`` into the same directory removes it. Use it for every file a plugin
    writes that must never be seen half-written (checkpoints, logs, metadata).

    Args:
        filepath: the file to create or replace (a ``str`` or path-like); its directory is
            created if needed. A file that exists keeps its permission bits.

    Yields:
        The temporary path (``str``) to write the complete new content to.

    Example:
        >>> with kcore.saving.atomic_write("log.csv") as tmp:
        ...     with open(tmp, "w") as f:
        ...         f.write("epoch,loss\\n0,0.5\\n")
    """
    filepath = os.fspath(filepath)
    directory = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    remove_stale_temporaries(directory)
    tmp = _temporary_name(filepath)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
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


def _temporary_name(path):
    return f"{path}{TMP_MARKER}{_host()}-{os.getpid()}-{secrets.token_hex(4)}"


@contextlib.contextmanager
def atomic_folder(dirpath):
    """Yields a new temporary folder beside ``dirpath``; on success its entries go to ``dirpath``.

    If ``dirpath`` does not exist, the temporary folder is renamed to it: one atomic step. If
    it exists, each top-level entry written replaces the entry of that name (a file in one
    rename; a folder after the old one is moved aside) and nothing else in ``dirpath`` is
    touched, as Keras writes into an existing folder. An exception while writing leaves
    ``dirpath`` as it was and removes the temporary folder; a killed writer's folder is
    removed by the next ``atomic_write``/``atomic_folder`` into the same parent directory.

    Args:
        dirpath: the folder to create or update (its parent is created if needed).

    Yields:
        The temporary folder (``str``) to write the complete new entries into.

    Raises:
        NotADirectoryError: ``dirpath`` exists and is not a folder (checked first).
    """
    dirpath = os.path.abspath(os.fspath(dirpath))
    if os.path.exists(dirpath) and not os.path.isdir(dirpath):
        raise NotADirectoryError(f"{dirpath!r} exists and is not a folder.")
    parent = os.path.dirname(dirpath)
    os.makedirs(parent, exist_ok=True)
    remove_stale_temporaries(parent)
    tmp = _temporary_name(dirpath)
    os.mkdir(tmp, 0o700)
    try:
        yield tmp
        for folder, _, files in os.walk(tmp):
            for name in files:
                _fsync(os.path.join(folder, name))
        if os.path.exists(dirpath):
            _replace_entries(tmp, dirpath)
        else:
            os.chmod(tmp, 0o777 & ~_umask())  # mkdir's default, not the private 0o700
            os.replace(tmp, dirpath)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _fsync_dir(parent)


def _replace_entries(tmp, dirpath):
    """Moves every entry of ``tmp`` into ``dirpath``; what they replace ends up in ``tmp``."""
    names = sorted(os.listdir(tmp))
    replaced = os.path.join(tmp, TMP_MARKER + "replaced")
    os.mkdir(replaced)
    for name in names:
        new, target = os.path.join(tmp, name), os.path.join(dirpath, name)
        # os.replace swaps a file for a file atomically but cannot replace a non-empty folder.
        if os.path.isdir(new) or (os.path.isdir(target) and not os.path.islink(target)):
            if os.path.lexists(target):
                os.replace(target, os.path.join(replaced, name))
        os.replace(new, target)


def remove_stale_temporaries(directory):
    """Removes the temporaries that killed writers left in ``directory``.

    Args:
        directory: the folder to clean (only ``*.kcore-tmp-<host>-<pid>-*`` files and
            folders of this host whose writer is gone are removed).

    Returns:
        The paths removed, as a list.
    """
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    host = _host()
    for name in names:
        if TMP_MARKER not in name:
            continue
        match = _TMP_PATTERN.search(name)
        if match is None or match["host"] != host:
            continue
        path = os.path.join(directory, name)
        if _writer_is_gone(int(match["pid"]), path):
            with contextlib.suppress(OSError):
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)  # an atomic_folder's
                else:
                    os.remove(path)
                removed.append(path)
    return removed


def _writer_is_gone(pid, path):
    if pid == os.getpid() or os.name == "nt":  # on Windows os.kill(pid, 0) would kill
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OSError):
        return False
    started = _start_time(pid)
    if started is None:
        return False
    state, start = started
    if state == "Z":  # killed, not yet reaped by its parent
        return True
    try:
        return os.stat(path).st_mtime < start
    except OSError:
        return False


def _start_time(pid):
    """``(state, start time as a UNIX time)`` of a live process (Linux), else ``None``."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open("/proc/stat") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith("btime "))
        ticks = os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None
    # After the command's closing parenthesis: state is field 0, starttime field 19.
    return fields[0], boot + int(fields[19]) / ticks


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
