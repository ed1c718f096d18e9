"""Data sets for the course: the bundled UCI digits (offline default) and CIFAR-10.

`load_dataset()` is the one entry point the notebooks use. It returns flattened, mean-centred
rows with a bias column, split into train / validation / test / dev as in CS231n.

The digits (1797 grayscale 8x8 images) ship with the course in `datasets/digits.csv.gz`, so
everything runs offline. CIFAR-10 (60000 colour 32x32 images, 170 MB) is used when it has been
downloaded once:

    python -m lib.data download-cifar10                 # into ~/.cache/gradlab
    python -m lib.data download-cifar10 --archive cifar-10-python.tar.gz   # a copy you have

or when `$CIFAR10_DIR` names a folder with the official python batches.
"""
import argparse
import hashlib
import math
import os
import pickle
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

import numpy as np

try:
    from tqdm import tqdm
except ImportError:  # the progress bar is a nicety; downloading works without it
    tqdm = None

# `datasets/` sits beside the package folder: in the repository next to `solutions/` and
# `lib/`, in a student release next to `lib/`.
DATASETS_DIR = Path(__file__).resolve().parent.parent / "datasets"

DIGITS_PATH = DATASETS_DIR / "digits.csv.gz"
# SHA-256 of scikit-learn's `sklearn/datasets/data/digits.csv.gz` (see datasets/README.md).
DIGITS_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
DIGITS_CLASS_NAMES = [str(digit) for digit in range(10)]

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
# The MD5 published on https://www.cs.toronto.edu/~kriz/cifar.html for the archive above.
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
CIFAR10_FOLDER = "cifar-10-batches-py"  # the folder the archive unpacks to
CIFAR10_TRAIN_FILES = [f"data_batch_{i}" for i in range(1, 6)]
CIFAR10_TEST_FILE = "test_batch"
# The `label_names` of the official `batches.meta`, in label order.
CIFAR10_CLASS_NAMES = ["airplane", "automobile", "bird", "cat", "deer",
                       "dog", "frog", "horse", "ship", "truck"]

# Default split sizes (num_training, num_validation, num_test, num_dev), full and fast mode.
# CIFAR-10 follows CS231n. The digits use all 1797 images: two thirds for training and
# 300 each for validation and test (about 30 per class; one image = 0.33 % accuracy).
DEFAULT_SPLITS = {
    "digits": {"full": (1197, 300, 300, 100), "fast": (500, 100, 100, 50)},
    "cifar10": {"full": (49000, 1000, 1000, 500), "fast": (2000, 200, 200, 100)},
}
# Fixed so that every run (and every student) sees the same splits.
SPLIT_SEED = 0

FAST_MODE_VALUES = {"1", "true", "yes"}


def load_digits(path=None):
    """Load the UCI handwritten digits shipped with the course.

    Inputs:
    - path: the `digits.csv.gz` file to read; None means `DIGITS_PATH`.

    Returns a tuple of:
    - X: float64 array of shape (1797, 8, 8), pixel counts 0..16 (16 = all ink).
    - y: int64 array of shape (1797,), the digit 0..9 of each image.

    Raises ValueError when the file is not the one the course ships (its SHA-256 differs).
    The rows keep the file's order, which groups the images by writer.
    """
    path = DIGITS_PATH if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"The digits data file {path} is missing. It ships with the course in the "
            f"datasets/ folder beside lib/; restore it from the course release.")
    _verify_digest(path, "sha256", DIGITS_SHA256,
                   "The file is corrupted or was replaced; restore datasets/digits.csv.gz "
                   "from the course release.")
    table = np.loadtxt(path, delimiter=",", dtype=np.int64)
    X = table[:, :64].reshape(-1, 8, 8).astype(np.float64)
    y = table[:, 64]
    return X, y


def cifar10_dir():
    """The folder holding the CIFAR-10 python batches: `$CIFAR10_DIR` when set, else the
    cache `~/.cache/gradlab/cifar-10-batches-py`. Returns a Path (it may not exist)."""
    configured = os.environ.get("CIFAR10_DIR")
    if configured:
        return Path(configured).expanduser()
    return _cache_root() / CIFAR10_FOLDER


def cifar10_available(root=None):
    """True when every CIFAR-10 batch file is in `root` (None: `cifar10_dir()`)."""
    return not _missing_cifar10_files(_cifar10_root(root))


