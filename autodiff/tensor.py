"""`Tensor`: an n-dimensional NumPy array that records the operations applied to it.

A Tensor holds ``data`` (an ndarray), ``requires_grad``, ``grad`` (a Tensor or None) and, when it
is the output of a recorded op, ``_ctx``: the `Function` node that made it. Every operator and
method here is one line that hands the work to an op in ``autodiff.ops``.

Dtypes follow NumPy: ndarrays keep their dtype; Python scalars and lists become float32 unless
``dtype`` says otherwise; a float32 tensor combined with a Python number stays float32. With a
floating tensor (or a floating scalar), NumPy scalars (``np.float64(2)``, the ``np.int64`` that
``np.prod`` returns) count as Python numbers, as in PyTorch, so that float32 arithmetic stays
float32; integer scalars with integer data keep NumPy's promotion.
"""
import copy
import warnings
import weakref

import numpy as np

from . import engine, hooks, inplace
from .devices import CPU, check_device
from .grad_mode import STATE as _GRAD_MODE
from .ops import elementwise as ew
from .ops import linalg as la
from .ops import movement as mv
from .ops import pieces
from .ops import reductions as rd

_DEFAULT_FLOAT = np.dtype(np.float32)
# ufunc -> the Tensor method that computes ``array <op> tensor``, for Tensor.__array_ufunc__
_REFLECTED = {np.add: "__radd__", np.subtract: "__rsub__", np.multiply: "__rmul__",
              np.true_divide: "__rtruediv__", np.power: "__rpow__", np.matmul: "__rmatmul__",
              np.floor_divide: "__rfloordiv__", np.remainder: "__rmod__", np.divmod: "__rdivmod__",
              np.less: "__gt__", np.less_equal: "__ge__", np.greater: "__lt__",
              np.greater_equal: "__le__", np.equal: "__eq__", np.not_equal: "__ne__",
              np.bitwise_and: "__rand__", np.bitwise_or: "__ror__", np.bitwise_xor: "__rxor__"}
_NUMPY_SCALARS = (np.bool_, np.integer, np.floating)  # operands that count as Python numbers
# ufuncs whose result has no gradient to lose (np.isnan(loss) is fine on a tensor in a graph)
_PREDICATES = frozenset({np.isnan, np.isinf, np.isfinite, np.signbit, np.less, np.less_equal,
                         np.greater, np.greater_equal, np.equal, np.not_equal, np.logical_and,
                         np.logical_or, np.logical_xor, np.logical_not})
_SUPPORTED_KINDS = "biuf"  # bool, signed and unsigned integers, floating point


def _true_division_operand(tensor, other):
    """A Python int divisor or dividend of an integer tensor as a float: true division makes
    floats anyway, and ``uint8 / 256`` must not overflow converting 256 to uint8."""
    if tensor.data.dtype.kind in "biu" and isinstance(other, int) and not isinstance(other, bool):
        return float(other)
    return other


def _as_array(data, dtype):
    """``data`` as an ndarray of a supported dtype, following the construction rules above."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        dtype = np.dtype(dtype)
    if isinstance(data, (np.ndarray, np.generic)):
        array = np.asarray(data) if dtype is None else np.asarray(data).astype(dtype, copy=False)
    else:
        try:
            array = np.asarray(data, dtype=dtype)
        except (ValueError, TypeError) as error:
            raise TypeError(f"cannot make a Tensor from {type(data).__name__}: {error}") from None
        if dtype is None and array.dtype.kind in _SUPPORTED_KINDS:
            array = array.astype(_DEFAULT_FLOAT)
    if array.dtype.kind not in _SUPPORTED_KINDS:
        if array.dtype.kind == "O" and array.ndim == 0:  # one object: name what it is
            raise TypeError(f"cannot make a Tensor from a {type(data).__name__} (Tensors hold "
                            f"bool, integer or floating-point numbers)")
        raise TypeError(
            f"unsupported dtype {array.dtype} for a Tensor: use bool, integer or floating-point data"
        )
    return array


def _dims(args):
    """Accept both ``f(2, 3)`` and ``f((2, 3))``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _is_identity_pair(axes):
    """Whether ``axes`` names axes 0 then 1 of a 2-d tensor (``(0, 1)``, ``(-2, -1)``, ...)."""
    return (len(axes) == 2 and all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                                   and -2 <= a < 2 for a in axes)
            and (axes[0] % 2, axes[1] % 2) == (0, 1))


def _axis(axis, dim):
    """NumPy's ``axis`` with PyTorch's ``dim`` accepted as an alias."""
    if dim is not None:
        if axis is not None:
            raise TypeError("pass either axis or dim, not both")
        return dim
    return axis


def _keep(keepdims, keepdim):
    """NumPy's ``keepdims`` with PyTorch's ``keepdim`` accepted as an alias (not both, saying
    opposite things)."""
    if keepdim is None:
        return bool(keepdims)
    if keepdims and not keepdim:
        raise TypeError("pass either keepdims or keepdim, not both")
    return bool(keepdim)


def _ddof(ddof, unbiased, correction):
    """NumPy's ``ddof`` from it or PyTorch's ``unbiased`` / ``correction`` (several only when
    they agree)."""
    given = {ddof} if ddof != 0 else set()  # (1, 1.0 and True are one element of a set)
    if unbiased is not None:
        given.add(1 if unbiased else 0)
    if correction is not None:
        given.add(correction)
    if len(given) > 1:
        raise TypeError(f"ddof, unbiased and correction disagree: ddof={ddof}, "
                        f"unbiased={unbiased}, correction={correction}")
    if unbiased is not None:
        return 1 if unbiased else 0
    return ddof if correction is None else correction


def _axis_error(name, axis, shape):
    """The ValueError for an ``axis`` that a tensor of ``shape`` does not have (in place of
    NumPy's AxisError from inside the library)."""
    return ValueError(f"{name}: axis {axis} is out of range for a tensor of shape {shape}")


# Not carried over by copy and pickle: view links, gradient hooks (PyTorch copies none; a
# copied hook table would not be registered, and a lambda in it would not pickle), and the
# graph with the in-place bookkeeping that refers to it: a copy is a leaf, as PyTorch's pickle
# makes it (a deep copy of the graph would send backward's gradients to copied parameters)
_NOT_COPIED = ("_view_of", "_views", "_hooks", "_ctx", "_modified_at", "_versions",
               "_detached_history", "__weakref__", "__dict__")


