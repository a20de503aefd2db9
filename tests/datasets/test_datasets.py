"""Tests for kcore.datasets.

No test touches the network: every remote file is replaced by a small file in
the real format, placed in a temporary KCORE_HOME, with its SHA-256 written into
kcore's own digest table (REGISTRY).  Download attempts go either to an
unreachable local address (http://127.0.0.1:9/) or to a throwaway HTTP server
on 127.0.0.1 started by the test.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import gzip
import hashlib
import http.server
import io
import json
import os
import pickle
import struct
import subprocess
import sys
import tarfile
import textwrap
import threading
import tomllib
import zipfile
from pathlib import Path

import numpy as np
import pytest

from kcore.datasets import (
    _cache,
    _cifar,
    _npz,
    boston_housing,
    cifar10,
    cifar100,
    digits,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)

REPO = Path(__file__).resolve().parents[2]
UNREACHABLE = "http://127.0.0.1:9/"  # discard port: connection refused, no traffic


# --------------------------------------------------------------------------- helpers


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh KCORE_HOME; returns its datasets directory."""
    monkeypatch.setenv("KCORE_HOME", str(tmp_path / "kcore_home"))
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    return tmp_path / "kcore_home" / "datasets"


def pin(monkeypatch, key: str, data: bytes, url: str | None = None) -> None:
    """Point REGISTRY[key] at `data`'s SHA-256 and a local (unreachable) URL."""
    entry = _cache.REGISTRY[key]
    monkeypatch.setitem(
        _cache.REGISTRY,
        key,
        dataclasses.replace(
            entry, known_hash="sha256:" + sha256(data), url=url or UNREACHABLE + key
        ),
    )


def install(monkeypatch, key: str, data: bytes, fname: str | None = None) -> Path:
    """Put `data` in the cache as REGISTRY[key] and pin its digest."""
    pin(monkeypatch, key, data)
    target = _cache.datasets_dir() / (fname or _cache.REGISTRY[key].default_fname)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


def npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # object arrays are pickled, as in Keras's files
    return buf.getvalue()


def object_array(seqs) -> np.ndarray:
    arr = np.empty(len(seqs), dtype=object)
    for i, s in enumerate(seqs):
        arr[i] = list(s)
    return arr


def random_sequences(rng, n, vocab=20, max_len=12):
    return [
        [int(w) for w in rng.randint(1, vocab, size=rng.randint(1, max_len + 1))] for _ in range(n)
    ]


@pytest.fixture
def block_pooch(monkeypatch):
    """Make `import pooch` fail, proving a code path never needs it."""
    monkeypatch.setitem(sys.modules, "pooch", None)


class _Server:
    """A tiny HTTP server on 127.0.0.1 serving fixed bytes per path."""

    def __init__(self, files: dict[str, bytes]):
        files_ = files
        self.hits: list[str] = []
        hits = self.hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                hits.append(self.path)
                body = files_.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    servers = []

    def start(files):
        s = _Server(files)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.close()


# --------------------------------------------------------------------------- package


def test_import_is_lazy_and_light():
    code = textwrap.dedent(
        """
        import sys, kcore.datasets as d
        loaded = [m for m in sys.modules if m.startswith("kcore.datasets.") or m == "pooch"]
        assert loaded == [], loaded
        assert d.mnist.load_data
        assert "kcore.datasets.mnist" in sys.modules and "pooch" not in sys.modules
        assert "digits" in dir(d) and d.DatasetDownloadError
        try:
            d.nope
        except AttributeError:
            pass
        else:
            raise SystemExit("no AttributeError")
        """
    )
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr


def test_registry_digests_are_well_formed():
    for key, entry in _cache.REGISTRY.items():
        algo, _, hexdigest = entry.known_hash.partition(":")
        assert algo in ("sha256", "md5"), key
        assert len(hexdigest) == (64 if algo == "sha256" else 32), key
        int(hexdigest, 16)
        assert entry.url.startswith("https://"), key
        assert entry.source, key
    keras = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
    for key in (
        "mnist.npz",
        "imdb.npz",
        "reuters.npz",
        "boston_housing.npz",
        "imdb_word_index.json",
    ):
        assert _cache.REGISTRY[key].url == keras + key