def load_cifar10(root=None):
    """Load CIFAR-10 from the official python batches.

    Inputs:
    - root: folder with `data_batch_1` .. `data_batch_5` and `test_batch`; None means
      `cifar10_dir()`.

    Returns a tuple of:
    - X_train: float64 array of shape (50000, 32, 32, 3), pixel values 0..255 (RGB last).
    - y_train: int64 array of shape (50000,), labels 0..9 (see CIFAR10_CLASS_NAMES).
    - X_test: float64 array of shape (10000, 32, 32, 3).
    - y_test: int64 array of shape (10000,).
    (The sizes are those of the official files; a smaller copy in the same format loads too.)
    """
    X_train, y_train, X_test, y_test = _read_cifar10(_cifar10_root(root))
    return X_train.astype(np.float64), y_train, X_test.astype(np.float64), y_test


def verify_md5(path, expected):
    """Raise ValueError unless the MD5 of the file at `path` is `expected` (hex string)."""
    _verify_digest(path, "md5", expected,
                   "The file is incomplete or corrupted; delete it and download it again.")


def download_cifar10(dest=None, archive=None):
    """Fetch CIFAR-10, check its MD5 and unpack it.

    Inputs:
    - dest: folder to unpack into; None means `~/.cache/gradlab`, where `cifar10_dir()` looks
      by default. Another folder needs `CIFAR10_DIR` set to the returned path.
    - archive: a local `cifar-10-python.tar.gz` to use instead of downloading CIFAR10_URL.

    Returns the Path of the unpacked batches, `dest / "cifar-10-batches-py"`.
    The archive's MD5 is checked against CIFAR10_MD5 before anything is unpacked.
    """
    dest = _cache_root() if dest is None else Path(dest)
    if archive is not None:
        archive = Path(archive)
        if not archive.is_file():
            raise FileNotFoundError(
                f"The archive {archive} does not exist. Pass the path of a downloaded "
                f"cifar-10-python.tar.gz, or leave the archive out to download it.")
        _unpack_verified(archive, dest)
    else:
        dest.mkdir(parents=True, exist_ok=True)
        # Downloaded next to its destination: same disk, and removed even when interrupted.
        with tempfile.TemporaryDirectory(dir=dest) as tmp:
            downloaded = Path(tmp) / "cifar-10-python.tar.gz"
            _download(CIFAR10_URL, downloaded)
            _unpack_verified(downloaded, dest)
    return dest / CIFAR10_FOLDER


def is_fast_mode():
    """True when the environment variable GRADLAB_FAST is "1", "true" or "yes" (any case)."""
    return os.environ.get("GRADLAB_FAST", "").strip().lower() in FAST_MODE_VALUES


