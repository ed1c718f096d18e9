"""The data loaders: bundled digits, CIFAR-10 from a tiny fixture in the official format,
splits and preprocessing of load_dataset, and the MD5-checked unpacking. No network."""
import hashlib
import io
import pickle
import re
import tarfile
import urllib.request

import numpy as np
import pytest

from solutions import data

CIFAR_FILES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
TINY_BATCH = 6  # images per fixture batch: 30 training images, 6 test images


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """No network, no fast mode from the caller's shell, and no real CIFAR-10 copy."""
    def refuse(*args, **kwargs):
        raise AssertionError("the tests must not touch the network")
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.delenv("GRADLAB_FAST", raising=False)
    empty = tmp_path / "no-cifar"
    empty.mkdir()
    monkeypatch.setenv("CIFAR10_DIR", str(empty))


def write_tiny_cifar10(root, str_keys=False):
    """Write CIFAR-10's python format with TINY_BATCH random images per batch.

    Returns {file name: (data uint8 (n, 3072), labels list)} as written."""
    root.mkdir(parents=True, exist_ok=True)
    key = (lambda k: k) if str_keys else (lambda k: k.encode())
    rng = np.random.default_rng(1)
    written = {}
    for file in CIFAR_FILES:
        rows = rng.integers(0, 256, size=(TINY_BATCH, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, size=TINY_BATCH).tolist()
        batch = {key("batch_label"): file.encode(), key("labels"): labels, key("data"): rows,
                 key("filenames"): [f"{file}_{i}.png".encode() for i in range(TINY_BATCH)]}
        with open(root / file, "wb") as f:
            pickle.dump(batch, f)
        written[file] = (rows, labels)
    meta = {key("num_cases_per_batch"): TINY_BATCH, key("num_vis"): 3072,
            key("label_names"): [name.encode() for name in data.CIFAR10_CLASS_NAMES]}
    with open(root / "batches.meta", "wb") as f:
        pickle.dump(meta, f)
    return written


def make_archive(batches_dir, archive):
    """tar.gz of the batches folder, laid out as the official archive; returns its MD5."""
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(batches_dir, arcname=data.CIFAR10_FOLDER)
    return hashlib.md5(archive.read_bytes()).hexdigest()


@pytest.fixture
def tiny_cifar(tmp_path, monkeypatch):
    root = tmp_path / "cifar" / data.CIFAR10_FOLDER
    written = write_tiny_cifar10(root)
    monkeypatch.setenv("CIFAR10_DIR", str(root))
    return root, written


# --- digits -------------------------------------------------------------------------------

def test_digits_file_matches_its_checksum():
    assert hashlib.sha256(data.DIGITS_PATH.read_bytes()).hexdigest() == data.DIGITS_SHA256


def test_load_digits_shapes_labels_and_range():
    X, y = data.load_digits()
    assert X.shape == (1797, 8, 8) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 16
    assert np.all(X == np.round(X))  # pixel counts
    assert set(y.tolist()) == set(range(10))


def test_corrupted_digits_copy_is_refused(tmp_path):
    corrupted = bytearray(data.DIGITS_PATH.read_bytes())
    corrupted[len(corrupted) // 2] ^= 0xFF
    path = tmp_path / "digits.csv.gz"
    path.write_bytes(bytes(corrupted))
    found = hashlib.sha256(bytes(corrupted)).hexdigest()
    with pytest.raises(ValueError) as info:
        data.load_digits(path)
    message = str(info.value)
    assert f"expected SHA-256 {data.DIGITS_SHA256}" in message and f"found {found}" in message
    assert "restore" in message


def test_missing_digits_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="digits.csv.gz is missing"):
        data.load_digits(tmp_path / "digits.csv.gz")


# --- load_dataset: digits -----------------------------------------------------------------

def test_default_digits_splits():
    ds = data.load_dataset(fast=False)
    assert ds["name"] == "digits"  # CIFAR10_DIR points at an empty folder
    sizes = {split: ds[f"X_{split}"].shape for split in ("train", "val", "test", "dev")}
    assert sizes == {"train": (1197, 65), "val": (300, 65), "test": (300, 65), "dev": (100, 65)}
    for split in ("train", "val", "test", "dev"):
        assert ds[f"X_{split}"].dtype == np.float64
        assert ds[f"y_{split}"].shape == (ds[f"X_{split}"].shape[0],)
    assert ds["mean_image"].shape == (64,)
    assert ds["image_shape"] == (8, 8)
    assert ds["class_names"] == [str(d) for d in range(10)]


def test_digits_splits_partition_the_data_set():
    _, y = data.load_digits()
    ds = data.load_dataset("digits", fast=False)
    split_labels = np.concatenate([ds["y_train"], ds["y_val"], ds["y_test"]])
    assert np.array_equal(np.bincount(split_labels), np.bincount(y))


def test_digits_are_shuffled_before_splitting():
    # The file is grouped by writer: unshuffled, the training split would hold fewer writers.
    X, _ = data.load_digits()
    ds = data.load_dataset("digits", subtract_mean=False, bias_trick=False, fast=False)
    assert not np.array_equal(ds["X_train"], X[:1197].reshape(1197, -1))


def test_training_mean_is_subtracted_and_bias_appended():
    raw = data.load_dataset("digits", subtract_mean=False, bias_trick=False, fast=False)
    ds = data.load_dataset("digits", fast=False)
    assert np.allclose(raw["mean_image"], raw["X_train"].mean(axis=0))
    assert np.allclose(ds["X_train"][:, :-1].mean(axis=0), 0.0, atol=1e-12)
    for split in ("train", "val", "test", "dev"):
        assert np.all(ds[f"X_{split}"][:, -1] == 1.0)
        assert np.allclose(ds[f"X_{split}"][:, :-1], raw[f"X_{split}"] - raw["mean_image"])
    assert raw["X_train"].shape == (1197, 64)


def test_dev_is_a_subset_of_training():
    ds = data.load_dataset("digits", fast=False)
    train_rows = {(tuple(x), label) for x, label in zip(ds["X_train"], ds["y_train"])}
    assert all((tuple(x), label) in train_rows for x, label in zip(ds["X_dev"], ds["y_dev"]))


def test_load_dataset_is_deterministic():
    first, second = data.load_dataset("digits"), data.load_dataset("digits")
    for key in ("X_train", "y_train", "X_val", "y_test", "X_dev", "y_dev"):
        assert np.array_equal(first[key], second[key])


def test_explicit_sizes_override_defaults():
    ds = data.load_dataset("digits", num_training=50, num_validation=7, num_test=0, num_dev=5)
    assert [ds[f"y_{s}"].shape[0] for s in ("train", "val", "test", "dev")] == [50, 7, 0, 5]


@pytest.mark.parametrize("value", ["1", "true", "YES", " yes "])
def test_fast_mode_from_environment(monkeypatch, value):
    monkeypatch.setenv("GRADLAB_FAST", value)
    assert data.is_fast_mode()
    ds = data.load_dataset()
    sizes = [ds[f"y_{s}"].shape[0] for s in ("train", "val", "test", "dev")]
    assert sizes == list(data.DEFAULT_SPLITS["digits"]["fast"]) == [500, 100, 100, 50]


@pytest.mark.parametrize("value", ["", "0", "false", "no"])
def test_fast_mode_off(monkeypatch, value):
    monkeypatch.setenv("GRADLAB_FAST", value)
    assert not data.is_fast_mode()


def test_explicit_fast_argument_wins_over_environment(monkeypatch):
    monkeypatch.setenv("GRADLAB_FAST", "1")
    assert data.load_dataset(fast=False)["X_train"].shape[0] == 1197
    monkeypatch.delenv("GRADLAB_FAST")
    assert data.load_dataset(fast=True)["X_train"].shape[0] == 500


@pytest.mark.parametrize("kwargs, expected", [
    (dict(name="mnist"), "Unknown data set 'mnist': expected one of 'digits', 'cifar10'"),
    (dict(num_training=1700), "expected at most 1797, found 1700 + 300 + 300 = 2300"),
    (dict(num_dev=200, num_training=100), "expected at most 100, found 200"),
    (dict(num_training=0), "num_training must be an integer of at least 1, found 0"),
    (dict(num_test=-1), "num_test must be an integer of at least 0, found -1"),
    (dict(num_validation=2.5), "num_validation must be an integer of at least 0, found 2.5"),
])
def test_bad_arguments_say_expected_and_found(kwargs, expected):
    with pytest.raises(ValueError, match=re.escape(expected)):
        data.load_dataset(fast=False, **kwargs)


# --- CIFAR-10 -----------------------------------------------------------------------------

def test_cifar10_dir_from_environment_or_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("CIFAR10_DIR", str(tmp_path / "mine"))
    assert data.cifar10_dir() == tmp_path / "mine"
    monkeypatch.delenv("CIFAR10_DIR")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data.cifar10_dir() == tmp_path / ".cache" / "gradlab" / "cifar-10-batches-py"


def test_cifar10_available_only_when_complete(tiny_cifar):
    root, _ = tiny_cifar
    assert data.cifar10_available()
    (root / "test_batch").unlink()
    assert not data.cifar10_available()


@pytest.mark.parametrize("str_keys", [False, True], ids=["bytes-keys", "str-keys"])
def test_load_cifar10_reads_the_official_layout(tmp_path, str_keys):
    root = tmp_path / "batches"
    written = write_tiny_cifar10(root, str_keys=str_keys)
    X_train, y_train, X_test, y_test = data.load_cifar10(root)
    assert X_train.shape == (5 * TINY_BATCH, 32, 32, 3) and X_train.dtype == np.float64
    assert X_test.shape == (TINY_BATCH, 32, 32, 3) and X_test.dtype == np.float64
    expected_labels = sum((written[f"data_batch_{i}"][1] for i in range(1, 6)), [])
    assert y_train.tolist() == expected_labels
    assert y_test.tolist() == written["test_batch"][1]
    # A row is 1024 red values, then 1024 green, then 1024 blue, each 32x32 row-major.
    row_2 = written["data_batch_2"][0][3]
    for channel, r, c in [(0, 0, 1), (1, 5, 30), (2, 31, 0)]:
        assert X_train[TINY_BATCH + 3, r, c, channel] == row_2[channel * 1024 + r * 32 + c]
    assert X_test[0, 7, 9, 2] == written["test_batch"][0][0][2 * 1024 + 7 * 32 + 9]


def test_missing_cifar10_batch_is_named(tiny_cifar):
    root, _ = tiny_cifar
    (root / "data_batch_3").unlink()
    with pytest.raises(FileNotFoundError, match=r"data_batch_3 not found.*download-cifar10"):
        data.load_cifar10()


def test_cifar10_is_chosen_when_available(tiny_cifar):
    ds = data.load_dataset(num_training=20, num_validation=5, num_test=4, num_dev=3)
    assert ds["name"] == "cifar10"
    assert ds["X_train"].shape == (20, 3073) and ds["X_val"].shape == (5, 3073)
    assert ds["X_test"].shape == (4, 3073) and ds["X_dev"].shape == (3, 3073)
    assert ds["image_shape"] == (32, 32, 3) and ds["mean_image"].shape == (3072,)
    assert ds["class_names"] == data.CIFAR10_CLASS_NAMES


def test_cifar10_splits_follow_cs231n(tiny_cifar):
    X_train, y_train, X_test, y_test = data.load_cifar10()
    ds = data.load_dataset("cifar10", num_training=20, num_validation=5, num_test=4,
                           num_dev=3, subtract_mean=False, bias_trick=False)
    assert np.array_equal(ds["X_train"], X_train[:20].reshape(20, -1))
    assert np.array_equal(ds["X_val"], X_train[20:25].reshape(5, -1))
    assert np.array_equal(ds["y_val"], y_train[20:25])
    assert np.array_equal(ds["X_test"], X_test[:4].reshape(4, -1))
    assert np.array_equal(ds["y_test"], y_test[:4])


def test_cifar10_sizes_that_do_not_fit(tiny_cifar):
    with pytest.raises(ValueError, match=r"expected at most 30, found 28 \+ 5 = 33"):
        data.load_dataset(num_training=28, num_validation=5, num_test=1, num_dev=1)
    with pytest.raises(ValueError, match="expected at most 6, found 7"):
        data.load_dataset(num_training=10, num_validation=1, num_test=7, num_dev=1)


# --- MD5 and unpacking --------------------------------------------------------------------

def test_verify_md5(tmp_path):
    path = tmp_path / "file.bin"
    path.write_bytes(b"gradlab")
    right = hashlib.md5(b"gradlab").hexdigest()
    data.verify_md5(path, right)
    data.verify_md5(path, right.upper())
    with pytest.raises(ValueError, match=f"expected MD5 {'0' * 32}, found {right}"):
        data.verify_md5(path, "0" * 32)


def test_archive_with_right_md5_is_unpacked(tmp_path, monkeypatch):
    write_tiny_cifar10(tmp_path / "src" / data.CIFAR10_FOLDER)
    archive = tmp_path / "cifar-10-python.tar.gz"
    monkeypatch.setattr(data, "CIFAR10_MD5", make_archive(tmp_path / "src" / data.CIFAR10_FOLDER,
                                                          archive))
    batches = data.download_cifar10(dest=tmp_path / "out", archive=archive)
    assert batches == tmp_path / "out" / "cifar-10-batches-py"
    X_train, _, X_test, _ = data.load_cifar10(batches)
    assert X_train.shape == (5 * TINY_BATCH, 32, 32, 3) and X_test.shape[0] == TINY_BATCH


def test_archive_with_wrong_md5_is_refused_before_unpacking(tmp_path, monkeypatch):
    write_tiny_cifar10(tmp_path / "src" / data.CIFAR10_FOLDER)
    archive = tmp_path / "cifar-10-python.tar.gz"
    found = make_archive(tmp_path / "src" / data.CIFAR10_FOLDER, archive)
    assert data.CIFAR10_MD5 != found
    with pytest.raises(ValueError, match=f"expected MD5 {data.CIFAR10_MD5}, found {found}"):
        data.download_cifar10(dest=tmp_path / "out", archive=archive)
    assert not (tmp_path / "out").exists()


def test_archive_escaping_its_folder_is_refused(tmp_path, monkeypatch):
    archive = tmp_path / "evil.tar.gz"
    payload = b"overwritten"
    with tarfile.open(archive, "w:gz") as tar:
        member = tarfile.TarInfo("../outside.txt")
        member.size = len(payload)
        tar.addfile(member, io.BytesIO(payload))
    monkeypatch.setattr(data, "CIFAR10_MD5", hashlib.md5(archive.read_bytes()).hexdigest())
    with pytest.raises(tarfile.FilterError):
        data.download_cifar10(dest=tmp_path / "out", archive=archive)
    assert not (tmp_path / "outside.txt").exists()


def test_download_checks_and_unpacks_without_a_real_network(tmp_path, monkeypatch):
    write_tiny_cifar10(tmp_path / "src" / data.CIFAR10_FOLDER)
    archive = tmp_path / "served.tar.gz"
    monkeypatch.setattr(data, "CIFAR10_MD5", make_archive(tmp_path / "src" / data.CIFAR10_FOLDER,
                                                          archive))
    requested = []

    def fake_urlopen(url):
        requested.append(url)
        response = io.BytesIO(archive.read_bytes())
        response.headers = {"Content-Length": str(archive.stat().st_size)}
        return response
    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    batches = data.download_cifar10(dest=tmp_path / "out")
    assert requested == [data.CIFAR10_URL]
    assert data.cifar10_available(batches)
    # Only the batches remain: the downloaded archive lived in a temporary folder.
    assert [p.name for p in (tmp_path / "out").iterdir()] == [data.CIFAR10_FOLDER]


def test_missing_archive_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.tar.gz does not exist"):
        data.download_cifar10(dest=tmp_path / "out", archive=tmp_path / "nothere.tar.gz")


def test_command_line_unpacks_a_local_archive(tmp_path, monkeypatch, capsys):
    write_tiny_cifar10(tmp_path / "src" / data.CIFAR10_FOLDER)
    archive = tmp_path / "cifar-10-python.tar.gz"
    monkeypatch.setattr(data, "CIFAR10_MD5", make_archive(tmp_path / "src" / data.CIFAR10_FOLDER,
                                                          archive))
    out = tmp_path / "out"
    assert data.main(["download-cifar10", "--dest", str(out), "--archive", str(archive)]) == 0
    printed = capsys.readouterr().out
    assert f"CIFAR-10 is ready in {out / data.CIFAR10_FOLDER}." in printed
    assert f"Set CIFAR10_DIR={out / data.CIFAR10_FOLDER}" in printed  # not the default folder


def test_command_line_reports_a_bad_archive(tmp_path, capsys):
    archive = tmp_path / "cifar-10-python.tar.gz"
    archive.write_bytes(b"not the archive")
    with pytest.raises(SystemExit) as info:
        data.main(["download-cifar10", "--dest", str(tmp_path / "out"), "--archive",
                   str(archive)])
    assert info.value.code == 1
    assert f"error: {archive} failed its checksum: expected MD5" in capsys.readouterr().err