def test_digits_file_is_package_data():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["*"]
    assert any(fnmatch.fnmatch("digits.csv.gz", p) for p in patterns)
    assert (Path(digits.__file__).parent / "data" / "digits.csv.gz").is_file()


# --------------------------------------------------------------------------- digits


def test_digits_offline(block_pooch, monkeypatch):
    monkeypatch.setenv("KCORE_HOME", "/nonexistent/never/used")
    (x_tr, y_tr), (x_te, y_te) = digits.load_data()
    assert x_tr.shape == (1437, 8, 8) and x_te.shape == (360, 8, 8)
    assert y_tr.shape == (1437,) and y_te.shape == (360,)
    assert x_tr.dtype == np.uint8 and y_tr.dtype == np.uint8
    x = np.concatenate([x_tr, x_te])
    y = np.concatenate([y_tr, y_te])
    assert len(x) == 1797 and x.max() == 16 and x.min() == 0
    assert set(np.unique(y)) == set(range(10))
    # Deterministic, seed-dependent shuffle of the same samples.
    (x2, _), _ = digits.load_data()
    np.testing.assert_array_equal(x_tr, x2)
    (x3, _), _ = digits.load_data(seed=1)
    assert not np.array_equal(x_tr, x3)
    (xa, ya), (xb, yb) = digits.load_data(test_split=0.0)
    assert len(xa) == 1797 and len(xb) == 0
    # Same split procedure as boston_housing.
    raw_x, raw_y = digits._read_all()
    order = np.random.RandomState(113).permutation(1797)
    np.testing.assert_array_equal(x_te, raw_x[order][1437:])
    np.testing.assert_array_equal(y_te, raw_y[order][1437:])
    with pytest.raises(ValueError):
        digits.load_data(test_split=1.0)


# --------------------------------------------------------------------------- mnist / fashion


def test_mnist(home, monkeypatch, block_pooch):
    rng = np.random.RandomState(0)
    data = {
        "x_train": rng.randint(0, 256, (12, 28, 28)).astype(np.uint8),
        "y_train": rng.randint(0, 10, 12).astype(np.uint8),
        "x_test": rng.randint(0, 256, (5, 28, 28)).astype(np.uint8),
        "y_test": rng.randint(0, 10, 5).astype(np.uint8),
    }
    install(monkeypatch, "mnist.npz", npz_bytes(**data))
    (x_tr, y_tr), (x_te, y_te) = mnist.load_data()
    for got, key in ((x_tr, "x_train"), (y_tr, "y_train"), (x_te, "x_test"), (y_te, "y_test")):
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, data[key])


def test_mnist_custom_relative_and_absolute_path(home, tmp_path, monkeypatch, block_pooch):
    arrays = {
        k: np.zeros((2, 28, 28) if k[0] == "x" else 2, np.uint8)
        for k in ("x_train", "y_train", "x_test", "y_test")
    }
    blob = npz_bytes(**arrays)
    install(monkeypatch, "mnist.npz", blob, fname="sub/my_mnist.npz")
    (x, _), _ = mnist.load_data(path="sub/my_mnist.npz")
    assert x.shape == (2, 28, 28)
    elsewhere = tmp_path / "elsewhere" / "m.npz"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(blob)
    (x, _), _ = mnist.load_data(path=str(elsewhere))
    assert x.shape == (2, 28, 28)


