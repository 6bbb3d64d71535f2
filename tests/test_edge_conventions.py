"""Values and gradients at the edges, against NumPy's and PyTorch's conventions: integer and
boolean tensors (casts, min, float-valued ops), pow at a zero base, einsum's size-1 labels,
out-of-range axes, var with ddof >= N, NaN maxima, empty axes, the dtype of a backward seed."""
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import Tensor


def f64(values, requires_grad=True):
    return Tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)


# Casting to an integer dtype must not be differentiable (PyTorch: result has no grad).
def test_integer_cast_is_not_differentiable():
    x = f64([1.7, 2.2])
    i = x.astype(np.int64)
    assert not i.requires_grad
    y = (x * 1.0 + i * 2.0).sum()  # true derivative: 1 (i is piecewise constant)
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])


# Pow gradients at a zero base / zero exponent follow PyTorch (0, not nan / -inf).
def test_pow_gradients_at_zero_match_pytorch():
    a, b = f64([0.0, 0.0, 2.0]), f64([0.0, 2.0, 3.0])
    (a ** b).sum().backward()
    np.testing.assert_allclose(a.grad.data, [0.0, 0.0, 12.0])
    np.testing.assert_allclose(b.grad.data, [0.0, 0.0, 8 * np.log(2.0)])
    x = f64([3.0, 0.0])
    (0.0 ** x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])


# min / minimum on integer tensors: negation wraps around.
@pytest.mark.parametrize("values", [np.array([[0, 1], [200, 255]], np.uint8),
                                    np.array([-128, 5], np.int8)])
def test_integer_min_matches_numpy(values):
    t = Tensor(values)
    assert t.min().item() == values.min()
    np.testing.assert_array_equal(t.min(-1).data, values.min(-1))
    np.testing.assert_array_equal(ad.minimum(t, Tensor(values[..., :1])).data,
                                  np.minimum(values, values[..., :1]))


def test_bool_min():
    assert Tensor(np.array([True, False])).min().item() is False


def test_min_gradient_still_shared_at_ties():
    x = f64([[1.0, 3.0], [1.0, 2.0]])
    x.min(0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0.5, 0.0], [0.5, 1.0]])


# Float-valued ops on integer tensors must not truncate to integers.
@pytest.mark.parametrize("name, ref", [
    ("sigmoid", lambda a: 1 / (1 + np.exp(-a))),
    ("erf", lambda a: np.array([__import__("math").erf(v) for v in a])),
    ("softplus", lambda a: np.logaddexp(0, a)),
])
def test_float_ops_on_integer_tensors(name, ref):
    a = np.array([1, 2, -1])
    out = getattr(Tensor(a), name)()
    assert out.dtype.kind == "f"
    np.testing.assert_allclose(out.data, ref(a))


def test_clip_integer_tensor_with_float_bounds_follows_numpy():
    a = np.array([1, 2, -1])
    np.testing.assert_array_equal(Tensor(a).clip(0.5, 1.5).data, np.clip(a, 0.5, 1.5))
    np.testing.assert_array_equal(Tensor(a).clip(None, 1).data, np.clip(a, None, 1))
    assert Tensor(a).clip(None, 1).dtype == np.int64


# softmax / log_softmax accept PyTorch's dim=.
def test_softmax_dim_alias():
    x = np.array([[1.0, 2.0], [3.0, 5.0]])
    e = np.exp(x - x.max(0))
    np.testing.assert_allclose(Tensor(x).softmax(dim=0).data, e / e.sum(0))
    np.testing.assert_allclose(Tensor(x).log_softmax(dim=0).data, np.log(e / e.sum(0)))
    np.testing.assert_allclose(Tensor(x).softmax().data,
                               np.exp(x) / np.exp(x).sum(-1, keepdims=True))
    with pytest.raises(TypeError):
        Tensor(x).softmax(0, dim=1)


# Out-of-range axes must raise, not wrap around to another axis.
def test_squeeze_out_of_range_axis_raises():
    with pytest.raises(ValueError, match="out of range"):
        Tensor(np.ones((1, 2))).squeeze(2)
    assert Tensor(3.0).squeeze(0).shape == ()


@pytest.mark.parametrize("args", [(3,), (1, 5), (-4,), (2, 1)])
def test_flatten_bad_dims_raise(args):
    with pytest.raises(ValueError):
        Tensor(np.ones((2, 3, 4))).flatten(*args)


# var/std with ddof >= N: NumPy and PyTorch divide by max(0, N - ddof) -> inf.
def test_var_ddof_at_least_n_is_inf():
    with np.errstate(all="ignore"):
        assert np.isinf(Tensor([1.0, 2.0]).var(ddof=2).item())
        assert np.isinf(Tensor([1.0, 2.0]).var(ddof=3).item())
        assert np.isnan(Tensor([1.0, 1.0]).var(ddof=2).item())  # 0 / 0, as NumPy


# einsum broadcasts size-1 labels in forward; backward must too.
def test_einsum_broadcast_label_backward():
    A = f64(np.arange(6.0).reshape(2, 3))
    v = f64([2.0])
    y = ad.einsum("ij,j->i", A, v)
    np.testing.assert_allclose(y.data, np.einsum("ij,j->i", A.data, v.data))
    y.sum().backward()
    np.testing.assert_allclose(A.grad.data, np.full((2, 3), 2.0))
    np.testing.assert_allclose(v.grad.data, [A.data.sum()])


# Max and min: NaN maxima take the gradient; only an empty reduced axis is an error.
def test_nan_maximum_receives_the_gradient():
    x = f64([[1.0, np.nan, 3.0], [1.0, 2.0, 3.0]])
    x.max(1).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    y = f64([np.nan, 0.0, np.nan])
    y.min().backward()
    np.testing.assert_array_equal(y.grad.data, [0.5, 0.0, 0.5])