def load_dataset(name=None, num_training=None, num_validation=None, num_test=None,
                 num_dev=None, subtract_mean=True, bias_trick=True, fast=None):
    """Load a data set as flattened rows split into train / validation / test / dev.

    Inputs:
    - name: "digits", "cifar10", or None for CIFAR-10 when `cifar10_available()`, else digits.
    - num_training, num_validation, num_test, num_dev: split sizes; None takes the default
      of DEFAULT_SPLITS (full, or fast when fast mode is on). The dev set is a small random
      subset of the training split, for quick experiments (as in CS231n).
    - subtract_mean: subtract the mean training row from every split.
    - bias_trick: append a column of ones, so that the last row of W acts as the bias.
    - fast: small default splits; None means `is_fast_mode()`.

    Splits: the digits are shuffled once with a fixed seed (the file is grouped by writer),
    then cut into consecutive train, validation and test parts. CIFAR-10 takes training
    images 0..num_training-1, the next num_validation ones for validation, and the first
    num_test test images, as CS231n does. The same arguments give the same splits every time.

    Returns a dict with, for D pixels per image (64 or 3072) and D' = D + 1 with the bias:
    - X_train (num_training, D'), X_val (num_validation, D'), X_test (num_test, D'),
      X_dev (num_dev, D'): float64 rows.
    - y_train, y_val, y_test, y_dev: int64 labels of shape (number of rows,).
    - mean_image: float64 array of shape (D,), the mean training row (before any centring).
    - image_shape: (8, 8) or (32, 32, 3), to turn a row back into an image.
    - class_names: list of the 10 class names.
    - name: "digits" or "cifar10".
    """
    name = _resolve_name(name)
    fast = is_fast_mode() if fast is None else fast
    defaults = DEFAULT_SPLITS[name]["fast" if fast else "full"]
    requested = (num_training, num_validation, num_test, num_dev)
    n_train, n_val, n_test, n_dev = (default if size is None else size
                                     for size, default in zip(requested, defaults))
    _check_count("num_training", n_train, 1)
    for label, size in (("num_validation", n_val), ("num_test", n_test), ("num_dev", n_dev)):
        _check_count(label, size, 0)
    if n_dev > n_train:
        raise ValueError(f"num_dev must be at most num_training (the dev set is drawn from the "
                         f"training split): expected at most {n_train}, found {n_dev}.")

    rng = np.random.default_rng(SPLIT_SEED)
    if name == "digits":
        images, labels = load_digits()
        order = rng.permutation(len(labels))
        train, val, test = _consecutive_splits(
            images[order], labels[order], (n_train, n_val, n_test),
            ("num_training", "num_validation", "num_test"), "the digits data set")
        image_shape, class_names = (8, 8), DIGITS_CLASS_NAMES
    else:
        X_pool, y_pool, X_test_pool, y_test_pool = _read_cifar10(cifar10_dir())
        train, val = _consecutive_splits(X_pool, y_pool, (n_train, n_val),
                                         ("num_training", "num_validation"),
                                         "the CIFAR-10 training batches")
        (test,) = _consecutive_splits(X_test_pool, y_test_pool, (n_test,), ("num_test",),
                                      "the CIFAR-10 test batch")
        image_shape, class_names = (32, 32, 3), CIFAR10_CLASS_NAMES
    dev_rows = rng.choice(n_train, n_dev, replace=False)
    dev = (train[0][dev_rows], train[1][dev_rows])

    mean_image = train[0].reshape(n_train, -1).mean(axis=0, dtype=np.float64)
    centre = mean_image if subtract_mean else 0.0
    result = {}
    for split, (images, labels) in (("train", train), ("val", val), ("test", test), ("dev", dev)):
        result[f"X_{split}"] = _to_rows(images, centre, bias_trick)
        result[f"y_{split}"] = labels
    result.update(mean_image=mean_image, image_shape=image_shape,
                  class_names=list(class_names), name=name)
    return result


def _cache_root():
    """The default parent folder of downloaded data sets."""
    return Path.home() / ".cache" / "gradlab"


def _cifar10_root(root):
    return cifar10_dir() if root is None else Path(root)


def _missing_cifar10_files(root):
    """The batch files absent from `root`, as a list of Paths."""
    return [root / file for file in CIFAR10_TRAIN_FILES + [CIFAR10_TEST_FILE]
            if not (root / file).is_file()]


def _read_cifar10(root):
    """CIFAR-10 as stored: uint8 images (N, 32, 32, 3) and int64 labels, train then test."""
    missing = _missing_cifar10_files(root)
    if missing:
        raise FileNotFoundError(
            f"CIFAR-10 is incomplete: {', '.join(str(p) for p in missing)} not found. "
            f"Expected the python batches {', '.join(CIFAR10_TRAIN_FILES)} and "
            f"{CIFAR10_TEST_FILE} in {root}. Run `python -m lib.data download-cifar10`, or set "
            f"CIFAR10_DIR to the folder that holds them.")
    train = [_read_cifar10_batch(root / file) for file in CIFAR10_TRAIN_FILES]
    X_train = np.concatenate([images for images, _ in train])
    y_train = np.concatenate([labels for _, labels in train])
    X_test, y_test = _read_cifar10_batch(root / CIFAR10_TEST_FILE)
    return X_train, y_train, X_test, y_test


def _read_cifar10_batch(path):
    """One pickled batch: uint8 images (n, 32, 32, 3) and int64 labels (n,)."""
    # The official batches were pickled by Python 2: encoding="latin1" lets Python 3 rebuild
    # their numpy arrays (and makes their keys str). A pickle can run code when loaded, so only
    # load batches from a trusted source (download_cifar10 checks the archive's MD5).
    with open(path, "rb") as f:
        batch = pickle.load(f, encoding="latin1")
    data, labels = _batch_field(batch, "data", path), _batch_field(batch, "labels", path)
    data = np.asarray(data, dtype=np.uint8)
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise ValueError(f"{path} is not a CIFAR-10 batch: expected data of shape (n, 3072), "
                         f"found {data.shape}.")
    # Each row stores the red plane, then green, then blue, each 32x32 row-major.
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return images, np.asarray(labels, dtype=np.int64)


