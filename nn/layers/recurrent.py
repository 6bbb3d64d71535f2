"""Recurrent networks with PyTorch's arguments and layout: ``RNN`` (tanh or relu), ``LSTM`` and
``GRU``.

Each stacks ``num_layers`` layers (layer k > 0 reads the previous layer's output), run a second,
reversed direction when ``bidirectional`` (outputs concatenated on the feature axis, forward
first), and apply ``dropout`` to the output of every layer but the last in training mode. LSTM
can project h to ``proj_size`` features with ``weight_hr``. Inputs are ``(L, N, input_size)``
(``(N, L, input_size)`` with ``batch_first``) or unbatched ``(L, input_size)``; states are
``(num_layers * num_directions, N, size)``, layer-major and direction-minor, never batch-first.

For each layer and direction the input projection of every time step is one matrix product made
before the loop over time; each step then adds only ``h @ weight_hh.T``.
"""
import contextlib
import gc
import math
import numbers
import warnings

import numpy as np

from autodiff import Tensor, concatenate, stack
from autodiff.tensor import as_tensor
from autodiff.creation import get_generator

from .. import functional as F
from .. import init
from ..module import Module
from ._common import _is_int, check_sizes, empty_parameter, factory_dtype

__all__ = ["RNN", "LSTM", "GRU"]

_KINDS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")


_PAUSE_FROM_STEPS = 256  # shorter loops make too few objects for a full collection to matter


@contextlib.contextmanager
def _collector_paused(steps):
    """Python's cycle collector off while a time loop of ``steps`` records its graph, as
    ``timeit`` turns it off. The graph holds no cycles, so there is nothing for it to find, but
    each of its full passes scans every live node: over 1,600 steps of a 2-layer bidirectional
    LSTM they took half of the forward, and the time per step grew with the sequence. The
    switch is the process's, as ``gc.disable`` is: only long loops pause it, and it is left as
    it was found (a caller that turned it off keeps it off)."""
    if steps < _PAUSE_FROM_STEPS:
        yield
        return
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _suffix(layer, direction):
    """Our parameter-name suffix: '' for layer 0 forward, else '_l1', '_reverse', '_l1_reverse'."""
    return (f"_l{layer}" if layer else "") + ("_reverse" if direction else "")


def _check_arguments(name, input_size, hidden_size, num_layers, dropout, proj_size):
    """Raise as PyTorch does for bad sizes or dropout, naming the argument and its value."""
    check_sizes(name, input_size=input_size)
    for arg, value in (("hidden_size", hidden_size), ("num_layers", num_layers),
                       ("proj_size", proj_size)):
        if not _is_int(value):
            raise TypeError(f"{name}: {arg} must be an int, got {value!r}")
    if hidden_size <= 0:
        raise ValueError(f"{name}: hidden_size must be greater than zero, got {hidden_size}")
    if num_layers <= 0:
        raise ValueError(f"{name}: num_layers must be greater than zero, got {num_layers}")
    if (not isinstance(dropout, numbers.Real) or isinstance(dropout, bool)
            or not 0 <= dropout <= 1):
        raise ValueError(f"{name}: dropout must be a number in [0, 1] (the probability of "
                         f"zeroing an element), got {dropout!r}")
    if proj_size < 0:
        raise ValueError(f"{name}: proj_size must be positive, or 0 for no projection, "
                         f"got {proj_size}")
    if proj_size >= hidden_size:
        raise ValueError(f"{name}: proj_size must be smaller than hidden_size, got "
                         f"proj_size={proj_size} and hidden_size={hidden_size}")
    if dropout > 0 and num_layers == 1:
        warnings.warn(f"{name}: dropout is applied after every recurrent layer but the last, so "
                      f"dropout={dropout} with num_layers=1 does nothing", stacklevel=4)