def test_max_over_a_nonempty_axis_of_an_empty_tensor_is_empty():
    x = Tensor(np.zeros((0, 3)))
    assert x.max(1).shape == (0,) and x.min(1).shape == (0,)
    with pytest.raises(ValueError, match=r"max\(\) over an empty axis .*\(0, 3\)"):
        x.max(0)
    with pytest.raises(ValueError, match=r"min\(\) over an empty axis"):
        x.min()


# The seed of backward() takes the tensor's dtype, so .grad has its leaf's dtype.
def test_backward_seed_of_another_dtype_gives_the_leaf_dtype():
    leaf = Tensor(np.ones(3), requires_grad=True)  # float64
    leaf.backward(Tensor(np.full(3, 2.0, np.float32)))
    assert leaf.grad.dtype == np.float64
    np.testing.assert_array_equal(leaf.grad.data, [2.0, 2.0, 2.0])
    y = leaf * 3.0
    y.backward(np.ones(3, np.float32))
    assert leaf.grad.dtype == np.float64
    np.testing.assert_array_equal(leaf.grad.data, [5.0, 5.0, 5.0])


# A 0-d tensor reduced over axis 0 (or -1) is reduced over nothing, as PyTorch.
@pytest.mark.parametrize("method", ["sum", "mean", "max", "min", "var", "logsumexp", "prod",
                                    "cumsum"])
def test_reducing_axis_0_of_a_0d_tensor_reduces_nothing(method):
    x = Tensor(np.float64(3.0), requires_grad=True)
    out = getattr(x, method)(0)
    assert out.shape == ()
    assert out.item() == (0.0 if method == "var" else 3.0)
    out.backward()
    assert x.grad.item() == (0.0 if method == "var" else 1.0)
    with pytest.raises(ValueError, match="axis 1 is out of range"):
        getattr(x, method)(1)


# ----- negative transpose axes; concatenate with axis=None --------------------------------
def test_transpose_accepts_negative_axes_as_numpy():
    data = np.arange(24.0).reshape(2, 3, 4)
    x = Tensor(data, requires_grad=True)
    y = x.transpose(-1, 0, -2)
    np.testing.assert_array_equal(y.data, data.transpose(-1, 0, -2))
    w = np.random.default_rng(0).standard_normal(y.shape)
    (y * Tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.data, w.transpose(np.argsort((2, 0, 1))))


def test_permute_accepts_negative_dims_as_pytorch():
    x = Tensor(np.zeros((2, 3, 4)))
    assert x.permute(0, -1, 1).shape == (2, 4, 3)
    assert x.transpose((-3, -1, -2)).shape == (2, 4, 3)


def test_transpose_still_rejects_a_non_permutation_clearly():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="permutation"):
        x.transpose(0, -2)
    with pytest.raises(ValueError, match="permutation"):
        x.transpose(0, 2)


def test_concatenate_axis_none_flattens_as_numpy_and_backpropagates():
    a = Tensor([[1.0, 2.0]], requires_grad=True)
    b = Tensor([3.0, 4.0, 5.0], requires_grad=True)
    out = ad.concatenate([a, b], axis=None)
    np.testing.assert_array_equal(out.data, np.concatenate([a.data, b.data], axis=None))
    (out * Tensor([1.0, 2.0, 3.0, 4.0, 5.0])).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [[1.0, 2.0]])
    np.testing.assert_array_equal(b.grad.data, [3.0, 4.0, 5.0])


# Bad arguments are named where they were given, instead of being truncated or misread.
def test_argnums_out_of_range_is_named():
    with pytest.raises(IndexError, match="argnums 2 is out of range .* 2 positional arguments"):
        ad.grad(lambda a, b: (a * b).sum(), argnums=2)(Tensor([1.0]), Tensor([2.0]))
    assert ad.grad(lambda a, b: (a * b).sum(), argnums=-1)(Tensor([1.0]), Tensor([2.0])).item() == 1.0


@pytest.mark.parametrize("draw", [ad.rand, ad.randn])
def test_random_draws_refuse_an_integer_dtype(draw):
    with pytest.raises(TypeError, match="dtype must be floating point, got int64"):
        draw(3, dtype=np.int64)
    assert draw(3, dtype=np.float64).dtype == np.float64


def test_pad_widths_must_be_integers_of_a_valid_layout():
    with pytest.raises(TypeError, match="pad_width must hold integers, got 1.5"):
        Tensor([1.0, 2.0]).pad(1.5)
    with pytest.raises(ValueError, match=r"pad_width \[\[1, 2, 3\]\] is not"):
        Tensor(np.ones((2, 2))).pad([[1, 2, 3]])
    np.testing.assert_array_equal(Tensor([1.0, 2.0]).pad((1, 0)).data, [0.0, 1.0, 2.0])


def test_broadcast_to_an_int_shape():
    np.testing.assert_array_equal(Tensor(np.float32(2.0)).broadcast_to(3).data, [2.0, 2.0, 2.0])


# ----- errors that name the arguments: where, concatenate/stack, axes out of range ----------
def test_where_names_the_shape_of_the_condition_too():
    a, b = Tensor(np.ones((2, 3))), Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"where: condition, a and b have shapes \(4,\), "
                                         r"\(2, 3\) and \(2, 3\)"):
        ad.where(np.ones(4, dtype=bool), a, b)
    np.testing.assert_array_equal(ad.where(np.array([True, False, True]), a, b).data,
                                  [[1.0, 0.0, 1.0]] * 2)


