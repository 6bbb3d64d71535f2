"""nn.functional: activations, linear, dropout, embedding, batch_norm, layer_norm."""
import math

import numpy as np
import pytest

import nn
import nn.functional as F
from autodiff import Tensor, gradcheck, gradgradcheck


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# ----- activations ------------------------------------------------------------------------------
def test_activations_match_numpy():
    x = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    t = Tensor(x)
    np.testing.assert_allclose(F.relu(t).data, np.maximum(x, 0))
    np.testing.assert_allclose(F.leaky_relu(t, negative_slope=0.2).data, np.where(x > 0, x, 0.2 * x))
    np.testing.assert_allclose(F.sigmoid(t).data, 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(F.tanh(t).data, np.tanh(x))
    phi = np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x])
    np.testing.assert_allclose(F.gelu(t).data, x * phi, rtol=1e-12)



def test_gelu_approximate_tanh_and_none():
    x = np.array([-3.0, -1.0, -0.2, 0.0, 0.7, 2.5])
    tanh_form = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    np.testing.assert_allclose(F.gelu(Tensor(x), approximate="tanh").data, tanh_form, rtol=1e-12)
    np.testing.assert_array_equal(F.gelu(Tensor(x), approximate="none").data, F.gelu(Tensor(x)).data)
    assert np.abs(tanh_form - F.gelu(Tensor(x)).data).max() > 1e-5  # the two forms differ
    assert gradcheck(lambda t: F.gelu(t, approximate="tanh"), [x])
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'erf'"):
        F.gelu(Tensor(x), approximate="erf")


@pytest.mark.parametrize("call", [
    lambda t, inplace: F.relu(t, inplace),
    lambda t, inplace: F.leaky_relu(t, 0.2, inplace),
    lambda t, inplace: F.dropout(t, 0.5, True, inplace, rng=4),
], ids=["relu", "leaky_relu", "dropout"])
def test_inplace_at_pytorchs_position_writes_the_input(call):
    x = rand(4, 5)
    w = Tensor(x.copy(), requires_grad=True)
    t = w * 1.0  # not a leaf: a leaf that requires grad refuses, as in PyTorch
    out = call(t, True)
    assert out is t
    expected = call(Tensor(x), False).data
    np.testing.assert_array_equal(t.data, expected)
    out.sum().backward()
    w_grad = w.grad.data
    w.grad = None
    call(w * 1.0, False).sum().backward()
    np.testing.assert_array_equal(w_grad, w.grad.data)
    with pytest.raises(RuntimeError, match="leaf"):
        call(w, True)


def test_dropout_rejects_an_rng_in_the_inplace_position():
    with pytest.raises(TypeError, match="inplace must be a bool, got Generator.*rng="):
        F.dropout(Tensor(np.ones(3)), 0.5, True, np.random.default_rng(0))

def test_softmax_dim_and_axis_aliases():
    x = rand(3, 4)
    expected = np.exp(x) / np.exp(x).sum(axis=0, keepdims=True)
    np.testing.assert_allclose(F.softmax(Tensor(x), dim=0).data, expected)
    np.testing.assert_allclose(F.softmax(Tensor(x), axis=0).data, expected)
    np.testing.assert_allclose(F.log_softmax(Tensor(x), -1).data,
                               x - np.log(np.exp(x).sum(axis=-1, keepdims=True)))
    with pytest.raises(TypeError, match="either dim or axis"):
        F.softmax(Tensor(x), dim=0, axis=1)


def test_softmax_without_dim_warns_where_the_user_called_it_and_picks_pytorchs_axis():
    x = rand(2, 3, 4)  # 3-d: PyTorch's implicit choice is axis 0
    with pytest.warns(UserWarning, match="include dim=X") as record:
        out = F.softmax(Tensor(x))
    assert record[0].filename == __file__
    np.testing.assert_allclose(out.data, np.exp(x) / np.exp(x).sum(axis=0, keepdims=True))


def test_softmax_computes_in_the_requested_dtype():
    x = Tensor(np.array([[1.0, 2.0, 3.0]], dtype=np.float32), requires_grad=True)
    out = F.log_softmax(x, 1, dtype=np.float64)
    assert out.dtype == np.float64
    out[0, 0].backward()
    np.testing.assert_allclose(x.grad.data, [[1 - 0.09003057, -0.24472847, -0.66524096]],
                               rtol=1e-6)
    assert x.grad.dtype == np.float32