class Tensor:
    """An n-d array with reverse-mode automatic differentiation.

    ``Tensor(data, requires_grad=False, dtype=None, name=None)``: ``data`` is a number, a
    (nested) list, an ndarray or a Tensor. Dtypes: Python numbers and lists become float32
    unless ``dtype`` says otherwise; an ndarray keeps its dtype (``np.array([1, 2])`` stays
    int64, which cannot require grad); float32 combined with a Python number or a NumPy scalar
    stays float32, with a float64 array becomes float64 (NumPy's rules). ``requires_grad``
    makes it a leaf whose ``.grad`` backward fills; ``name`` labels it in graph drawings.

    >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    Tensor([2., 4., 6.], dtype=float32)
    """

    # Set on some tensors only (unset means none): _modified_at and _versions by in-place ops,
    # _view_of on a view and _views on its base by view ops, _detached_history by detach_()
    # (autodiff.inplace), _hooks by register_hook on a leaf (autodiff.hooks).
    __slots__ = ("data", "grad", "requires_grad", "_ctx", "name", "_modified_at", "_versions",
                 "_view_of", "_views", "_detached_history", "_hooks", "__weakref__")
    __array_priority__ = 1000  # ndarray <op> Tensor defers to the Tensor's reflected operator
    __hash__ = object.__hash__  # == is elementwise, but tensors stay usable as dict keys

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        """NumPy ufuncs with a Tensor among the operands.

        ``array <op> tensor`` is the tensor's reflected operator (recorded; a Tensor), as
        ``tensor <op> array`` is. An ufunc writing into an ndarray (``p.data -= lr * p.grad``,
        PyTorch's manual update) writes into it, unrecorded, as PyTorch's ``.data`` does. Any
        other call (``np.exp(t)``) computes on the arrays and returns arrays, as for any
        array-like, except on a tensor that requires grad while grad mode is on: the result
        would silently have no gradient, so that raises, as PyTorch does (use ``t.exp()``, or
        ``t.detach()`` for the values). Writing into a Tensor with ``out=`` is refused: it would
        go around the records that keep gradients right (use its in-place methods)."""
        if (out is None and method == "__call__" and not kwargs and len(inputs) == 2
                and inputs[1] is self and ufunc in _REFLECTED):
            return getattr(self, _REFLECTED[ufunc])(inputs[0])
        if out is not None:
            if any(isinstance(o, Tensor) for o in out):
                return NotImplemented
            kwargs["out"] = out
        elif (_GRAD_MODE.grad_enabled and ufunc not in _PREDICATES
              and any(isinstance(x, Tensor) and x.requires_grad for x in inputs)):
            own = (f"t.{ufunc.__name__}()" if hasattr(Tensor, ufunc.__name__)
                   else "the Tensor's methods and autodiff's functions")
            raise TypeError(f"np.{ufunc.__name__} of a Tensor that requires grad would return "
                            f"an array without its gradient: use {own}, or t.detach() for "
                            f"the values alone")
        arrays = tuple(x.data if isinstance(x, Tensor) else x for x in inputs)
        return getattr(ufunc, method)(*arrays, **kwargs)

    def __init__(self, data, requires_grad=False, dtype=None, name=None):
        self.data = _as_array(data, dtype)
        self.grad = None
        self._ctx = None
        self.name = name
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    def __getstate__(self):
        """The state ``copy`` and ``pickle`` save: the data, ``grad``, ``requires_grad`` and
        ``name``, not the graph, so a loaded tensor is a leaf. A copy's array is its own, so the
        copy is nobody's view and has no views (see `autodiff.inplace`)."""
        slots = {"_ctx": None}
        for cls in type(self).__mro__:
            for name in getattr(cls, "__slots__", ()):
                if name not in _NOT_COPIED and hasattr(self, name):
                    slots[name] = getattr(self, name)
        return getattr(self, "__dict__", None) or None, slots

    def __deepcopy__(self, memo):
        """A deep copy of a leaf; a tensor made by an op raises, as in PyTorch (a copy of its
        graph would send gradients to copies of the parameters, not to the model's)."""
        if self._ctx is not None:
            raise RuntimeError(
                "only tensors created by the user (graph leaves) support deepcopy; this one "
                f"was made by {self._ctx.name}: deep-copy t.detach() instead")
        new = object.__new__(type(self))
        memo[id(self)] = new
        instance_dict, slots = copy.deepcopy(self.__getstate__(), memo)
        if instance_dict:
            new.__dict__.update(instance_dict)
        for name, value in slots.items():
            object.__setattr__(new, name, value)
        return new

    @classmethod
    def _make(cls, data, requires_grad):
        """Fast internal constructor for an op's output (no checks, no copies)."""
        tensor = object.__new__(Tensor)
        tensor.data = data
        tensor.grad = None
        tensor.requires_grad = requires_grad
        tensor._ctx = None
        tensor.name = None
        return tensor

    # ----- attributes -------------------------------------------------------------------------
    @property
    def shape(self):
        """The shape, a tuple of ints."""
        return self.data.shape

    @property
    def ndim(self):
        """The number of dimensions."""
        return self.data.ndim

    @property
    def size(self):
        """The number of elements (an int, as in NumPy)."""
        return self.data.size

    def numel(self):
        """The number of elements, an int (PyTorch's spelling of ``.size``)."""
        return self.data.size

    nelement = numel

    def dim(self):
        """The number of dimensions (PyTorch's spelling of ``.ndim``)."""
        return self.data.ndim

    @property
    def dtype(self):
        """The NumPy dtype."""
        return self.data.dtype

    @property
    def T(self):
        """The tensor with its axes reversed."""
        return self.transpose()

    @property
    def is_leaf(self):
        """True for tensors made by the user rather than by a recorded op."""
        return self._ctx is None

    @property
    def grad_fn(self):
        """The `Function` node that produced this tensor, or None for a leaf."""
        return self._ctx

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place (floating-point leaves only) and return self."""
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require grad, this one is {self.data.dtype}"
            )
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad can only be turned off on a leaf; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self):
        """Keep ``.grad`` on this interior tensor during backward (leaves always keep theirs)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad: it will "
                               "never have a gradient")
        if self._ctx is not None:
            self._ctx.out_ref = weakref.ref(self)
        return self

    @property
    def retains_grad(self):
        """True for an interior tensor whose ``.grad`` backward keeps (`retain_grad`)."""
        node = self._ctx
        return node is not None and node.out_ref is not None and node.out_ref() is self

    def register_hook(self, hook):
        """Call ``hook(grad)`` with this tensor's gradient during backward; a tensor it returns
        replaces the gradient (see `autodiff.hooks`). Returns a handle: ``handle.remove()``.

        >>> x = Tensor([1.0, 2.0], requires_grad=True)
        >>> handle = x.register_hook(lambda grad: grad * 10)
        >>> (x * x).sum().backward()
        >>> x.grad
        Tensor([20., 40.], dtype=float32)
        """
        return hooks.register(self, hook)

    # ----- conversion -------------------------------------------------------------------------
    def numpy(self):
        """The underlying ndarray (shared, not copied)."""
        return self.data

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape {self.shape}")
        return self.data.item()

    def tolist(self):
        """The data as nested Python lists."""
        return self.data.tolist()

    def clone(self):
        """A copy in new memory that stays in the graph: the gradient flows back to ``self``
        (``torch.clone``; `detach` shares the memory and cuts the graph)."""
        return ew.Clone.apply(self)

    def detach(self):
        """A new leaf sharing the data, cut from the graph."""
        return Tensor._make(self.data, False)

    def detach_(self):
        """This tensor cut from the graph in place: a leaf that does not require grad (PyTorch's
        ``detach_``, as an RNN's state between truncated backpropagation windows); ops recorded
        before still backpropagate through its old history (`inplace.detach_in_place`). A view
        refuses, as in PyTorch. Returns self."""
        inplace.detach_in_place(self)
        return self

    def type(self, dtype=None):
        """PyTorch's ``type``: the tensor converted to ``dtype`` (as `astype`; PyTorch's names
        such as ``'torch.FloatTensor'`` too), or without one its type's name in PyTorch's
        spelling (``'torch.FloatTensor'`` for float32)."""
        if dtype is None:
            name = _TYPE_NAMES.get(self.dtype)
            return f"torch.{name}" if name else str(self.dtype)
        if isinstance(dtype, str) and dtype.startswith("torch."):
            by_name = {name: key for key, name in _TYPE_NAMES.items()}
            if dtype[len("torch."):] not in by_name:
                raise TypeError(f"type(): unknown type {dtype!r} (known: "
                                f"{', '.join('torch.' + n for n in by_name)})")
            dtype = by_name[dtype[len("torch."):]]
        return self.astype(dtype)

    def astype(self, dtype):
        """The tensor converted to ``dtype`` (differentiable between floating dtypes)."""
        dtype = np.dtype(dtype)
        if dtype == self.dtype:
            return self
        if dtype.kind != "f":  # to integers or booleans: piecewise constant, no gradient
            return Tensor._make(self.data.astype(dtype), False)  # (PyTorch: requires_grad False)
        return ew.Cast.apply(self, dtype=dtype)

    def float(self):
        """The tensor as float32."""
        return self.astype(np.float32)

    def double(self):
        """The tensor as float64."""
        return self.astype(np.float64)

    def long(self):
        """The tensor as int64 (PyTorch's ``long``; not differentiable)."""
        return self.astype(np.int64)

    def int(self):
        """The tensor as int32 (not differentiable)."""
        return self.astype(np.int32)

    def bool(self):
        """The tensor as booleans (not differentiable)."""
        return self.astype(np.bool_)

    def to(self, *args, dtype=None, device=None):
        """PyTorch's ``to``: a dtype (``t.to(np.float64)``) and/or the device "cpu", the only
        one there is; returns ``self`` when nothing changes."""
        for arg in args:
            if isinstance(arg, str) or arg is None:
                device = arg if device is None else device
            else:
                dtype = arg if dtype is None else dtype
        check_device(device, "to()")
        return self if dtype is None else self.astype(dtype)

    def cpu(self):
        """The tensor itself: it is on the CPU already (PyTorch's ``cpu()``)."""
        return self

    @property
    def device(self):
        """Where the data is: the CPU (`autodiff.devices.CPU`, equal to ``'cpu'``)."""
        return CPU

    def contiguous(self):
        """The tensor with its data in C order (row-major): itself when it is already, else a
        copy (recorded), as PyTorch's ``contiguous``."""
        if self.data.flags.c_contiguous:
            return self
        return ew.Clone.apply(self, order="C")

    def any(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Whether any element (over ``axis``) is true: a boolean tensor, not differentiable."""
        return self._unrecorded(np.any, _axis(axis, dim), _keep(keepdims, keepdim))

    def all(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Whether every element (over ``axis``) is true: a boolean tensor, not differentiable."""
        return self._unrecorded(np.all, _axis(axis, dim), _keep(keepdims, keepdim))

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and dtype != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        for index in range(len(self)):
            yield self[index]

    def __contains__(self, element):
        """``value in t``: whether any element equals ``value`` (a number or a Tensor), as
        NumPy's and PyTorch's."""
        if not isinstance(element, (Tensor, int, float, np.ndarray) + _NUMPY_SCALARS):
            raise TypeError(f"`in` a Tensor takes a number or a Tensor, got "
                            f"{type(element).__name__}")
        return bool(self._compare(element, np.equal).data.any())

    def __format__(self, spec):
        """A 0-d tensor formats as its number (``f"{loss:.4f}"``), as PyTorch's and NumPy's."""
        if self.data.ndim == 0:
            return format(self.data.item(), spec)
        return object.__format__(self, spec)

    def __bool__(self):
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous; use .any() or .all()"
            )
        return bool(self.data)

    def __float__(self):
        return float(self._one_number("float"))

    def __int__(self):
        return int(self._one_number("int"))

    def _one_number(self, conversion):
        if self.data.size != 1:
            raise ValueError(f"only one-element tensors can be converted to Python scalars "
                            f"({conversion}() of a tensor of shape {self.shape})")
        return self.data.item()

    def __index__(self):
        """An integer tensor of one element as a Python int: ``x[:n]``, ``range(n)``."""
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError(f"only integer tensors of a single element can be converted to "
                            f"an index, got dtype {self.dtype} and shape {self.shape}")
        return int(self.data.item())

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extras = [f"dtype={self.data.dtype}"]
        if self.data.size == 0 and self.data.ndim != 1:  # as NumPy: [] alone would hide it
            extras.insert(0, f"shape={self.shape}")
        if self._ctx is not None:
            extras.append(f"grad_fn={self._ctx.name}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return f"Tensor({body}, {', '.join(extras)})"

    # ----- autograd -----------------------------------------------------------------------------
    def backward(self, grad=None, retain_graph=False, create_graph=False, *, gradient=None):
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad.

        ``grad`` is the gradient of some scalar with respect to this tensor (a Tensor or an
        array of this shape); it may be omitted only when the tensor has one element.
        ``gradient`` is PyTorch's name for it.
        """
        if gradient is not None:
            if grad is not None:
                raise TypeError("backward(): pass either grad or gradient, not both")
            grad = gradient
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: no input of the computation "
                "has requires_grad=True (or it ran under no_grad())"
            )
        engine.run_backward((self,), (self._seed_grad(grad),), retain_graph or create_graph,
                            create_graph)

    def _seed_grad(self, grad):
        """The starting gradient of backward(), checked against this tensor's shape."""
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without a grad argument needs a one-element output, this one has "
                    f"shape {self.shape}: pass grad=ones_like(t) (or the gradient of your loss with "
                    f"respect to it), or reduce it first, e.g. t.sum().backward()"
                )
            ones = np.array(1, dtype=self.data.dtype)  # cheaper than np.ones for one element
            return Tensor._make(ones if self.data.ndim == 0 else ones.reshape(self.data.shape),
                                False)
        if not isinstance(grad, Tensor):
            grad = Tensor(np.asarray(grad, dtype=self.dtype))
        if grad.shape != self.shape:
            raise RuntimeError(
                f"backward(): grad has shape {grad.shape} but the tensor has shape {self.shape}"
            )
        if grad.dtype != self.dtype:  # as PyTorch: gradients take their tensor's dtype
            grad = grad.astype(self.dtype)
        return grad

    # ----- arithmetic -------------------------------------------------------------------------
    def _operand(self, other):
        """Another operand as a Tensor; Python numbers and NumPy scalars take this tensor's
        dtype (NumPy's rule for Python numbers)."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, _NUMPY_SCALARS) and self.data.dtype.kind == "f":
            other = other.item()  # (with integer or bool data a NumPy scalar keeps its type)
        if isinstance(other, (int, float, bool)):
            kind = self.data.dtype.kind
            dtype = self.data.dtype if kind == "f" else np.result_type(self.data.dtype, other)
            return Tensor._make(np.asarray(other, dtype=dtype), False)
        return Tensor(other)

    def __add__(self, other):
        return ew.Add.apply(self, self._operand(other))

    def __radd__(self, other):
        return ew.Add.apply(self._operand(other), self)

    def __sub__(self, other):
        return ew.Sub.apply(self, self._operand(other))

    def __rsub__(self, other):
        return ew.Sub.apply(self._operand(other), self)

    def __mul__(self, other):
        return ew.Mul.apply(self, self._operand(other))

    def __rmul__(self, other):
        return ew.Mul.apply(self._operand(other), self)

    def __truediv__(self, other):
        return ew.Div.apply(self, self._operand(_true_division_operand(self, other)))

    def __rtruediv__(self, other):
        return ew.Div.apply(self._operand(_true_division_operand(self, other)), self)

    def __floordiv__(self, other):
        return ew.FloorDivide.apply(self, self._operand(other))

    def __rfloordiv__(self, other):
        return ew.FloorDivide.apply(self._operand(other), self)

    def __mod__(self, other):
        return ew.Remainder.apply(self, self._operand(other))

    def __rmod__(self, other):
        return ew.Remainder.apply(self._operand(other), self)

    def __divmod__(self, other):
        return self // other, self % other

    def __rdivmod__(self, other):
        return other // self, other % self

    def __pow__(self, exponent):
        if isinstance(exponent, _NUMPY_SCALARS) and self.data.dtype.kind == "f":
            exponent = exponent.item()
        if isinstance(exponent, (int, float)):
            return ew.PowScalar.apply(self, exponent=exponent)
        return ew.Pow.apply(self, self._operand(exponent))

    def __rpow__(self, base):
        return ew.Pow.apply(self._operand(base), self)

    def pow(self, exponent):
        """``self ** exponent`` (PyTorch's spelling)."""
        return self ** exponent

    def matmul(self, other):
        """``self @ other`` (PyTorch's spelling)."""
        return self @ other

    def __matmul__(self, other):
        return la.matmul(self, self._operand(other))

    def __rmatmul__(self, other):
        return la.matmul(self._operand(other), self)

    def __neg__(self):
        return ew.Neg.apply(self)

    # & | ^ ~ on boolean (logical) or integer (bitwise) tensors: not differentiable, as PyTorch's
    def _bitwise_operand(self, other, ufunc):
        """``other`` as a Tensor, both of them bool or integer (TypeError naming ``ufunc``)."""
        other = self._operand(other)
        for t in (self, other):
            if t.data.dtype.kind not in "biu":
                raise TypeError(f"{ufunc.__name__} takes bool or integer tensors, got dtype "
                                f"{t.dtype}")
        return other

    def _bitwise(self, other, ufunc, reflected=False):
        other = self._bitwise_operand(other, ufunc)
        a, b = (other, self) if reflected else (self, other)
        return Tensor._make(np.asarray(ufunc(a.data, b.data)), False)

    def __and__(self, other):
        return self._bitwise(other, np.bitwise_and)

    def __rand__(self, other):
        return self._bitwise(other, np.bitwise_and, reflected=True)

    def __or__(self, other):
        return self._bitwise(other, np.bitwise_or)

    def __ror__(self, other):
        return self._bitwise(other, np.bitwise_or, reflected=True)

    def __xor__(self, other):
        return self._bitwise(other, np.bitwise_xor)

    def __rxor__(self, other):
        return self._bitwise(other, np.bitwise_xor, reflected=True)

    def __invert__(self):
        if self.data.dtype.kind not in "biu":
            raise TypeError(f"~ takes a bool or integer tensor, got dtype {self.dtype}")
        return Tensor._make(np.invert(self.data), False)

    def __pos__(self):
        return self

    def __abs__(self):
        return self.abs()

    # ----- in place (autodiff.inplace: written into the array unless recorded) -----------------
    def _update(self, ufunc, op, other, alpha=1):
        """``self = op(self, alpha * other)`` in place, ``ufunc`` being op's NumPy form.

        Recorded, an operand that is this tensor itself (``h += h``) stands for its value before
        the change, as everything else the op computes from it does.
        """
        other = self._operand(other)

        def operand(old):
            value = old if other is self else other
            return value if alpha == 1 else value * alpha

        return inplace.modify(
            self, (other,), lambda old: op.apply(old, operand(old)),
            lambda array: ufunc(array, operand(self).data, out=array, casting="same_kind"))

    def add_(self, other, alpha=1):
        """``self += alpha * other`` in place; returns self."""
        return self._update(np.add, ew.Add, other, alpha)

    def sub_(self, other, alpha=1):
        """``self -= alpha * other`` in place; returns self."""
        return self._update(np.subtract, ew.Sub, other, alpha)

    def add(self, other, alpha=1):
        """``self + alpha * other``, as PyTorch's ``add`` (out of place)."""
        other = self._operand(other)  # (a list times alpha would repeat the list)
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other, alpha=1):
        """``self - alpha * other``, as PyTorch's ``sub``."""
        other = self._operand(other)
        return self - (other if alpha == 1 else other * alpha)

    def mul(self, other):
        """``self * other``, as PyTorch's ``mul``."""
        return self * other

    def div(self, other):
        """``self / other``, as PyTorch's ``div``."""
        return self / other

    def lerp(self, end, weight):
        """``self + weight * (end - self)``, PyTorch's ``lerp`` (``weight`` a number or a
        tensor, broadcast)."""
        return self + (as_tensor(end) - self) * weight

    def lerp_(self, end, weight):
        """`lerp` in place (an exponential moving average of weights:
        ``ema.lerp_(p, 1 - decay)``); returns self."""
        return self.add_((as_tensor(end) - self) * weight)

    def mul_(self, other):
        """``self *= other`` in place; returns self."""
        return self._update(np.multiply, ew.Mul, other)

    def div_(self, other):
        """``self /= other`` in place; returns self."""
        return self._update(np.true_divide, ew.Div, other)

    def pow_(self, exponent):
        """``self **= exponent`` in place; returns self."""
        if isinstance(exponent, _NUMPY_SCALARS) and self.data.dtype.kind == "f":
            exponent = exponent.item()
        if isinstance(exponent, (int, float)) and not isinstance(exponent, bool):
            return inplace.modify(self, (), lambda old: old ** exponent,
                                  lambda array: np.power(array, exponent, out=array,
                                                         casting="same_kind"))
        return self._update(np.power, ew.Pow, exponent)

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_
    __ipow__ = pow_

    def __iand__(self, other):
        return self._bitwise_in_place(other, np.bitwise_and)

    def __ior__(self, other):
        return self._bitwise_in_place(other, np.bitwise_or)

    def __ixor__(self, other):
        return self._bitwise_in_place(other, np.bitwise_xor)

    def _bitwise_in_place(self, other, ufunc):
        """``&=``, ``|=``, ``^=``: written into the array (bool and integer tensors never
        require grad), so aliases and views see it, as in NumPy and PyTorch."""
        other = self._bitwise_operand(other, ufunc)
        return inplace.modify(self, (other,), None,
                              lambda array: ufunc(array, other.data, out=array))

    def __ifloordiv__(self, other):
        return self._update(np.floor_divide, ew.FloorDivide, other)

    def __imod__(self, other):
        return self._update(np.remainder, ew.Remainder, other)

    def fill_(self, value):
        """Every element set to ``value`` (a number or 0-d tensor) in place; returns self."""
        value = self._operand(value)
        if value.ndim:
            raise ValueError(f"fill_ takes a number or a 0-d tensor, got shape {value.shape}")
        return self.copy_(value)

    def zero_(self):
        """Every element set to 0 in place; returns self."""
        return self.fill_(0)

    def copy_(self, src):
        """The values of ``src`` (broadcast to this shape, cast to this dtype) copied in place;
        the gradient flows to ``src``. Returns self."""
        src = as_tensor(src)

        def recorded(old):
            everywhere = np.ones(old.shape, dtype=bool)
            return ew.where(everywhere, old if src is self else src, old)

        return inplace.modify(self, (src,), recorded,
                              lambda array: np.copyto(array, src.data, casting="unsafe"))

    def relu_(self):
        """max(x, 0) in place (as `relu`, recorded when gradients flow); returns self."""
        return inplace.modify(self, (), lambda old: old.relu(),
                              lambda array: np.maximum(array, 0, out=array))

    def leaky_relu_(self, slope=0.01):
        """x where x > 0, else slope * x, in place (as `leaky_relu`); returns self."""
        return inplace.modify(self, (), lambda old: old.leaky_relu(slope),
                              lambda array: np.multiply(array, slope, out=array, where=array <= 0))

    def clamp_(self, min=None, max=None):  # noqa: A002 - PyTorch's names
        """Values limited to [min, max] in place; returns self."""
        if min is None and max is None:
            raise ValueError("clamp_: at least one of min and max must be given")
        bounds = tuple(b for b in (min, max) if isinstance(b, Tensor))
        return inplace.modify(self, bounds, lambda old: old.clamp(min, max),
                              lambda array: np.clip(array, getattr(min, "data", min),
                                                    getattr(max, "data", max), out=array))

    def __setitem__(self, index, value):
        """``self[index] = value`` in place (recorded as `IndexPut` when gradients flow)."""
        value = self._operand(value)
        index = mv.normalize_index(index)

        def write(array):
            source = value.data
            if np.may_share_memory(array, source):  # NumPy may read what it already wrote
                source = source.copy()
            array[index] = source

        inplace.modify(
            self, (value,),
            lambda old: mv.IndexPut.apply(old, old if value is self else value, index=index),
            write)

    # Comparisons are not differentiable: they return boolean tensors.
    def _compare(self, other, ufunc):
        other = other.data if isinstance(other, Tensor) else other
        if isinstance(other, _NUMPY_SCALARS) and self.data.dtype.kind == "f":
            other = other.item()  # as in arithmetic: a NumPy scalar counts as a Python number
        return Tensor._make(np.asarray(ufunc(self.data, other)), False)

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    def __eq__(self, other):
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    def __getitem__(self, index):
        """``self[index]`` with ints, slices, None, Ellipsis, integer and boolean arrays; a view
        of this tensor's memory for basic indices (see `autodiff.inplace.as_view`)."""
        index = mv.normalize_index(index)
        return inplace.as_view(self, mv.GetItem.apply(self, index=index), "index", index)

    # ----- elementwise --------------------------------------------------------------------------
    def exp(self):
        """e ** x."""
        return ew.Exp.apply(self)

    def log(self):
        """Natural logarithm."""
        return ew.Log.apply(self)

    def log10(self):
        """Base-10 logarithm (exact at powers of 10, as NumPy's)."""
        return ew.LogBase.apply(self, base=10)

    def log2(self):
        """Base-2 logarithm (exact at powers of 2, as NumPy's)."""
        return ew.LogBase.apply(self, base=2)

    def log1p(self):
        """log(1 + x), accurate for small x."""
        return ew.Log1p.apply(self)

    def expm1(self):
        """e ** x - 1, accurate for small x."""
        return ew.Expm1.apply(self)

    def square(self):
        """x * x."""
        return ew.Mul.apply(self, self)

    def sqrt(self):
        """Square root."""
        return ew.Sqrt.apply(self)

    def abs(self):
        """Absolute value (gradient 0 at 0)."""
        if self.data.dtype == np.bool_:
            raise TypeError("abs() of a bool tensor is not defined (as in PyTorch)")
        return ew.Abs.apply(self)

    def sign(self):
        """-1, 0 or 1 by the sign of x (zero gradient, as in PyTorch)."""
        return ew.Sign.apply(self)

    def floor(self):
        """The largest integer <= x, elementwise (zero gradient)."""
        return ew.Floor.apply(self)

    def ceil(self):
        """The smallest integer >= x, elementwise (zero gradient)."""
        return ew.Ceil.apply(self)

    def round(self, decimals=0):
        """x rounded to ``decimals`` places, halves to even as NumPy and PyTorch (zero
        gradient)."""
        if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)):
            raise TypeError(f"round: decimals must be an int, got {decimals!r}")
        return ew.Round.apply(self, decimals=int(decimals))

    def sin(self):
        """Sine."""
        return ew.Sin.apply(self)

    def cos(self):
        """Cosine."""
        return ew.Cos.apply(self)

    def tanh(self):
        """Hyperbolic tangent."""
        return ew.Tanh.apply(self)

    def sigmoid(self):
        """1 / (1 + e ** -x), without overflow for large |x|."""
        return ew.Sigmoid.apply(self)

    def relu(self):
        """max(x, 0) (gradient 0 at 0)."""
        return ew.Relu.apply(self)

    def leaky_relu(self, slope=0.01):
        """x where x > 0, else slope * x."""
        return ew.LeakyRelu.apply(self, slope=slope)

    def erf(self):
        """The error function."""
        return ew.Erf.apply(self)

    def erfc(self):
        """The complementary error function 1 - erf(x), precise where it is small."""
        return ew.Erfc.apply(self)

    def gelu(self):
        """x * Phi(x), the exact (erf) form of GELU."""
        return ew.Gelu.apply(self)

    def softplus(self):
        """log(1 + e ** x), without overflow for large |x|."""
        return ew.Softplus.apply(self)

    def clip(self, lo=None, hi=None):
        """Values limited to [lo, hi] (gradient 0 outside); tensor bounds as in `clamp`, whose
        alias it is in PyTorch."""
        if isinstance(lo, Tensor) or isinstance(hi, Tensor):
            return self.clamp(lo, hi)
        return ew.Clip.apply(self, lo=lo, hi=hi)

    def clamp(self, min=None, max=None):  # noqa: A002 - PyTorch's names
        """Values limited to [min, max], as PyTorch's: numbers give `clip`; tensor bounds
        (broadcast) are elementwise ``maximum``/``minimum`` and get the gradient where they
        bind (shared at ties)."""
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must be given")
        if not isinstance(min, Tensor) and not isinstance(max, Tensor):
            return self.clip(min, max)
        out = self if min is None else ew.maximum(self, min)
        return out if max is None else ew.minimum(out, max)

    # ----- reductions ---------------------------------------------------------------------------
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Sum over ``axis`` (None: all axes; an int or a tuple)."""
        return rd.Sum.apply(self, axis=rd.normalize_axis(_axis(axis, dim), self.ndim),
                            keepdims=_keep(keepdims, keepdim))

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Mean over ``axis``."""
        return rd.mean_over(self, _axis(axis, dim), _keep(keepdims, keepdim))

    def var(self, axis=None, ddof=0, keepdims=False, *, dim=None, keepdim=None, unbiased=None,
            correction=None):
        """Variance over ``axis`` with ``ddof`` delta degrees of freedom (NumPy's default 0;
        PyTorch's ``unbiased=True`` or ``correction=1`` is ddof 1, and PyTorch's default)."""
        return rd.var(self, _axis(axis, dim), _ddof(ddof, unbiased, correction),
                      _keep(keepdims, keepdim))

    def std(self, axis=None, ddof=0, keepdims=False, *, dim=None, keepdim=None, unbiased=None,
            correction=None):
        """Standard deviation over ``axis`` (``ddof`` as in `var`); its gradient is 0 where
        it is 0, as PyTorch's."""
        return rd.std(self, _axis(axis, dim), _ddof(ddof, unbiased, correction),
                      _keep(keepdims, keepdim))

    def prod(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Product over ``axis``; the gradient is exact where elements are zero."""
        return rd.Prod.apply(self, axis=rd.normalize_axis(_axis(axis, dim), self.ndim),
                             keepdims=_keep(keepdims, keepdim))

    def cumsum(self, axis=None, *, dim=None):
        """Running sums along the int ``axis``; None (the default) flattens first, as NumPy.

        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).cumsum(dim=1)
        Tensor([[1., 3.],
                [3., 7.]], dtype=float32)
        """
        return rd.cumulative_sum(self, _axis(axis, dim))

    def norm(self, ord=None, axis=None, keepdims=False, *, dim=None, keepdim=None, p=None):
        """The vector norm over ``axis`` (None: of all elements, as one vector), as
        ``torch.linalg.vector_norm``; ``p`` is PyTorch's alias of ``ord``.

        ``ord``: None or 2 (also "fro"), 1, ``inf`` (max |x|), ``-inf`` (min |x|) or any number
        > 0, giving (sum |x| ** ord) ** (1 / ord). Unlike ``np.linalg.norm`` on a 2-d array,
        no matrix norms. The gradient is 0 where the norm is 0 (PyTorch's subgradient).

        >>> Tensor([3.0, -4.0]).norm()
        Tensor(5., dtype=float32)
        """
        if p is not None:
            if ord is not None:
                raise TypeError(f"norm: pass either ord or p, not both (got {ord!r} and {p!r})")
            ord = p
        return rd.vector_norm(self, ord, _axis(axis, dim), _keep(keepdims, keepdim))

    def max(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Maximum over ``axis``; tied maxima share the gradient equally."""
        return rd.Max.apply(self, axis=rd.normalize_axis(_axis(axis, dim), self.ndim),
                            keepdims=_keep(keepdims, keepdim))

    def min(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Minimum over ``axis``; tied minima share the gradient equally."""
        return rd.Min.apply(self, axis=rd.normalize_axis(_axis(axis, dim), self.ndim),
                            keepdims=_keep(keepdims, keepdim))

    def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Indices of the maxima (an integer tensor, not differentiable)."""
        return self._unrecorded(np.argmax, _axis(axis, dim), _keep(keepdims, keepdim))

    def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Indices of the minima (an integer tensor, not differentiable)."""
        return self._unrecorded(np.argmin, _axis(axis, dim), _keep(keepdims, keepdim))

    def _unrecorded(self, reduce, axis, keepdims):
        """``reduce`` (np.argmax, np.any, ...) of the data over ``axis`` as a new Tensor outside
        the graph, an out-of-range axis named."""
        try:
            return Tensor(reduce(self.data, axis=axis, keepdims=keepdims))
        except np.exceptions.AxisError:
            raise _axis_error(reduce.__name__, axis, self.shape) from None

    def logsumexp(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """log(sum(exp(x))) over ``axis``, computed without overflow (float16 in float32)."""
        axis, keepdims = _axis(axis, dim), _keep(keepdims, keepdim)
        if self.dtype == np.float16:
            return rd.in_float32(Tensor.logsumexp, self, axis, keepdims)
        return rd.LogSumExp.apply(self, axis=rd.normalize_axis(axis, self.ndim),
                                  keepdims=keepdims)

    def softmax(self, axis=None, *, dim=None):
        """exp(x) / sum(exp(x)) along ``axis`` (or ``dim``; the last axis when neither is
        given), computed without overflow (float16 in float32)."""
        return self._along_axis(rd.Softmax, "softmax", axis, dim)

    def log_softmax(self, axis=None, *, dim=None):
        """x - logsumexp(x) along ``axis`` (or ``dim``; the last axis when neither is given),
        computed without overflow (float16 in float32)."""
        return self._along_axis(rd.LogSoftmax, "log_softmax", axis, dim)

    def _along_axis(self, op, name, axis, dim):
        """``op`` applied along one axis (the last when neither ``axis`` nor ``dim`` is given);
        an axis out of range is named with this tensor's shape."""
        axis = _axis(axis, dim)
        axis = -1 if axis is None else axis
        if self.dtype == np.float16:
            return rd.in_float32(Tensor._along_axis, self, op, name, axis, None)
        try:
            return op.apply(self, axis=axis)
        except np.exceptions.AxisError:
            raise _axis_error(name, axis, self.shape) from None

    # ----- shape ----------------------------------------------------------------------------------
    def reshape(self, *shape):
        """The same data in a new shape (ints or one tuple; one entry may be -1): a view of this
        tensor's memory when NumPy can make one (see `autodiff.inplace.as_view`)."""
        out = mv.Reshape.apply(self, shape=_dims(shape))
        return inplace.as_view(self, out, "reshape", out.shape)

    def view(self, *shape):
        """PyTorch's ``view``: `reshape` that shares memory. On a view you made whose layout
        would need a copy (``x.T.view(-1)``, a strided slice) it raises, as PyTorch does,
        rather than hand back a copy that in-place changes would not reach the original
        through. Other tensors' layouts are the library's business (a convolution's output is
        a channels-last array seen as NCHW, which PyTorch's is not): there it copies where it
        must, as `reshape`."""
        out = self.reshape(*shape)
        if (getattr(self, "_view_of", None) is not None and self.data.size
                and not np.may_share_memory(out.data, self.data)):
            raise ValueError(
                f"view size is not compatible with the tensor's memory layout (shape "
                f"{self.shape}, strides {self.data.strides}): at least one dimension spans "
                f"across two contiguous subspaces. Use .reshape(...) instead.")
        return out

    def transpose(self, *axes):
        """Axes permuted as NumPy's transpose (reversed when none are given).

        PyTorch's ``transpose(dim0, dim1)``, which swaps two axes, is `swapaxes` here. Two axes
        that are no permutation (of a 3-d tensor or more) raise saying so, and ``(0, 1)`` on a
        2-d tensor, NumPy's identity and PyTorch's swap, warns."""
        if self.ndim == 2 and _is_identity_pair(_dims(axes)):
            warnings.warn(f"transpose{_dims(axes)} of a 2-d tensor is NumPy's identity "
                          "permutation: it returns the tensor unchanged. To swap the axes "
                          "(PyTorch's transpose(0, 1) or transpose(-2, -1)), use .T, "
                          "swapaxes(0, 1) or transpose(1, 0)", UserWarning, stacklevel=2)
        return self.permute(*axes)

    def permute(self, *axes):
        """Axes permuted by ``axes`` (a permutation, ints or one tuple; negative ones count from
        the end), as PyTorch's ``permute`` and NumPy's ``transpose``."""
        ndim = self.ndim
        axes = _dims(axes) or tuple(range(ndim - 1, -1, -1))
        # negative axes count from the end, as in NumPy's transpose and PyTorch's permute
        axes = tuple(int(a) + ndim if isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                     and -ndim <= a < 0 else a for a in axes)
        return inplace.as_view(self, mv.Transpose.apply(self, axes=axes), "transpose", axes)

    def swapaxes(self, axis1, axis2):
        """Two axes exchanged."""
        for axis in (axis1, axis2):
            if isinstance(axis, (bool, np.bool_)):  # a list index would take it for 0 or 1
                raise TypeError(f"swapaxes: axes must be ints, got {axis!r}")
        axes = list(range(self.ndim))
        try:
            axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
        except (IndexError, TypeError):  # name the axis and the shape, not the list
            for axis in (axis1, axis2):
                mv._checked_axis(axis, self, "swapaxes")
            raise
        return self.permute(axes)

    def flatten(self, start_dim=0, end_dim=-1):
        """Axes ``start_dim`` to ``end_dim`` merged into one (all of them by default)."""
        return mv.flatten(self, start_dim, end_dim)

    def squeeze(self, axis=None, *, dim=None):
        """Size-1 axes removed (all of them, or only ``axis``)."""
        return mv.squeeze(self, _axis(axis, dim))

    def expand_dims(self, axis=None, *, dim=None):
        """A size-1 axis inserted at ``axis`` (``dim``, PyTorch's name, too)."""
        if (axis is None) == (dim is None):
            raise TypeError("expand_dims/unsqueeze takes one axis: axis (or dim)")
        return mv.expand_dims(self, axis if dim is None else dim)

    unsqueeze = expand_dims

    def expand(self, *sizes):
        """PyTorch's ``expand``: `broadcast_to` ``sizes`` (ints or one tuple), where -1 keeps
        the size of that axis.

        >>> Tensor([[1.0], [2.0]]).expand(-1, 3).shape
        (2, 3)
        """
        sizes = _dims(sizes)
        offset = len(sizes) - self.ndim
        shape = tuple(self.shape[i - offset] if size == -1 and i >= offset else size
                      for i, size in enumerate(sizes))
        return self.broadcast_to(shape)

    def t(self):
        """The transpose of a tensor of at most 2 dimensions (PyTorch's ``t()``)."""
        if self.ndim > 2:
            raise ValueError(f"t() expects a tensor with <= 2 dimensions, got shape {self.shape}: "
                             f"use transpose(...) or .T")
        return self.transpose()

    def broadcast_to(self, shape):
        """The tensor broadcast to ``shape`` (NumPy's rules; an int is a 1-d shape)."""
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        if shape == self.shape:
            return self
        return inplace.as_view(self, mv.BroadcastTo.apply(self, shape=shape), "broadcast", shape)

    def sum_to(self, shape):
        """Sum over broadcast axes so that the result has ``shape``: broadcasting's adjoint."""
        shape = tuple(shape)
        if shape == self.shape:
            return self
        return mv.SumTo.apply(self, shape=shape)

    def pad(self, pad_width):
        """Zero padding with NumPy's ``pad_width``."""
        return mv.Pad.apply(self, pad_width=mv.normalize_pad(pad_width, self.ndim))

    # ----- parts, as PyTorch names them (autodiff.ops.pieces) -------------------------------
    def split(self, split_size_or_sections, dim=0):
        """Pieces along ``dim`` of ``split_size`` each, or of the listed sizes (`pieces.split`)."""
        return pieces.split(self, split_size_or_sections, dim)

    def chunk(self, chunks, dim=0):
        """``chunks`` pieces of equal size along ``dim``, the last smaller (`pieces.chunk`)."""
        return pieces.chunk(self, chunks, dim)

    def unbind(self, dim=0):
        """The slices along ``dim``, each without that axis (`pieces.unbind`)."""
        return pieces.unbind(self, dim)

    def narrow(self, dim, start, length):
        """``length`` elements along ``dim`` from ``start`` (`pieces.narrow`)."""
        return pieces.narrow(self, dim, start, length)

    def flip(self, dims):
        """The elements in reverse order along ``dims`` (`pieces.flip`)."""
        return pieces.flip(self, dims)

    def index_select(self, dim, index):
        """The entries at the 1-d integer positions ``index`` along ``dim`` (`pieces.index_select`)."""
        return pieces.index_select(self, dim, index)

    def gather(self, dim, index):
        """``out[i][j] = self[index[i][j]][j]`` for ``dim=0``, and so on (`pieces.gather`)."""
        return pieces.gather(self, dim, index)

    def topk(self, k, dim=-1, largest=True, sorted=True):  # noqa: A002 - PyTorch's name
        """The ``k`` largest (smallest) entries along ``dim`` and their indices (`pieces.topk`)."""
        return pieces.topk(self, k, dim, largest, sorted)

    def masked_fill(self, mask, value):
        """``value`` wherever the boolean ``mask`` is true (`pieces.masked_fill`)."""
        return pieces.masked_fill(self, mask, value)

    def masked_fill_(self, mask, value):
        """`masked_fill` in place (recorded when gradients flow); returns self."""
        mask = pieces.checked_fill(self, mask, value, "masked_fill_")  # before any change
        values = (value,) if isinstance(value, Tensor) else ()
        return inplace.modify(self, values, lambda old: pieces.masked_fill(old, mask, value),
                              lambda array: np.copyto(array, getattr(value, "data", value),
                                                      where=mask, casting="unsafe"))

    def tril(self, diagonal=0):
        """Entries above the diagonal ``diagonal`` set to 0 (`pieces.tril`)."""
        return pieces.tril(self, diagonal)

    def triu(self, diagonal=0):
        """Entries below the diagonal ``diagonal`` set to 0 (`pieces.triu`)."""
        return pieces.triu(self, diagonal)


_TYPE_NAMES = {np.dtype(t): name for t, name in (
    (np.float16, "HalfTensor"), (np.float32, "FloatTensor"), (np.float64, "DoubleTensor"),
    (np.int8, "CharTensor"), (np.uint8, "ByteTensor"), (np.int16, "ShortTensor"),
    (np.int32, "IntTensor"), (np.int64, "LongTensor"), (np.bool_, "BoolTensor"))}


def as_tensor(data, dtype=None, device=None):
    """``data`` as a Tensor, copying only when needed (as ``torch.as_tensor``; ``device`` the
    CPU only).

    A Tensor comes back itself, or cast with `Tensor.astype` (which keeps the graph) when
    ``dtype`` differs; an ndarray of a suitable dtype is shared, not copied; anything else
    becomes a new Tensor by `Tensor`'s construction rules (so Python integers become float32,
    where ``torch.as_tensor`` gives int64).

    >>> x = Tensor([1.0, 2.0])
    >>> as_tensor(x) is x, as_tensor(np.zeros(2)).dtype
    (True, dtype('float64'))
    """
    if device is not None:
        check_device(device, "as_tensor")
    if isinstance(data, Tensor):
        return data if dtype is None else data.astype(dtype)
    return Tensor(data, dtype=dtype)
