"""Functions that create tensors, and the global random generator behind ``manual_seed``.

Every one takes PyTorch's ``device=`` (the CPU only: `autodiff.devices`). Random functions take
``rng=`` (a ``numpy.random.Generator`` or an int seed); without it they draw from the global
generator, which ``manual_seed(s)`` resets, so that runs are reproducible.
``get_rng_state()`` and ``set_rng_state(state)`` save and restore where it is, for resuming a
run from a checkpoint with the same shuffles and dropout masks.
"""
import numpy as np

from .devices import check_device
from .tensor import Tensor

_global_generator = np.random.default_rng(0)


def manual_seed(seed):
    """Reseed the global random generator used when no ``rng`` is passed, and return it.

    It is reseeded in place, as PyTorch's default generator: a generator taken before (a
    ``DataLoader(rng=default_generator())``, ``rng=manual_seed(0)``) follows the new seed too.
    The seed is an int from -2**63 to 2**64 - 1; a negative one becomes 2**64 - 1 + seed, as
    in PyTorch."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        hint = (" (None would seed from the operating system's randomness: a run that cannot "
                "be repeated)" if seed is None else "")
        raise TypeError(f"manual_seed: the seed must be an int, got {seed!r}{hint}")
    _global_generator.bit_generator.state = _seeded_state(seed, "manual_seed")
    return _global_generator


def _seeded_state(seed, name):
    """The PCG64 state that ``seed`` starts, by PyTorch's rules: an int from -2**63 to
    2**64 - 1, a negative one taken as 2**64 - 1 + seed."""
    seed = int(seed)
    if not -2 ** 63 <= seed < 2 ** 64:
        raise ValueError(f"{name}: the seed must be from -2**63 to 2**64 - 1, got {seed}")
    return np.random.PCG64(seed if seed >= 0 else 2 ** 64 - 1 + seed).state


def default_generator():
    """The global ``numpy.random.Generator`` (see `manual_seed`)."""
    return _global_generator


def get_rng_state():
    """The global generator's state (a dict, as NumPy's ``bit_generator.state``), to save in a
    checkpoint beside the model's and optimizer's ``state_dict`` (``torch.get_rng_state``)."""
    return _global_generator.bit_generator.state


def set_rng_state(state):
    """Put the global generator back where `get_rng_state` found it (``torch.set_rng_state``),
    so that a resumed run draws the shuffles and masks that the uninterrupted run drew."""
    if not isinstance(state, dict) or "bit_generator" not in state:
        raise TypeError(f"set_rng_state: expected a state from get_rng_state(), a dict with "
                        f"'bit_generator', got {type(state).__name__}")
    _global_generator.bit_generator.state = state


def get_generator(rng=None):
    """``rng`` as a Generator: itself, a new one seeded by an int, or the global one."""
    if rng is None:
        return _global_generator
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


def _shape(shape, size=None):
    """A shape from ``*shape`` (ints, or one tuple or list) or PyTorch's ``size=`` keyword."""
    if size is not None:
        if shape:
            raise TypeError(f"pass the shape either positionally or as size=, not both "
                            f"(got {shape} and size={size})")
        shape = (size,)
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _float(dtype):
    return np.dtype(np.float32 if dtype is None else dtype)


def tensor(data, requires_grad=False, dtype=None, name=None, device=None):
    """A new leaf Tensor with a copy of ``data`` (see `Tensor` for the dtype rules).

    As ``torch.tensor``, it never shares memory with ``data`` (an ndarray or a Tensor): use
    `as_tensor` to share an ndarray, ``t.detach()`` to share a Tensor's array.
    """
    check_device(device, "tensor")
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.ndarray):
        data = data.copy()
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def zeros(*shape, dtype=None, requires_grad=False, device=None, size=None):
    """A tensor of zeros (float32 unless ``dtype`` says otherwise)."""
    check_device(device, "zeros")
    return Tensor(np.zeros(_shape(shape, size), _float(dtype)), requires_grad=requires_grad)


def ones(*shape, dtype=None, requires_grad=False, device=None, size=None):
    """A tensor of ones."""
    check_device(device, "ones")
    return Tensor(np.ones(_shape(shape, size), _float(dtype)), requires_grad=requires_grad)


def full(shape, fill_value, dtype=None, requires_grad=False, device=None):
    """A tensor of ``shape`` filled with ``fill_value``."""
    check_device(device, "full")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return Tensor(np.full(shape, fill_value, _float(dtype)), requires_grad=requires_grad)


def zeros_like(t, dtype=None, requires_grad=False, device=None):
    """Zeros with the shape (and dtype, unless given) of ``t``."""
    check_device(device, "zeros_like")
    return Tensor(np.zeros_like(np.asarray(t), dtype=dtype), requires_grad=requires_grad)


def ones_like(t, dtype=None, requires_grad=False, device=None):
    """Ones with the shape (and dtype, unless given) of ``t``."""
    check_device(device, "ones_like")
    return Tensor(np.ones_like(np.asarray(t), dtype=dtype), requires_grad=requires_grad)