# ----- linear -----------------------------------------------------------------------------------
def test_linear_values_and_gradients_match_hand_written_numpy():
    x, w, b = rand(5, 3), rand(4, 3, seed=1), rand(4, seed=2)
    g = rand(5, 4, seed=3)
    xt, wt, bt = (Tensor(a, requires_grad=True) for a in (x, w, b))
    out = F.linear(xt, wt, bt)
    np.testing.assert_allclose(out.data, x @ w.T + b)
    out.backward(g)
    np.testing.assert_allclose(xt.grad.data, g @ w)
    np.testing.assert_allclose(wt.grad.data, g.T @ x)
    np.testing.assert_allclose(bt.grad.data, g.sum(0))


def test_linear_without_bias_and_on_1d_and_3d_inputs():
    w = rand(2, 3, seed=1)
    np.testing.assert_allclose(F.linear(Tensor(rand(3)), Tensor(w)).data, rand(3) @ w.T)
    x = rand(2, 4, 3)
    np.testing.assert_allclose(F.linear(Tensor(x), Tensor(w)).data, x @ w.T)


@pytest.mark.parametrize("shape", [(4, 3), (3,), (2, 2, 3)])
def test_linear_gradcheck_first_and_second_order(shape):
    inputs = [rand(*shape), rand(2, 3, seed=1), rand(2, seed=2)]
    assert gradcheck(F.linear, inputs)
    assert gradgradcheck(F.linear, inputs)
    assert gradcheck(F.linear, inputs[:2])


def test_linear_float32_stays_float32():
    x = Tensor(rand(2, 3).astype(np.float32))
    w = Tensor(rand(4, 3).astype(np.float32), requires_grad=True)
    out = F.linear(x, w, Tensor(np.zeros(4, np.float32)))
    out.sum().backward()
    assert out.dtype == np.float32 and w.grad.dtype == np.float32


def test_linear_shape_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"\(5, 3\).*\(4, 2\)"):
        F.linear(Tensor(rand(5, 3)), Tensor(rand(4, 2)))
    with pytest.raises(ValueError, match=r"bias of shape \(3,\)"):
        F.linear(Tensor(rand(5, 2)), Tensor(rand(4, 2)), Tensor(rand(3)))


# ----- dropout ----------------------------------------------------------------------------------
def test_dropout_is_inverted_and_seeded():
    x = Tensor(np.ones((200, 50)), requires_grad=True)
    out = F.dropout(x, p=0.3, rng=7)
    kept = out.data != 0
    np.testing.assert_allclose(out.data[kept], 1 / 0.7)
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_array_equal(F.dropout(x, p=0.3, rng=7).data, out.data)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.where(kept, 1 / 0.7, 0.0))


def test_dropout_identity_in_eval_or_p0_and_zeros_at_p1():
    x = Tensor(rand(3, 4))
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).data, np.zeros((3, 4)))


def test_dropout_uses_the_global_seed():
    import autodiff

    autodiff.manual_seed(3)
    first = F.dropout(Tensor(np.ones(100)), 0.5).data
    autodiff.manual_seed(3)
    np.testing.assert_array_equal(F.dropout(Tensor(np.ones(100)), 0.5).data, first)


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_rejects_bad_probability(p):
    with pytest.raises(ValueError, match=f"between 0 and 1, but got {p}"):
        F.dropout(Tensor(np.ones(3)), p)


# ----- embedding --------------------------------------------------------------------------------
def test_embedding_picks_rows_and_accumulates_repeated_indices():
    weight = Tensor(rand(5, 3), requires_grad=True)
    idx = np.array([[1, 4, 1], [0, 1, 2]])
    out = F.embedding(idx, weight)
    np.testing.assert_allclose(out.data, weight.data[idx])
    out.sum().backward()
    np.testing.assert_allclose(weight.grad.data[:, 0], [1, 3, 1, 0, 1])


def test_embedding_padding_idx_gets_no_gradient():
    weight = Tensor(rand(4, 2), requires_grad=True)
    idx = np.array([0, 2, 0, 3])
    out = F.embedding(idx, weight, padding_idx=0)
    np.testing.assert_allclose(out.data, weight.data[idx])
    out.sum().backward()
    np.testing.assert_allclose(weight.grad.data[:, 1], [0, 0, 1, 1])


