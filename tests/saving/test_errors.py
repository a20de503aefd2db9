"""Bad files and bad calls fail with errors naming the file and the problem; a failed save
leaves the previous file intact; loading never runs code from the file."""

import os
import shutil

import h5py
import numpy as np
import pytest

import kcore
from kcore.backend.serialization import in_safe_mode
from kcore.saving import saving_api

from saving_helpers import FIXTURES, TwoLayer, data, sequential


class Exploding(kcore.layers.Layer):
    """A layer whose weights cannot be read once ``explode`` is set: a failure mid-save."""

    explode = False

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, inputs):
        return inputs * self.w

    @property
    def trainable_weights(self):
        if self.explode:
            raise RuntimeError("simulated failure while reading weights")
        return super().trainable_weights

    def save_own_variables(self, store):
        store["0"] = self.w
        if self.explode:
            raise RuntimeError("simulated failure while writing weights")


def _exploding_model():
    return kcore.Sequential([kcore.Input((6,)), kcore.layers.Dense(3, name="d1"),
                             Exploding(name="zzz_last")], name="m")


@pytest.mark.parametrize("suffix", [".keras", ".h5", ".weights.h5"])
def test_failed_save_leaves_previous_file_intact(suffix, tmp_path):
    model = _exploding_model()
    path = tmp_path / f"model{suffix}"
    save = saving_api.save_weights if suffix == ".weights.h5" else saving_api.save_model
    save(model, path)
    before = path.read_bytes()
    model.get_layer("d1").set_weights([np.ones((6, 3)), np.ones(3)])
    model.get_layer("zzz_last").explode = True
    with pytest.raises(RuntimeError, match="simulated failure"):
        save(model, path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == [path.name]  # no temporary file left behind
    model.get_layer("zzz_last").explode = False
    fresh = _exploding_model()
    saving_api.load_weights(fresh, path)
    assert not np.array_equal(fresh.get_layer("d1").get_weights()[1], np.ones(3))


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.h5"):
        saving_api.load_model(tmp_path / "nope.h5")
    with pytest.raises(FileNotFoundError, match="nope.weights.h5"):
        saving_api.load_weights(sequential(), tmp_path / "nope.weights.h5")


def test_not_hdf5(tmp_path):
    path = tmp_path / "text.h5"
    path.write_text("hello, not a model\n")
    with pytest.raises(ValueError, match=r"text\.h5.*not HDF5"):
        saving_api.load_model(path)
    with pytest.raises(ValueError, match=r"text\.h5.*not HDF5"):
        saving_api.load_weights(sequential(), path)


def test_keras_zip_named_h5_is_recognized(tmp_path):
    path = tmp_path / "zip.h5"
    shutil.copy(FIXTURES / "k3_mlp.keras", path)
    with pytest.raises(ValueError, match="zip archive"):
        saving_api.load_model(path)


def test_truncated_file(tmp_path):
    path = tmp_path / "m.h5"
    saving_api.save_model(sequential(), path)
    blob = path.read_bytes()
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ValueError, match=r"m\.h5.*truncated or corrupted"):
        saving_api.load_model(path)


def test_other_suffixes_are_refused(tmp_path):
    with pytest.raises(ValueError, match="Invalid filepath extension.*`.keras`"):
        saving_api.save_model(sequential(), tmp_path / "m.txt")
    with pytest.raises(ValueError, match="must end in `.weights.h5`"):
        saving_api.save_weights(sequential(), tmp_path / "m.npz")
    with pytest.raises(ValueError, match="File format not supported"):
        saving_api.load_model(tmp_path / "m.txt")


def test_weights_only_file_given_to_load_model(tmp_path):
    path = tmp_path / "w.h5"
    saving_api.save_weights(sequential(), path)
    with pytest.raises(ValueError, match="No model config found.*load_weights"):
        saving_api.load_model(path)


class Custom(kcore.layers.Layer):
    def call(self, inputs):
        return inputs


