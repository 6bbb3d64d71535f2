"""The `Function` base class: one node of the computation graph.

An op is a subclass of `Function` with two methods:

* ``forward(self, *arrays) -> ndarray`` computes the result on plain NumPy arrays and may keep on
  ``self`` whatever backward needs (a mask, an index, ...);
* ``backward(self, grad) -> tuple`` receives the gradient of the output as a Tensor and returns one
  gradient per input (a Tensor, an ndarray, or None where no gradient flows), written in Tensor
  ops so that it is itself differentiable. ``self.inputs`` holds the input Tensors and
  ``self.result()`` gives the output. Arrays kept on ``self`` are constants to higher
  derivatives: a backward that multiplies by a saved output array, or computes on ``.data``, is
  right to first order but gives wrong second derivatives (as a PyTorch backward that leaves the
  graph does); read the output with ``self.result()`` instead.

A floating-point output is differentiable; an integer or boolean one never requires grad (as in
PyTorch, which marks such outputs non-differentiable).

``MyOp.apply(*tensors, **params)`` runs the op: keyword parameters become attributes of the node
(``Sum.apply(x, axis=1)`` gives ``self.axis``). A node is recorded only when grad mode is on and
an input requires grad; the output then points to its node (``out._ctx``) and the node to its
input tensors, never the other way, so graphs hold no reference cycles and a dropped graph is
freed at once by reference counting.

A gradient returned by ``backward`` may have the broadcast shape of the output: the engine sums
it back to each input's shape (and casts it to the input's dtype) once, for every op.

An op on the hot path of training may also define ``_backward_arrays(self, grad, private)``:
the same first-order gradients computed on ndarrays, used by the engine whenever backward is not
being recorded. An op whose ``_backward_arrays`` may overwrite the array ``grad`` sets
``_overwrites_grad = True``; for it the engine passes ``private``, True when no one else refers
to that array, and only then may the method write into it and return it. ``backward`` remains
the definition (used for ``create_graph``), and the op-registry property test checks both
against finite differences.

An op whose backward never reads its inputs' or its output's values, only their shapes or
arrays it computed itself in forward (addition, reshapes, indexing, sums; masks of clip,
maximum, where), sets ``reads_values = False``: memory written in place after it was recorded
then cannot corrupt its gradient, and backward does not raise for it (as PyTorch saves no
tensor for such ops). The default, True, is the safe choice for a new op. An op that reads an
input only for another input's gradient (a product) says so in ``reads_input(position)``, and
one that reads its inputs but never its output (a linear layer, a convolution) sets
``reads_output = False``: its output's memory may then be written after it was recorded (by an
activation computed in place of a temporary, see `autodiff.temporaries`) without harm.

Example, a numerically stable softplus with its own backward::

    class Softplus(Function):
        def forward(self, x):
            return np.logaddexp(0.0, x)
        def backward(self, grad):
            (x,) = self.inputs
            return (grad * x.sigmoid(),)

    y = Softplus.apply(x)
"""
from itertools import count
from operator import attrgetter

import numpy as np

from . import anomaly
from . import tensor as _tensor  # circular by design: tensor methods call ops, ops make tensors
from .grad_mode import HOOKS, STATE

# Attributes that describe the graph's structure and are set on some nodes only (the others read
# the class defaults); with ``needs_input_grad``, ``sequence``, ``parents`` and ``out_meta``
# they survive `release()`.
_OPTIONAL_STRUCTURE = ("out_ref", "site", "scope")
_data = attrgetter("data")
_next_sequence = count().__next__
_requires_grad = attrgetter("requires_grad")