def arange(start, stop=None, step=1, dtype=None, requires_grad=False, device=None):
    """Evenly spaced values in [start, stop) as ``np.arange`` (float32 unless ``dtype``)."""
    check_device(device, "arange")
    values = np.arange(start, stop, step) if stop is not None else np.arange(0, start, step)
    return Tensor(values.astype(_float(dtype)), requires_grad=requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive, as
    ``torch.linspace`` (float32 unless ``dtype``)."""
    check_device(device, "linspace")
    values = np.linspace(start, end, steps)
    return Tensor(values.astype(_float(dtype)), requires_grad=requires_grad)


def randint(*args, low=None, high=None, size=None, rng=None, generator=None, dtype=np.int64,
            device=None):
    """Random integers in [low, high), as ``torch.randint(low=0, high, size)``: called
    ``randint(high, size)``, ``randint(low, high, size)`` or with keywords (``size`` a tuple
    or an int). int64 unless ``dtype``."""
    check_device(device, "randint")
    args = list(args)
    if size is None and args:
        size = args.pop()
    if high is None and args:
        high = args.pop()
    if low is None:
        low = args.pop() if args else 0
    if args or high is None or size is None:
        raise TypeError("randint takes (high, size) or (low, high, size)")
    values = get_generator(rng_or_generator(rng, generator, "randint")).integers(
        low, high, size=_shape((size,)) if isinstance(size, int) else tuple(size))
    return Tensor(values.astype(dtype))


def multinomial(input, num_samples, replacement=False, *, rng=None, generator=None, device=None):
    """``num_samples`` indices drawn from each row of the non-negative weights ``input`` (1-d
    or 2-d), as ``torch.multinomial``: int64, of shape (num_samples,) or (rows,
    num_samples); without ``replacement`` an index is drawn at most once per row."""
    check_device(device, "multinomial")
    weights = np.asarray(input, dtype=np.float64)
    if weights.ndim not in (1, 2) or (weights < 0).any() or not np.isfinite(weights).all():
        raise ValueError(f"multinomial: input must be 1-d or 2-d finite non-negative weights, "
                         f"got shape {weights.shape}")
    rows = weights.reshape(-1, weights.shape[-1])
    if not rows.shape[0]:
        return Tensor(np.zeros(weights.shape[:-1] + (num_samples,), dtype=np.int64))
    if (rows.sum(axis=1) <= 0).any():
        raise ValueError("multinomial: every row of weights must have a positive sum")
    if not replacement and num_samples > rows.shape[1]:
        raise ValueError(f"multinomial: cannot draw {num_samples} samples without replacement "
                         f"from {rows.shape[1]} categories")
    generator = get_generator(rng_or_generator(rng, generator, "multinomial"))
    drawn = np.stack([generator.choice(row.size, size=num_samples, replace=replacement,
                                       p=row / row.sum()) for row in rows])
    return Tensor(drawn.reshape(weights.shape[:-1] + (num_samples,)).astype(np.int64))


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether ``a`` and ``b`` (tensors, arrays or numbers) are equal within the tolerances,
    as ``np.allclose`` and ``torch.allclose``: a Python bool."""
    return bool(np.allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol,
                            equal_nan=equal_nan))


def eye(n, m=None, dtype=None, requires_grad=False, device=None):
    """The identity matrix (n by m)."""
    check_device(device, "eye")
    return Tensor(np.eye(n, m, dtype=_float(dtype)), requires_grad=requires_grad)


def randn(*shape, rng=None, dtype=None, requires_grad=False, generator=None, device=None,
          size=None):
    """Standard normal samples (a floating ``dtype``: float32 unless given); ``generator`` is
    PyTorch's name for ``rng``."""
    check_device(device, "randn")
    values = get_generator(rng_or_generator(rng, generator, "randn")).standard_normal(
        _shape(shape, size))
    return Tensor(values.astype(_random_float("randn", dtype)), requires_grad=requires_grad)


def rand(*shape, rng=None, dtype=None, requires_grad=False, generator=None, device=None,
         size=None):
    """Uniform samples in [0, 1) (a floating ``dtype``: float32 unless given); ``generator``
    is PyTorch's name for ``rng``."""
    check_device(device, "rand")
    values = get_generator(rng_or_generator(rng, generator, "rand")).random(_shape(shape, size))
    return Tensor(values.astype(_random_float("rand", dtype)), requires_grad=requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, rng=None, generator=None, dtype=None,
           requires_grad=False, device=None):
    """Normal samples, as ``torch.normal``: of ``size`` for a number ``mean`` and ``std`` (d2l's
    ``torch.normal(0, 0.01, size=(784, 10), requires_grad=True)``), or one per element of
    ``mean`` and ``std`` (tensors or arrays, broadcast together) without ``size``. float32
    unless ``dtype`` (or a float64 mean or std) says otherwise."""
    check_device(device, "normal")
    given = [v for v in (mean, std) if isinstance(v, (Tensor, np.ndarray))]  # (numbers: weak)
    mean, std = (np.asarray(v.data if isinstance(v, Tensor) else v) for v in (mean, std))
    if size is not None and (mean.ndim or std.ndim):
        raise TypeError("normal: size= goes with a number mean and std; tensors give the shape")
    if (std < 0).any():
        raise ValueError(f"normal: std must be non-negative, got {std.min()}")
    shape = _shape((), size) if size is not None else np.broadcast_shapes(mean.shape, std.shape)
    draws = get_generator(rng_or_generator(rng, generator, "normal")).normal(mean, std, shape)
    if dtype is None and given:  # a tensor's floating dtype, as PyTorch's result takes
        wide = np.result_type(*(v.data if isinstance(v, Tensor) else v for v in given))
        dtype = wide if wide.kind == "f" else None
    return Tensor(np.asarray(draws).astype(_random_float("normal", dtype)),
                  requires_grad=requires_grad)