@pytest.mark.parametrize("join", [ad.concatenate, ad.stack])
def test_join_given_tensors_separately_says_to_pass_a_list(join):
    a, b = Tensor(np.ones((2, 3))), Tensor(np.zeros((2, 3)))
    name = join.__name__
    with pytest.raises(TypeError, match=rf"{name} takes the tensors as one list: "
                                        rf"{name}\(\[a, b\], axis=...\)"):
        join(a, b)
    assert join([a, b], axis=1).shape == ((2, 6) if name == "concatenate" else (2, 2, 3))


def test_swapaxes_out_of_range_names_the_axis_and_the_shape():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"swapaxes: axis 5 is out of range for a tensor of "
                                         r"shape \(2, 3\)"):
        x.swapaxes(0, 5)
    with pytest.raises(ValueError, match=r"swapaxes: axis -3 is out of range"):
        x.swapaxes(-3, 1)
    assert x.swapaxes(0, -1).shape == (3, 2)
    with pytest.raises(ValueError, match=r"not a permutation of the 2 axes of a tensor of shape "
                                         r"\(2, 3\)"):
        x.transpose(0, 5)


@pytest.mark.parametrize("method", ["softmax", "log_softmax", "argmax", "argmin"])
@pytest.mark.parametrize("keyword", ["axis", "dim"])
def test_axis_out_of_range_is_a_value_error_naming_the_shape(method, keyword):
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=rf"{method}: axis 5 is out of range for a tensor of "
                                         rf"shape \(2, 3\)") as info:
        getattr(x, method)(**{keyword: 5})
    assert not isinstance(info.value, np.exceptions.AxisError)
    assert getattr(x, method)(**{keyword: -1}).shape == (2,) + ((3,) if "softmax" in method else ())


# ----- numerics review (session 10) ----------------------------------------------------------

def test_std_gradient_is_zero_where_the_data_is_constant():
    """PyTorch's std_backward masks result == 0; sqrt's 1 / (2 * 0) times a 0 deviation is nan."""
    x = Tensor([2.0, 2.0, 2.0], requires_grad=True)
    x.std().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 0.0])
    a = Tensor(np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]]), requires_grad=True)
    z = (a - a.mean(0)) / (a.std(0) + 1e-5)  # standardising a batch with a constant column
    (z * Tensor(np.array([[1.0, 1.0], [0.0, 2.0], [0.0, 3.0]]))).sum().backward()
    assert np.isfinite(a.grad.data).all()
    np.testing.assert_allclose(a.grad.data[:, 1], [-1e5, 0.0, 1e5], rtol=1e-6, atol=1e-6)  # (w - 2) / 1e-5
    assert ad.gradgradcheck(lambda t: t.std(), [Tensor(np.array([1.0, 2.0, 4.0]))])


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.uint16, np.int32, np.uint64])
def test_softmax_family_sigmoid_and_norm_of_small_or_unsigned_integers_do_not_wrap(dtype):
    values = np.array([0, 1, 2, 100])
    x = Tensor(values.astype(dtype))
    reference = values.astype(np.float64)
    shifted = reference - reference.max()
    softmax = np.exp(shifted) / np.exp(shifted).sum()
    tolerance = dict(rtol=2e-3, atol=2e-3)  # int8 and uint8 give float16, as NumPy's ufuncs
    np.testing.assert_allclose(x.sigmoid().data, 1 / (1 + np.exp(-reference)), **tolerance)
    np.testing.assert_allclose(x.softmax().data, softmax, **tolerance)
    np.testing.assert_allclose(x.log_softmax().data, np.log(softmax + 1e-300), **tolerance)
    np.testing.assert_allclose(x.logsumexp().data, 100.0, **tolerance)
    np.testing.assert_allclose(x.norm().data, np.linalg.norm(reference), **tolerance)


def test_integer_norm_does_not_overflow():
    np.testing.assert_allclose(Tensor(np.array([300] * 3, np.int16)).norm().data,
                               np.sqrt(3) * 300, rtol=1e-6)
    np.testing.assert_allclose(Tensor(np.array([4e9] * 3, np.int64)).norm().data,
                               np.sqrt(3) * 4e9)


@pytest.mark.parametrize("expression", [
    lambda x: x * np.float64(2), lambda x: np.float64(2) * x, lambda x: x * np.int64(2),
    lambda x: np.int64(2) * x, lambda x: x ** np.float64(2), lambda x: np.float64(2) ** x,
    lambda x: x / np.prod(x.shape), lambda x: x - np.float64(1), lambda x: x + np.bool_(True),
])
def test_numpy_scalars_count_as_python_numbers(expression):
    """As in PyTorch: float32 arithmetic stays float32 with the scalars NumPy hands out."""
    x = Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    out = expression(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(out.data, expression(np.array([1.0, 2.0])), rtol=1e-6)


def test_a_0d_array_operand_still_follows_numpy():
    assert (Tensor(np.array([1.0], np.float32)) * np.array(2.0)).dtype == np.float64


def test_batch_norm_eval_keeps_the_digits_of_data_far_from_zero():
    import nn.functional as F
    rng = np.random.default_rng(0)
    x = (1e4 + 0.1 * rng.standard_normal((64, 3))).astype(np.float32)
    mean, var = x.mean(0), x.var(0)
    y = F.batch_norm(Tensor(x), mean, var, training=False)
    reference = (x.astype(np.float64) - mean) / np.sqrt(var.astype(np.float64) + 1e-5)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data, reference, atol=1e-5)  # x * s - m * s: errors of 6e-3


