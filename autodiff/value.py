"""Scalar reverse-mode autodiff, compatible with micrograd's ``Value``.

Each node stores its parents (``_prev``) and the local derivative of its output
with respect to each parent (``_local``), computed once in the forward pass. The
backward pass is then one loop, ``parent.grad += local * node.grad``, over the
nodes in reverse topological order. Unlike micrograd there is no ``_backward``
closure holding its own output, so a graph has no reference cycles and is freed
as soon as the last reference to it goes; the topological sort uses an explicit
stack, so graphs of any depth work without touching the recursion limit.

>>> a = Value(-4.0); b = Value(2.0)
>>> c = a * b + b ** 3
>>> c.backward()
>>> (c.data, a.grad, b.grad)
(0.0, 2.0, 8.0)
"""
import itertools
import math
from numbers import Integral, Real
from operator import attrgetter, mul

__all__ = ["Value", "linear"]


class Value:
    """A scalar that records the operations applied to it, for ``backward()``.

    ``data`` is the float value and ``grad`` the derivative of the last
    ``backward()`` root with respect to it. As in micrograd, ``_prev`` holds the
    parent Values, ``_op`` the label of the op that made this node and ``label``
    an optional name (used when drawing the graph).

    ``Value(data, label)``, or micrograd's ``Value(data, _children, _op, label)`` (each also by
    keyword). Ops can be written micrograd's way: ``out = Value(t, (self,), "tanh")``
    then ``out._backward = f``, a function that adds
    each parent's share into its ``grad`` from ``out.grad``; ``backward()`` calls
    it. Such a closure refers to ``out``, so those nodes do form reference cycles.
    """

    __slots__ = ("data", "grad", "_prev", "_local", "_op", "label", "_seq", "_custom_backward",
                 "__weakref__")

    def __init__(self, data, *args, label="", _children=(), _op=""):
        if not isinstance(data, _NUMBER):  # float and int (bool too) pass without a further look
            data = _checked_data(data)
        if args:
            label, _children, _op = _positional(args, label, _children, _op)
        self.data = float(data)
        self.grad = 0.0
        self._op = _op
        self.label = label
        self._custom_backward = None
        if _children:
            self._prev = _checked_children(_children)
            self._local = None  # until _backward is set, the node passes nothing back
            self._seq = _next_seq()  # created after its parents, as _node's outputs
        else:
            self._prev = ()
            self._local = ()
            self._seq = 0

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"

    def __setstate__(self, state):
        """Restore a pickled (or copied) Value with a new creation number: a graph loaded in
        another process would keep numbers that nodes made here could precede, and backward's
        order needs every node numbered after its parents. (Parents are restored before their
        children, so their new numbers keep that order.)"""
        instance_dict, slots = state if isinstance(state, tuple) else (state, None)
        for name, value in {**(instance_dict or {}), **(slots or {})}.items():
            object.__setattr__(self, name, value)
        if self._seq:  # leaves keep 0
            self._seq = _next_seq()

    @property
    def _backward(self):
        """micrograd's hook: a function that adds this node's share into its parents' grads
        from ``self.grad``. Built-in ops keep local derivatives instead; for them this returns
        a function doing the same, so stepping through a graph by hand works as in micrograd."""
        custom = getattr(self, "_custom_backward", None)
        if custom is not None:
            return custom
        node, local = self, self._local  # as now: a closure set later may call this one

        def _backward():
            for parent, derivative in zip(node._prev, local or ()):
                parent.grad += derivative * node.grad
        return _backward

    @_backward.setter
    def _backward(self, function):
        # backward() then runs the closure, as micrograd's does, also on a built-in op's output
        self._custom_backward = function
        self._local = None

    # ---- binary ops -----------------------------------------------------
    def __add__(self, other):
        if isinstance(other, Value):
            return _node(self.data + other.data, (self, other), (1.0, 1.0), "+")
        if type(other) not in _NUMBER:
            other = _as_float(other)
            if other is None:
                return NotImplemented
        return _node(self.data + other, (self,), (1.0,), "+")

    __radd__ = __add__

    def __sub__(self, other):
        if isinstance(other, Value):
            return _node(self.data - other.data, (self, other), (1.0, -1.0), "-")
        if type(other) not in _NUMBER:
            other = _as_float(other)
            if other is None:
                return NotImplemented
        return _node(self.data - other, (self,), (1.0,), "-")

    def __rsub__(self, other):
        if type(other) not in _NUMBER:
            other = _as_float(other)
            if other is None:
                return NotImplemented
        return _node(other - self.data, (self,), (-1.0,), "-")

    def __mul__(self, other):
        if isinstance(other, Value):
            return _node(self.data * other.data, (self, other), (other.data, self.data), "*")
        if type(other) not in _NUMBER:
            other = _as_float(other)
            if other is None:
                return NotImplemented
        return _node(self.data * other, (self,), (other,), "*")

    __rmul__ = __mul__

    def __truediv__(self, other):
        if isinstance(other, Value):
            y = _divisor(other.data)
            out = self.data / y  # not self.data * (1 / y): 1 / y overflows for a subnormal y
            return _node(out, (self, other), (1.0 / y, -out / y), "/")
        if type(other) not in _NUMBER:
            other = _as_float(other)
            if other is None:
                return NotImplemented
        y = _divisor(other)
        return _node(self.data / y, (self,), (1.0 / y,), "/")

    def __rtruediv__(self, other):
        if type(other) not in _NUMBER:
            other = _as_float(other)
            if other is None:
                return NotImplemented
        y = _divisor(self.data)
        out = other / y
        return _node(out, (self,), (-out / y,), "/")

    def __pow__(self, exponent):
        if type(exponent) not in _NUMBER:  # NumPy's numbers as Python's; no bools, no Values
            if isinstance(exponent, bool) or not isinstance(exponent, Real):
                raise TypeError(f"Value ** exponent needs an int or float exponent, got "
                                f"{type(exponent).__name__}")
            exponent = int(exponent) if isinstance(exponent, Integral) else float(exponent)
        x = self.data
        try:
            out = x ** exponent
        except ZeroDivisionError:
            raise ZeroDivisionError(f"Value ** {exponent}: 0.0 cannot be raised to a negative power") from None
        if isinstance(out, complex):
            raise ValueError(f"Value ** {exponent}: a negative base ({x}) needs an integer exponent")
        return _node(out, (self,), (_pow_derivative(x, exponent, out),), f"**{exponent}")

    def __neg__(self):
        return _node(-self.data, (self,), (-1.0,), "neg")

    # ---- unary functions ------------------------------------------------
    def relu(self):
        """max(0, x); the derivative at 0 is taken as 0, as in micrograd."""
        x = self.data
        if x > 0.0:
            return _node(x, (self,), (1.0,), "ReLU")
        return _node(0.0 if x <= 0.0 else x, (self,), (0.0,), "ReLU")  # NaN stays NaN

    def tanh(self):
        """Hyperbolic tangent."""
        t = math.tanh(self.data)
        return _node(t, (self,), (1.0 - t * t,), "tanh")

    def exp(self):
        """e ** x; raises OverflowError naming x when the result is not a finite float."""
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp({self.data}) overflows a float") from None
        return _node(e, (self,), (e,), "exp")

    def log(self):
        """Natural logarithm; raises ValueError naming x when x <= 0."""
        x = self.data
        if x <= 0.0:  # (NaN gives NaN, as exp, tanh and Tensor.log do)
            raise ValueError(f"log is defined only for positive values, got {x}")
        return _node(math.log(x), (self,), (1.0 / x,), "log")

    def sigmoid(self):
        """1 / (1 + e**-x), computed without overflow for any x."""
        x = self.data
        if x >= 0.0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            z = math.exp(x)
            s = z / (1.0 + z)
        return _node(s, (self,), (s * (1.0 - s),), "sigmoid")

    # ---- backward pass --------------------------------------------------
    def backward(self):
        """Set ``grad`` on every node of the graph that ends at this Value.

        The root's grad becomes 1 and every interior node's grad is recomputed
        from zero, so calling ``backward()`` twice gives the same interior
        gradients; leaves (Values with no parents) accumulate, as parameters
        do in PyTorch. Call ``zero_grad()`` on a model (or set ``grad = 0``)
        between steps.
        """
        order = _topological_order(self)
        self.grad = 1.0
        for node in reversed(order):
            local = node._local
            if local is None:  # an op written micrograd's way: its closure does the work
                if node._custom_backward is not None:
                    node._custom_backward()
                continue
            g = node.grad
            for parent, derivative in zip(node._prev, local):
                parent.grad += derivative * g


