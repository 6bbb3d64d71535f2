"""Linear algebra: `matmul` (NumPy's batching, broadcasting and 1-d rules) and `einsum`.

The gradient of a product with respect to one operand is again a product: of the output's
gradient with the other operands. Batch axes that were broadcast are summed by the engine.
"""
import math
import string

import numpy as np

from .. import tensor as _tensor  # circular by design: tensor.py imports this module
from ..function import Function
from .registry import register


def _check_matmul(a_shape, b_shape):
    """Raise a ValueError naming both shapes when ``a @ b`` is not defined."""
    if len(a_shape) == 0 or len(b_shape) == 0:
        raise ValueError(f"matmul: shapes {a_shape} and {b_shape}: operands must not be 0-d")
    k_a = a_shape[-1]
    k_b = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
    if k_a != k_b:
        raise ValueError(
            f"matmul: shapes {a_shape} and {b_shape} are not aligned: "
            f"{k_a} (last dim of the first) != {k_b} "
            f"({'first' if len(b_shape) == 1 else 'second to last'} dim of the second)"
        )
    if len(a_shape) <= 2 and len(b_shape) <= 2:
        return  # no batch axes to broadcast (the common case; broadcast_shapes costs microseconds)
    try:
        np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
    except ValueError:
        raise ValueError(
            f"matmul: shapes {a_shape} and {b_shape}: batch dims {a_shape[:-2]} and "
            f"{b_shape[:-2]} cannot be broadcast together"
        ) from None


class MatMul(Function):
    """Matrix product with NumPy's batching, broadcasting and 1-d rules."""

    reads_output = False

    def forward(self, a, b):
        _check_matmul(a.shape, b.shape)
        return np.matmul(a, b)

    def backward(self, grad):
        a, b = self.inputs
        a2 = a.reshape(1, -1) if a.ndim == 1 else a
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b
        if a.ndim == 1:
            grad = grad.expand_dims(-2 if b.ndim > 1 else 0)
        if b.ndim == 1:
            grad = grad.expand_dims(-1)
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            if a2.ndim == 2 and b2.ndim > 2 and _fold_pays(a2.shape, grad.shape[-1]):
                grad_a = _rows_first(grad) @ _rows_first(b2).swapaxes(0, 1)
            elif grad.shape[-1] == 1:  # an outer product: 3x faster as a multiply
                grad_a = grad * b2.swapaxes(-1, -2)
            else:
                grad_a = grad @ b2.swapaxes(-1, -2)
            if a.ndim == 1:
                grad_a = grad_a.reshape(grad_a.shape[:-2] + (a.shape[0],))
        if self.needs_input_grad[1]:
            if b2.ndim == 2 and a2.ndim > 2:  # x @ W over a batch: one product, not B summed
                rows = math.prod(a2.shape[:-1])
                grad_b = a2.reshape(rows, a2.shape[-1]).swapaxes(0, 1) @ grad.reshape(
                    rows, grad.shape[-1])
            elif a2.shape[-2] == 1:  # an outer product (a vector times a matrix)
                grad_b = a2.swapaxes(-1, -2) * grad
            else:
                grad_b = a2.swapaxes(-1, -2) @ grad
            if b.ndim == 1:
                grad_b = grad_b.reshape(grad_b.shape[:-2] + (b.shape[0],))
        return grad_a, grad_b

    def reads_input(self, position):
        return self.needs_input_grad[1 - position]  # each factor serves the other's gradient


def _fold_pays(a_shape, n):
    """Whether the gradient of a matrix ``a`` (M, K) used against a batch of (K, N) matrices
    is cheaper folded (copies of the batch's grad and b, M + K rows of N per element) than as
    a batch of (M, K) products summed (M * K per element)."""
    m, k = a_shape
    return m * k > n * (m + k)


def _rows_first(t):
    """``t`` (..., R, C) as the matrix (R, batch * C): its batches side by side, so that a
    product summed over the batch is one matrix product (of the inputs' size, where a batched
    product and its sum would make one (R, R') array per batch element)."""
    axes = (t.ndim - 2,) + tuple(range(t.ndim - 2)) + (t.ndim - 1,)
    return t.transpose(axes).reshape(t.shape[-2], math.prod(t.shape[:-2]) * t.shape[-1])


def matmul(a, b):
    """Matrix product with NumPy's rules (batching, broadcasting, 1-d operands)."""
    return MatMul.apply(a, b)


def mm(a, b):
    """The product of two matrices, as ``torch.mm`` (2-d only: `matmul` for the rest)."""
    a, b = _tensor.as_tensor(a), _tensor.as_tensor(b)
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"mm: expects two matrices, got shapes {a.shape} and {b.shape} (matmul "
                         f"takes batches and vectors)")
    return a @ b


def dot(a, b):
    """The inner product of two vectors of one length, as ``torch.dot`` (1-d only)."""
    a, b = _tensor.as_tensor(a), _tensor.as_tensor(b)
    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"dot: expects two vectors of one length, got shapes {a.shape} and "
                         f"{b.shape}")
    return a @ b