@pytest.mark.parametrize("loss", [
    lambda x, t: __import__("nn").functional.binary_cross_entropy(x.sigmoid(), t),
    lambda x, t: __import__("nn").functional.binary_cross_entropy_with_logits(x, t),
    lambda x, t: __import__("nn").functional.mse_loss(x, t),
    lambda x, t: __import__("nn").functional.l1_loss(x, t),
    lambda x, t: __import__("nn").functional.binary_cross_entropy_with_logits(
        x, t, pos_weight=[1.0, 2.0, 3.0]),
])
@pytest.mark.parametrize("target_dtype", [np.int64, np.bool_])
def test_float32_losses_stay_float32_for_integer_or_boolean_target_tensors(loss, target_dtype):
    x = Tensor(np.array([[0.5, -1.0, 2.0]], np.float32), requires_grad=True)
    target = np.array([[1, 0, 1]])
    out = loss(x, Tensor(target.astype(target_dtype)))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, loss(Tensor(x.data.astype(np.float64)),
                                              target.astype(np.float64)).data, rtol=1e-6)


# ----- index arrays and conditions changed after the op (higher-order review, session 10) ---

def test_an_index_array_changed_after_indexing_does_not_move_the_gradient():
    w = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    buffer = np.array([0, 0])
    out = w[buffer]
    buffer[:] = [2, 1]  # a reused buffer, refilled for the next batch
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.data, [[2, 2], [0, 0], [0, 0]])


def test_an_index_tensor_changed_in_place_after_an_embedding_lookup():
    import nn.functional as F
    weight = Tensor(np.ones((4, 2)), requires_grad=True)
    indices = Tensor(np.array([0, 0, 3]), dtype=np.int64)
    out = F.embedding(indices, weight)
    indices += 1
    out.sum().backward()
    np.testing.assert_array_equal(weight.grad.data[:, 0], [2, 0, 0, 1])


def test_a_where_condition_changed_after_the_op_does_not_change_the_gradient():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    condition = np.array([True, False, True])
    y = ad.where(condition, x, 0.0)
    condition[:] = False
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1, 0, 1])


def test_pow_mixed_second_derivative_at_a_zero_exponent():
    """d2(a ** b) / da db = a ** (b - 1) * (1 + b log a): 0.5 at a = 2, b = 0, in either order."""
    from autodiff.functional import grad
    a, b = Tensor(np.array(2.0)), Tensor(np.array(0.0))
    assert grad(lambda b: grad(lambda a: a ** b, 0)(a))(b).item() == pytest.approx(0.5)
    assert grad(lambda a: grad(lambda b: a ** b)(b))(a).item() == pytest.approx(0.5)
    zero, exponent = Tensor([0.0], requires_grad=True), Tensor([0.0], requires_grad=True)
    (zero ** exponent).sum().backward()  # PyTorch's first-order values at 0 ** 0 stay
    assert zero.grad.item() == 0.0 and exponent.grad.item() == 0.0


def test_a_float16_mean_sums_in_float32_as_numpy_does():
    x = Tensor(np.ones(70000, np.float16), requires_grad=True)
    mean = x.mean()
    assert mean.dtype == np.float16 and mean.item() == 1.0  # a float16 sum would be inf
    mean.backward()
    assert x.grad.dtype == np.float16
    np.testing.assert_allclose(x.grad.data[:3].astype(float), 1 / 70000, rtol=1e-2)  # subnormal



# ----- cases the suite missed (mutation testing, session 10) -----------------------------
# E2: maximum / minimum ties share the gradient (PyTorch: grad / 2 to each)
@pytest.mark.parametrize("op", [ad.maximum, ad.minimum])
def test_maximum_minimum_ties_split_the_gradient(op):
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = Tensor([1.0, 0.0, 5.0], requires_grad=True)
    op(a, b).sum().backward()
    win_a = [0.5, 1.0, 0.0] if op is ad.maximum else [0.5, 0.0, 1.0]
    np.testing.assert_array_equal(a.grad.data, win_a)
    np.testing.assert_array_equal(b.grad.data, 1 - np.array(win_a))


# E3: d/da a ** b at a == 0 (PyTorch pow_backward_self: b * a ** (b - 1), 0 only where b == 0)
def test_pow_gradient_at_zero_base():
    a = Tensor([0.0, 0.0, 0.0], requires_grad=True)
    b = Tensor([1.0, 2.0, 0.0], requires_grad=True)
    (a ** b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [1.0, 0.0, 0.0])


# E4: leaky_relu'(0) == negative_slope (PyTorch: self > 0 ? grad : grad * negval)
def test_leaky_relu_gradient_at_zero_is_the_slope():
    x = Tensor([0.0, 0.0], requires_grad=True)
    x.leaky_relu(0.1).sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.1, 0.1])


def test_fused_linear_leaky_relu_gradient_at_zero_is_the_slope():
    from nn.functional.fused import linear_leaky_relu
    x = Tensor(np.zeros((1, 2)), requires_grad=True)
    w = Tensor(np.ones((1, 2)), requires_grad=True)
    linear_leaky_relu(x, w, negative_slope=0.2).sum().backward()
    np.testing.assert_allclose(x.grad.data, [[0.2, 0.2]])


# M2: asymmetric pad: the gradient is the inner slice at the *before* offset
def test_asymmetric_pad_gradient():
    x = Tensor(np.arange(1.0, 4.0), requires_grad=True)
    y = x.pad(((2, 0),))               # [0, 0, 1, 2, 3]
    weights = Tensor(np.arange(5.0))
    (y * weights).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 3.0, 4.0])


def test_the_package_has_the_version_setup_cfg_reads():
    import configparser
    from pathlib import Path

    config = configparser.ConfigParser()
    config.read(Path(__file__).resolve().parents[1] / "setup.cfg")
    assert config["metadata"]["version"] == "attr: autodiff.__version__"
    assert ad.__version__.count(".") == 2


# ----- review of the session's own change (session 10) ----------------------------------------

