"""Tests for examples/datasets.py: the digits split, the IDX parser and the MNIST loader."""

import gzip
import struct

import numpy as np
import pytest

from examples.datasets import (
    load_dataset,
    load_digits,
    load_mnist,
    read_idx,
    stratified_split,
)

_CODES = {np.dtype("u1"): 0x08, np.dtype("i1"): 0x09, np.dtype("i2"): 0x0B,
          np.dtype("i4"): 0x0C, np.dtype("f4"): 0x0D, np.dtype("f8"): 0x0E}


def idx_bytes(array):
    """Encode ``array`` in the IDX format (big-endian header and data)."""
    array = np.asarray(array)
    header = bytes([0, 0, _CODES[array.dtype], array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path, array, compress=False):
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


# ---------------------------------------------------------------------------- digits

@pytest.fixture(scope="module")
def digits():
    return load_digits()


def test_digits_shapes_dtypes_and_ranges(digits):
    X_train, y_train, X_test, y_test = digits
    assert X_train.shape == (1438, 64) and X_test.shape == (359, 64)
    assert y_train.shape == (1438,) and y_test.shape == (359,)
    assert X_train.dtype == np.float32 and X_test.dtype == np.float32
    assert y_train.dtype == np.int64 and y_test.dtype == np.int64
    for X in (X_train, X_test):
        assert X.min() == 0.0 and X.max() == 1.0
        # pixels are integers 0..16 divided by 16
        np.testing.assert_array_equal(X * 16, np.round(X * 16))
    assert set(np.unique(y_train)) == set(range(10)) == set(np.unique(y_test))


def test_digits_matches_sklearn_data(digits):
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    X_train, y_train, X_test, y_test = digits
    train_idx, test_idx = stratified_split(bunch.target, 0.2, 0)
    np.testing.assert_array_equal(X_train, (bunch.data[train_idx] / 16).astype(np.float32))
    np.testing.assert_array_equal(y_test, bunch.target[test_idx])
    # train and test together are exactly the dataset
    assert len(np.intersect1d(train_idx, test_idx)) == 0
    assert len(train_idx) + len(test_idx) == len(bunch.target)


def test_digits_split_is_stratified(digits):
    _, y_train, _, y_test = digits
    train_counts = np.bincount(y_train, minlength=10)
    test_counts = np.bincount(y_test, minlength=10)
    totals = train_counts + test_counts
    np.testing.assert_array_equal(test_counts, np.round(0.2 * totals).astype(int))


def test_digits_split_is_deterministic_per_seed(digits):
    again = load_digits(seed=0)
    for a, b in zip(digits, again):
        np.testing.assert_array_equal(a, b)
    other = load_digits(seed=1)
    assert not np.array_equal(digits[2], other[2])


def test_digits_test_fraction():
    X_train, _, X_test, y_test = load_digits(test_fraction=0.5)
    assert abs(len(X_test) - len(X_train)) <= 10
    assert np.all(np.abs(np.bincount(y_test) - np.bincount(y_test).mean()) < 10)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_stratified_split_rejects_bad_fraction(fraction):
    with pytest.raises(ValueError, match="test_fraction"):
        stratified_split(np.array([0, 1, 0, 1]), fraction)


def test_stratified_split_small_example():
    y = np.array([0] * 10 + [1] * 20)
    train_idx, test_idx = stratified_split(y, 0.3, seed=5)
    assert np.sum(y[test_idx] == 0) == 3 and np.sum(y[test_idx] == 1) == 6
    np.testing.assert_array_equal(np.sort(np.concatenate([train_idx, test_idx])), np.arange(30))


# ---------------------------------------------------------------------------- IDX parser

@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_uint8_images_and_labels(tmp_path, compress):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 4, 3), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    suffix = ".gz" if compress else ""
    got_images = read_idx(write_idx(tmp_path / f"img{suffix}", images, compress))
    got_labels = read_idx(write_idx(tmp_path / f"lab{suffix}", labels, compress))
    assert got_images.dtype == np.uint8 and got_images.shape == (5, 4, 3)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


@pytest.mark.parametrize("dtype", ["i1", "i2", "i4", "f4", "f8"])
def test_read_idx_other_dtypes_are_big_endian_decoded(tmp_path, dtype):
    array = (np.arange(12).reshape(3, 4) - 5).astype(dtype)
    got = read_idx(write_idx(tmp_path / "x.idx", array))
    assert got.dtype == np.dtype(dtype) and got.dtype.isnative
    np.testing.assert_array_equal(got, array)