def test_embedding_gradcheck():
    idx = np.array([[0, 2], [2, 2]])
    assert gradcheck(lambda w: F.embedding(idx, w), [rand(3, 2)])


def test_embedding_errors():
    weight = Tensor(rand(3, 2))
    with pytest.raises(IndexError, match="index 3 is out of range for a weight with 3 rows"):
        F.embedding(np.array([0, 3]), weight)
    with pytest.raises(TypeError, match="float64"):
        F.embedding(np.array([0.0, 1.0]), weight)



def test_embedding_negative_padding_idx_counts_from_the_end():
    weight = Tensor(rand(4, 2), requires_grad=True)
    F.embedding(np.array([3, 1, 3]), weight, padding_idx=-1).sum().backward()
    np.testing.assert_array_equal(weight.grad.data[:, 0], [0, 1, 0, 0])
    with pytest.raises(ValueError, match="padding_idx -5 is out of range for a weight with 4 rows"):
        F.embedding(np.array([0]), weight, padding_idx=-5)
    with pytest.raises(ValueError, match="padding_idx 4 is out of range"):
        F.embedding(np.array([0]), weight, padding_idx=4)


def test_embedding_max_norm_renormalizes_the_looked_up_rows_in_place():
    rows = np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0], [0.0, -2.0]])
    weight = Tensor(rows.copy(), requires_grad=True)
    out = F.embedding(np.array([[0, 1], [0, 3]]), weight, max_norm=1.0)
    expected = rows.copy()
    expected[0] *= 1.0 / (5.0 + 1e-7)  # PyTorch's scale, max_norm / (norm + 1e-7)
    expected[3] *= 1.0 / (2.0 + 1e-7)
    np.testing.assert_array_equal(weight.data, expected)  # row 1 is short, row 2 not looked up
    np.testing.assert_array_equal(out.data, expected[[[0, 1], [0, 3]]])
    np.testing.assert_allclose(np.linalg.norm(out.data[0, 0]), 1.0, rtol=1e-6)
    out.sum().backward()  # the renormalization is not recorded: the plain lookup's gradient
    np.testing.assert_array_equal(weight.grad.data[:, 0], [2, 1, 0, 1])


@pytest.mark.parametrize("norm_type, norm", [(1.0, 7.0), (math.inf, 4.0), (3, 91 ** (1 / 3))])
def test_embedding_max_norm_uses_norm_type(norm_type, norm):
    weight = Tensor(np.array([[3.0, 4.0], [0.1, 0.1]]))
    F.embedding(np.array([0, 1]), weight, max_norm=2.0, norm_type=norm_type)
    np.testing.assert_allclose(weight.data, [[3 * 2 / (norm + 1e-7), 4 * 2 / (norm + 1e-7)],
                                             [0.1, 0.1]], rtol=1e-12)


def test_embedding_scale_grad_by_freq_divides_each_row_by_its_count():
    weight = Tensor(rand(5, 3), requires_grad=True)
    idx = np.array([[1, 4, 1], [0, 1, 2]])
    upstream = rand(2, 3, 3, seed=1)
    out = F.embedding(idx, weight, scale_grad_by_freq=True)
    np.testing.assert_array_equal(out.data, weight.data[idx])
    out.backward(Tensor(upstream))
    expected = np.zeros((5, 3))
    for position, row in np.ndenumerate(idx):
        expected[row] += upstream[position] / np.count_nonzero(idx == row)
    np.testing.assert_allclose(weight.grad.data, expected, rtol=1e-12)
    assert not np.allclose(expected[1], upstream[idx == 1].sum(0))  # row 1 was scaled


def test_embedding_scale_grad_by_freq_keeps_infinite_entries():
    """The option changes gradients only: x - x.detach() made -inf entries NaN."""
    weight = Tensor(np.array([[0.0, -np.inf], [1.0, 2.0]], np.float32), requires_grad=True)
    out = F.embedding(np.array([0, 1, 1]), weight, scale_grad_by_freq=True)
    np.testing.assert_array_equal(out.data, [[0.0, -np.inf], [1.0, 2.0], [1.0, 2.0]])
    out.sum().backward()
    np.testing.assert_array_equal(weight.grad.data, [[1.0, 1.0], [1.0, 1.0]])