@pytest.mark.parametrize("dtype, base", [(np.float16, 1e-5), (np.float32, 1e-39),
                                         (np.float32, np.nan)])
def test_pow_gradient_of_the_base_is_zero_where_the_exponent_is_zero_even_for_tiny_bases(
        dtype, base):
    a = Tensor(np.array([base], dtype), requires_grad=True)
    b = Tensor(np.array([0.0], dtype), requires_grad=True)
    with np.errstate(all="raise"):
        (a ** b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [0.0])


def test_norms_of_integers_and_booleans_are_float64_as_numpys():
    image = np.full((300, 300), 255, np.uint8)
    for ord in (None, 1, np.inf, 3):
        out = Tensor(image).norm(ord)
        assert out.dtype == np.float64
        np.testing.assert_allclose(out.item(), np.linalg.norm(image.ravel().astype(float), ord))
    assert Tensor(np.array([True, False, True])).norm(1).item() == 2.0


def test_an_integer_numpy_scalar_with_integer_data_keeps_numpys_promotion():
    big = Tensor(np.array([1, 2], np.int32)) * np.int64(2 ** 40)
    assert big.dtype == np.int64 and big.data.tolist() == [2 ** 40, 2 ** 41]
    assert (Tensor(np.array([0, 2], np.uint8)) + np.int64(-1)).data.tolist() == [-1, 1]


# ----- edge shapes (session-11 review) ------------------------------------------------------

def test_setitem_values_with_extra_leading_unit_axes_get_their_gradient():
    """NumPy and PyTorch accept ``x[0] = v`` with v of shape (1, 3); backward crashed."""
    x = Tensor(np.zeros((2, 3)))
    v = Tensor(np.arange(3.0).reshape(1, 3), requires_grad=True)
    x[0] = v
    (x * Tensor(np.arange(6.0).reshape(2, 3))).sum().backward()
    np.testing.assert_array_equal(v.grad.numpy(), [[0.0, 1.0, 2.0]])
    y = Tensor(np.zeros(4))
    w = Tensor(np.ones((1, 1, 2)), requires_grad=True)
    y[np.array([0, 2])] = w
    (y * Tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[[1.0, 3.0]]])


def test_axis_minus_one_of_a_zero_d_tensor_reduces_nothing():
    x = Tensor(2.0, requires_grad=True)
    assert x.sum(-1).item() == 2.0 and x.cumsum(-1).item() == 2.0
    x.softmax().backward()
    assert x.grad.item() == 0.0
    x.grad = None
    x.log_softmax().backward()
    assert x.grad.item() == 0.0
    with pytest.raises(ValueError, match="axis -2 is out of range"):
        x.sum(-2)


def test_softmax_family_over_an_empty_axis():
    """log(sum(exp([]))) is -inf and softmax of nothing is empty, as in PyTorch; NumPy's
    'zero-size array to reduction operation maximum' was raised."""
    x = Tensor(np.ones((3, 0)), requires_grad=True)
    out = x.logsumexp(1)
    np.testing.assert_array_equal(out.numpy(), [-np.inf] * 3)
    out.sum().backward()
    assert x.grad.shape == (3, 0)
    assert x.softmax(-1).shape == (3, 0)
    assert Tensor(np.ones((0, 4))).log_softmax(0).shape == (0, 4)


def test_prod_over_an_empty_axis_records_its_gradient():
    x = Tensor(np.ones((0, 4)), requires_grad=True)
    grad = ad.hessian(lambda t: t.prod())(Tensor(np.ones(0)))
    assert grad.shape == (0, 0)
    grad = ad.grad(lambda t: t.prod(0).sum())(x)
    assert grad.shape == (0, 4)
    x.prod(0).sum().backward(create_graph=True)
    assert x.grad.shape == (0, 4)


def test_integer_tensor_of_one_element_is_an_index():
    x = Tensor(np.arange(6.0))
    n = Tensor(np.array([1, 1, 0])).sum()
    np.testing.assert_array_equal(x[:n].numpy(), [0.0, 1.0])
    assert list(range(n)) == [0, 1]
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        x[:Tensor(2.0)]


def test_repr_of_an_empty_tensor_shows_its_shape():
    assert "shape=(3, 0)" in repr(Tensor(np.ones((3, 0))))
    assert "shape" not in repr(Tensor(np.ones(0)))


# ----- an infinite incoming gradient through a mask (session-11 review) ----------------------

def _grad_of(f, values, dtype=np.float32):
    x = Tensor(np.array(values, dtype), requires_grad=True)
    f(x).sum().backward()
    return x.grad.numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_masked_gradients_stay_zero_under_an_infinite_incoming_gradient(dtype):
    """sqrt and log have an infinite slope at 0; relu, maximum, max and max pooling select
    (PyTorch: x <= 0 ? 0 : grad), so the places they drop get 0, not inf * 0 = NaN."""
    import nn.functional as F
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(
            _grad_of(lambda x: F.relu(x).sqrt(), [-1.0, 0.0, 4.0], dtype), [0.0, 0.0, 0.25])
        np.testing.assert_array_equal(
            _grad_of(lambda x: F.relu(x).log(), [-1.0, 0.0, 4.0], dtype), [0.0, 0.0, 0.25])
        np.testing.assert_array_equal(
            _grad_of(lambda x: ad.maximum(x, 0.0).sqrt(), [-1.0, 0.0, 4.0], dtype),
            [0.0, np.inf, 0.25])
        np.testing.assert_array_equal(
            _grad_of(lambda x: x.max().sqrt(), [0.0, -1.0, -2.0], dtype), [np.inf, 0.0, 0.0])
        np.testing.assert_array_equal(
            _grad_of(lambda x: F.max_pool2d(x, 2).sqrt(), [[[[0.0, -1.0], [-2.0, -3.0]]]],
                     dtype).ravel(), [np.inf, 0.0, 0.0, 0.0])
        np.testing.assert_array_equal(  # overlapping windows take the other branch
            _grad_of(lambda x: F.max_pool2d(x, 2, stride=1).sqrt(),
                     [[[[0.0, -1.0, 0.0], [-2.0, -3.0, -4.0]]]], dtype).ravel(),
            [np.inf, 0.0, np.inf, 0.0, 0.0, 0.0])