def linear(weights, inputs, bias):
    """One node for ``bias + sum(w * x)``: a neuron's pre-activation.

    ``weights`` and ``bias`` are Values, ``inputs`` Values or numbers. It gives
    the same data and gradients as micrograd's ``sum([w*x ...], b)`` but records
    one node instead of 2n, which makes scalar models several times faster.
    """
    if len(weights) != len(inputs):
        raise ValueError(f"linear: {len(weights)} weights but {len(inputs)} inputs")
    ws = [w.data for w in weights]
    values = [x for x in inputs if isinstance(x, Value)]
    if len(values) == len(inputs):
        xs = [x.data for x in inputs]
        parents = (*weights, bias, *inputs)
        local = (*xs, 1.0, *ws)
    else:
        xs = [x.data if isinstance(x, Value) else _input_number(x, i) for i, x in enumerate(inputs)]
        parents = (*weights, bias, *values)
        local = (*xs, 1.0, *[w for w, x in zip(ws, inputs) if isinstance(x, Value)])
    return _node(sum(map(mul, ws, xs), bias.data), parents, local, "linear")


_new = object.__new__
# Creation order is a topological order: a node is always made after its parents.
_next_seq = itertools.count(1).__next__
_by_seq = attrgetter("_seq")
_NUMBER = (float, int)  # fast path; other Real numbers go through _as_float
_SMALLEST_NORMAL = 2.2250738585072014e-308  # below it a float loses precision