class _Recurrent(Module):
    """Parameters, initialization, layer stacking and input/state handling of RNN, LSTM and
    GRU.

    Subclasses define ``_cell(projected_t, state, w_hh_t, w_hr_t, cell_bias)``, one time step
    from a state (None for zeros) to the next, and ``_hidden(state)``, the h in a state; the
    biases that can be added to the input projection before the loop are, by default, all of
    them (`_split_biases`).
    """

    gates = 1

    def __init__(self, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                 bidirectional, proj_size=0, device=None, dtype=None, rng=None):
        super().__init__()
        dtype = factory_dtype(device, dtype, type(self).__name__)
        _check_arguments(type(self).__name__, input_size, hidden_size, num_layers, dropout,
                         proj_size)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else self._output_size * self.num_directions
            for direction in range(self.num_directions):
                self._add_parameters(_suffix(layer, direction), layer_input, dtype)
        # One generator for the initial weights and then the dropout masks, so a seed fixes both.
        self._dropout_rng = None if rng is None else get_generator(rng)
        self.reset_parameters(self._dropout_rng)

    @property
    def num_directions(self):
        """2 when bidirectional, else 1."""
        return 2 if self.bidirectional else 1

    @property
    def _output_size(self):
        """The size of h: proj_size when projecting, else hidden_size."""
        return self.proj_size or self.hidden_size

    def _add_parameters(self, suffix, layer_input, dtype):
        """Register one layer and direction's parameters, of ``dtype``, in PyTorch's order."""
        rows = self.gates * self.hidden_size

        def new(*shape):
            return empty_parameter(*shape, dtype=dtype)

        self.register_parameter("weight_ih" + suffix, new(rows, layer_input))
        self.register_parameter("weight_hh" + suffix, new(rows, self._output_size))
        self.register_parameter("bias_ih" + suffix, new(rows) if self.bias else None)
        self.register_parameter("bias_hh" + suffix, new(rows) if self.bias else None)
        if self.proj_size:
            self.register_parameter("weight_hr" + suffix, new(self.proj_size, self.hidden_size))

    def reset_parameters(self, rng=None):
        """Every parameter U(-1/sqrt(H), 1/sqrt(H)), drawn in registration order."""
        rng = get_generator(rng)
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound, rng=rng)

    def _state_dict_aliases(self):
        """PyTorch's names of the layer-0 parameters (``weight_ih_l0``, ``bias_hh_l0_reverse``)."""
        aliases = {}
        for direction in range(self.num_directions):
            for kind in _KINDS:
                name = kind + _suffix(0, direction)
                if name in self._parameter_names:
                    aliases[kind + "_l0" + _suffix(0, direction)] = name
        return aliases

    def __getattr__(self, name):
        """PyTorch's names of the layer-0 parameters read (and assign) this module's:
        ``lstm.bias_ih_l0`` is ``lstm.bias_ih`` (code ported from PyTorch sets the forget-gate
        bias this way)."""
        if "_l0" in name:
            alias = self._state_dict_aliases().get(name)
            if alias is not None:
                return getattr(self, alias)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name, value):
        if "_l0" in name:  # PyTorch's layer-0 name assigns this module's parameter
            try:
                name = self._state_dict_aliases().get(name, name)
            except AttributeError:  # a subclass's own attribute, set before __init__ ran
                pass
        super().__setattr__(name, value)

    def flatten_parameters(self):
        """Nothing to do (PyTorch's packs the weights for cuDNN); kept for ported code."""

    # ----- running ----------------------------------------------------------------------------
    def _layers(self, x, states):
        """Run every layer and direction over time-major ``x`` from ``states`` (one per layer
        and direction, None for zeros): the last layer's output and the final states."""
        finals = []
        for layer in range(self.num_layers):
            if layer:
                x = F.dropout(x, self.dropout, self.training, rng=self._dropout_rng)
            outputs = []
            for direction in range(self.num_directions):
                state = states[layer * self.num_directions + direction]
                out, state = self._direction(x, state, _suffix(layer, direction), direction)
                outputs.append(out)
                finals.append(state)
            x = outputs[0] if len(outputs) == 1 else concatenate(outputs, axis=-1)
        return x, finals

    def _direction(self, x, state, suffix, reverse):
        """One layer and direction over x (L, N, features); outputs (L, N, size) in time order."""
        w_ih, w_hh, b_ih, b_hh, w_hr = (getattr(self, kind + suffix, None) for kind in _KINDS)
        projected = x @ w_ih.T
        cell_bias = None
        if self.bias:
            before_loop, cell_bias = self._split_biases(b_ih, b_hh)
            projected = projected + before_loop
        w_hh_t = w_hh.T
        w_hr_t = None if w_hr is None else w_hr.T
        steps = range(x.shape[0])
        hs = [None] * len(steps)
        with _collector_paused(len(steps)):
            for t in reversed(steps) if reverse else steps:
                state = self._cell(projected[t], state, w_hh_t, w_hr_t, cell_bias)
                hs[t] = self._hidden(state)
        return stack(hs, axis=0), state

    @staticmethod
    def _split_biases(b_ih, b_hh):
        """(the bias added to every step's input projection, the part left for the cell): all
        of it before the loop for RNN and LSTM."""
        return b_ih + b_hh, None

    def _time_major(self, x):
        """``x`` as (L, N, input_size), and whether it came unbatched."""
        name = type(self).__name__
        x = as_tensor(x)  # an ndarray or nested lists too, as every layer takes
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            batched = "(N, L" if self.batch_first else "(L, N"
            raise ValueError(
                f"{name}: expected input of shape {batched}, {self.input_size}) or "
                f"(L, {self.input_size}) (input_size={self.input_size}), got {tuple(x.shape)}"
            )
        if x.shape[1 if self.batch_first and x.ndim == 3 else 0] == 0:
            raise ValueError(f"{name}: the input sequence is empty (shape {tuple(x.shape)})")
        if x.ndim == 2:
            return x.expand_dims(1), True
        return (x.permute(1, 0, 2) if self.batch_first else x), False

    def _states(self, h, batch, unbatched, what, size):
        """An initial state (layers*directions, N, size), or (layers*directions, size) unbatched,
        as a list of (N, size) tensors, one per layer and direction; Nones if ``h`` is None."""
        count = self.num_layers * self.num_directions
        if h is None:
            return [None] * count
        if isinstance(h, tuple):
            pair = " (an LSTM's (h, c) pair? an RNN takes h_0 alone)" if self.gates == 1 else ""
            raise TypeError(f"{type(self).__name__}: {what} is one tensor, got a tuple of "
                            f"{len(h)}{pair}")
        h = h if isinstance(h, Tensor) else Tensor(h)
        expected = (count, size) if unbatched else (count, batch, size)
        if tuple(h.shape) != expected:
            raise ValueError(
                f"{type(self).__name__}: {what} has shape {tuple(h.shape)}, expected {expected}")
        h = h.expand_dims(1) if unbatched else h
        return [h[k] for k in range(count)]

    def _outputs(self, out, unbatched):
        """The last layer's time-major output (L, N, features) in the input's layout."""
        if unbatched:
            return out[:, 0]
        # batch_first: copied into (N, L, features) order, as PyTorch's output is laid out, so
        # that out.view(-1, features) works as it does there
        return out.permute(1, 0, 2).contiguous() if self.batch_first else out

    @staticmethod
    def _stacked(states, unbatched):
        """Final states, each (N, size), as (layers*directions, N, size) or unbatched without N."""
        out = stack(states, axis=0)
        return out[:, 0] if unbatched else out

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