def test_fused_linear_relu_masks_an_infinite_incoming_gradient():
    import nn
    lin = nn.Linear(1, 3)
    with ad.no_grad():
        lin.weight.data[:] = [[-1.0], [0.0], [4.0]]
        lin.bias.data[:] = 0
    with np.errstate(divide="ignore"):
        nn.Sequential(lin, nn.ReLU())(Tensor(np.ones((1, 1), np.float32))).sqrt().sum().backward()
    np.testing.assert_array_equal(lin.weight.grad.numpy().ravel(), [0.0, 0.0, 0.25])


def test_masked_gradients_under_create_graph_stay_zero_too():
    import nn.functional as F
    from nn.functional.fused import linear_relu
    x = Tensor(np.array([-1.0, 0.0, 4.0]), requires_grad=True)
    with np.errstate(divide="ignore"):
        F.relu(x).sqrt().sum().backward(create_graph=True)
        np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.25])
        lin = Tensor(np.array([[-1.0], [0.0], [4.0]]), requires_grad=True)
        linear_relu(Tensor(np.ones((1, 1))), lin).sqrt().sum().backward(create_graph=True)
    np.testing.assert_array_equal(lin.grad.numpy().ravel(), [0.0, 0.0, 0.25])


def test_gelu_far_out_is_exact_without_numpy_warnings():
    """x * x overflowed inside erf's derivative and the tanh form's x ** 3; the results were
    exact, but the warnings became errors under -W error (pytest's filterwarnings)."""
    import warnings

    import nn.functional as F
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = F.gelu(Tensor(np.array([1e13, -1e13], np.float32)), approximate="tanh")
        np.testing.assert_array_equal(y.numpy(), np.array([1e13, 0.0], np.float32))
        x = Tensor(np.array([1e20, -1e20], np.float32), requires_grad=True)
        F.gelu(x).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0])


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_select_in_place_is_pytorchs_select(dtype):
    from autodiff.ops.elementwise import select_in_place
    grad = np.array([np.nan, np.inf, -np.inf, 2.5, np.nan, -0.0], dtype)
    keep = np.array([False, True, False, True, True, False])
    out = select_in_place(grad.copy(), keep.copy(), private=False)
    np.testing.assert_array_equal(out, np.array([0, np.inf, 0, 2.5, np.nan, 0], dtype))
    assert out.dtype == dtype and not np.signbit(out[~keep]).any()  # +0 where dropped
    shared = np.broadcast_to(np.array([np.inf], dtype), (6,))  # read-only, not private
    np.testing.assert_array_equal(select_in_place(shared, keep.copy(), private=False),
                                  np.where(keep, np.inf, 0).astype(dtype))
    private = grad.copy()
    assert select_in_place(private, keep.copy(), private=True) is private


def test_select_in_place_keeps_the_gradients_memory_layout():
    """A new C-ordered result turned a conv's NHWC gradient into NCHW memory, and the next
    op copied it back: the CNN step lost about 20%."""
    from autodiff.ops.elementwise import all_finite, select_in_place
    grad = np.random.default_rng(0).normal(size=(2, 5, 4, 3)).transpose(0, 3, 1, 2)
    mask = np.ascontiguousarray(grad.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2) > 0
    out = select_in_place(grad, mask.copy(), private=False)
    assert out.strides == grad.strides
    np.testing.assert_array_equal(out, np.where(mask, grad, 0))
    assert all_finite(grad) and not all_finite(np.where(mask, grad, np.inf))


# ----- dtypes end to end (session-12 review) -------------------------------------------------
def _float16_row():
    return np.array([[300.0, -300.0, 5.0, 10.0]], np.float16)  # deviations square to inf


def test_float16_layer_and_batch_norm_compute_their_moments_in_float32():
    import nn.functional as F
    x = _float16_row()
    wide = x.astype(np.float64)
    expected = ((wide - wide.mean()) / np.sqrt(wide.var() + 1e-5)).astype(np.float16)
    assert F.layer_norm(Tensor(x), (4,)).data.tolist() == expected.tolist()  # all 0 before
    running_mean, running_var = np.zeros(1, np.float16), np.ones(1, np.float16)
    y = F.batch_norm(Tensor(x.T), running_mean, running_var, training=True)
    assert y.dtype == np.float16 and y.data.ravel().tolist() == expected.ravel().tolist()
    unbiased = wide.var(ddof=1)
    np.testing.assert_allclose(running_var, 0.9 + 0.1 * unbiased, rtol=1e-3)  # inf before
    seed = Tensor(np.array([[1.0, 2.0, 3.0, 4.0]], np.float16))
    grads = []
    for create_graph in (False, True):  # the recorded backward's variance was inf: zeros
        t = Tensor(x * 4, requires_grad=True)  # a std above 256: the variance overflows float16
        (F.layer_norm(t, (4,)) * seed).sum().backward(create_graph=create_graph)
        grads.append(t.grad.data.astype(np.float64))
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-2)
    assert np.abs(grads[0]).max() > 1e-4