def _batch_field(batch, key, path):
    """batch[key], whether the pickle stored its keys as str or bytes."""
    for candidate in (key, key.encode()):
        if candidate in batch:
            return batch[candidate]
    raise ValueError(f"{path} is not a CIFAR-10 batch: expected a key {key!r}, found "
                     f"{sorted(map(repr, batch))}.")


def _verify_digest(path, algorithm, expected, advice):
    """Raise ValueError unless the `algorithm` ("md5", "sha256") digest of the file matches."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:  # in chunks, not hashlib.file_digest: graders may run Python 3.10
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    found = digest.hexdigest()
    if found != expected.lower():
        label = {"md5": "MD5", "sha256": "SHA-256"}[algorithm]
        raise ValueError(f"{path} failed its checksum: expected {label} {expected}, "
                         f"found {found}. {advice}")


def _download(url, path):
    """Save `url` to `path`, with a progress bar when tqdm is installed."""
    print(f"Downloading {url} ...", flush=True)
    with urllib.request.urlopen(url) as response, open(path, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0) or None
        bar = tqdm(total=total, unit="B", unit_scale=True, desc=path.name) if tqdm else None
        try:
            while chunk := response.read(1 << 20):
                out.write(chunk)
                if bar is not None:
                    bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()


def _unpack_verified(archive, dest):
    """Check the archive's MD5 against CIFAR10_MD5, then unpack it into `dest`."""
    verify_md5(archive, CIFAR10_MD5)
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:gz") as tar:
        # "data" refuses absolute paths, links and anything that would land outside dest.
        tar.extractall(dest, filter="data")


def _resolve_name(name):
    if name is None:
        return "cifar10" if cifar10_available() else "digits"
    if name not in DEFAULT_SPLITS:
        raise ValueError(f"Unknown data set {name!r}: expected one of "
                         f"{', '.join(map(repr, DEFAULT_SPLITS))}, or None for CIFAR-10 when "
                         f"it is available and the digits otherwise.")
    return name


def _check_count(label, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{label} must be an integer of at least {minimum}, found {value!r}.")


def _consecutive_splits(X, y, sizes, labels, pool):
    """Cut (X, y) into consecutive parts of the given sizes; a list of (X_part, y_part)."""
    if sum(sizes) > len(y):
        raise ValueError(
            f"{' + '.join(labels)} must fit in the {len(y)} examples of {pool}: expected at "
            f"most {len(y)}, found {' + '.join(map(str, sizes))} = {sum(sizes)}. Pass smaller "
            f"sizes, or None for the defaults.")
    bounds = np.cumsum((0,) + tuple(sizes))
    return [(X[start:stop], y[start:stop]) for start, stop in zip(bounds[:-1], bounds[1:])]


def _to_rows(images, centre, bias_trick):
    """Images (n, *image_shape) -> float64 rows (n, D [+1]) minus `centre`, ones appended."""
    # An explicit row length, because -1 cannot be inferred for an empty split.
    rows = images.reshape(len(images), math.prod(images.shape[1:]))
    out = np.ones((len(rows), rows.shape[1] + int(bias_trick)))
    # Written straight into the output: CIFAR-10's training rows alone are 1.2 GB as float64.
    np.subtract(rows, centre, out=out[:, :rows.shape[1]])
    return out


def main(argv=None):
    """Command line: `python -m lib.data download-cifar10 [--dest DIR] [--archive PATH]`."""
    parser = argparse.ArgumentParser(prog="python -m lib.data",
                                     description="Fetch the data sets of the course.")
    commands = parser.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser(
        "download-cifar10",
        help="download CIFAR-10 (170 MB), check its MD5 and unpack it",
        description=f"Download {CIFAR10_URL}, check its MD5 and unpack it.")
    fetch.add_argument("--dest", type=Path,
                       help=f"folder to unpack into (default: {_cache_root()}); the batches "
                            f"land in DEST/{CIFAR10_FOLDER}")
    fetch.add_argument("--archive", type=Path,
                       help="an already downloaded cifar-10-python.tar.gz to check and unpack "
                            "instead of downloading")
    args = parser.parse_args(argv)
    try:
        batches = download_cifar10(dest=args.dest, archive=args.archive)
    except (OSError, ValueError, tarfile.TarError) as error:
        parser.exit(1, f"error: {error}\n")
    print(f"CIFAR-10 is ready in {batches}.")
    if batches.resolve() != cifar10_dir().resolve():
        print(f"Set CIFAR10_DIR={batches} so that load_dataset() finds it.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
