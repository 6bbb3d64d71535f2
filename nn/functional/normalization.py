"""Batch, layer and group normalization.

Each standardizes over some axes, then scales and shifts. The standardization is one `Normalize`
node with the closed-form backward

    dx = inv_std * (g - mean(g) - xhat * mean(g * xhat))      (means over the normalized axes)

instead of the six-node chain mean, subtract, square, mean, add, rsqrt, whose backward would keep
several temporaries of the input's size. The backward is written in Tensor ops and recomputes
``xhat`` and ``inv_std`` from the input under ``create_graph``, so it is itself differentiable.
"""
import numpy as np

from autodiff.function import Function
from autodiff.grad_mode import STATE
from autodiff.ops.registry import register
from autodiff.tensor import Tensor, as_tensor


def _moments(x, axes):
    """Mean and biased variance of ndarray ``x`` over ``axes``, keeping the reduced axes, and
    ``x - mean``.

    Float16 is computed in float32, as PyTorch's CPU kernels do: a deviation of 256 squares to
    inf in float16, which would standardize the whole row to 0."""
    if x.dtype == np.float16:
        x = x.astype(np.float32)
    mean = np.mean(x, axis=axes, keepdims=True)
    centered = x - mean
    var = np.mean(np.square(centered), axis=axes, keepdims=True)
    return mean, var, centered


class Normalize(Function):
    """``(x - mean) / sqrt(var + eps)`` with the biased variance over ``axes``."""

    def forward(self, x):
        _, var, centered = _moments(x, self.axes)
        inv_std = 1.0 / np.sqrt(var + self.eps)
        self.inv_std = inv_std.astype(x.dtype, copy=False)
        return (centered * inv_std).astype(x.dtype, copy=False)

    def backward(self, grad):
        xhat = self.result()
        if STATE.grad_enabled:  # higher order: inv_std as a differentiable function of x
            x = self.inputs[0]
            wide = x.astype(np.float32) if x.dtype == np.float16 else x  # (as _moments)
            inv_std = ((wide.var(self.axes, keepdims=True) + self.eps) ** -0.5).astype(x.dtype)
        else:
            inv_std = Tensor._make(self.inv_std, False)
        mean_grad = grad.mean(self.axes, keepdims=True)
        mean_grad_xhat = (grad * xhat).mean(self.axes, keepdims=True)
        return ((grad - mean_grad - xhat * mean_grad_xhat) * inv_std,)


def _data(buffer):
    """The ndarray behind a running-statistics buffer (an ndarray or a Tensor), or None."""
    return buffer.data if isinstance(buffer, Tensor) else buffer


def _affine(y, weight, bias, shape):
    """``y * weight + bias`` with both reshaped to ``shape`` (either may be None)."""
    if weight is not None:
        y = y * (weight.reshape(shape) if isinstance(weight, Tensor) else np.reshape(weight, shape))
    if bias is not None:
        y = y + (bias.reshape(shape) if isinstance(bias, Tensor) else np.reshape(bias, shape))
    return y