def test_embedding_scale_grad_by_freq_second_derivative_scales_once():
    """The frequency scale was applied twice in a recorded backward: d grad[0] / d w0 came out
    0.5 where the first derivative grad[0] = w0 gives 1. PyTorch's double backward scales
    once: the Hessian-vector product is S^T F H S, S the reads, F the 1/count scale."""
    rng = np.random.default_rng(0)
    weight = Tensor(rng.normal(size=(4, 2)), requires_grad=True)
    idx = np.array([0, 0, 1, 3, 0])
    cube = lambda w: (F.embedding(idx, w, scale_grad_by_freq=True) ** 3).sum() / 3  # noqa: E731
    cube(weight).backward(create_graph=True)
    reads = np.eye(4)[idx]  # S: (5, 4)
    scale = 1.0 / np.bincount(idx, minlength=4)[idx]  # F, per read
    rows = reads @ weight.numpy()
    np.testing.assert_allclose(weight.grad.numpy(), reads.T @ (scale[:, None] * rows ** 2))
    v = rng.normal(size=(4, 2))
    first = weight.grad
    weight.grad = None
    (first * Tensor(v)).sum().backward()
    hessian_v = reads.T @ (scale[:, None] * 2 * rows * (reads @ v))  # S^T F H S v
    np.testing.assert_allclose(weight.grad.numpy(), hessian_v)


def test_embedding_scale_grad_by_freq_with_padding_idx():
    weight = Tensor(rand(3, 2), requires_grad=True)
    idx = np.array([0, 2, 2, 0, 0, 1])
    F.embedding(idx, weight, padding_idx=1, scale_grad_by_freq=True).sum().backward()
    np.testing.assert_allclose(weight.grad.data, [[1, 1], [0, 0], [1, 1]], rtol=1e-12)


def test_embedding_sparse_gives_the_dense_gradient():
    idx = np.array([[0, 2], [2, 2]])
    grads = []
    for sparse in (False, True):
        weight = Tensor(rand(3, 2), requires_grad=True)
        F.embedding(idx, weight, sparse=sparse).backward(Tensor(rand(2, 2, 2, seed=3)))
        grads.append(weight.grad.data)
    np.testing.assert_array_equal(grads[1], grads[0])


def test_embedding_positional_arguments_follow_pytorch():
    weight = Tensor(np.array([[3.0, 4.0], [1.0, 0.0]]), requires_grad=True)
    F.embedding(np.array([0, 1, 1]), weight, 0, 2.0, 2.0, True, False).sum().backward()
    np.testing.assert_allclose(weight.data[0], [1.2, 1.6], rtol=1e-6)
    np.testing.assert_array_equal(weight.grad.data, [[0, 0], [1, 1]])

# ----- batch_norm -------------------------------------------------------------------------------
def reference_batch_norm(x, weight, bias, axes, eps=1e-5):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    shape = [1] * x.ndim
    shape[1] = -1
    return (x - mean) / np.sqrt(var + eps) * weight.reshape(shape) + bias.reshape(shape)


@pytest.mark.parametrize("shape, axes", [((6, 3), (0,)), ((4, 3, 2, 5), (0, 2, 3)),
                                         ((4, 3, 5), (0, 2))])
def test_batch_norm_train_normalizes_with_batch_statistics(shape, axes):
    x, w, b = rand(*shape), rand(3, seed=1), rand(3, seed=2)
    out = F.batch_norm(Tensor(x), None, None, Tensor(w), Tensor(b), training=True)
    np.testing.assert_allclose(out.data, reference_batch_norm(x, w, b, axes), atol=1e-12)


def test_batch_norm_running_statistics_follow_pytorch_rule():
    running_mean, running_var = np.zeros(3), np.ones(3)
    running_var_tensor = Tensor(np.ones(3))
    expected_mean, expected_var = np.zeros(3), np.ones(3)
    for step in range(3):
        x = rand(4, 3, 2, 2, seed=step) * (step + 1) + step
        F.batch_norm(Tensor(x), running_mean, running_var_tensor, training=True, momentum=0.2)
        F.batch_norm(Tensor(x), None, running_var, training=True, momentum=0.2)
        batch_mean = x.mean(axis=(0, 2, 3))
        unbiased_var = x.var(axis=(0, 2, 3), ddof=1)
        expected_mean = 0.8 * expected_mean + 0.2 * batch_mean
        expected_var = 0.8 * expected_var + 0.2 * unbiased_var
    np.testing.assert_allclose(running_mean, expected_mean)
    np.testing.assert_allclose(running_var, expected_var)
    np.testing.assert_allclose(running_var_tensor.data, expected_var)


