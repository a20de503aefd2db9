"""Hermetic offline wandb for kcore-wandb's tests, and a reader for offline run files.

Everything wandb writes goes under the test's ``tmp_path``; after the test,
``wandb.teardown()`` stops ``wandb-core`` and drops wandb's cached settings
(it reads its env vars once per process), and the fixture checks that no
wandb file appeared in ``$HOME``, the working directory or the test's temporary directory.
The test gets a private ``$TMPDIR`` (and ``tempfile.tempdir``): the shared ``/tmp`` is
written by other processes, whose files must not count as this test's leaks.
"""

import glob
import json
import os
import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pytest

import kcore

_HOME_DIRS = [Path.home() / ".config" / "wandb", Path.home() / ".cache" / "wandb",
              Path.home() / ".local" / "share" / "wandb", Path.home() / ".netrc"]


def _outside_snapshot(private_tmp):
    """Every wandb-looking path outside the test's wandb directories."""
    found = set()
    for path in _HOME_DIRS:
        if path.exists():
            found.add(str(path))
            found.update(str(p) for p in path.rglob("*"))
    found.update(str(p) for p in Path.cwd().glob("wandb*"))
    found.update(str(p) for p in Path.cwd().glob("artifacts"))
    found.update(p for p in glob.glob(os.path.join(private_tmp, "*"))
                 if "wandb" in os.path.basename(p))
    return found