def _check_channels(x, value, what):
    """Raise naming both shapes unless ``value`` (or None) has one entry per channel of ``x``."""
    if value is not None and np.shape(value) != (x.shape[1],):
        raise ValueError(
            f"batch_norm: {what} has shape {np.shape(value)} but the input of shape "
            f"{x.shape} has {x.shape[1]} channels (axis 1)"
        )


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalization of ``input`` x (N, C) or (N, C, *spatial) per channel (axis 1), as
    PyTorch.

    In training the batch mean and biased variance normalize ``x``, and the running statistics
    (ndarrays or Tensors, updated in place when given) move towards the batch mean and the
    unbiased batch variance: ``running = (1 - momentum) * running + momentum * batch``. In eval
    the running statistics normalize ``x``. ``weight`` and ``bias`` have shape (C,).
    """
    x = as_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected an input of shape (N, C, ...), got {x.shape}")
    mean_buffer, var_buffer = _data(running_mean), _data(running_var)
    for what, value in (("running_mean", mean_buffer), ("running_var", var_buffer),
                        ("weight", weight), ("bias", bias)):
        _check_channels(x, value, what)
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if training:
        count = x.size // x.shape[1]
        if count <= 1:
            raise ValueError(
                f"batch_norm: expected more than 1 value per channel when training, got input "
                f"of shape {x.shape}"
            )
        y = Normalize.apply(x, axes=axes, eps=eps)
        if mean_buffer is not None or var_buffer is not None:
            _update_running(x.data, axes, mean_buffer, var_buffer, momentum, count)
        return _affine(y, weight, bias, shape)
    if mean_buffer is None or var_buffer is None:
        raise ValueError("batch_norm: running_mean and running_var are required when not training")
    inv_std = 1.0 / np.sqrt(var_buffer.reshape(shape) + eps)
    mean = mean_buffer.reshape(shape)
    # NumPy's promotion, as every Tensor op: float64 statistics are not rounded to a float32
    # input's dtype (the result is float64), float32 statistics keep a float32 input float32
    dtype = np.result_type(x.dtype, inv_std.dtype, mean.dtype)
    # (x - mean) * inv_std, not x * inv_std - mean * inv_std: where the mean is large against
    # the spread, the two large terms of the second form cancel and lose the digits
    y = (x - mean.astype(dtype, copy=False)) * inv_std.astype(dtype, copy=False)
    return _affine(y, weight, bias, shape)


def _update_running(x, axes, running_mean, running_var, momentum, count):
    """PyTorch's running-statistics rule, in place, with the unbiased batch variance."""
    mean, var, _ = _moments(x, axes)
    if running_mean is not None:
        running_mean *= 1.0 - momentum
        running_mean += momentum * mean.reshape(running_mean.shape)
    if running_var is not None:
        running_var *= 1.0 - momentum
        running_var += momentum * var.reshape(running_var.shape) * (count / (count - 1))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Standardize ``input`` x over its last ``len(normalized_shape)`` axes, then scale and
    shift.

    ``normalized_shape`` (an int or a tuple) must equal the trailing shape of ``x``; ``weight``
    and ``bias`` have that shape.
    """
    x = as_tensor(input)
    normalized_shape = ((normalized_shape,) if isinstance(normalized_shape, (int, np.integer))
                        else tuple(normalized_shape))
    k = len(normalized_shape)
    if k == 0 or x.shape[x.ndim - k:] != normalized_shape or k > x.ndim:
        raise ValueError(
            f"layer_norm: normalized_shape {normalized_shape} does not match the trailing "
            f"axes of the input of shape {x.shape}"
        )
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None and tuple(np.shape(getattr(value, "data", value))) != normalized_shape:
            raise ValueError(f"layer_norm: {name} must have the normalized shape "
                             f"{normalized_shape}, got {np.shape(getattr(value, 'data', value))}")
    y = Normalize.apply(x, axes=tuple(range(x.ndim - k, x.ndim)), eps=eps)
    return _affine(y, weight, bias, normalized_shape)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Standardize each sample's channels in ``num_groups`` groups (over the group's channels
    and all positions), then scale and shift per channel, as PyTorch's ``F.group_norm``:
    ``input`` is (N, C, ...) with C divisible by ``num_groups``; ``weight`` and ``bias`` (C,).
    One group is layer normalization over (C, ...); C groups, instance normalization."""
    x = as_tensor(input)
    if x.ndim < 2 or not isinstance(num_groups, (int, np.integer)) or num_groups <= 0 \
            or x.shape[1] % num_groups:
        raise ValueError(f"group_norm: the input of shape {x.shape} must be (N, C, ...) with "
                         f"C divisible by num_groups={num_groups!r}")
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None and tuple(np.shape(getattr(value, "data", value))) != x.shape[1:2]:
            raise ValueError(f"group_norm: {name} must have one entry per channel, shape "
                             f"{x.shape[1:2]}, got {np.shape(getattr(value, 'data', value))}")
    grouped = x.reshape((x.shape[0], num_groups, int(np.prod(x.shape[1:])) // num_groups))
    y = Normalize.apply(grouped, axes=(2,), eps=eps).reshape(x.shape)
    return _affine(y, weight, bias, x.shape[1:2] + (1,) * (x.ndim - 2))


# ----- registry (see autodiff/ops/registry.py): inputs drawn by hypothesis -------------------
def _norm_cases(kind):
    """Strategy of ((x, weight, bias), {}) float64 arrays for batch_norm / layer_norm."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    elements = st.floats(-2.0, 2.0)

    @st.composite
    def cases(draw):
        ndim = draw(st.sampled_from((2, 4)) if kind != "layer" else st.integers(1, 3))
        shape = draw(hnp.array_shapes(min_dims=ndim, max_dims=ndim, min_side=2, max_side=3))
        x = draw(hnp.arrays(np.float64, shape, elements=elements))
        # Keep away from constant slices, where the standardization is singular.
        x = x + np.arange(x.size).reshape(shape) * 0.37
        params_shape = (shape[1],) if kind != "layer" else shape[-1:]
        weight = draw(hnp.arrays(np.float64, params_shape, elements=elements))
        bias = draw(hnp.arrays(np.float64, params_shape, elements=elements))
        return (x, weight, bias), {}

    return cases()


register("batch_norm_train", lambda x, w, b: batch_norm(x, None, None, w, b, training=True),
         arity=3, kind="strategy", params={"strategy": lambda: _norm_cases("batch")})
register("batch_norm_eval",
         lambda x, w, b: batch_norm(x, np.full(x.shape[1], 0.3), np.full(x.shape[1], 1.7), w, b),
         arity=3, kind="strategy", params={"strategy": lambda: _norm_cases("batch")})
register("layer_norm", lambda x, w, b: layer_norm(x, x.shape[-1:], w, b), arity=3,
         kind="strategy", params={"strategy": lambda: _norm_cases("layer")})
register("group_norm", lambda x, w, b: group_norm(x, x.shape[1] // 2 if x.shape[1] % 2 == 0
                                                  else 1, w, b), arity=3,
         kind="strategy", params={"strategy": lambda: _norm_cases("group")})