def test_float16_var_std_and_norm_accumulate_in_float32():
    x = Tensor(_float16_row().ravel(), requires_grad=True)
    wide = x.data.astype(np.float64)
    cube_norm = np.sum(abs(wide) ** 3) ** (1 / 3)
    for got, expected in ((x.var(), wide.var()), (x.std(ddof=1), wide.std(ddof=1)),
                          (x.norm(), np.linalg.norm(wide)), (x.norm(3), cube_norm)):
        assert got.dtype == np.float16 and got.item() == np.float16(expected)  # inf before
    x.norm().backward()
    assert x.grad.dtype == np.float16
    np.testing.assert_allclose(x.grad.data, wide / np.linalg.norm(wide), rtol=2e-3)


def test_float16_clip_grad_norm_does_not_overflow():
    import nn
    params = [Tensor(np.ones(n, np.float16), requires_grad=True) for n in (3, 2)]
    for p in params:
        p.grad = Tensor(np.full(p.shape, 300.0, np.float16))
    total = nn.utils.clip_grad_norm_(params, 1.0)
    assert total.dtype == np.float16 and total.item() == np.float16(300 * np.sqrt(5))
    for p in params:  # every gradient was zeroed by a norm of inf
        np.testing.assert_allclose(p.grad.data, 1 / np.sqrt(5), rtol=2e-3)


@pytest.mark.parametrize("make", [lambda x: x.max(1), lambda x: x.min(1),
                                  lambda x: ad.maximum(x, 0.0), lambda x: ad.minimum(x, 0.0)])
@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_max_min_maximum_minimum_keep_a_float32_backward_in_float32(make, dtype):
    x = Tensor(np.array([[1.0, -2.0, 1.0], [0.0, 3.0, -1.0]], dtype), requires_grad=True)
    y = make(x)
    assert y._ctx.weight.dtype == dtype  # a float64 weight: twice the memory, a float64 backward
    (y * y).sum().backward(create_graph=True)  # the gradient 2y * weight is recorded
    assert x.grad.dtype == dtype
    assert {t.dtype for t in _tensors_of(x.grad)} == {np.dtype(dtype)}  # no float64 Mul


def _walk(tensor):
    """The nodes of ``tensor``'s graph."""
    seen, stack, nodes = set(), [tensor._ctx], []
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        nodes.append(node)
        stack.extend(t._ctx for t in getattr(node, "inputs", ()) if t is not None)
    return nodes


def _tensors_of(tensor):
    """The float tensors (constants too) that ``tensor``'s recorded graph has as inputs."""
    return [t for node in _walk(tensor) for t in node.inputs
            if t is not None and t.dtype.kind == "f"]


def test_float16_max_shares_the_gradient_among_more_ties_than_float16_counts():
    x = Tensor(np.zeros(70000, np.float16), requires_grad=True)
    x.max().backward()  # a count of 70,000 is inf in float16: the share was 0
    np.testing.assert_allclose(x.grad.data.astype(np.float64), 1 / 70000, rtol=2e-3)  # subnormal


def test_maximum_splits_ties_and_keeps_zero_d_shapes():
    a, b = Tensor(2.0, requires_grad=True), Tensor(2.0, requires_grad=True)
    ad.maximum(a, b).backward()
    assert a.grad.item() == b.grad.item() == 0.5 and a.grad.shape == ()


def test_a_dataloader_makes_python_float_lists_float32_as_tensor_does():
    import nn
    xb, yb = next(iter(nn.DataLoader([[0.1, 0.2], [0.3, 0.4]], [0, 1], batch_size=2)))
    assert xb.dtype == ad.Tensor([0.1]).dtype == np.float32 and yb.dtype == np.int64
    (kept,) = next(iter(nn.DataLoader(np.zeros((2, 2)), batch_size=2)))
    assert kept.dtype == np.float64  # a float64 array stays float64


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_tanh_gelu_has_finite_gradients_far_out(dtype):
    import nn.functional as F
    x = Tensor(np.array([-300.0, -12.0, 0.7, 12.0, 256.0], dtype), requires_grad=True)
    y = F.gelu(x, approximate="tanh")
    y.sum().backward()  # x ** 3 was inf in float16 from 256 on: inf * 0 = NaN
    np.testing.assert_array_equal(y.data[[0, 1, 3, 4]], np.array([-0.0, -0.0, 12, 256], dtype))
    np.testing.assert_allclose(x.grad.data[[0, 1, 3, 4]], [0, 0, 1, 1], atol=1e-6)
    inner = np.sqrt(2 / np.pi) * (0.7 + 0.044715 * 0.7 ** 3)
    slope = 0.5 * (1 + np.tanh(inner)) + 0.5 * 0.7 * (1 - np.tanh(inner) ** 2) * np.sqrt(
        2 / np.pi) * (1 + 3 * 0.044715 * 0.7 ** 2)
    np.testing.assert_allclose(x.grad.data[2], slope, rtol=2e-3)