class Function:
    """Base class of every differentiable op; see the module docstring for the contract."""

    out_ref = None  # weakref to the output tensor, set by Tensor.retain_grad()
    out_hooks = None  # hooks on the output's gradient: {key: hook}, see autodiff.hooks
    site = None  # (filename, lineno, line) of the user's code that created the node
    inputs = None  # input Tensors while the graph is alive; None once released
    scope = None  # innermost nn.Module call that created the node, recorded while drawing graphs
    # Creation order of recorded nodes, counting down: a node's inputs come from nodes created
    # before it, so a heap on this number pops every consumer of a node before the node itself.
    sequence = 0

    params = {}  # the keyword parameters of apply(), shared empty default: never mutated
    _backward_arrays = None  # optional array form of a first-order backward (module docstring)
    _backward_scattered = None  # optional recorded backward as a ScatteredGrad (GetItem's)
    _overwrites_grad = False  # _backward_arrays may write into a private grad (module docstring)
    reads_values = True  # backward reads input or output values (module docstring)
    reads_output = True  # with reads_values: the output's values among them (module docstring)
    _custom_init = False  # a subclass defines __init__: apply() must call it
    overwrites_input = False  # forward writes its result into its input's array (ReluInPlace)
    # A node that stands for a chain of ops (nn.functional.fused) names them here, first to last;
    # it then defines part_outputs() and part_grads(grad), and drawings show every part
    parts = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if isinstance(vars(cls).get("forward"), staticmethod):
            raise TypeError(
                f"{cls.__name__}.forward is a staticmethod, as in PyTorch's ctx style; here "
                f"forward(self, *arrays) and backward(self, grad) are ordinary methods: keep "
                f"what backward needs on self (self.inputs holds the input Tensors) and call "
                f"{cls.__name__}.apply(*tensors)")
        cls._custom_init = cls.__init__ is not Function.__init__
        if (not cls.__module__.startswith(("autodiff.", "nn."))
                and getattr(cls.apply, "__func__", None) is Function.apply.__func__):
            cls.apply = classmethod(_checked_apply)  # a user's op: checked (the library's are not)

    def __init__(self, **params):
        self.params = params
        self.__dict__.update(params)

    def forward(self, *arrays):
        """Compute the op on ndarrays and return an ndarray."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def backward(self, grad):
        """Return one gradient per input, given the gradient of the output."""
        raise NotImplementedError(f"{type(self).__name__} does not define backward()")

    def reads_input(self, position):
        """Whether backward reads the value of input ``position`` (``reads_values`` unless an
        op knows better: a product reads each factor only for the other's gradient)."""
        return self.reads_values

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on Tensors (other values are wrapped) and record it when needed."""
        Tensor = _tensor.Tensor
        try:
            needs = tuple(map(_requires_grad, inputs))  # raises for an input that is no Tensor
        except AttributeError:
            inputs = tuple(map(_tensor.as_tensor, inputs))
            needs = tuple(map(_requires_grad, inputs))
        if cls._custom_init:
            node = cls(**params)
            node.params = params  # for result(), which re-applies the op under create_graph
        else:  # the common case, without a call
            node = object.__new__(cls)
            if params:
                node.params = params
                node.__dict__.update(params)
        try:
            if len(inputs) == 1:
                data = node.forward(inputs[0].data)
            else:
                data = node.forward(*map(_data, inputs))
        except ValueError as error:
            _raise_with_shapes(cls.__name__, error, inputs)
        if type(data) is not np.ndarray:
            data = _as_output_array(cls.__name__, data)
        out = object.__new__(Tensor)  # Tensor._make, inlined: this is the hottest path
        out.data, out.grad, out.name = data, None, None
        state = STATE
        if state.grad_enabled and True in needs:
            out.requires_grad, out._ctx = True, node
            node.out = data
            node.inputs = inputs
            node.needs_input_grad = needs
            node.sequence = -_next_sequence()
        else:
            out.requires_grad, out._ctx = False, None
        if HOOKS.count and state.hooks:
            _run_hooks(node, out, inputs, data, state)
        return out

    def result(self):
        """The op's output as a Tensor, for use inside ``backward``.

        While backward is not being recorded this wraps the saved output (no recomputation);
        with ``create_graph=True`` it recomputes the op from its inputs so that the output is
        itself differentiable and higher derivatives come out right.
        """
        if STATE.grad_enabled:
            return type(self).apply(*self.inputs, **self.params)
        return _tensor.Tensor._make(self.out, False)

    @staticmethod
    def constant(array):
        """``array`` as a Tensor that requires no grad (a mask or saved value inside backward)."""
        return _tensor.Tensor._make(array, False)

    @property
    def name(self):
        """The op's name, the class name (``Exp``, ``MatMul``)."""
        return type(self).__name__

    @property
    def released(self):
        """True once backward has freed this node's saved values."""
        return self.inputs is None and "parents" in self.__dict__

    def children(self):
        """The graph edges into this node, one per input: a Function, a leaf Tensor, or None.

        Still valid after the node is released (``parents`` keeps the structure)."""
        if self.inputs is None:
            return tuple(None if type(edge) is tuple else edge
                         for edge in self.__dict__.get("parents", ()))
        return tuple(_edge(t) for t in self.inputs)

    def input_meta(self, index):
        """``(shape, dtype)`` of input ``index``, also after the node was released."""
        if self.inputs is not None:
            data = self.inputs[index].data
            return data.shape, data.dtype
        edge = self.__dict__["parents"][index]
        if type(edge) is tuple:  # a constant's
            return edge
        if isinstance(edge, Function):
            return edge.output_meta()
        return edge.shape, edge.dtype

    def output_meta(self):
        """``(shape, dtype)`` of the output, also after the node was released."""
        if self.inputs is None:
            return self.__dict__["out_meta"]
        return self.out.shape, self.out.dtype

    def release(self):
        """Free the saved inputs and arrays, keeping only the graph's structure: one edge per
        input (its node, the leaf that requires grad, or a constant's (shape, dtype)) and the
        output's (shape, dtype), which is what drawing a released graph needs."""
        inputs = self.inputs
        if inputs is None:
            return
        edges = []
        for tensor in inputs:  # a plain loop: measurably cheaper than a comprehension
            edge = tensor._ctx
            if edge is None:
                edge = tensor if tensor.requires_grad else (tensor.data.shape, tensor.data.dtype)
            edges.append(edge)
        state = self.__dict__
        out = state["out"]
        kept = {
            "needs_input_grad": state["needs_input_grad"],
            "sequence": state["sequence"],
            "parents": edges,
            "out_meta": (out.shape, out.dtype),
        }
        if "out_ref" in state or "site" in state or "scope" in state:  # rarely: skip the loop
            for key in _OPTIONAL_STRUCTURE:
                if key in state:
                    kept[key] = state[key]
        self.__dict__ = kept

    def __repr__(self):
        return f"<{self.name} node>"


def _checked_apply(cls, *inputs, **params):
    """`Function.apply` for an op defined outside the library, with what the library's own ops
    need no check for (``apply`` runs for every op of every step): no tensor that requires grad
    among the keyword parameters, and an integer or boolean output not differentiable (as
    PyTorch marks such outputs)."""
    if params:
        _check_params(cls.__name__, params)
    out = Function.apply.__func__(cls, *inputs, **params)
    if out._ctx is not None and out.data.dtype.kind not in "fc":
        out._ctx, out.requires_grad = None, False
    return out


def _check_params(name, params):
    """A Tensor that requires grad passed as a keyword parameter would be a constant to the op
    (only positional inputs are recorded), so its gradient would silently stay None."""
    for key, value in params.items():
        if isinstance(value, _tensor.Tensor) and value.requires_grad:
            raise TypeError(f"{name}.apply: the tensor given as {key}= requires grad, but "
                            f"keyword parameters are constants to the op: pass it positionally "
                            f"(apply(x, {key})) so that it gets its gradient")


def _as_output_array(name, data):
    """What a forward returned that is not an ndarray (a NumPy or Python number, an ndarray
    subclass) as an ndarray; anything else raises, naming the op."""
    if isinstance(data, np.generic):  # a reduction's NumPy scalar: the common case
        return np.asarray(data)
    if isinstance(data, (tuple, list)):
        raise TypeError(f"{name}.forward returned a {type(data).__name__}: a Function has one "
                        f"output, an ndarray (use one Function per output)")
    array = np.asarray(data)
    if array.dtype.kind not in "biufc":
        raise TypeError(f"{name}.forward must return an ndarray of numbers, it returned "
                        f"{type(data).__name__} {data!r:.60}")
    return array


def _run_hooks(node, out, inputs, data, state):
    """Inside record_modules(): note the module that made a recorded node; in anomaly mode or
    while recording sites: check the output and remember the user's line."""
    if state.module_scopes and out._ctx is node:
        node.scope = state.module_scopes[-1]
    if state.anomaly or state.record_sites:
        anomaly.on_forward(node, inputs, data)


def _raise_with_shapes(name, error, inputs):
    """Re-raise NumPy's broadcasting error naming the op and the input shapes."""
    if "operands could not be broadcast" not in str(error):
        raise error
    shapes = " and ".join(str(t.shape) for t in inputs)
    raise ValueError(f"{name}: shapes {shapes} cannot be broadcast together") from None


def _edge(tensor):
    """The node a tensor comes from, the tensor itself for a leaf that requires grad, else None."""
    if tensor._ctx is not None:
        return tensor._ctx
    return tensor if tensor.requires_grad else None
