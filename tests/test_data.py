"""Tests for nn/data.py: DataLoader batching, shuffling, dtypes and argument checks."""

import json

import numpy as np
import pytest

import autodiff
import nn
from autodiff import Tensor
from nn.data import DataLoader


def make_xy(n=10):
    X = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64) % 4
    return X, y


def collect(loader):
    return [tuple(t.numpy() for t in batch) for batch in loader]


# ---------------------------------------------------------------------------- batches

def test_batches_in_order_with_a_smaller_last_batch():
    X, y = make_xy(10)
    loader = DataLoader(X, y, batch_size=4)
    assert len(loader) == 3
    batches = collect(loader)
    assert [len(xb) for xb, _ in batches] == [4, 4, 2]
    for (xb, yb), start in zip(batches, (0, 4, 8)):
        np.testing.assert_array_equal(xb, X[start:start + 4])
        np.testing.assert_array_equal(yb, y[start:start + 4])


def test_yields_tuples_of_tensors_that_do_not_require_grad():
    X, y = make_xy(4)
    batch = next(iter(DataLoader(X, y, batch_size=2)))
    assert isinstance(batch, tuple) and len(batch) == 2
    assert all(type(t) is Tensor and not t.requires_grad for t in batch)


def test_single_array_yields_one_tuples():
    X, _ = make_xy(5)
    batches = list(DataLoader(X, batch_size=2))
    assert all(isinstance(b, tuple) and len(b) == 1 for b in batches)
    (first,) = batches[0]
    np.testing.assert_array_equal(first.numpy(), X[:2])


def test_dtypes_are_kept():
    X64 = np.linspace(0, 1, 6).reshape(3, 2)
    X32 = X64.astype(np.float32)
    labels = np.array([2, 0, 1], dtype=np.int64)
    small = np.array([1, 2, 3], dtype=np.uint8)
    mask = np.array([True, False, True])
    xb64, xb32, yb, sb, mb = next(iter(DataLoader(X64, X32, labels, small, mask, batch_size=3)))
    assert (xb64.dtype, xb32.dtype, yb.dtype, sb.dtype, mb.dtype) == (
        np.float64, np.float32, np.int64, np.uint8, np.bool_)
    np.testing.assert_array_equal(yb.numpy(), [2, 0, 1])


def test_accepts_tensors_and_lists():
    X = Tensor(np.ones((4, 2), np.float32), requires_grad=True)
    labels = [0, 1, 1, 0]
    xb, yb = next(iter(DataLoader(X, labels, batch_size=4)))
    assert xb.dtype == np.float32 and not xb.requires_grad
    assert np.issubdtype(yb.dtype, np.integer)
    np.testing.assert_array_equal(yb.numpy(), labels)


def test_trailing_dimensions_are_kept():
    images = np.random.default_rng(0).random((7, 1, 8, 8)).astype(np.float32)
    (xb,) = next(iter(DataLoader(images, batch_size=5)))
    assert xb.shape == (5, 1, 8, 8)
    np.testing.assert_array_equal(xb.numpy(), images[:5])


def test_batches_are_copies():
    X, y = make_xy(4)
    xb, _ = next(iter(DataLoader(X, y, batch_size=2)))
    xb.data[...] = -1
    assert X.min() == 0


@pytest.mark.parametrize("n, batch_size, drop_last, expected", [
    (10, 4, False, [4, 4, 2]),
    (10, 4, True, [4, 4]),
    (12, 4, False, [4, 4, 4]),
    (12, 4, True, [4, 4, 4]),
    (3, 5, False, [3]),
    (3, 5, True, []),
    (5, 1, False, [1, 1, 1, 1, 1]),
    (0, 3, False, []),
])
def test_len_and_drop_last(n, batch_size, drop_last, expected):
    X, y = make_xy(n)
    loader = DataLoader(X, y, batch_size=batch_size, drop_last=drop_last)
    assert len(loader) == len(expected)
    assert [len(xb) for xb, _ in collect(loader)] == expected


def test_full_batch_gradient_descent_is_one_batch():
    X, y = make_xy(6)
    batches = collect(DataLoader(X, y, batch_size=len(X)))
    assert len(batches) == 1
    np.testing.assert_array_equal(batches[0][0], X)


# ---------------------------------------------------------------------------- shuffling