@pytest.mark.parametrize("dtype, tolerance", [(np.float32, 3e-7), (np.float64, 5e-16)])
def test_sigmoid_softplus_and_leaky_relu_keep_their_values_without_where(dtype, tolerance):
    """NumPy's where (sigmoid, leaky ReLU) and logaddexp (softplus) made these 4x to 9x the
    NumPy floor; the arithmetic that replaced them must keep the values, tails included."""
    x = np.linspace(-120, 60, 200001).astype(dtype)
    wide = x.astype(np.longdouble)
    sigmoid = Tensor(x).sigmoid().numpy().astype(np.longdouble)
    expected = 1 / (1 + np.exp(-wide))
    normal = expected > np.finfo(dtype).tiny
    assert (np.abs(sigmoid - expected)[normal] / expected[normal]).max() < tolerance
    assert Tensor(np.array(-100.0, dtype)).sigmoid().item() > 0  # a float32 subnormal, not 0
    special = Tensor(np.array([np.inf, -np.inf, np.nan, 0.0], dtype)).sigmoid().numpy()
    np.testing.assert_array_equal(special, np.array([1.0, 0.0, np.nan, 0.5], dtype))
    softplus = Tensor(x).softplus().numpy().astype(np.longdouble)
    expected = np.logaddexp(0, wide)
    normal = expected > np.finfo(dtype).tiny
    assert (np.abs(softplus - expected)[normal] / expected[normal]).max() < 2 * tolerance
    special = Tensor(np.array([np.inf, -np.inf, np.nan], dtype)).softplus().numpy()
    np.testing.assert_array_equal(special, np.array([np.inf, 0.0, np.nan], dtype))
    from autodiff.ops.elementwise import leaky_relu_scale
    values = np.array([-1.0, 0.0, -0.0, 2.0, np.nan, np.inf, -np.inf], dtype)
    np.testing.assert_array_equal(leaky_relu_scale(values, 0.2),
                                  np.where(values > 0, 1, 0.2).astype(dtype))
    assert leaky_relu_scale(np.array(3.0, dtype), 0.2).shape == ()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_var_as_one_node_matches_numpy_and_its_derivative(dtype):
    """var and std were a chain of five ops, whose backward made about seven passes over x
    (std over an axis took 4.7x the NumPy floor); one node must keep NumPy's values."""
    rng = np.random.default_rng(0)
    for shape, axis, ddof, keepdims in [((3, 4), 1, 0, False), ((3, 4), None, 1, True),
                                        ((2, 3, 4), (0, 2), 1, False), ((5,), 0, 5, False)]:
        a = rng.standard_normal(shape).astype(dtype)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # NumPy's "degrees of freedom <= 0" for ddof=N
            got = Tensor(a).var(axis, ddof=ddof, keepdims=keepdims)
            expected = np.var(a, axis=axis, ddof=ddof, keepdims=keepdims)
        assert got.dtype == dtype and got.shape == np.shape(expected)
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5)
    x = Tensor(rng.standard_normal((3, 4)).astype(dtype), requires_grad=True)
    x.var(1).sum().backward()
    deviation = x.numpy() - x.numpy().mean(1, keepdims=True)
    np.testing.assert_allclose(x.grad.numpy(), 2 * deviation / 4, rtol=1e-5)
    assert type(x.var(1)._ctx).__name__ == "Var"
    wide = Tensor(x.numpy().astype(np.float64))
    assert ad.gradgradcheck(lambda t: t.std(0, ddof=1), [wide])


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_over_an_axis_without_ties_scatters_its_gradient(op):
    """A dense tie-sharing weight made max over an axis and its backward 7x NumPy's; without
    ties the gradient is scattered to each slice's extreme, with the same values."""
    rng = np.random.default_rng(0)
    data = rng.standard_normal((4, 6))
    for axis, keepdims in ((1, False), (0, True), (-1, True)):
        x = Tensor(data, requires_grad=True)
        y = getattr(x, op)(axis, keepdims=keepdims)
        seed = rng.standard_normal(y.shape)
        y.backward(seed)
        expected = np.zeros_like(data)
        place = getattr(np, "arg" + op)(data, axis=axis)
        np.put_along_axis(expected, np.expand_dims(place, axis), np.reshape(
            seed, np.expand_dims(place, axis).shape), axis=axis)
        np.testing.assert_array_equal(x.grad.numpy(), expected)
    x = Tensor(data, requires_grad=True)
    (getattr(x, op)(1) ** 2).sum().backward(create_graph=True)  # the recorded path
    extreme = getattr(data, op)(1)
    expected = np.zeros_like(data)
    np.put_along_axis(expected, getattr(np, "arg" + op)(data, 1)[:, None],
                      (2 * extreme)[:, None], axis=1)
    np.testing.assert_allclose(x.grad.numpy(), expected)


def test_float16_softmax_family_and_class_losses_sum_in_float32():
    """A float16 sum of the exps of 70,000 equal logits (a fresh language-model head) is inf:
    softmax gave 0, log_softmax -inf, logsumexp and cross-entropy inf. PyTorch's CPU kernels
    sum float16 in float32; so do these, rounding once at the end."""
    import nn.functional as F
    n = 70_000
    logits = Tensor(np.zeros((2, n), np.float16), requires_grad=True)
    want = np.log(n)
    assert F.softmax(logits, dim=1).data[0, 0] == np.float16(1 / n)
    assert F.log_softmax(logits, dim=1).data[0, 0] == np.float16(-want)
    assert logits.logsumexp(axis=1).data.tolist() == [np.float16(want)] * 2
    assert logits.logsumexp(dim=1, keepdim=True).shape == (2, 1)
    targets = np.array([3, 5])
    for loss in (F.cross_entropy(logits, targets), F.nll_loss(F.log_softmax(logits, dim=1), targets),
                 F.cross_entropy(logits, targets, reduction="sum") / 2):
        assert loss.dtype == np.float16 and loss.item() == pytest.approx(want, rel=1e-3)
    F.cross_entropy(logits, targets).backward()
    assert logits.grad.dtype == np.float16
    np.testing.assert_allclose(logits.grad.data[0, :3], [1 / n / 2] * 3, rtol=1e-2)
    assert logits.grad.data[0, 3] == pytest.approx((1 / n - 1) / 2, rel=1e-3)
    x = Tensor(np.zeros((1, n), np.float16), requires_grad=True)
    F.log_softmax(x, dim=1).backward(Tensor(np.ones((1, n), np.float16)))  # grads sum to 70,000
    np.testing.assert_allclose(x.grad.data, 0.0, atol=1e-3)  # inf - inf = NaN before