def _node(data, prev, local, op):
    """Make an op's output Value without __init__'s float conversion (hot path)."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out._prev = prev
    out._local = local
    out._op = op
    out.label = ""
    out._seq = _next_seq()
    return out  # _custom_backward stays unset (read with getattr): one store less per node


def _positional(args, label, children, op):
    """``(label, _children, _op)`` from the positional arguments after ``data``: ``(label,)``,
    or micrograd's ``(_children, _op, label)`` (a prefix of it)."""
    if isinstance(args[0], str):
        if len(args) > 1:
            raise TypeError(f"Value(data, label) takes one label, got {args!r:.60}")
        return args[0], children, op
    if len(args) > 3:
        raise TypeError(f"Value takes at most (data, _children, _op, label), got "
                        f"{len(args) + 1} arguments")
    children, op, label = args + (op, label)[len(args) - 1:]
    return label, children, op


def _checked_children(children):
    """micrograd's ``_children`` as a tuple of distinct Values (it keeps a set)."""
    try:
        parents = tuple(dict.fromkeys(children))
    except TypeError:
        raise TypeError(f"Value(data, _children): _children must be Values, got "
                        f"{children!r:.60}") from None
    if not all(isinstance(parent, Value) for parent in parents):
        raise TypeError(f"Value(data, _children): _children must be Values, got "
                        f"{children!r:.60}")
    return parents


def _checked_data(data):
    """``data`` for ``Value(data)`` if it is a real number (a NumPy one, a NumPy bool or a 0-d
    array or Tensor of numbers too), else a TypeError naming Value and the type (``float()``
    alone would take the string "3", and for None would raise an error that does not name
    Value)."""
    if isinstance(data, Real) or _is_numeric_0d(data):
        return data
    if isinstance(data, Value):
        hint = ": to start from a Value's number, pass v.data"
    elif hasattr(data, "item"):
        hint = ": for a one-element array or Tensor, pass x.item()"
    else:
        hint = ""
    raise TypeError(f"Value(data) needs a real number (int, float or a NumPy real scalar), got "
                    f"{data!r:.60} of type {_type_name(data)}{hint}")


def _is_numeric_0d(x):
    """True for a 0-d array or Tensor (or a NumPy scalar, such as a NumPy bool) of booleans,
    integers or floats."""
    dtype = getattr(x, "dtype", None)
    return getattr(x, "ndim", None) == 0 and getattr(dtype, "kind", "") in ("b", "i", "u", "f")


def _type_name(x):
    """``x``'s type, qualified unless built in (``numpy.bool``, not a bare ``bool``)."""
    kind = type(x)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"


def _as_float(x):
    """x as a float when it is a real number, else None (so the op returns NotImplemented)."""
    if isinstance(x, Real):
        return float(x)
    return None


def _input_number(x, i):
    """A neuron's input ``i`` that is not a Value, as a float; TypeError naming it otherwise
    (``float()`` alone would take the string "3")."""
    number = _as_float(x) if not _is_numeric_0d(x) else float(x)
    if number is None:
        raise TypeError(f"linear: input {i} must be a number or a Value, got {x!r:.60} of type "
                        f"{_type_name(x)}")
    return number


def _divisor(x):
    """``x``, checked to be a divisor (Python's ZeroDivisionError, naming Value, for 0)."""
    if x == 0.0:
        raise ZeroDivisionError("Value division by zero")
    return x


def _pow_derivative(x, n, out):
    """d/dx x**n, from the forward result (x**n / x saves a second power) unless that result
    lost precision by underflowing (zero or subnormal): then n * x**(n-1), as micrograd."""
    if x != 0.0:
        if abs(out) < _SMALLEST_NORMAL:
            return n * x ** (n - 1)
        return n * (out / x)  # out / x is x**(n-1): n * out could overflow where it does not
    if n == 0 or n > 1:
        return 0.0
    return 1.0 if n == 1 else math.inf


def _topological_order(root):
    """Interior nodes reachable from root, each after all of its parents.

    Collects the nodes with an explicit stack, then sorts them by creation
    number (a node is always created after its parents); this is several times
    faster than a post-order walk on deep graphs. Leaves are left out (they
    have nothing to propagate); interior grads are reset to 0 here so that a
    second backward() does not add onto the first.
    """
    if not root._prev:
        return []
    root.grad = 0.0
    seen = {root}
    stack = [root]
    order = [root]
    while stack:
        for parent in stack.pop()._prev:
            if parent._prev and parent not in seen:
                parent.grad = 0.0
                seen.add(parent)
                stack.append(parent)
                order.append(parent)
    order.sort(key=_by_seq)
    return order
