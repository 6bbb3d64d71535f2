"""Mini-batches over in-memory arrays: ``DataLoader``.

>>> import numpy as np
>>> X, y = np.arange(10.0).reshape(5, 2), np.array([0, 1, 0, 1, 1])
>>> loader = DataLoader(X, y, batch_size=2)
>>> len(loader)
3
>>> [yb.numpy().tolist() for xb, yb in loader]
[[0, 1], [0, 1], [1]]
"""

import math
import numbers
import operator

import numpy as np

from autodiff import Tensor, default_generator
from autodiff.creation import rng_or_generator

__all__ = ["DataLoader"]


def _as_generator(rng):
    """``rng`` as a Generator, or None: shuffle with autodiff's global generator."""
    if rng is None or isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be None, an int seed or a numpy.random.Generator, got {rng!r}")


def _as_array(index, data):
    """``data`` (argument ``index``) as an ndarray, or a ValueError naming the argument."""
    try:
        array = np.asarray(data)
        if array.dtype == np.float64 and not isinstance(data, (np.ndarray, Tensor)):
            array = array.astype(np.float32)  # Python floats become float32, as in Tensor(list)
    except ValueError as error:
        raise ValueError(f"DataLoader: array {index} ({type(data).__name__}) cannot be made an "
                         f"array: {error}") from None
    if array.dtype.kind not in "biuf":  # else the first batch fails, inside Tensor()
        raise TypeError(f"DataLoader: array {index} has dtype {array.dtype}; batches become "
                        f"Tensors, which hold numbers (booleans, integers or floats): convert "
                        f"it first, e.g. labels with np.unique(y, return_inverse=True)[1]")
    return array


def _batch_size(batch_size):
    if isinstance(batch_size, bool):
        raise TypeError("batch_size must be an int >= 1, got a bool")
    try:
        batch_size = operator.index(batch_size)
    except TypeError:
        raise TypeError(f"batch_size must be an int >= 1, got {batch_size!r}") from None
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    return batch_size


class DataLoader:
    """Iterate over equally long arrays in mini-batches of ``autodiff.Tensor``.

    ``DataLoader(*arrays, batch_size=1, shuffle=False, drop_last=False, rng=None)`` takes one or
    more arrays (NumPy arrays, ``Tensor``, or anything ``np.asarray`` accepts) whose first
    dimensions are equal: row ``i`` of each array belongs to sample ``i``. Iterating yields, per
    batch, a tuple with one ``Tensor`` per array, like PyTorch's ``DataLoader`` over a
    ``TensorDataset``: a tuple even for a single array (``for (xb,) in loader``). Batches keep the
    arrays' dtypes (int64 labels stay integer, float32 stays float32; Python lists of floats
    become float32, as in ``Tensor(list)``) and do not require grad.

    The three flavours of gradient descent are batch sizes: full-batch gradient descent is
    ``batch_size=len(X)``, stochastic gradient descent ``batch_size=1``, mini-batch gradient
    descent ``batch_size=k``.

    ``len(loader)`` is the number of batches per epoch: ``ceil(n / batch_size)``, or
    ``n // batch_size`` with ``drop_last=True`` (which drops a last, smaller batch). With
    ``shuffle=True`` every epoch (every ``iter(loader)``) visits the samples in a new random
    order drawn from ``rng``: a ``numpy.random.Generator``, an int seed for a reproducible
    sequence of epochs, or None for autodiff's global generator (``autodiff.manual_seed``),
    looked up at the start of each epoch (``generator=`` is PyTorch's name for ``rng``).
    Without ``shuffle`` the order is the arrays' order.
    """

    def __init__(self, *arrays, batch_size=1, shuffle=False, drop_last=False, rng=None,
                 generator=None):
        rng = rng_or_generator(rng, generator, "DataLoader")  # (generator=: PyTorch's name)
        if not arrays:
            raise ValueError("DataLoader needs at least one array")
        if (len(arrays) == 1 and isinstance(arrays[0], tuple) and len(arrays[0]) > 1
                and all(isinstance(a, (np.ndarray, Tensor)) for a in arrays[0])):
            # PyTorch's habit of one dataset argument: the tuple would become one stacked
            # array (a dataset of len(tuple) samples) or fail in NumPy with a ragged error
            raise TypeError(
                f"DataLoader takes each array as its own argument: DataLoader(X, y, "
                f"batch_size=...), not DataLoader((X, y), ...); got one "
                f"{type(arrays[0]).__name__} of {len(arrays[0])} arrays (unpack it: "
                f"DataLoader(*arrays, ...))")
        if len(arrays) > 1 and isinstance(arrays[-1], numbers.Integral) and not isinstance(
                arrays[-1], bool):
            raise TypeError(
                f"DataLoader takes batch_size by keyword: DataLoader(X, y, batch_size="
                f"{arrays[-1]}); the last positional argument is an int, not an array of "
                f"samples")
        self.arrays = tuple(_as_array(i, a) for i, a in enumerate(arrays))
        for i, a in enumerate(self.arrays):
            if a.ndim == 0:
                raise ValueError(f"array {i} is a scalar; DataLoader needs arrays of samples")
        lengths = [len(a) for a in self.arrays]
        if len(set(lengths)) > 1:
            raise ValueError(
                "DataLoader arrays must have the same first dimension, got lengths "
                + ", ".join(map(str, lengths))
            )
        self.batch_size = _batch_size(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.rng = _as_generator(rng)

    @property
    def num_samples(self):
        """The number of samples (the arrays' common first dimension)."""
        return len(self.arrays[0])

    def __len__(self):
        if self.drop_last:
            return self.num_samples // self.batch_size
        return math.ceil(self.num_samples / self.batch_size)

    def __iter__(self):
        n = self.num_samples
        if self.shuffle:
            order = (self.rng if self.rng is not None else default_generator()).permutation(n)
        else:
            order = np.arange(n)
        for b in range(len(self)):
            # one fancy-indexing gather per array and batch; it copies, so a batch never
            # aliases the dataset
            index = order[b * self.batch_size:(b + 1) * self.batch_size]
            yield tuple(Tensor(a[index]) for a in self.arrays)

    def __repr__(self):
        shapes = ", ".join(str(a.shape) for a in self.arrays)
        return (f"DataLoader({shapes}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last})")