def test_read_idx_known_bytes(tmp_path):
    path = tmp_path / "tiny"
    path.write_bytes(bytes([0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 255]))
    np.testing.assert_array_equal(read_idx(path), [[1, 2, 3], [4, 5, 255]])


def test_read_idx_bad_magic(tmp_path):
    data = bytearray(idx_bytes(np.zeros(3, np.uint8)))
    data[0] = 7
    (tmp_path / "bad").write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"bad.*magic number"):
        read_idx(tmp_path / "bad")


def test_read_idx_unknown_type_code(tmp_path):
    data = bytearray(idx_bytes(np.zeros(3, np.uint8)))
    data[2] = 0x0A
    (tmp_path / "bad").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="type code 0x0A"):
        read_idx(tmp_path / "bad")


def test_read_idx_truncated_data(tmp_path):
    data = idx_bytes(np.zeros((4, 5), np.uint8))
    (tmp_path / "short").write_bytes(data[:-3])
    with pytest.raises(ValueError, match=r"short: truncated.*\(4, 5\).*needs 20.*found 17"):
        read_idx(tmp_path / "short")


def test_read_idx_truncated_header(tmp_path):
    data = idx_bytes(np.zeros((4, 5), np.uint8))
    (tmp_path / "short").write_bytes(data[:9])
    with pytest.raises(ValueError, match="truncated IDX header"):
        read_idx(tmp_path / "short")
    (tmp_path / "tiny").write_bytes(b"\x00\x00")
    with pytest.raises(ValueError, match="header needs 4"):
        read_idx(tmp_path / "tiny")


def test_read_idx_trailing_bytes(tmp_path):
    (tmp_path / "long").write_bytes(idx_bytes(np.zeros(3, np.uint8)) + b"\x00")
    with pytest.raises(ValueError, match="trailing bytes"):
        read_idx(tmp_path / "long")


def test_read_idx_truncated_gzip(tmp_path):
    data = gzip.compress(idx_bytes(np.arange(100, dtype=np.uint8)))
    (tmp_path / "cut.gz").write_bytes(data[:-10])
    with pytest.raises(ValueError, match="cut.gz.*gzip"):
        read_idx(tmp_path / "cut.gz")


def test_read_idx_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope")


# ---------------------------------------------------------------------------- MNIST folder

def make_mnist(folder, n_train=6, n_test=4, compress=False):
    rng = np.random.default_rng(1)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    for name, array in arrays.items():
        write_idx(folder / (name + (".gz" if compress else "")), array, compress)
    return arrays


@pytest.mark.parametrize("compress", [False, True])
def test_load_mnist(tmp_path, compress):
    raw = make_mnist(tmp_path, compress=compress)
    X_train, y_train, X_test, y_test = load_mnist(tmp_path)
    assert X_train.shape == (6, 784) and X_test.shape == (4, 784)
    assert X_train.dtype == np.float32 and y_train.dtype == np.int64
    np.testing.assert_allclose(X_train, raw["train-images-idx3-ubyte"].reshape(6, -1) / 255.0,
                               rtol=1e-6)
    np.testing.assert_allclose(X_test[2], raw["t10k-images-idx3-ubyte"][2].ravel() / 255.0,
                               rtol=1e-6)
    np.testing.assert_array_equal(y_train, raw["train-labels-idx1-ubyte"])
    np.testing.assert_array_equal(y_test, raw["t10k-labels-idx1-ubyte"])
    assert 0.0 <= X_train.min() and X_train.max() <= 1.0


def test_load_mnist_missing_file_names_it(tmp_path):
    make_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
        load_mnist(tmp_path)


def test_load_mnist_label_count_mismatch(tmp_path):
    make_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(5, np.uint8))
    with pytest.raises(ValueError, match="expected 6 labels"):
        load_mnist(tmp_path)


def test_load_mnist_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_mnist(tmp_path / "nowhere")


def test_load_dataset_dispatch(tmp_path, digits):
    make_mnist(tmp_path)
    assert load_dataset(tmp_path)[0].shape == (6, 784)
    assert load_dataset(str(tmp_path))[3].shape == (4,)
    np.testing.assert_array_equal(load_dataset("digits")[1], digits[1])
    np.testing.assert_array_equal(load_dataset(None)[0], digits[0])
    with pytest.raises(FileNotFoundError, match="unknown dataset 'cifar'"):
        load_dataset("cifar")


def test_a_corrupt_gzip_file_is_named(tmp_path):
    from examples.datasets import read_idx
    path = tmp_path / "broken.gz"
    data = bytearray(gzip.compress(bytes(100)))
    data[10] ^= 0xFF  # a damaged deflate stream: zlib.error, not OSError
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="broken.gz: corrupt or truncated gzip data"):
        read_idx(path)
