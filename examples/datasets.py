"""Example datasets: scikit-learn's bundled 8x8 digits (offline) and MNIST from IDX files.

Every loader returns ``(X_train, y_train, X_test, y_test)``: images flattened to float32 rows
scaled to [0, 1], labels as int64 class indices, ready for ``nn.data.DataLoader``.

>>> X_train, y_train, X_test, y_test = load_digits()
>>> X_train.shape, X_train.dtype, y_train.dtype
((1438, 64), dtype('float32'), dtype('int64'))
"""

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

__all__ = ["load_digits", "load_mnist", "load_dataset", "read_idx", "stratified_split"]

# IDX type codes (http://yann.lecun.com/exdb/mnist/): data are stored big-endian.
_IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"

# The file names MNIST (and Fashion-MNIST) ship under; some mirrors write "idx3" after a dot.
_MNIST_FILES = {
    "train_images": ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
    "train_labels": ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
    "test_images": ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"),
    "test_labels": ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"),
}


def stratified_split(y, test_fraction=0.2, seed=0):
    """Split sample indices into ``(train_idx, test_idx)``, keeping each class's proportion.

    Each class contributes ``round(test_fraction * count)`` samples to the test set, chosen by a
    permutation drawn from ``np.random.default_rng(seed)``; the same seed gives the same split.
    Both index arrays are sorted, so the original sample order is kept within each part.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be strictly between 0 and 1, got {test_fraction!r}")
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    test_parts = []
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        n_test = int(round(test_fraction * len(members)))
        test_parts.append(rng.permutation(members)[:n_test])
    test_idx = np.sort(np.concatenate(test_parts))
    train_idx = np.setdiff1d(np.arange(len(y)), test_idx)
    return train_idx, test_idx


def load_digits(test_fraction=0.2, seed=0):
    """scikit-learn's 1,797 handwritten 8x8 digits (bundled, no download), split stratified.

    Returns ``(X_train, y_train, X_test, y_test)``: X float32 of shape (n, 64) with pixels / 16
    in [0, 1], y int64 in 0..9. The split is deterministic for a given ``seed``
    (see :func:`stratified_split`).
    """
    from sklearn.datasets import load_digits as sklearn_digits  # optional dependency

    bunch = sklearn_digits()
    X = (bunch.data / 16.0).astype(np.float32)
    y = bunch.target.astype(np.int64)
    train_idx, test_idx = stratified_split(y, test_fraction, seed)
    return X[train_idx], y[train_idx], X[test_idx], y[test_idx]


def _read_bytes(path):
    """The file's bytes, gunzipped when it starts with the gzip magic number."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:  # bad or truncated gzip stream
        raise ValueError(f"{path}: corrupt or truncated gzip data ({exc})") from exc


def read_idx(path):
    """Read an IDX file (the MNIST format), plain or gzipped, into a native-endian ndarray.

    Layout: two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64), the number of dimensions, one big-endian uint32 per
    dimension, then the data in C order. Raises ``ValueError`` naming the path when the magic
    number, type code, header or data size is wrong; ``FileNotFoundError`` when it is missing.
    """
    data = _read_bytes(path)
    if len(data) < 4:
        raise ValueError(f"{path}: not an IDX file (only {len(data)} bytes, header needs 4)")
    if data[0] != 0 or data[1] != 0:
        raise ValueError(
            f"{path}: not an IDX file (magic number starts {data[:2].hex()}, expected 0000)"
        )
    code, ndim = data[2], data[3]
    if code not in _IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in _IDX_DTYPES)
        raise ValueError(f"{path}: unknown IDX type code 0x{code:02X} (known: {known})")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise ValueError(
            f"{path}: truncated IDX header ({len(data)} bytes; {ndim} dimensions need "
            f"{header_size})"
        )
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(data) - header_size
    if found != expected:
        problem = "truncated" if found < expected else "trailing bytes after the data"
        raise ValueError(
            f"{path}: {problem}: shape {shape} of {dtype.name} needs {expected} data bytes, "
            f"found {found}"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header_size).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def _find_mnist_file(folder, names):
    """The first of ``names`` (or its ``.gz`` form) present in ``folder``."""
    candidates = [folder / name for stem in names for name in (stem, stem + ".gz")]
    for path in candidates:
        if path.is_file():
            return path
    tried = ", ".join(p.name for p in candidates)
    raise FileNotFoundError(f"no MNIST file in {folder}: tried {tried}")


def _mnist_split(folder, images_key, labels_key):
    """Images as float32 rows in [0, 1] and int64 labels, with their shapes checked."""
    images_path = _find_mnist_file(folder, _MNIST_FILES[images_key])
    labels_path = _find_mnist_file(folder, _MNIST_FILES[labels_key])
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(
            f"{images_path}: expected uint8 images of shape (n, rows, cols), "
            f"got {images.dtype} {images.shape}"
        )
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise ValueError(
            f"{labels_path}: expected {images.shape[0]} labels (one per image in "
            f"{images_path.name}), got shape {labels.shape}"
        )
    X = images.reshape(images.shape[0], -1).astype(np.float32) / np.float32(255.0)
    return X, labels.astype(np.int64)


def load_mnist(folder):
    """MNIST (or Fashion-MNIST) from the four IDX files in ``folder``, plain or ``.gz``.

    Expects ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``
    and ``t10k-labels-idx1-ubyte``. Returns ``(X_train, y_train, X_test, y_test)`` with images
    as float32 of shape (n, rows * cols) (784 for MNIST) scaled to [0, 1] and int64 labels.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"MNIST folder not found: {folder}")
    X_train, y_train = _mnist_split(folder, "train_images", "train_labels")
    X_test, y_test = _mnist_split(folder, "test_images", "test_labels")
    return X_train, y_train, X_test, y_test


def load_dataset(name_or_folder=None):
    """Load ``"digits"`` (also for None) or MNIST from a folder of IDX files.

    This is what the examples' ``--mnist FOLDER`` option calls; returns the same 4-tuple as
    :func:`load_digits` and :func:`load_mnist`.
    """
    if name_or_folder is None or str(name_or_folder) == "digits":
        return load_digits()
    folder = Path(os.fspath(name_or_folder))
    if not folder.is_dir():
        raise FileNotFoundError(
            f"unknown dataset {str(name_or_folder)!r}: expected 'digits' or a folder of MNIST "
            "IDX files"
        )
    return load_mnist(folder)