@pytest.fixture
def wandb_offline(tmp_path, monkeypatch):
    """Offline wandb with every file under ``tmp_path``; yields ``tmp_path``."""
    import importlib

    import wandb  # its import creates temp dirs that live until exit: snapshot after it

    # Modules that create such process-lifetime temp dirs when first imported: import them
    # now, so that their dirs are not made inside (and then removed with) this test's tmp.
    for name in ("wandb.sdk.data_types._private", "wandb.sdk.artifacts.artifact"):
        try:
            importlib.import_module(name)
        except ImportError:
            pass

    env = {
        "WANDB_MODE": "offline", "WANDB_SILENT": "true", "WANDB_CONSOLE": "off",
        "WANDB_DISABLE_GIT": "true", "WANDB_DISABLE_CODE": "true", "WANDB__DISABLE_STATS": "true",
        "WANDB__DISABLE_META": "true", "WANDB_ERROR_REPORTING": "false",
        "WANDB__SAVE_REQUIREMENTS": "false", "WANDB_PROJECT": "kcore-test",
        "WANDB_DIR": str(tmp_path / "wb"), "WANDB_CACHE_DIR": str(tmp_path / "wbcache"),
        "WANDB_DATA_DIR": str(tmp_path / "wbdata"), "WANDB_CONFIG_DIR": str(tmp_path / "wbconfig"),
        "WANDB_ARTIFACT_DIR": str(tmp_path / "wbartifacts"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for key in ("WANDB_API_KEY", "KCORE_WANDB", "KCORE_WANDB_LOG_FREQ"):
        monkeypatch.delenv(key, raising=False)
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(private_tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    wandb.teardown()  # settings cached by an earlier wandb user in this process
    before = _outside_snapshot(private_tmp)
    yield tmp_path
    if wandb.run is not None:
        wandb.run.finish()
    wandb.teardown()
    leaked = _outside_snapshot(private_tmp) - before
    assert not leaked, f"wandb wrote outside the test directory: {sorted(leaked)}"


@pytest.fixture
def run_dirs(wandb_offline):
    """``run_dirs()`` -> the offline run directories written so far, oldest first."""
    return lambda: sorted(glob.glob(str(wandb_offline / "wb" / "wandb" / "offline-run-*")))


@pytest.fixture
def model():
    kcore.utils.set_random_seed(0)
    m = kcore.Sequential([kcore.Input((4,)),
                          kcore.layers.Dense(3, activation="relu", name="hidden"),
                          kcore.layers.Dense(2, name="out")], name="mlp")
    m.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return m


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.random((20, 4), dtype=np.float32), rng.random((20, 2), dtype=np.float32)


# --- reading an offline run (.wandb transaction log) without network ------------------
# Format: 7-byte header b":W&B" + uint16 0xBEE1 + uint8 0, then LevelDB-log 32 KiB blocks
# of chunks [crc32 u32le][len u16le][type u8][data], type FULL=1 FIRST=2 MIDDLE=3 LAST=4,
# crc = zlib.crc32(data, zlib.crc32(bytes([type]))). Each payload is a wandb Record proto.
# wandb 0.31 no longer ships a reader (DataStore was removed), hence this one.

_HEADER_LEN, _BLOCK_LEN = 7, 32768
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4
_TYPE_CRC = {t: zlib.crc32(bytes([t])) & 0xFFFFFFFF for t in (_FULL, _FIRST, _MIDDLE, _LAST)}


def _iter_records(path):
    from wandb.proto import wandb_internal_pb2 as pb

    buf = Path(path).read_bytes()
    ident, magic, version = struct.unpack("<4sHB", buf[:_HEADER_LEN])
    assert (ident, magic, version) == (b":W&B", 0xBEE1, 0), f"not a wandb run file: {path}"
    pos, pending = _HEADER_LEN, None
    while pos < len(buf):
        if _BLOCK_LEN - pos % _BLOCK_LEN < _HEADER_LEN:
            pos += _BLOCK_LEN - pos % _BLOCK_LEN
            continue
        if pos + _HEADER_LEN > len(buf):
            break
        crc, length, typ = struct.unpack_from("<IHB", buf, pos)
        if typ == 0 and length == 0 and crc == 0:
            pos += _BLOCK_LEN - pos % _BLOCK_LEN
            continue
        data = buf[pos + _HEADER_LEN: pos + _HEADER_LEN + length]
        if len(data) < length:
            break
        assert zlib.crc32(data, _TYPE_CRC[typ]) & 0xFFFFFFFF == crc, f"bad checksum at {pos}"
        pos += _HEADER_LEN + length
        if typ == _FULL:
            yield pb.Record.FromString(data)
        elif typ == _FIRST:
            pending = bytearray(data)
        elif typ == _MIDDLE:
            pending += data
        else:
            pending += data
            yield pb.Record.FromString(bytes(pending))
            pending = None


def _key(item):
    return ".".join(item.nested_key) if item.nested_key else item.key


def _read_offline_run(run_dir):
    (path,) = glob.glob(os.path.join(run_dir, "run-*.wandb"))
    out = {"run": None, "config": {}, "history": [], "summary": {}, "artifacts": [],
           "metrics": {}, "exit_code": None}
    for rec in _iter_records(path):
        kind = rec.WhichOneof("record_type")
        if kind == "run":
            r = rec.run
            out["run"] = {"id": r.run_id, "project": r.project, "name": r.display_name}
            for it in r.config.update:
                out["config"][_key(it)] = json.loads(it.value_json)
        elif kind == "config":
            for it in rec.config.update:
                out["config"][_key(it)] = json.loads(it.value_json)
        elif kind == "history":
            out["history"].append({_key(it): json.loads(it.value_json) for it in rec.history.item})
        elif kind == "summary":
            for it in rec.summary.update:
                out["summary"][_key(it)] = json.loads(it.value_json)
        elif kind == "metric":
            name = rec.metric.name or rec.metric.glob_name
            out["metrics"][name] = rec.metric.step_metric
        elif kind == "artifact":
            a = rec.artifact
            out["artifacts"].append({
                "name": a.name, "type": a.type, "aliases": sorted(a.aliases),
                "metadata": json.loads(a.metadata) if a.metadata else {},
                "files": [(e.path, e.size) for e in a.manifest.contents]})
        elif kind == "exit":
            out["exit_code"] = rec.exit.exit_code
    return out


@pytest.fixture
def read_offline_run():
    """``read_offline_run(run_dir)`` -> run, config, history rows, summary, metrics, artifacts.

    Call it after the run finished. wandb-core may still be writing the file
    after ``finish()`` returns, so this first stops it with ``wandb.teardown()``
    (a later ``wandb.init`` starts a new one).
    """
    def read(run_dir):
        import wandb

        wandb.teardown()
        return _read_offline_run(run_dir)

    return read
