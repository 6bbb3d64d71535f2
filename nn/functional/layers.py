"""Functional forms of the parameterized layers: `linear`, `dropout`, `embedding`.

`linear` is one `Linear` node with its own backward (a chain of transpose, matmul and add would
cost three nodes and a transposed copy per layer on the hot path of every MLP); `dropout` and
`embedding` are compositions of existing ops.
"""
import numpy as np

from autodiff.creation import get_generator
from autodiff.function import Function
from autodiff.ops.elementwise import where
from autodiff.ops.movement import float_index_hint
from autodiff.ops.registry import register
from autodiff.tensor import Tensor, as_tensor


class Linear(Function):
    """``x @ w.T + b`` over the last axis of ``x`` (any leading axes), with ``w`` (out, in).

    Inputs are ``(x, w)`` or ``(x, w, b)``. Both directions are single matrix products on 2-d
    views: dX = dY @ W, dW = dY^T @ X, db = dY summed over the rows.
    """

    reads_output = False

    def reads_input(self, position):
        # x serves w's gradient and w serves x's; the bias's gradient reads no values
        return position < 2 and self.needs_input_grad[1 - position]

    def forward(self, x, w, *bias):
        if w.ndim != 2 or x.ndim == 0 or x.shape[-1] != w.shape[1]:
            raise ValueError(
                f"linear: input of shape {x.shape} does not match weight of shape {w.shape} "
                f"(weight is (out_features, in_features); the input's last axis must be "
                f"in_features)"
            )
        if bias and bias[0].shape != (w.shape[0],):
            raise ValueError(
                f"linear: bias of shape {bias[0].shape} does not match weight of shape "
                f"{w.shape}: it must be ({w.shape[0]},)"
            )
        matrix = x.ndim == 2  # else multiply a 2-d view and restore the leading axes after
        out = (x if matrix else x.reshape(-1, w.shape[1])) @ w.T
        if bias:
            b = bias[0]
            if b.dtype == out.dtype or np.result_type(out, b) == out.dtype:
                out += b
            else:
                out = out + b
        return out if matrix else out.reshape(x.shape[:-1] + (w.shape[0],))

    def backward(self, grad):
        x, w = self.inputs[0], self.inputs[1]
        needs = self.needs_input_grad
        flat_grad = grad if grad.ndim == 2 else grad.reshape(-1, w.shape[0])
        grad_x = grad @ w if needs[0] else None
        grad_w = None
        if needs[1]:
            flat_x = x if x.ndim == 2 else x.reshape(-1, w.shape[1])
            # one sample: an outer product, which NumPy's matmul takes 3x as long for
            grad_w = flat_grad.T * flat_x if flat_x.shape[0] == 1 else flat_grad.T @ flat_x
        if len(self.inputs) == 2:
            return grad_x, grad_w
        return grad_x, grad_w, flat_grad.sum(0) if needs[2] else None

    def _backward_arrays(self, grad, private):
        """First order, on the hot path of every MLP: the products on arrays, returned as
        arrays, with no op dispatch (four fewer nodes' worth of overhead per layer and step).
        Measured with
        `benchmarks/bench_mlp.py`: the Tensor-op path alone (here and in cross-entropy) makes
        the step 1.51x the NumPy floor at batch 32 instead of 1.34x (1.11x instead of 1.09x at
        batch 512), so this second, array form of the same three products stays."""
        x, w = self.inputs[0].data, self.inputs[1].data
        needs, shape = self.needs_input_grad, x.shape
        if x.ndim != 2:  # work on 2-d views; dX goes back to x's shape
            x, grad = x.reshape(-1, w.shape[1]), grad.reshape(-1, w.shape[0])
        grad_x = grad_w = None
        if needs[0]:
            grad_x = grad @ w
            grad_x = grad_x if grad_x.shape == shape else grad_x.reshape(shape)
        if needs[1]:
            grad_w = grad.T * x if x.shape[0] == 1 else grad.T @ x  # (one sample: see backward)
        if len(needs) == 2:
            return grad_x, grad_w
        return grad_x, grad_w, np.add.reduce(grad, axis=0) if needs[2] else None