def _explicit_subscripts(subscripts, shapes):
    """Parse einsum subscripts into (list of input label strings, output labels), with
    '...' expanded into explicit letters and the implicit output made explicit."""
    subscripts = subscripts.replace(" ", "")
    inputs, arrow, output = subscripts.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: '{subscripts}' names {len(terms)} operands, got {len(shapes)}")
    free = [c for c in string.ascii_letters if c not in subscripts]
    ellipsis_ndim = max(
        (len(shape) - len(term.replace("...", "")) for term, shape in zip(terms, shapes)
         if "..." in term),
        default=0,
    )
    batch = "".join(free[:ellipsis_ndim])
    expanded = []
    for term, shape in zip(terms, shapes):
        if "..." in term:
            n = len(shape) - len(term.replace("...", ""))
            term = term.replace("...", batch[ellipsis_ndim - n:] if n else "")
        if len(term) != len(shape):
            raise ValueError(f"einsum: operand of shape {shape} does not match subscripts '{term}'")
        expanded.append(term)
    if arrow:
        output = output.replace("...", batch)
    else:
        counts = {c: "".join(expanded).count(c) for c in "".join(expanded)}
        output = batch + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in batch))
    return expanded, output


_EINSUM_BLAS_SIZE = 4096  # elements of all operands, above which einsum plans its contraction


class Einsum(Function):
    """``np.einsum`` on explicit subscripts (see `einsum`)."""

    def forward(self, *arrays):
        spec = ",".join(self.terms) + "->" + self.output
        return np.einsum(spec, *arrays, optimize=self._plans(arrays))

    def _plans(self, arrays):
        """Whether to let NumPy plan the contraction (``optimize``), which costs ~12 us a call
        and pays for three operands (the order of the contractions) and for a large matrix
        product, which it hands to BLAS: two operands that share a label summed away, one of
        them with a label of its own (a matrix times a matrix or a vector). A row-wise dot or
        a broadcast product only gets slower."""
        if len(arrays) > 2:
            return True
        if len(arrays) < 2 or sum(a.size for a in arrays) <= _EINSUM_BLAS_SIZE:
            return False
        first, second = map(set, self.terms)
        contracted = (first & second) - set(self.output)
        return bool(contracted) and bool((first - second) | (second - first))

    def backward(self, grad):
        grads = []
        for k, tensor in enumerate(self.inputs):
            if not self.needs_input_grad[k]:
                grads.append(None)
                continue
            grads.append(self._operand_grad(grad, k, tensor))
        return tuple(grads)

    def _operand_grad(self, grad, k, tensor):
        term = self.terms[k]
        others = [t for i, t in enumerate(self.inputs) if i != k]
        other_terms = [s for i, s in enumerate(self.terms) if i != k]
        available = set(self.output).union(*other_terms)
        unique = "".join(dict.fromkeys(c for c in term if c in available))
        sizes = {c: n for c, n in zip(term, tensor.shape)}
        result = einsum(",".join([self.output] + other_terms) + "->" + unique, grad, *others)
        # A label of size 1 here and n in another operand (einsum broadcasts it): sum it
        # back to 1; one of size n here and 1 everywhere else: the gradient is constant along it.
        target = tuple(sizes[c] for c in unique)
        if result.shape != target:
            result = result.broadcast_to(np.broadcast_shapes(result.shape, target)).sum_to(target)
        # Labels summed away inside this operand alone: the gradient is constant along them.
        full = "".join(dict.fromkeys(term))
        if full != unique:
            missing = [c for c in full if c not in unique]
            result = result.reshape(result.shape + (1,) * len(missing))
            result = result.broadcast_to(tuple(sizes[c] for c in unique + "".join(missing)))
            result = einsum(unique + "".join(missing) + "->" + full, result)
        if full != term:  # repeated labels: the gradient lives on a diagonal
            result = DiagonalEmbed.apply(result, term=term, full=full, shape=tensor.shape)
        return result


class DiagonalEmbed(Function):
    """Place an array indexed by unique labels onto the diagonal of an array with repeats.

    The adjoint of ``einsum('ii->i', x)``-style diagonal extraction.
    """

    def forward(self, values):
        out = np.zeros(self.shape, dtype=values.dtype)
        view = np.einsum(self.term + "->" + self.full, out)  # a writable view of the diagonal
        view[...] = values
        return out

    def backward(self, grad):
        return (einsum(self.term + "->" + self.full, grad),)


def einsum(subscripts, *operands):
    """Einstein summation as ``np.einsum`` (with '...' and implicit output), differentiable."""
    operands = [_tensor.as_tensor(t) for t in operands]
    terms, output = _explicit_subscripts(subscripts, [t.shape for t in operands])
    return Einsum.apply(*operands, terms=tuple(terms), output=output)


register("matmul", lambda a, b: a @ b, arity=2, kind="matmul")
register("einsum_matmul", lambda a, b: einsum("...ij,...jk->...ik", a, b), arity=2, kind="matmul3")
register("einsum_transposed", lambda a, b: einsum("ij,kj->ik", a, b), arity=2, kind="matmul_nt")
register("einsum_trace", lambda x: einsum("ii", x), kind="square")
register("einsum_diagonal", lambda x: einsum("ii->i", x), kind="square")
register("einsum_reduce", lambda x: einsum("ij->", x), kind="square")