def test_unknown_layer_class_names_it_and_custom_objects(tmp_path):
    model = kcore.Sequential([kcore.Input((6,)), Custom(name="c"), kcore.layers.Dense(2)])
    saving_api.save_model(model, tmp_path / "m.h5")
    with pytest.raises(ValueError, match=r"m\.h5.*Unknown layer: 'Custom'.*custom_objects="):
        saving_api.load_model(tmp_path / "m.h5")
    loaded = saving_api.load_model(tmp_path / "m.h5", custom_objects={"Custom": Custom},
                                   compile=False)
    assert isinstance(loaded.get_layer("c"), Custom)


def test_unregistered_subclassed_model(tmp_path):
    class NoConfig(kcore.Model):
        def __init__(self):
            super().__init__()
            self.d = kcore.layers.Dense(2)

        def call(self, x):
            return self.d(x)

    model = NoConfig()
    model(np.zeros((1, 6), "float32"))
    with pytest.raises(NotImplementedError, match=r"get_config\(\).*save_weights"):
        saving_api.save_model(model, tmp_path / "m.h5")
    assert not (tmp_path / "m.h5").exists()
    two = TwoLayer(name="two")
    two(np.zeros((1, 6), "float32"))
    saving_api.save_model(two, tmp_path / "two.h5")
    with h5py.File(tmp_path / "two.h5", "r+") as f:  # as if the class were not registered
        config = f.attrs["model_config"]
        config = config.decode() if isinstance(config, bytes) else config
        f.attrs["model_config"] = config.replace("kcore_tests>TwoLayer", "TwoLayerX").encode()
    with pytest.raises(ValueError, match="TwoLayerX.*custom_objects"):
        saving_api.load_model(tmp_path / "two.h5")
    loaded = saving_api.load_model(tmp_path / "two.h5", custom_objects={"TwoLayerX": TwoLayer},
                                   compile=False)
    assert isinstance(loaded, TwoLayer)


def test_missing_weight_dataset(tmp_path):
    path = tmp_path / "m.h5"
    saving_api.save_model(sequential(), path)
    with h5py.File(path, "r+") as f:
        del f["model_weights/d1/seq/d1/bias"]
    with pytest.raises(ValueError, match=r"m\.h5.*weight 'seq/d1/bias'.*no dataset"):
        saving_api.load_model(path)


@pytest.mark.parametrize("suffix", [".h5", ".weights.h5"])
def test_shape_mismatch_names_layer_weight_and_shapes(suffix, tmp_path):
    path = tmp_path / f"w{suffix}"
    saving_api.save_weights(sequential(), path)
    wider = kcore.Sequential([kcore.Input((6,)), kcore.layers.Dense(9, name="d1"),
                              kcore.layers.Dense(3, name="out")], name="seq")
    with pytest.raises(ValueError, match=r"shape mismatch for weight 'seq/d1/kernel'.*"
                                         r"expects \(6, 9\), the file has \(6, 8\)"):
        saving_api.load_weights(wider, path)


def test_layer_count_mismatch(tmp_path):
    path = tmp_path / "w.h5"
    saving_api.save_weights(sequential(), path)
    deeper = kcore.Sequential([kcore.Input((6,)), kcore.layers.Dense(8), kcore.layers.Dense(8),
                               kcore.layers.Dense(3)])
    with pytest.raises(ValueError, match=r"w\.h5.*layer count mismatch.*3 layers.*file has 2"):
        saving_api.load_weights(deeper, path)


def test_variable_count_mismatch_in_keras3_weights(tmp_path):
    path = tmp_path / "w.weights.h5"
    saving_api.save_weights(sequential(), path)
    no_bias = kcore.Sequential([kcore.Input((6,)), kcore.layers.Dense(8, use_bias=False),
                                kcore.layers.Dense(3)])
    with pytest.raises(ValueError, match=r"layers/dense/vars.*expects 1 variables.*file has 2"):
        saving_api.load_weights(no_bias, path)


def test_overwrite_false_refuses_non_interactively(tmp_path):
    path = tmp_path / "m.h5"
    saving_api.save_model(sequential(), path)
    with pytest.raises(FileExistsError, match="overwrite=False"):
        saving_api.save_model(sequential(), path, overwrite=False)


def test_unbuilt_model_cannot_save_weights(tmp_path):
    model = kcore.Sequential([kcore.layers.Dense(2)])
    with pytest.raises(ValueError, match="not yet been built"):
        saving_api.save_weights(model, tmp_path / "w.weights.h5")