def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` as PyTorch's ``F.linear``; ``weight`` is (out, in).

    >>> import numpy as np
    >>> x = Tensor(np.ones((2, 3)))
    >>> linear(x, Tensor(np.ones((4, 3))), Tensor(np.zeros(4))).shape
    (2, 4)
    """
    if bias is None:
        return Linear.apply(input, weight)
    return Linear.apply(input, weight, bias)


def dropout(input, p=0.5, training=True, inplace=False, *, rng=None):
    """Inverted dropout: zero each element with probability ``p``, scale the rest by 1/(1-p).

    Identity when ``training`` is False or ``p`` is 0; the mask is drawn from ``rng`` (a
    Generator or an int seed) or from the global generator (``autodiff.manual_seed``).
    With ``inplace`` the result is written into ``input`` and ``input`` returned, as in PyTorch
    (recorded like `Tensor.mul_` when gradients flow).
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not isinstance(inplace, (bool, np.bool_)):
        raise TypeError(f"dropout: inplace must be a bool, got {inplace!r} (pass a generator or "
                        f"seed as rng=...)")
    x = as_tensor(input)
    if not training or p == 0.0:
        return x
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
    if p == 1.0:
        mask = np.zeros(x.shape, dtype)
    else:
        keep = get_generator(rng).random(x.shape) >= p
        mask = np.multiply(keep, 1.0 / (1.0 - p), dtype=dtype)
    mask = Tensor._make(mask, False)
    return x.mul_(mask) if inplace else x * mask


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` (num_embeddings, dim) picked by the integer indices ``input``, as
    PyTorch's.

    The result has shape ``input.shape + (dim,)``; gradients of repeated indices accumulate.

    * ``padding_idx`` (negative counts from the end): that row receives no gradient.
    * ``max_norm``: before the lookup, each looked-up row whose ``norm_type``-norm exceeds
      ``max_norm`` is scaled by ``max_norm / (norm + 1e-7)``, in place in ``weight.data`` and
      without recording gradient. As in PyTorch, a differentiable op that used ``weight`` before
      this call may then see changed values in its backward: use a copy of the weight there.
    * ``scale_grad_by_freq``: each row's gradient is divided by the number of times its index
      occurs in ``indices``.
    * ``sparse``: accepted for ported code. There are no sparse tensors here, so the gradient is
      always dense; its values are those PyTorch's sparse gradient holds.

    >>> w = Tensor(np.array([[3.0, 4.0], [0.3, 0.4]]))
    >>> embedding(np.array([0, 1]), w, max_norm=1.0).data.round(6)
    array([[0.6, 0.8],
           [0.3, 0.4]])
    """
    index = np.asarray(input.data if isinstance(input, Tensor) else input)
    weight = as_tensor(weight)
    _check_embedding_inputs(index, weight)
    if max_norm is not None:
        _renorm_rows(weight, index, max_norm, norm_type)
    rows = weight[index]
    if padding_idx is not None:
        keep = (index != padding_row(padding_idx, weight.shape[0]))[..., None]
        rows = where(np.broadcast_to(keep, rows.shape), rows, rows.detach())
    if scale_grad_by_freq:
        factor = _inverse_counts(index, weight.shape[0], rows.dtype)[..., None]
        rows = ScaleGradient.apply(rows, factor=factor)
    return rows


def one_hot(tensor, num_classes=-1):
    """Integer class indices as one-hot rows, as PyTorch's ``F.one_hot``: int64 of shape
    ``tensor.shape + (num_classes,)`` (-1: one more than the largest index)."""
    index = np.asarray(tensor.data if isinstance(tensor, Tensor) else tensor)
    if index.dtype.kind not in "iu":
        raise TypeError(f"one_hot: indices must be integers, got dtype {index.dtype}"
                        f"{float_index_hint(index.dtype)}")
    if index.size and index.min() < 0:
        raise ValueError(f"one_hot: indices must be non-negative, got {index.min()}")
    if num_classes == -1:
        num_classes = int(index.max()) + 1 if index.size else 0
    if index.size and index.max() >= num_classes:
        raise ValueError(f"one_hot: index {index.max()} is out of range for {num_classes} "
                         f"classes")
    out = np.zeros(index.shape + (num_classes,), dtype=np.int64)  # (an eye would be C x C)
    np.put_along_axis(out, index[..., None], 1, axis=-1)
    return Tensor(out)


def _check_embedding_inputs(index, weight):
    """Raise unless ``index`` holds integers within the rows of the 2-d ``weight``."""
    if index.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {index.dtype}"
                        f"{float_index_hint(index.dtype)}")
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-d (num_embeddings, dim), got {weight.shape}")
    count = weight.shape[0]
    if index.size and (index.min() < 0 or index.max() >= count):
        bad = index[(index < 0) | (index >= count)].flat[0]
        raise IndexError(
            f"embedding: index {bad} is out of range for a weight with {count} rows "
            f"(shape {weight.shape})"
        )


def padding_row(padding_idx, count, op="embedding"):
    """``padding_idx`` as a row number in ``range(count)``; negative counts from the end."""
    if not -count <= padding_idx < count:
        raise ValueError(
            f"{op}: padding_idx {padding_idx} is out of range for a weight with {count} rows")
    return padding_idx % count


def _renorm_rows(weight, index, max_norm, norm_type):
    """PyTorch's ``embedding_renorm_``: rows of ``weight`` named in ``index`` whose norm exceeds
    ``max_norm`` are scaled to it, in place in ``weight.data`` (so never recorded)."""
    if max_norm < 0:
        raise ValueError(f"embedding: max_norm must be non-negative, got {max_norm}")
    rows = np.unique(index)
    norms = np.linalg.norm(weight.data[rows], ord=norm_type, axis=1)
    over = norms > max_norm
    weight.data[rows[over]] *= (max_norm / (norms[over] + 1e-7))[:, None]


def _inverse_counts(index, count, dtype):
    """1 / (occurrences of each element's value in ``index``), in ``index``'s shape."""
    counts = np.bincount(index.ravel().astype(np.intp), minlength=count)
    return np.divide(1.0, counts[index], dtype=dtype)


class ScaleGradient(Function):
    """``x`` itself, whose gradient is multiplied by the constant ``factor`` (broadcastable):
    ``scale_grad_by_freq``. The gradient is deliberately not the derivative (which is 1).

    Under ``create_graph`` the scaling is the recorded `GradientTimes`, whose own backward
    leaves the factor out, as PyTorch's embedding double backward does: the second pass goes
    back through this node too, which applies the factor once on its way."""

    reads_values = False

    def forward(self, x):
        return x

    def backward(self, grad):
        return (GradientTimes.apply(grad, factor=self.factor),)


class GradientTimes(Function):
    """``grad * factor`` in `ScaleGradient`'s recorded backward; its backward passes the
    gradient on unscaled (see there)."""

    reads_values = False

    def forward(self, grad):
        return grad * self.factor

    def backward(self, grad):
        return (grad,)


# ----- registry (see autodiff/ops/registry.py): inputs drawn by hypothesis -------------------
def _linear_cases(bias=True, batch_dims=1):
    """Strategy of ((x, w[, b]), {}) float64 arrays for `linear`."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    elements = st.floats(-2.0, 2.0)

    @st.composite
    def cases(draw):
        lead = draw(hnp.array_shapes(min_dims=batch_dims, max_dims=batch_dims, max_side=3))
        n_in, n_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        x = draw(hnp.arrays(np.float64, lead + (n_in,), elements=elements))
        w = draw(hnp.arrays(np.float64, (n_out, n_in), elements=elements))
        if not bias:
            return (x, w), {}
        return (x, w, draw(hnp.arrays(np.float64, (n_out,), elements=elements))), {}

    return cases()


def _embedding_cases():
    """Strategy of ((weight,), {"indices": ints with repeats}) for `embedding`."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    @st.composite
    def cases(draw):
        rows, dim = draw(st.integers(1, 4)), draw(st.integers(1, 3))
        weight = draw(hnp.arrays(np.float64, (rows, dim), elements=st.floats(-2.0, 2.0)))
        shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, max_side=4))
        indices = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, rows - 1)))
        return (weight,), {"indices": indices}

    return cases()


register("linear", lambda x, w, b: linear(x, w, b), arity=3, kind="strategy",
         params={"strategy": _linear_cases})
register("linear_no_bias", lambda x, w: linear(x, w), arity=2, kind="strategy",
         params={"strategy": lambda: _linear_cases(bias=False)})
register("linear_batched", lambda x, w, b: linear(x, w, b), arity=3, kind="strategy",
         params={"strategy": lambda: _linear_cases(batch_dims=3)})
# With a factor of 1 the scaled gradient is the derivative: this checks ScaleGradient's and
# GradientTimes's plumbing (shapes, dtypes, recording); the factor's own test is in
# tests/test_functional.py (first and second order against PyTorch's formulas).
register("scale_gradient_by_one", lambda x: ScaleGradient.apply(x * x, factor=np.ones((), x.dtype)))
register("embedding", lambda weight, indices: embedding(indices, weight), kind="strategy",
         params={"strategy": _embedding_cases})
# No entry with padding_idx (by design its row gets no gradient though the output uses it)
# nor with scale_grad_by_freq (its gradient is scaled by design): tests/test_functional.py
# checks both against hand-computed gradients.