def randn_like(t, rng=None, dtype=None, requires_grad=False, generator=None, device=None):
    """Standard normal samples with the shape (and floating dtype, unless given) of ``t``."""
    check_device(device, "randn_like")
    array = np.asarray(t)
    return randn(*array.shape, rng=rng_or_generator(rng, generator, "randn_like"),
                 dtype=dtype or _like_float(array), requires_grad=requires_grad)


def rand_like(t, rng=None, dtype=None, requires_grad=False, generator=None, device=None):
    """Uniform samples in [0, 1) with the shape (and floating dtype, unless given) of ``t``."""
    check_device(device, "rand_like")
    array = np.asarray(t)
    return rand(*array.shape, rng=rng_or_generator(rng, generator, "rand_like"),
                dtype=dtype or _like_float(array), requires_grad=requires_grad)


def rng_or_generator(rng, generator, name):
    """``rng``, or PyTorch's ``generator=`` spelling of it (not both). A generator must be a
    Generator, as PyTorch's: an int there would start the same stream on every call (a
    sampling loop printing one name over and over), where ``rng=`` takes int seeds knowingly."""
    if generator is None:
        return rng
    if rng is not None:
        raise TypeError(f"{name}: pass either rng or generator, not both")
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"{name}: generator must be a Generator (autodiff.Generator()"
                        f".manual_seed(s), or numpy.random.default_rng(s)), got "
                        f"{type(generator).__name__}; an int seed is rng=, which starts the "
                        f"same stream anew on every call")
    return generator


class Generator(np.random.Generator):
    """A random generator with PyTorch's ``torch.Generator`` methods: ``manual_seed(s)``
    (returns itself, so ``g = Generator().manual_seed(2147483647)`` works), ``initial_seed()``,
    ``seed()``, ``get_state()`` and ``set_state(state)``. It is a ``numpy.random.Generator``
    (``g.random()``, ``g.normal()``), accepted wherever ``rng=`` or ``generator=`` is. The
    streams are NumPy's, not PyTorch's: the same seed draws other numbers than in PyTorch."""

    def __init__(self, device=None):
        if isinstance(device, np.random.BitGenerator):  # NumPy's own calls (spawn)
            super().__init__(device)
            self._initial_seed = None
            return
        check_device(device, "Generator")
        super().__init__(np.random.PCG64(_DEFAULT_SEED))
        self._initial_seed = _DEFAULT_SEED

    def __reduce__(self):  # copy, deepcopy and pickle keep the class, the seed and the state
        return _restored_generator, (self.get_state(), self._initial_seed)

    def manual_seed(self, seed):
        """Reseed (by `manual_seed`'s rules for the global generator) and return self."""
        if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"Generator.manual_seed: the seed must be an int, got {seed!r}")
        self.bit_generator.state = _seeded_state(seed, "Generator.manual_seed")
        self._initial_seed = int(seed)
        return self

    def initial_seed(self):
        """The seed given last to `manual_seed` (or the default one; None for a generator that
        ``spawn`` made, which NumPy seeds from its parent's stream)."""
        return self._initial_seed

    def seed(self):
        """Reseed from the operating system's randomness and return the new seed."""
        seed = int(np.random.SeedSequence().entropy % 2 ** 64)
        self.manual_seed(seed)
        return seed

    def get_state(self):
        """Where the stream is (a dict), for `set_state`."""
        return self.bit_generator.state

    def set_state(self, state):
        """Put the stream back where `get_state` found it; returns self."""
        self.bit_generator.state = state
        return self


_DEFAULT_SEED = 67280421310721  # torch.Generator()'s default seed


def _restored_generator(state, initial_seed):
    """A `Generator` at ``state`` (for pickle and copy)."""
    generator = Generator().set_state(state)
    generator._initial_seed = initial_seed
    return generator


def _like_float(array):
    """``array``'s dtype when floating, else the default float32 (as torch.randn_like refuses
    integer input, an integer tensor gets float draws)."""
    return array.dtype if array.dtype.kind == "f" else None


def _random_float(name, dtype):
    """The dtype of random draws: floating only (an integer one would truncate every draw, as
    PyTorch's ``randn`` refuses it too)."""
    dtype = _float(dtype)
    if dtype.kind != "f":
        raise TypeError(f"{name}: dtype must be floating point, got {dtype}")
    return dtype