# -- safe mode -------------------------------------------------------------------------------
class SafeModeProbe(kcore.layers.Layer):
    """Records whether deserialization ran in safe mode (what Lambda checks)."""

    seen = []

    @classmethod
    def from_config(cls, config):
        cls.seen.append(in_safe_mode())
        return super().from_config(config)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize("safe_mode", [True, False])
def test_load_model_deserializes_inside_safe_mode_scope(safe_mode, suffix, tmp_path):
    model = kcore.Sequential([kcore.Input((6,)), SafeModeProbe(name="probe")])
    saving_api.save_model(model, tmp_path / f"m{suffix}")
    SafeModeProbe.seen.clear()
    saving_api.load_model(tmp_path / f"m{suffix}", custom_objects={"SafeModeProbe": SafeModeProbe},
                          safe_mode=safe_mode, compile=False)
    assert SafeModeProbe.seen == [safe_mode]
    assert in_safe_mode()  # restored afterwards


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_lambda_bytecode_refused_unless_safe_mode_false(suffix, tmp_path):
    Lambda = getattr(kcore.layers, "Lambda", None)
    if Lambda is None:
        pytest.skip("kcore.layers.Lambda does not exist yet (kcore/layers/lambda_layer.py)")
    model = kcore.Sequential([kcore.Input((6,)), Lambda(lambda x: x * 2.0, name="double")])
    path = tmp_path / f"lambda{suffix}"
    saving_api.save_model(model, path)
    with pytest.raises(ValueError, match="safe_mode"):
        saving_api.load_model(path)
    loaded = saving_api.load_model(path, safe_mode=False)
    x, _ = data(4)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), 2.0 * x)


def test_no_pickle_and_lazy_h5py():
    import pathlib
    import subprocess
    import sys

    package = pathlib.Path(kcore.__file__).parent / "saving"
    for source in package.glob("*.py"):
        text = source.read_text()
        assert "pickle" not in text and "marshal" not in text, source.name
    code = "import sys, kcore, kcore.saving; print('h5py' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(package.parents[1])})
    assert out.stdout.strip() == "False"


def _plant_hdf5_bomb(group, name):
    """Replaces dataset ``name`` by one declaring 60000 x 60000 float32 (14.4 GB) that stores
    nothing: reading it would allocate all of it."""
    del group[name]
    group.create_dataset(name, shape=(60000, 60000), dtype="float32", chunks=(1000, 1000),
                         compression="gzip")


@pytest.mark.parametrize("where", ["model_weights/d1/seq/d1/kernel",
                                   "optimizer_weights/adam/seq_d1_kernel_momentum"])
def test_hdf5_bomb_in_legacy_h5_is_refused_before_reading(tmp_path, where):
    model = sequential()
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(*data(), epochs=1, verbose=0)
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r+") as f:
        group, name = where.rsplit("/", 1)
        assert name in f[group]  # the file's real layout, not a guess
        _plant_hdf5_bomb(f[group], name)
    with pytest.raises(ValueError, match=rf"m\.h5: dataset '/{where}' declares shape "
                                         r"\(60000, 60000\) \(14400000000 bytes\) but stores "
                                         r"only 0 bytes.*bomb"):
        kcore.models.load_model(tmp_path / "m.h5")


def test_hdf5_bomb_in_legacy_weights_file_is_refused(tmp_path):
    model = sequential()
    model.save_weights(tmp_path / "w.h5")  # the legacy layout (no .weights.h5 suffix)
    with h5py.File(tmp_path / "w.h5", "r+") as f:
        _plant_hdf5_bomb(f["out/seq/out"], "bias")
    with pytest.raises(ValueError, match=r"'/out/seq/out/bias' declares shape.*bomb"):
        model.load_weights(tmp_path / "w.h5")
    # A large dataset that really stores its data is not a bomb.
    with h5py.File(tmp_path / "big.h5", "w") as f:
        f.create_dataset("x", data=np.random.default_rng(0).random((3000, 3000)))
        from kcore.saving import h5io

        h5io.check_dataset_size(f["x"])