def test_shuffle_is_a_permutation_that_keeps_rows_paired():
    X, y = make_xy(11)
    loader = DataLoader(X, y, batch_size=3, shuffle=True, rng=0)
    batches = collect(loader)
    xs = np.concatenate([xb for xb, _ in batches])
    ys = np.concatenate([yb for _, yb in batches])
    rows = (xs[:, 0] / 3).astype(int)  # X[i, 0] == 3 * i identifies the sample
    assert sorted(rows) == list(range(11))
    np.testing.assert_array_equal(ys, y[rows])
    assert rows.tolist() != list(range(11))


def test_each_epoch_draws_a_new_permutation_from_rng():
    X, _ = make_xy(20)
    loader = DataLoader(X, batch_size=20, shuffle=True, rng=np.random.default_rng(3))
    epoch1 = next(iter(loader))[0].numpy()[:, 0] / 3
    epoch2 = next(iter(loader))[0].numpy()[:, 0] / 3
    reference = np.random.default_rng(3)
    np.testing.assert_array_equal(epoch1, reference.permutation(20))
    np.testing.assert_array_equal(epoch2, reference.permutation(20))
    assert not np.array_equal(epoch1, epoch2)


def test_int_seed_is_reproducible():
    X, y = make_xy(15)
    a = DataLoader(X, y, batch_size=4, shuffle=True, rng=7)
    b = DataLoader(X, y, batch_size=4, shuffle=True, rng=7)
    for _ in range(2):  # the same sequence of epochs, not only the same first epoch
        for (xa, ya), (xb, yb) in zip(collect(a), collect(b)):
            np.testing.assert_array_equal(xa, xb)
            np.testing.assert_array_equal(ya, yb)


def test_without_shuffle_every_epoch_is_the_same():
    X, y = make_xy(7)
    loader = DataLoader(X, y, batch_size=3, rng=1)
    first, second = collect(loader), collect(loader)
    for (xa, _), (xb, _) in zip(first, second):
        np.testing.assert_array_equal(xa, xb)


def test_default_rng_is_autodiffs_global_generator():
    X, _ = make_xy(50)
    loader = DataLoader(X, batch_size=50, shuffle=True)
    autodiff.manual_seed(5)  # after construction: the generator is looked up per epoch
    rows = next(iter(loader))[0].numpy()[:, 0] / 3
    np.testing.assert_array_equal(rows, np.random.default_rng(5).permutation(50))
    autodiff.manual_seed(5)
    np.testing.assert_array_equal(next(iter(loader))[0].numpy()[:, 0] / 3, rows)


# ---------------------------------------------------------------------------- argument checks

def test_mismatched_lengths_are_named():
    with pytest.raises(ValueError, match="same first dimension.*10, 9"):
        DataLoader(np.zeros((10, 2)), np.zeros(9), batch_size=2)


@pytest.mark.parametrize("batch_size, error, message", [
    (0, ValueError, "batch_size must be >= 1, got 0"),
    (-3, ValueError, "got -3"),
    (2.5, TypeError, "batch_size must be an int"),
    (True, TypeError, "bool"),
    (None, TypeError, "batch_size must be an int"),
])
def test_bad_batch_size(batch_size, error, message):
    with pytest.raises(error, match=message):
        DataLoader(np.zeros(4), batch_size=batch_size)


def test_numpy_int_batch_size_is_accepted():
    assert len(DataLoader(np.zeros(10), batch_size=np.int64(4))) == 3


def test_no_arrays_and_scalar_arrays_are_rejected():
    with pytest.raises(ValueError, match="at least one array"):
        DataLoader(batch_size=2)
    with pytest.raises(ValueError, match="array 1 is a scalar"):
        DataLoader(np.zeros(3), np.float32(1.0))


@pytest.mark.parametrize("rng", ["seed", 1.5, True])
def test_bad_rng(rng):
    with pytest.raises(TypeError, match="rng must be"):
        DataLoader(np.zeros(3), rng=rng)


def test_repr():
    assert repr(DataLoader(np.zeros((5, 2)), np.zeros(5), batch_size=2, shuffle=True)) == (
        "DataLoader((5, 2), (5,), batch_size=2, shuffle=True, drop_last=False)")