class RNN(_Recurrent):
    """Elman RNN: ``h_t = tanh(x_t @ W_ih.T + b_ih + h_{t-1} @ W_hh.T + b_hh)`` (or relu).

    Arguments, defaults and layouts are PyTorch's, with its ``device`` (None or 'cpu') and
    ``dtype`` (None for float32, or float64) after ``bidirectional``; ``rng`` (a Generator or an
    int seed) draws the initial weights and then the dropout masks. ``forward(input, hx=None)``
    returns ``(output, h_n)``: output holds the last layer's h_t for every t (``2 *
    hidden_size`` features when bidirectional), h_n the final h of every layer and direction
    shaped (num_layers * num_directions, N, H).

    Parameter names: layer 0's forward direction keeps ``weight_ih weight_hh bias_ih bias_hh``;
    other layers and directions take PyTorch's suffixes ``_l1``, ``_reverse``, ``_l1_reverse``.
    PyTorch writes layer 0 as ``weight_ih_l0`` and ``weight_ih_l0_reverse``: insert ``_l0`` to
    export; ``load_state_dict`` and attribute reads (``lstm.bias_ih_l0``) accept those names.

    >>> import numpy as np
    >>> from autodiff import Tensor
    >>> rnn = RNN(3, 8, 2, bidirectional=True, rng=0)
    >>> out, h_n = rnn(Tensor(np.zeros((5, 4, 3), np.float32)))
    >>> out.shape, h_n.shape
    ((5, 4, 16), (4, 4, 8))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None,
                 rng=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype, rng=rng)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, unbatched = self._time_major(input)
        states = self._states(hx, x.shape[1], unbatched, "hx", self.hidden_size)
        out, finals = self._layers(x, states)
        return self._outputs(out, unbatched), self._stacked(finals, unbatched)

    def _cell(self, pre, h, w_hh_t, w_hr_t, cell_bias):
        """The next h from the projected input and the previous h (None for zeros)."""
        if h is not None:
            pre = pre + h @ w_hh_t
        return pre.tanh() if self.nonlinearity == "tanh" else pre.relu()

    @staticmethod
    def _hidden(h):
        return h

    def extra_repr(self):
        text = super().extra_repr()
        return text if self.nonlinearity == "tanh" else text + ", nonlinearity='relu'"


class LSTM(_Recurrent):
    """Long short-term memory with gates i, f, g, o stacked in that order in each weight.

    Arguments, defaults and layouts are PyTorch's, with its ``device`` (None or 'cpu') and
    ``dtype`` (None for float32, or float64) after ``proj_size``; ``rng`` (a Generator or an int
    seed) draws the initial weights and then the dropout masks. With ``proj_size > 0`` each h is
    projected by ``weight_hr`` (proj_size, hidden_size), so h has proj_size features and c
    hidden_size.
    ``forward(input, hx=None)`` with ``hx = (h_0, c_0)`` returns ``(output, (h_n, c_n))``,
    states shaped (num_layers * num_directions, N, size).

    Parameter names: layer 0's forward direction keeps ``weight_ih weight_hh bias_ih bias_hh
    weight_hr``; other layers and directions take PyTorch's suffixes ``_l1``, ``_reverse``,
    ``_l1_reverse``. PyTorch writes layer 0 as ``weight_ih_l0`` and ``weight_ih_l0_reverse``:
    insert ``_l0`` to export; ``load_state_dict`` and attribute reads (``lstm.bias_ih_l0``)
    accept those names.

    >>> import numpy as np
    >>> from autodiff import Tensor
    >>> lstm = LSTM(3, 8, 2, proj_size=4, rng=0)
    >>> out, (h_n, c_n) = lstm(Tensor(np.zeros((5, 2, 3), np.float32)))
    >>> out.shape, h_n.shape, c_n.shape
    ((5, 2, 4), (2, 2, 4), (2, 2, 8))
    """

    gates = 4

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None,
                 rng=None):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device=device, dtype=dtype, rng=rng)

    def forward(self, input, hx=None):
        x, unbatched = self._time_major(input)
        batch = x.shape[1]
        if hx is None:
            states = [None] * (self.num_layers * self.num_directions)
        else:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError("LSTM: hx must be a pair (h_0, c_0)")
            hs = self._states(hx[0], batch, unbatched, "h_0", self._output_size)
            cs = self._states(hx[1], batch, unbatched, "c_0", self.hidden_size)
            states = list(zip(hs, cs))
        out, finals = self._layers(x, states)
        h_n = self._stacked([h for h, _ in finals], unbatched)
        c_n = self._stacked([c for _, c in finals], unbatched)
        return self._outputs(out, unbatched), (h_n, c_n)

    def _cell(self, gates, state, w_hh_t, w_hr_t, cell_bias):
        """The next (h, c) from the projected input and the previous (h, c) (None for zeros)."""
        H = self.hidden_size
        if state is not None:
            gates = gates + state[0] @ w_hh_t
        i = gates[:, :H].sigmoid()
        f = gates[:, H:2 * H].sigmoid()
        g = gates[:, 2 * H:3 * H].tanh()
        o = gates[:, 3 * H:].sigmoid()
        c = i * g if state is None else f * state[1] + i * g
        h = o * c.tanh()
        return (h if w_hr_t is None else h @ w_hr_t), c

    @staticmethod
    def _hidden(state):
        return state[0]


class GRU(_Recurrent):
    """Gated recurrent unit with gates r, z, n stacked in that order in each weight, as
    PyTorch's::

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)     z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))  h' = (1 - z) * n + z * h

    (``b_hn`` stays inside the reset gate's product, so it is added in each step, the other
    hidden biases before the loop). Arguments, layouts, states and parameter names are
    `RNN`'s: ``forward(input, hx=None)`` returns ``(output, h_n)``.

    >>> import numpy as np
    >>> from autodiff import Tensor
    >>> gru = GRU(3, 8, 2, batch_first=True, rng=0)
    >>> out, h_n = gru(Tensor(np.zeros((4, 5, 3), np.float32)))
    >>> out.shape, h_n.shape
    ((4, 5, 8), (2, 4, 8))
    """

    gates = 3

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None, rng=None):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype, rng=rng)

    forward = RNN.forward

    def _split_biases(self, b_ih, b_hh):
        """b_ih and the r and z parts of b_hh before the loop; b_hn for the cell."""
        H = self.hidden_size
        no_n = Tensor(np.zeros(H, dtype=b_hh.dtype))
        return b_ih + concatenate([b_hh[:2 * H], no_n]), b_hh[2 * H:]

    def _cell(self, gates, h, w_hh_t, w_hr_t, b_hn):
        """The next h from the projected input and the previous h (None for zeros)."""
        H = self.hidden_size
        if h is None:  # W_h h is 0: r only scales b_hn
            r, z = gates[:, :H].sigmoid(), gates[:, H:2 * H].sigmoid()
            n = gates[:, 2 * H:] if b_hn is None else gates[:, 2 * H:] + r * b_hn
            return (1.0 - z) * n.tanh()
        hidden = h @ w_hh_t
        r = (gates[:, :H] + hidden[:, :H]).sigmoid()
        z = (gates[:, H:2 * H] + hidden[:, H:2 * H]).sigmoid()
        hidden_n = hidden[:, 2 * H:] if b_hn is None else hidden[:, 2 * H:] + b_hn
        n = (gates[:, 2 * H:] + r * hidden_n).tanh()
        return (1.0 - z) * n + z * h

    @staticmethod
    def _hidden(h):
        return h
