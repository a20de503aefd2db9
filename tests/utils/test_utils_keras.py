"""``kcore.utils`` dataset and array helpers against real-Keras fixtures
(``tests/fixtures/keras/preprocessing/make_preprocessing_fixtures.py``, case ``utils``)."""

import json
import pathlib

import numpy as np
import pytest

import kcore
from kcore import utils

FIXTURE = json.loads((pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "keras" /
                      "preprocessing" / "preprocessing.json").read_text())["utils"]


def test_timeseries_windows_match_keras():
    ds = utils.timeseries_dataset_from_array(np.arange(20), np.arange(20) * 10,
                                             sequence_length=5, sequence_stride=2,
                                             sampling_rate=2, batch_size=3)
    assert isinstance(ds, utils.PyDataset)
    assert [[x.tolist(), y.tolist()] for x, y in ds] == FIXTURE["timeseries"]
    ds = utils.timeseries_dataset_from_array(np.arange(30).reshape(15, 2), None,
                                             sequence_length=4, batch_size=4, start_index=2,
                                             end_index=13)
    assert [x.tolist() for x in ds] == FIXTURE["timeseries_unlabelled"]


def test_timeseries_shuffle_permutes_windows_and_feeds_fit():
    data = np.random.default_rng(0).normal(size=(50, 3)).astype("float32")
    ds = utils.timeseries_dataset_from_array(data, data[:, 0], sequence_length=6, batch_size=8,
                                             shuffle=True, seed=1)
    starts = sorted(int(np.argwhere(data[:, 0] == y)[0, 0]) for _, yb in ds for y in yb)
    assert starts == list(range(45))
    model = kcore.Sequential([kcore.Input((6, 3)), kcore.layers.Flatten(),
                              kcore.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    assert len(model.fit(ds, epochs=2, verbose=0).history["loss"]) == 2


def test_timeseries_bad_arguments():
    with pytest.raises(ValueError, match="`sequence_length` must be a positive int"):
        utils.timeseries_dataset_from_array(np.arange(5), None, 0)
    with pytest.raises(ValueError, match="`end_index` must be in"):
        utils.timeseries_dataset_from_array(np.arange(5), None, 2, end_index=9)


def test_split_dataset_matches_keras():
    left, right = utils.split_dataset(np.arange(10), left_size=0.3)
    assert [left.tolist(), right.tolist()] == FIXTURE["split_fraction"]
    left, right = utils.split_dataset((np.arange(10), np.arange(10) * 2), right_size=4,
                                      shuffle=True, seed=7)
    assert [[a.tolist() for a in left], [a.tolist() for a in right]] == FIXTURE["split_shuffle"]
    with pytest.raises(ValueError, match="set `left_size` or `right_size`"):
        utils.split_dataset(np.arange(4))
    with pytest.raises(ValueError, match="must be in"):
        utils.split_dataset(np.arange(4), left_size=1.5)
    with pytest.raises(ValueError, match="same length"):
        utils.split_dataset((np.arange(4), np.arange(5)), left_size=2)


def test_array_helpers_match_keras():
    assert utils.pad_sequences([[1, 2, 3], [4], []], maxlen=2, padding="post",
                               truncating="post", value=-1).tolist() == FIXTURE["pad_sequences"]
    assert utils.pad_sequences([[1, 2, 3], [4, 5]]).tolist() == FIXTURE["pad_sequences_pre"]
    np.testing.assert_allclose(utils.normalize(np.array([[3.0, 4.0], [0.0, 0.0]])),
                               FIXTURE["normalize"])
    np.testing.assert_array_equal(utils.to_categorical(np.array([[1], [2], [0]]), 4),
                                  FIXTURE["to_categorical"])
    # Keras 3 divides by the wrong norms when axis=0 (it treats axis 0 as "unset");
    # kcore normalises along the axis asked for.
    np.testing.assert_allclose(utils.normalize(np.array([[3.0, 4.0], [1.0, 1.0]]), axis=0,
                                               order=1), [[0.75, 0.8], [0.25, 0.2]])


@pytest.fixture
def image_dir(tmp_path):
    from PIL import Image

    for rel, pixels in FIXTURE["images"]["pixels"].items():
        path = tmp_path / "img" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.asarray(pixels, dtype="uint8")).save(path)
    return tmp_path / "img"


def test_image_dataset_splits_and_pixels_match_keras(image_dir):
    train, val = utils.image_dataset_from_directory(image_dir, image_size=(4, 5), batch_size=4,
                                                    seed=3, validation_split=0.3,
                                                    subset="both", label_mode="categorical",
                                                    verbose=False)
    rel = lambda ds: [str(pathlib.Path(p).relative_to(image_dir)) for p in ds.file_paths]  # noqa
    assert rel(train) == FIXTURE["images"]["train_files"]
    assert rel(val) == FIXTURE["images"]["val_files"]
    assert train.class_names == FIXTURE["images"]["class_names"] == ["cats", "dogs"]
    assert len(train) == 2 and train[0][0].shape == (4, 4, 5, 3)
    x, y = utils.image_dataset_from_directory(image_dir, image_size=(4, 5), batch_size=10,
                                              shuffle=False, verbose=False)[0]
    np.testing.assert_allclose(x, FIXTURE["images"]["unshuffled"][0], rtol=1e-5, atol=1e-3)
    assert y.tolist() == FIXTURE["images"]["unshuffled"][1] and y.dtype == np.int32
    # Pillow's grey conversion (ITU-R 601) rounds differently from TensorFlow's PNG decoder
    # by at most one grey level.
    x, y = utils.image_dataset_from_directory(image_dir, image_size=(3, 3), batch_size=10,
                                              shuffle=False, color_mode="grayscale",
                                              crop_to_aspect_ratio=True, label_mode="binary",
                                              verbose=False)[0]
    np.testing.assert_allclose(x, FIXTURE["images"]["grayscale"][0], rtol=1e-5, atol=1.0)
    assert y.tolist() == FIXTURE["images"]["grayscale"][1]


def test_image_dataset_trains_a_model(image_dir):
    ds = utils.image_dataset_from_directory(image_dir, image_size=(8, 8), batch_size=4,
                                            seed=1, verbose=False)
    model = kcore.Sequential([kcore.Input((8, 8, 3)), kcore.layers.Rescaling(1 / 255.0),
                              kcore.layers.Flatten(), kcore.layers.Dense(2)])
    model.compile(optimizer="adam",
                  loss=kcore.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert len(model.fit(ds, epochs=2, verbose=0).history["loss"]) == 2


def test_text_dataset_matches_keras(tmp_path):
    for rel, text in FIXTURE["texts"]["texts"].items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    train = utils.text_dataset_from_directory(tmp_path, batch_size=3, seed=5,
                                              validation_split=0.25, subset="training",
                                              max_length=8, verbose=False)
    samples = sorted([str(x), int(y)] for xb, yb in train for x, y in zip(xb, yb))
    assert samples == FIXTURE["texts"]["samples"]
    assert train.class_names == FIXTURE["texts"]["class_names"]


def test_directory_datasets_bad_input(tmp_path, image_dir):
    with pytest.raises(ValueError, match="Could not find directory"):
        utils.text_dataset_from_directory(tmp_path / "missing")
    with pytest.raises(ValueError, match="pass a `seed`"):
        utils.image_dataset_from_directory(image_dir, validation_split=0.2, subset="training")
    with pytest.raises(ValueError, match="Set both `validation_split` and `subset`"):
        utils.image_dataset_from_directory(image_dir, validation_split=0.2, seed=1)
    with pytest.raises(ValueError, match="`label_mode` must be"):
        utils.image_dataset_from_directory(image_dir, label_mode="sparse")
    with pytest.raises(ValueError, match="No files with extensions"):
        (tmp_path / "empty" / "a").mkdir(parents=True)
        utils.text_dataset_from_directory(tmp_path / "empty", verbose=False)