# ----- DataLoader given a tuple -----------------------------------------------------------
@pytest.mark.parametrize("y", [np.zeros(10), np.zeros((10, 3))], ids=["ragged", "same-shape"])
def test_tuple_of_arrays_raises(y):
    X = np.zeros((10, 3))
    with pytest.raises(TypeError, match=r"not DataLoader\(\(X, y\), \.\.\.\)"):
        nn.DataLoader((X, y), batch_size=2)


def test_ragged_argument_is_named():
    with pytest.raises(ValueError, match=r"DataLoader: array 0 \(list\)"):
        nn.DataLoader([[1, 2], [3]], batch_size=1)


def test_valid_forms_still_work():
    assert len(nn.DataLoader(np.zeros((10, 3)), np.zeros(10), batch_size=4)) == 3
    assert len(nn.DataLoader([[1, 2], [3, 4]], batch_size=1)) == 2


@pytest.mark.parametrize("labels", [np.array(["cat", "dog", "cat"]),
                                    np.array([1, "two", 3.0], dtype=object)])
def test_arrays_that_are_not_numbers_are_refused_when_the_loader_is_made(labels):
    with pytest.raises(TypeError, match="array 1 has dtype .*convert it first"):
        DataLoader(np.zeros((3, 2)), labels, batch_size=2)


def test_dataloader_names_pytorch_style_positional_batch_size_and_a_list_of_arrays():
    X, y = np.zeros((10, 2)), np.zeros(10)
    with pytest.raises(TypeError, match=r"batch_size by keyword: DataLoader\(X, y, batch_size=32\)"):
        nn.DataLoader(X, y, 32)
    samples = [np.full(3, i) for i in range(100)]  # a list of samples is a dataset, as PyTorch's
    assert next(iter(nn.DataLoader(samples, batch_size=10)))[0].shape == (10, 3)


def test_manual_seed_reseeds_the_generator_that_loaders_already_hold():
    """manual_seed replaced the global generator: a loader given default_generator() (or
    rng=manual_seed(0), PyTorch's generator=torch.manual_seed(0) idiom) kept the old one, and
    two runs after manual_seed(0) shuffled differently."""
    orders = []
    for _ in range(2):
        loader = DataLoader(np.arange(10), batch_size=10, shuffle=True,
                            generator=autodiff.manual_seed(0))
        next(iter(loader))  # the first run's draws must not carry over into the second
        autodiff.manual_seed(0)
        orders.append(next(iter(loader))[0].numpy().tolist())
    assert orders[0] == orders[1]
    assert autodiff.manual_seed(7).random() == np.random.default_rng(7).random()
    for bad in (None, True, 1.5):
        with pytest.raises(TypeError, match="manual_seed: the seed must be an int"):
            autodiff.manual_seed(bad)
    with pytest.raises(TypeError, match="either rng or generator, not both"):
        DataLoader(np.arange(3), rng=1, generator=2)


def test_rng_state_resumes_shuffles_and_dropout_masks():
    autodiff.manual_seed(3)
    loader = DataLoader(np.arange(8), batch_size=8, shuffle=True)
    next(iter(loader))
    state = autodiff.get_rng_state()
    expected = (next(iter(loader))[0].numpy().tolist(),
                nn.Dropout(0.5)(autodiff.ones(6)).numpy().tolist())
    autodiff.manual_seed(99)
    autodiff.set_rng_state(json.loads(json.dumps(state)))  # a checkpoint keeps it as JSON
    assert (next(iter(loader))[0].numpy().tolist(),
            nn.Dropout(0.5)(autodiff.ones(6)).numpy().tolist()) == expected
    with pytest.raises(TypeError, match="expected a state from get_rng_state"):
        autodiff.set_rng_state([1, 2])


def test_manual_seed_takes_pytorchs_range_of_seeds():
    assert autodiff.manual_seed(-1).random() == np.random.default_rng(2 ** 64 - 2).random()
    assert autodiff.manual_seed(2 ** 64 - 1).random() == np.random.default_rng(2 ** 64 - 1).random()
    for seed in (2 ** 64, -2 ** 63 - 1):  # folded onto other seeds' streams before
        with pytest.raises(ValueError, match="the seed must be from -2\\*\\*63 to 2\\*\\*64 - 1"):
            autodiff.manual_seed(seed)