def idx_gz(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def test_fashion_mnist(home, monkeypatch, block_pooch):
    rng = np.random.RandomState(1)
    arrays = {
        "train-labels-idx1-ubyte.gz": rng.randint(0, 10, 7),
        "train-images-idx3-ubyte.gz": rng.randint(0, 256, (7, 28, 28)),
        "t10k-labels-idx1-ubyte.gz": rng.randint(0, 10, 3),
        "t10k-images-idx3-ubyte.gz": rng.randint(0, 256, (3, 28, 28)),
    }
    for name, arr in arrays.items():
        path = install(monkeypatch, "fashion-mnist/" + name, idx_gz(arr))
        assert path == home / "fashion-mnist" / name
    (x_tr, y_tr), (x_te, y_te) = fashion_mnist.load_data()
    assert x_tr.shape == (7, 28, 28) and y_tr.shape == (7,)
    assert x_te.shape == (3, 28, 28) and y_te.shape == (3,)
    assert {a.dtype for a in (x_tr, y_tr, x_te, y_te)} == {np.dtype(np.uint8)}
    np.testing.assert_array_equal(x_tr, arrays["train-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(y_te, arrays["t10k-labels-idx1-ubyte.gz"])
    x_tr[0, 0, 0] = 1  # writable


def test_fashion_mnist_rejects_bad_idx(home, monkeypatch, block_pooch):
    good = {
        "train-labels-idx1-ubyte.gz": idx_gz(np.zeros(2)),
        "train-images-idx3-ubyte.gz": gzip.compress(b"\0\0\x08\x03" + b"junk"),
        "t10k-labels-idx1-ubyte.gz": idx_gz(np.zeros(1)),
        "t10k-images-idx3-ubyte.gz": idx_gz(np.zeros((1, 28, 28))),
    }
    for name, blob in good.items():
        install(monkeypatch, "fashion-mnist/" + name, blob)
    with pytest.raises(ValueError):
        fashion_mnist.load_data()


# --------------------------------------------------------------------------- cifar


def cifar_tar(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, blob in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return buf.getvalue()


def expected_channels_last(pixels: bytes) -> np.ndarray:
    """Decode one 3072-byte CIFAR image by the documented layout, element-wise."""
    img = np.zeros((32, 32, 3), np.uint8)
    for ch in range(3):
        for row in range(32):
            for col in range(32):
                img[row, col, ch] = pixels[ch * 1024 + row * 32 + col]
    return img


def test_cifar10(home, monkeypatch, block_pooch):
    rng = np.random.RandomState(2)
    counts = [2, 3, 1, 2, 2]
    members, train_records, test_records = {}, [], []
    for i, n in enumerate(counts, start=1):
        recs = [
            bytes([rng.randint(10)]) + rng.randint(0, 256, 3072).astype(np.uint8).tobytes()
            for _ in range(n)
        ]
        train_records += recs
        members[f"cifar-10-batches-bin/data_batch_{i}.bin"] = b"".join(recs)
    test_records = [
        bytes([rng.randint(10)]) + rng.randint(0, 256, 3072).astype(np.uint8).tobytes()
        for _ in range(3)
    ]
    members["cifar-10-batches-bin/test_batch.bin"] = b"".join(test_records)
    members["cifar-10-batches-bin/batches.meta.txt"] = b"airplane\nautomobile\n"
    install(monkeypatch, "cifar-10-binary.tar.gz", cifar_tar(members))

    (x_tr, y_tr), (x_te, y_te) = cifar10.load_data()
    assert x_tr.shape == (10, 32, 32, 3) and x_te.shape == (3, 32, 32, 3)
    assert y_tr.shape == (10, 1) and y_te.shape == (3, 1)
    assert {a.dtype for a in (x_tr, y_tr, x_te, y_te)} == {np.dtype(np.uint8)}
    for got_x, got_y, recs in ((x_tr, y_tr, train_records), (x_te, y_te, test_records)):
        for k, rec in enumerate(recs):
            assert got_y[k, 0] == rec[0]
            np.testing.assert_array_equal(got_x[k], expected_channels_last(rec[1:]))

    assert x_tr.flags.writeable and x_te.flags.writeable
    x_te[0, 0, 0, 0] = 0

    monkeypatch.setattr(_cifar, "image_data_format", lambda: "channels_first")
    (x_cf, _), _ = cifar10.load_data()
    assert x_cf.shape == (10, 3, 32, 32)
    np.testing.assert_array_equal(x_cf.transpose(0, 2, 3, 1), x_tr)


def test_cifar10_missing_member(home, monkeypatch, block_pooch):
    install(
        monkeypatch,
        "cifar-10-binary.tar.gz",
        cifar_tar({"cifar-10-batches-bin/test_batch.bin": b"\0" * 3073}),
    )
    with pytest.raises(ValueError, match="data_batch_1"):
        cifar10.load_data()


def test_cifar100(home, monkeypatch, block_pooch):
    rng = np.random.RandomState(3)

    def records(n):
        return [
            bytes([rng.randint(20), rng.randint(100)])
            + rng.randint(0, 256, 3072).astype(np.uint8).tobytes()
            for _ in range(n)
        ]

    train, test = records(4), records(2)
    install(
        monkeypatch,
        "cifar-100-binary.tar.gz",
        cifar_tar(
            {
                "cifar-100-binary/train.bin": b"".join(train),
                "cifar-100-binary/test.bin": b"".join(test),
            }
        ),
    )
    for mode, col in (("fine", 1), ("coarse", 0)):
        (x_tr, y_tr), (x_te, y_te) = cifar100.load_data(label_mode=mode)
        assert x_tr.shape == (4, 32, 32, 3) and x_te.shape == (2, 32, 32, 3)
        assert x_tr.dtype == np.uint8
        assert y_tr.shape == (4, 1) and y_te.shape == (2, 1)
        assert y_tr.dtype == np.int64  # what Keras actually returns for CIFAR-100
        assert y_tr[:, 0].tolist() == [r[col] for r in train]
        assert y_te[:, 0].tolist() == [r[col] for r in test]
        np.testing.assert_array_equal(x_te[1], expected_channels_last(test[1][2:]))
    with pytest.raises(ValueError, match="label_mode"):
        cifar100.load_data(label_mode="medium")


# --------------------------------------------------------------------------- boston


def test_boston_housing(home, monkeypatch, block_pooch):
    rng = np.random.RandomState(4)
    x = rng.rand(31, 13)
    y = rng.rand(31).astype(np.float32) * 50
    install(monkeypatch, "boston_housing.npz", npz_bytes(x=x, y=y))
    for split, seed in ((0.2, 113), (0.5, 9), (0.0, 1)):
        (x_tr, y_tr), (x_te, y_te) = boston_housing.load_data(test_split=split, seed=seed)
        order = np.random.RandomState(seed).permutation(31)
        n_train = int(31 * (1 - split))
        assert x_tr.shape == (n_train, 13) and x_te.shape == (31 - n_train, 13)
        np.testing.assert_array_equal(x_tr, x[order[:n_train]])
        np.testing.assert_array_equal(y_te, y[order[n_train:]])
        assert y_tr.dtype == np.float32
    with pytest.raises(ValueError):
        boston_housing.load_data(test_split=1.5)


# --------------------------------------------------------------------------- imdb / reuters


def reference_text_processing(
    xs, ys, *, seed_perms, num_words, skip_top, maxlen, start_char, oov_char, index_from
):
    """Independent spelling-out of the Keras rules for one list of samples.

    `seed_perms` is the permutation to apply; returns (sequences, labels) before
    vocabulary limiting plus the vocabulary-limiting function.
    """
    samples = [(list(xs[i]), ys[i]) for i in seed_perms]
    processed = []
    for words, label in samples:
        shifted = [w + index_from for w in words]
        if start_char is not None:
            shifted.insert(0, start_char)
        if maxlen and not len(shifted) < maxlen:
            continue
        processed.append((shifted, label))
    return processed


def limit(sequences, num_words, skip_top, oov_char):
    if not num_words:
        num_words = max(w for s in sequences for w in s)
    out = []
    for s in sequences:
        new = []
        for w in s:
            if skip_top <= w < num_words:
                new.append(w)
            elif oov_char is not None:
                new.append(oov_char)
        out.append(new)
    return out


TEXT_CASES = [
    {},
    {"num_words": 12, "skip_top": 5},
    {"maxlen": 8},
    {"start_char": None, "index_from": 0, "oov_char": None},
    {"start_char": None, "index_from": 2, "oov_char": None, "num_words": 10},
    {"seed": 7, "oov_char": 9, "index_from": 1, "skip_top": 3, "maxlen": 11},
]


@pytest.fixture
def imdb_data(home, monkeypatch):
    rng = np.random.RandomState(5)
    raw = {
        "x_train": object_array(random_sequences(rng, 20)),
        "y_train": rng.randint(0, 2, 20).astype(np.int64),
        "x_test": object_array(random_sequences(rng, 15)),
        "y_test": rng.randint(0, 2, 15).astype(np.int64),
    }
    install(monkeypatch, "imdb.npz", npz_bytes(**raw))
    return raw


@pytest.mark.parametrize("kwargs", TEXT_CASES)
def test_imdb_processing(imdb_data, block_pooch, kwargs):
    params = {
        "num_words": None,
        "skip_top": 0,
        "maxlen": None,
        "seed": 113,
        "start_char": 1,
        "oov_char": 2,
        "index_from": 3,
    }
    params.update(kwargs)
    rng = np.random.RandomState(params["seed"])
    perm_train = rng.permutation(20)
    perm_test = rng.permutation(15)
    common = {
        k: params[k]
        for k in ("num_words", "skip_top", "maxlen", "start_char", "oov_char", "index_from")
    }
    train = reference_text_processing(
        imdb_data["x_train"], imdb_data["y_train"], seed_perms=perm_train, **common
    )
    test = reference_text_processing(
        imdb_data["x_test"], imdb_data["y_test"], seed_perms=perm_test, **common
    )
    seqs = limit(
        [s for s, _ in train + test], params["num_words"], params["skip_top"], params["oov_char"]
    )

    (x_tr, y_tr), (x_te, y_te) = imdb.load_data(**params)
    assert x_tr.dtype == object and x_tr.ndim == 1 and x_te.ndim == 1
    assert [list(s) for s in x_tr] == seqs[: len(train)]
    assert [list(s) for s in x_te] == seqs[len(train) :]
    assert y_tr.tolist() == [int(lbl) for _, lbl in train]
    assert y_te.tolist() == [int(lbl) for _, lbl in test]
    assert y_tr.dtype == np.int64
    if params["maxlen"]:
        assert all(len(s) < params["maxlen"] for s in x_tr)
    if params["num_words"]:
        assert (
            max(max(s) for s in x_tr if s) < max(params["num_words"], params["oov_char"] or 0) + 1
        )


def test_imdb_defaults_and_errors(imdb_data, block_pooch):
    (x_tr, _), (x_te, _) = imdb.load_data(
        unused_keyword=True
    )  # extra kwargs ignored, as in Keras 3
    assert len(x_tr) == 20 and len(x_te) == 15
    assert all(s[0] == 1 for s in x_tr)
    assert all(isinstance(w, int) for s in x_tr for w in s)
    with pytest.raises(ValueError, match="maxlen"):
        imdb.load_data(maxlen=1)


@pytest.mark.parametrize(
    "kwargs", TEXT_CASES + [{"test_split": 0.5}, {"test_split": 0.0, "seed": 3}]
)
def test_reuters_processing(home, monkeypatch, block_pooch, kwargs):
    rng = np.random.RandomState(6)
    xs = object_array(random_sequences(rng, 25))
    ys = rng.randint(0, 46, 25).astype(np.int64)
    install(monkeypatch, "reuters.npz", npz_bytes(x=xs, y=ys))

    params = {
        "num_words": None,
        "skip_top": 0,
        "maxlen": None,
        "test_split": 0.2,
        "seed": 113,
        "start_char": 1,
        "oov_char": 2,
        "index_from": 3,
    }
    params.update(kwargs)
    perm = np.random.RandomState(params["seed"]).permutation(25)
    common = {
        k: params[k]
        for k in ("num_words", "skip_top", "maxlen", "start_char", "oov_char", "index_from")
    }
    samples = reference_text_processing(xs, ys, seed_perms=perm, **common)
    seqs = limit(
        [s for s, _ in samples], params["num_words"], params["skip_top"], params["oov_char"]
    )
    cut = int(len(seqs) * (1 - params["test_split"]))

    (x_tr, y_tr), (x_te, y_te) = reuters.load_data(**params)
    assert x_tr.dtype == object and x_tr.ndim == 1
    assert [list(s) for s in x_tr] == seqs[:cut]
    assert [list(s) for s in x_te] == seqs[cut:]
    assert y_tr.tolist() == [int(lbl) for _, lbl in samples[:cut]]
    assert y_te.tolist() == [int(lbl) for _, lbl in samples[cut:]]


def test_word_indexes_and_labels(home, monkeypatch, block_pooch):
    index = {"the": 1, "and": 2, "café": 3}
    blob = json.dumps(index, ensure_ascii=False).encode("utf-8")
    install(monkeypatch, "imdb_word_index.json", blob)
    install(monkeypatch, "reuters_word_index.json", blob)
    assert imdb.get_word_index() == index
    assert reuters.get_word_index() == index
    names = reuters.get_label_names()
    assert len(names) == 46 == len(set(names))
    assert names[0] == "cocoa" and names[3] == "earn" and names[-1] == "lead"


# --------------------------------------------------------------------------- safe npz


def test_npz_reads_numpy1_style_object_pickles(tmp_path):
    arr = object_array([[1, 2, 3], [4]])
    payload = pickle.dumps(arr, protocol=2).replace(
        b"numpy._core.multiarray", b"numpy.core.multiarray"
    )
    assert b"numpy.core.multiarray" in payload
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, np.lib.format.header_data_from_array_1_0(arr))
    path = tmp_path / "old.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("x.npy", header.getvalue() + payload)
        zf.writestr("y.npy", _npy(np.arange(2)))
    out = _npz.load_npz(path)
    assert [list(s) for s in out["x"]] == [[1, 2, 3], [4]]
    np.testing.assert_array_equal(out["y"], np.arange(2))


def _npy(arr):
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("protocol", [2, 4])
def test_npz_refuses_malicious_pickle(tmp_path, protocol):
    marker = str(tmp_path / "pwned")
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, np.lib.format.header_data_from_array_1_0(np.empty(1, object))
    )
    path = tmp_path / "evil.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("x.npy", header.getvalue() + pickle.dumps(_Evil(marker), protocol=protocol))
    with pytest.raises(_npz.UnsafeDatasetFileError, match="builtins.open|io.open"):
        _npz.load_npz(path)
    assert not os.path.exists(marker)


def test_malicious_imdb_file_is_rejected(home, monkeypatch, tmp_path, block_pooch):
    marker = tmp_path / "pwned"
    evil = object_array([[1], [2]])
    evil[1] = _Evil(str(marker))
    install(
        monkeypatch,
        "imdb.npz",
        npz_bytes(x_train=evil, y_train=np.zeros(2), x_test=evil, y_test=np.zeros(2)),
    )
    with pytest.raises(pickle.UnpicklingError):
        imdb.load_data()
    assert not marker.exists()


# --------------------------------------------------------------------------- cache / download


def test_cached_file_needs_no_pooch_and_no_network(home, monkeypatch, block_pooch):
    blob = b'{"a": 1}'
    target = install(monkeypatch, "imdb_word_index.json", blob)
    assert _cache.fetch("imdb_word_index.json") == target
    assert target == home / "imdb_word_index.json"


def test_missing_file_offline_gives_clear_error(home, monkeypatch):
    pytest.importorskip("pooch")
    pin(monkeypatch, "mnist.npz", b"whatever")
    with pytest.raises(_cache.DatasetDownloadError) as info:
        mnist.load_data()
    msg = str(info.value)
    assert UNREACHABLE + "mnist.npz" in msg
    assert str(home / "mnist.npz") in msg
    assert "save it as" in msg and sha256(b"whatever") in msg


def test_missing_file_without_pooch_gives_clear_error(home, monkeypatch, block_pooch):
    pin(monkeypatch, "boston_housing.npz", b"x")
    with pytest.raises(_cache.DatasetDownloadError, match="pip install pooch") as info:
        boston_housing.load_data()
    assert str(home / "boston_housing.npz") in str(info.value)
    assert UNREACHABLE + "boston_housing.npz" in str(info.value)


def test_corrupt_file_is_detected_refetch_attempted_offline(home, monkeypatch):
    pytest.importorskip("pooch")
    good = npz_bytes(x=np.zeros((3, 13)), y=np.zeros(3))
    target = install(monkeypatch, "boston_housing.npz", good)
    target.write_bytes(good[: len(good) // 2])  # a partial download
    with pytest.raises(_cache.DatasetDownloadError) as info:
        boston_housing.load_data()
    msg = str(info.value)
    assert "corrupt or incomplete" in msg
    assert UNREACHABLE + "boston_housing.npz" in msg and str(target) in msg
    assert sorted(p.name for p in home.iterdir()) == ["boston_housing.npz"]  # no temp litter


def test_corrupt_file_is_replaced_by_fresh_download(home, monkeypatch, server):
    pytest.importorskip("pooch")
    good = npz_bytes(x=np.ones((5, 13)), y=np.arange(5.0))
    srv = server({"/boston_housing.npz": good})
    pin(monkeypatch, "boston_housing.npz", good, url=srv.url + "/boston_housing.npz")
    target = home / "boston_housing.npz"
    home.mkdir(parents=True)
    target.write_bytes(b"garbage")
    (x_tr, _), (x_te, _) = boston_housing.load_data()
    assert len(x_tr) + len(x_te) == 5
    assert target.read_bytes() == good
    assert srv.hits == ["/boston_housing.npz"]
    boston_housing.load_data()  # now cached: no second request
    assert srv.hits == ["/boston_housing.npz"]
    assert sorted(p.name for p in home.iterdir()) == ["boston_housing.npz"]


def test_download_with_wrong_digest_is_rejected(home, monkeypatch, server):
    pytest.importorskip("pooch")
    srv = server({"/reuters_word_index.json": b'{"tampered": 1}'})
    pin(
        monkeypatch,
        "reuters_word_index.json",
        b'{"expected": 1}',
        url=srv.url + "/reuters_word_index.json",
    )
    with pytest.raises(_cache.DatasetIntegrityError, match="does not match") as info:
        reuters.get_word_index()
    assert sha256(b'{"expected": 1}') in str(info.value)
    assert not home.exists() or list(home.iterdir()) == []


def test_md5_pinned_entries_are_verified(home, monkeypatch, block_pooch):
    blob = b'{"w": 1}'
    entry = _cache.REGISTRY["imdb_word_index.json"]
    monkeypatch.setitem(
        _cache.REGISTRY,
        "imdb_word_index.json",
        dataclasses.replace(
            entry, known_hash="md5:" + hashlib.md5(blob).hexdigest(), url=UNREACHABLE
        ),
    )
    home.mkdir(parents=True)
    (home / "imdb_word_index.json").write_bytes(blob)
    assert imdb.get_word_index() == {"w": 1}


@pytest.mark.parametrize("bad", [None, "", "sha256:abc", "sha1:" + "0" * 40, "0" * 64])
def test_unknown_or_malformed_digest_is_a_clear_error(home, monkeypatch, bad):
    entry = _cache.REGISTRY["mnist.npz"]
    monkeypatch.setitem(
        _cache.REGISTRY, "mnist.npz", dataclasses.replace(entry, known_hash=bad, url=UNREACHABLE)
    )
    home.mkdir(parents=True)
    (home / "mnist.npz").write_bytes(b"anything")
    with pytest.raises(_cache.DatasetIntegrityError, match="no valid pinned digest"):
        mnist.load_data()


def test_kcore_home_default(monkeypatch):
    monkeypatch.delenv("KCORE_HOME", raising=False)
    assert _cache.datasets_dir() == Path("~/.kcore").expanduser() / "datasets"