def test_batch_norm_eval_uses_running_statistics():
    x, w, b = rand(5, 3), rand(3, seed=1), rand(3, seed=2)
    mean, var = np.array([0.5, -1.0, 2.0]), np.array([2.0, 0.5, 1.5])
    out = F.batch_norm(Tensor(x), mean, var, Tensor(w), Tensor(b), training=False, eps=1e-3)
    np.testing.assert_allclose(out.data, (x - mean) / np.sqrt(var + 1e-3) * w + b)


def test_batch_norm_float32_stays_float32():
    x = Tensor(rand(4, 3).astype(np.float32), requires_grad=True)
    running = np.zeros(3, np.float32), np.ones(3, np.float32)
    for training in (True, False):
        out = F.batch_norm(x, *running, training=training)
        assert out.dtype == np.float32
    assert running[0].dtype == np.float32


@pytest.mark.parametrize("shape", [(5, 3), (3, 2, 2, 3)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck_first_and_second_order(shape, training):
    x = rand(*shape) + np.arange(np.prod(shape)).reshape(shape) * 0.1

    def f(x, w, b):
        return F.batch_norm(x, np.full(shape[1], 0.2), np.full(shape[1], 1.3), w, b,
                            training=training)

    inputs = [x, rand(shape[1], seed=1), rand(shape[1], seed=2)]
    assert gradcheck(f, inputs)
    assert gradgradcheck(f, inputs)


def test_batch_norm_does_not_touch_running_stats_in_eval():
    mean, var = np.zeros(2), np.ones(2)
    F.batch_norm(Tensor(rand(4, 2)), mean, var, training=False)
    np.testing.assert_array_equal(mean, 0)
    np.testing.assert_array_equal(var, 1)


def test_batch_norm_errors():
    with pytest.raises(ValueError, match=r"running_mean has shape \(4,\).*\(5, 3\)"):
        F.batch_norm(Tensor(rand(5, 3)), np.zeros(4), np.ones(3), training=True)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(Tensor(rand(1, 3)), None, None, training=True)
    with pytest.raises(ValueError, match="required when not training"):
        F.batch_norm(Tensor(rand(2, 3)), None, None, training=False)


# ----- layer_norm -------------------------------------------------------------------------------
def test_layer_norm_matches_numpy():
    x, w, b = rand(2, 3, 4), rand(3, 4, seed=1), rand(3, 4, seed=2)
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    out = F.layer_norm(Tensor(x), (3, 4), Tensor(w), Tensor(b))
    np.testing.assert_allclose(out.data, (x - mean) / np.sqrt(var + 1e-5) * w + b, atol=1e-12)
    plain = F.layer_norm(Tensor(x), 4)
    np.testing.assert_allclose(plain.data.mean(axis=-1), 0, atol=1e-12)


def test_layer_norm_gradcheck_first_and_second_order():
    inputs = [rand(3, 4), rand(4, seed=1), rand(4, seed=2)]
    f = lambda x, w, b: F.layer_norm(x, 4, w, b)  # noqa: E731
    assert gradcheck(f, inputs)
    assert gradgradcheck(f, inputs)


def test_layer_norm_shape_error():
    with pytest.raises(ValueError, match=r"normalized_shape \(3,\).*\(2, 4\)"):
        F.layer_norm(Tensor(rand(2, 4)), 3)


# ----- batch_norm in eval mode keeps float64 statistics' precision ------------------------
def _x32():
    return Tensor(np.array([[1.0, 2.0], [3.0, 4.0], [-1.0, 0.5]], np.float32), requires_grad=True)


def _reference(x, mean, var, eps=1e-5):
    return (x.astype(np.float64) - mean) / np.sqrt(var + eps)


def test_functional_eval_with_float64_statistics_gives_float64_at_float64_precision():
    x = _x32()
    mean, var = np.full(2, 1 / 3), np.full(2, 1 + 1e-9)
    out = F.batch_norm(x, mean, var, training=False)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, _reference(x.data, mean, var), rtol=1e-12, atol=1e-12)
    out.sum().backward()
    assert x.grad.dtype == np.float32  # a gradient has its leaf's dtype


def test_float64_batchnorm_in_eval_on_float32_input_with_and_without_affine():
    for affine in (True, False):
        bn = nn.BatchNorm1d(2, affine=affine, dtype=np.float64)
        bn.running_mean.data[:] = 1 / 3
        bn.running_var.data[:] = 1 + 1e-9
        bn.eval()
        x = _x32()
        out = bn(x)
        assert out.dtype == np.float64, affine
        np.testing.assert_allclose(out.data, _reference(x.data, 1 / 3, 1 + 1e-9),
                                   rtol=1e-12, atol=1e-12, err_msg=f"affine={affine}")


def test_float32_statistics_keep_float32_input_float32():
    x = _x32()
    out = F.batch_norm(x, np.zeros(2, np.float32), np.ones(2, np.float32), training=False)
    assert out.dtype == np.float32


# ----- PyTorch's argument names; softplus's beta and threshold ----------------------------
def _t():
    return Tensor(np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]), requires_grad=True)


