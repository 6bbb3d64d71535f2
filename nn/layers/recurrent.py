"""Single-layer recurrent networks: ``RNN`` (tanh or relu) and ``LSTM``, with PyTorch's layout.

Parameters are ``weight_ih (gates*H, input_size)``, ``weight_hh (gates*H, H)``, ``bias_ih`` and
``bias_hh`` (``gates*H``), all U(-1/sqrt(H), 1/sqrt(H)); LSTM's gates are stacked in the order
i, f, g, o. Inputs are ``(L, N, input_size)`` (``(N, L, input_size)`` with ``batch_first``) or
unbatched ``(L, input_size)``. The input projection of every time step is one matrix product
made before the loop over time; each step then adds only ``h @ weight_hh.T``.
"""
import math

from autodiff import Tensor, stack
from autodiff.creation import get_generator

from .. import init
from ..module import Module
from ._common import empty_parameter

__all__ = ["RNN", "LSTM"]


class _Recurrent(Module):
    """Parameters, initialization and input/state handling shared by RNN and LSTM."""

    gates = 1

    def __init__(self, input_size, hidden_size, bias=True, batch_first=False, rng=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.batch_first = batch_first
        rows = self.gates * hidden_size
        self.weight_ih = empty_parameter(rows, input_size)
        self.weight_hh = empty_parameter(rows, hidden_size)
        self.register_parameter("bias_ih", empty_parameter(rows) if bias else None)
        self.register_parameter("bias_hh", empty_parameter(rows) if bias else None)
        self.reset_parameters(rng)

    def reset_parameters(self, rng=None):
        """Every parameter U(-1/sqrt(H), 1/sqrt(H)), drawn in registration order."""
        rng = get_generator(rng)
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound, rng=rng)

    def _time_major(self, x):
        """``x`` as (L, N, input_size), and whether it came unbatched."""
        name = type(self).__name__
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            raise ValueError(
                f"{name}: expected input of shape (L, N, {self.input_size}) "
                f"{'(N, L, ...) with batch_first ' if self.batch_first else ''}"
                f"or (L, {self.input_size}), got {tuple(x.shape)}"
            )
        if x.shape[1 if self.batch_first and x.ndim == 3 else 0] == 0:
            raise ValueError(f"{name}: the input sequence is empty (shape {tuple(x.shape)})")
        if x.ndim == 2:
            return x.expand_dims(1), True
        return (x.transpose(1, 0, 2) if self.batch_first else x), False

    def _state(self, h, batch, unbatched, what):
        """An initial state given as (1, N, H) (or (1, H) unbatched) as (N, H); zeros if None."""
        if h is None:
            return None
        h = h if isinstance(h, Tensor) else Tensor(h)
        expected = (1, self.hidden_size) if unbatched else (1, batch, self.hidden_size)
        if tuple(h.shape) != expected:
            raise ValueError(
                f"{type(self).__name__}: {what} has shape {tuple(h.shape)}, expected {expected}")
        return h.reshape(batch, self.hidden_size)

    def _projected_inputs(self, x):
        """x @ weight_ih.T plus both biases, for every time step at once: (L, N, gates*H)."""
        out = x @ self.weight_ih.T
        if self.bias:
            out = out + (self.bias_ih + self.bias_hh)
        return out

    def _outputs(self, hs, unbatched):
        """Per-step hidden states (each (N, H)) as the output tensor in the input's layout."""
        out = stack(hs, axis=0)
        if unbatched:
            return out[:, 0]
        return out.transpose(1, 0, 2) if self.batch_first else out

    def _final(self, h, unbatched):
        """A final state (N, H) as (1, N, H), or (1, H) for unbatched input."""
        return h.expand_dims(0) if not unbatched else h

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        return text


class RNN(_Recurrent):
    """Elman RNN: ``h_t = tanh(x_t @ W_ih.T + b_ih + h_{t-1} @ W_hh.T + b_hh)`` (or relu).

    ``forward(input, hx=None)`` returns ``(output, h_n)``: output holds every h_t, h_n is the
    last one shaped (1, N, H).
    """

    def __init__(self, input_size, hidden_size, nonlinearity="tanh", bias=True,
                 batch_first=False, rng=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias=bias, batch_first=batch_first, rng=rng)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, unbatched = self._time_major(input)
        batch = x.shape[1]
        h = self._state(hx, batch, unbatched, "hx")
        projected = self._projected_inputs(x)
        w_hh = self.weight_hh.T
        hs = []
        for t in range(x.shape[0]):
            pre = projected[t] if h is None else projected[t] + h @ w_hh
            h = pre.tanh() if self.nonlinearity == "tanh" else pre.relu()
            hs.append(h)
        return self._outputs(hs, unbatched), self._final(h, unbatched)

    def extra_repr(self):
        text = super().extra_repr()
        return text if self.nonlinearity == "tanh" else text + ", nonlinearity='relu'"


class LSTM(_Recurrent):
    """Long short-term memory with gates i, f, g, o stacked in that order in each weight.

    ``forward(input, hx=None)`` with ``hx = (h_0, c_0)`` returns ``(output, (h_n, c_n))``.
    """

    gates = 4

    def __init__(self, input_size, hidden_size, bias=True, batch_first=False, rng=None):
        super().__init__(input_size, hidden_size, bias=bias, batch_first=batch_first, rng=rng)

    def forward(self, input, hx=None):
        x, unbatched = self._time_major(input)
        batch, H = x.shape[1], self.hidden_size
        if hx is None:
            h = c = None
        else:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError("LSTM: hx must be a pair (h_0, c_0)")
            h = self._state(hx[0], batch, unbatched, "h_0")
            c = self._state(hx[1], batch, unbatched, "c_0")
        projected = self._projected_inputs(x)
        w_hh = self.weight_hh.T
        hs = []
        for t in range(x.shape[0]):
            gates = projected[t] if h is None else projected[t] + h @ w_hh
            i = gates[:, :H].sigmoid()
            f = gates[:, H:2 * H].sigmoid()
            g = gates[:, 2 * H:3 * H].tanh()
            o = gates[:, 3 * H:].sigmoid()
            c = i * g if c is None else f * c + i * g
            h = o * c.tanh()
            hs.append(h)
        return self._outputs(hs, unbatched), (self._final(h, unbatched), self._final(c, unbatched))
