"""`clip_grad_norm_`: rescale gradients so that their joint norm is at most ``max_norm``."""
import math

import numpy as np

from autodiff import Tensor

from .optimizer import _check_params_iterable

__all__ = ["clip_grad_norm_"]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale the gradients of ``parameters`` so that their total norm is at most ``max_norm``.

    The total norm is the ``norm_type``-norm of all gradients taken together as one vector
    (``float("inf")`` or ``"inf"`` for the largest absolute entry, ``-inf`` for the smallest).
    When it exceeds
    ``max_norm`` every gradient is multiplied by ``max_norm / (total_norm + 1e-6)``, as in
    PyTorch. Gradients are *rebound* to new Tensors, never modified in place (their arrays may
    be shared). Parameters without a gradient are skipped.

    Returns the total norm before clipping as a 0-d Tensor (of the gradients' dtype), as
    ``torch.nn.utils.clip_grad_norm_`` does; ``float(result)`` or ``.item()`` gives a number.
    Raises ``RuntimeError`` for a nan or inf norm when ``error_if_nonfinite``. PyTorch's
    ``foreach`` (how its kernels run) is accepted and ignored.

    >>> w = Tensor([0.0, 0.0], requires_grad=True)
    >>> w.grad = Tensor([3.0, 4.0])
    >>> clip_grad_norm_([w], max_norm=1.0).item()
    5.0
    >>> w.grad.data.round(6)
    array([0.6, 0.8], dtype=float32)
    """
    max_norm = _checked_max_norm(max_norm)
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    _check_params_iterable(parameters)  # a model, or model.parameters without the call
    params = [p for p in parameters if p.grad is not None]
    norm_type = float(norm_type)
    if not params:
        return Tensor(np.float32(0.0))
    grads = [p.grad.data for p in params]
    dtype = np.result_type(*grads)
    if math.isinf(norm_type):
        extreme = np.max if norm_type > 0 else np.min
        norms = [extreme(np.abs(g)) for g in grads if g.size]
        total = extreme(np.asarray(norms, dtype=dtype)) if norms else dtype.type(0)
    else:  # float16 in float32, as PyTorch: 300 ** 2 is inf in float16, its norm is not
        wide = np.promote_types(dtype, np.float32)
        norms = [np.linalg.norm(g.ravel().astype(wide, copy=False), ord=norm_type) for g in grads]
        total = np.linalg.norm(np.asarray(norms, dtype=wide), ord=norm_type)
    total = np.asarray(total)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"the total norm of order {norm_type} of the gradients is {float(total)}, so they "
            "cannot be clipped; pass error_if_nonfinite=False to clip anyway"
        )
    coef = max_norm / (float(total) + 1e-6)
    if not coef >= 1.0:  # also for a nan norm, which turns the gradients into nan as in PyTorch
        for p in params:
            scaled = p.grad.data * p.grad.dtype.type(coef)
            p.grad = Tensor._make(scaled, False)
    return Tensor._make(total.astype(dtype, copy=False), False)


def _checked_max_norm(max_norm):
    """``max_norm`` as a float >= 0: a negative one would multiply every gradient by a negative
    factor, turning descent into ascent without a word (PyTorch does not check)."""
    if isinstance(max_norm, (bool, np.bool_)):
        raise TypeError(f"clip_grad_norm_: max_norm must be a number, got {max_norm!r}")
    try:
        value = float(max_norm)
    except (TypeError, ValueError):
        raise TypeError(f"clip_grad_norm_: max_norm must be a number, got "
                        f"{type(max_norm).__name__} (the call is clip_grad_norm_(parameters, "
                        f"max_norm))") from None
    if not value >= 0:  # also nan
        raise ValueError(f"clip_grad_norm_: max_norm must be >= 0, got {max_norm!r}")
    return value