@pytest.mark.parametrize("call, same", [
    (lambda t: F.relu(input=t), lambda t: F.relu(t)),
    (lambda t: F.leaky_relu(input=t, negative_slope=0.2), lambda t: F.leaky_relu(t, 0.2)),
    (lambda t: F.sigmoid(input=t), lambda t: F.sigmoid(t)),
    (lambda t: F.tanh(input=t), lambda t: F.tanh(t)),
    (lambda t: F.gelu(input=t, approximate="tanh"), lambda t: F.gelu(t, "tanh")),
    (lambda t: F.softplus(input=t), lambda t: F.softplus(t)),
    (lambda t: F.softmax(input=t, dim=1), lambda t: F.softmax(t, 1)),
    (lambda t: F.log_softmax(input=t, dim=0), lambda t: F.log_softmax(t, 0)),
    (lambda t: F.dropout(input=t, p=0.5, training=False), lambda t: F.dropout(t, 0.5, False)),
    (lambda t: F.batch_norm(input=t, running_mean=None, running_var=None, training=True),
     lambda t: F.batch_norm(t, None, None, training=True)),
    (lambda t: F.layer_norm(input=t, normalized_shape=(3,)), lambda t: F.layer_norm(t, (3,))),
    (lambda t: F.embedding(input=np.array([1, 0]), weight=t), lambda t: F.embedding(np.array([1, 0]), t)),
])
def test_input_keyword(call, same):
    np.testing.assert_array_equal(call(_t()).data, same(_t()).data)


def test_softplus_beta_and_threshold_as_pytorch():
    x = np.array([-30.0, -2.0, 0.0, 0.5, 3.0, 9.0, 11.0, 30.0])
    out = F.softplus(Tensor(x), beta=2.0, threshold=20.0).data
    expected = np.where(2 * x > 20, x, np.logaddexp(0, 2 * x) / 2)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=0)
    # positional, PyTorch's order
    np.testing.assert_allclose(F.softplus(Tensor(x), 0.5, 3.0).data,
                               np.where(0.5 * x > 3, x, np.logaddexp(0, 0.5 * x) / 0.5), rtol=1e-12)
    # defaults: beta 1, and the linear branch above threshold 20 (PyTorch returns x there)
    np.testing.assert_array_equal(F.softplus(Tensor(x)).data[-1], 30.0)
    np.testing.assert_allclose(F.softplus(Tensor(x)).data[:-1], np.logaddexp(0, x[:-1]), rtol=1e-12)


def test_softplus_keeps_float32_and_is_differentiable_twice():
    assert F.softplus(Tensor(np.ones(3, np.float32)), beta=2.0).dtype == np.float32
    x = np.array([-1.3, -0.2, 0.4, 1.7])
    assert gradcheck(lambda t: F.softplus(t, beta=1.5, threshold=2.0), [x])
    assert gradgradcheck(lambda t: F.softplus(t, beta=1.5, threshold=2.0), [x])


def test_one_hot_of_float_indices_says_why_they_are_float():
    with pytest.raises(TypeError, match=r"one_hot: indices must be integers, got dtype float32 "
                                        r"\(Tensor\(\[1, 2\]\) and arange\(n\) are float32"):
        F.one_hot(Tensor([1, 2]), 3)
