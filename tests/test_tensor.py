"""The Tensor type: construction and dtype rules, operators, shapes, errors, stability."""
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import Tensor


# ----- construction and dtypes ------------------------------------------------------------------
def test_python_scalars_and_lists_become_float32():
    assert Tensor(1).dtype == np.float32
    assert Tensor([1, 2]).dtype == np.float32
    assert Tensor([1, 2], dtype="int64").dtype == np.int64


def test_arrays_keep_their_dtype():
    assert Tensor(np.zeros(2)).dtype == np.float64
    assert Tensor(np.zeros(2, dtype=np.int64)).dtype == np.int64


def test_numpy_promotion_rules():
    f32 = Tensor([1.0, 2.0])
    assert (f32 * 2.5).dtype == np.float32
    assert (2.5 - f32).dtype == np.float32
    assert (f32 + Tensor(np.ones(2))).dtype == np.float64


def test_as_tensor_shares_what_it_can():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert ad.as_tensor(x) is x
    array = np.arange(3.0)
    shared = ad.as_tensor(array)
    assert shared.dtype == np.float64 and np.shares_memory(shared.data, array)
    assert ad.as_tensor([1, 2]).dtype == np.float32  # Tensor's rule for Python data
    assert ad.as_tensor(array, dtype=np.float32).dtype == np.float32


def test_as_tensor_casts_a_tensor_inside_the_graph():
    x = Tensor([1.0, 2.0], dtype=np.float32, requires_grad=True)
    y = ad.as_tensor(x, dtype=np.float64)
    assert y.dtype == np.float64 and y is not x
    (y * y).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])
    assert x.grad.dtype == np.float32


def test_unsupported_dtypes_are_refused_at_construction():
    with pytest.raises(TypeError, match="unsupported dtype"):
        Tensor(np.array(["a", "b"]))
    with pytest.raises(TypeError, match="unsupported dtype <U1"):
        Tensor(["a", "b"])
    with pytest.raises(TypeError, match="cannot make a Tensor from list"):
        Tensor([[1.0], [1.0, 2.0]])  # ragged
    with pytest.raises(TypeError, match="unsupported dtype object"):
        Tensor(np.array([{}, 1], dtype=object))


def test_only_floating_tensors_require_grad():
    with pytest.raises(TypeError, match="only floating-point tensors can require grad"):
        Tensor(np.arange(3), requires_grad=True)


def test_attributes_and_conversions():
    t = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and t.is_leaf
    assert t.T.shape == (3, 2)
    assert np.asarray(t) is t.data
    assert t.sum().item() == 15.0
    assert t.detach().requires_grad is False and t.detach().data is t.data
    assert "requires_grad=True" in repr(t)


def test_creation_functions():
    assert ad.zeros(2, 3).shape == (2, 3) and ad.ones((2,)).data.sum() == 2
    assert ad.full((2, 2), 7.0).data.max() == 7.0
    np.testing.assert_array_equal(ad.arange(3).data, [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(ad.eye(2).data, np.eye(2))
    assert ad.zeros_like(np.ones((2, 1))).dtype == np.float64
    ad.manual_seed(3)
    first = ad.randn(4).data
    ad.manual_seed(3)
    np.testing.assert_array_equal(first, ad.randn(4).data)
    assert np.all(ad.rand(100, rng=1).data < 1)


# ----- operators -----------------------------------------------------------------------------------
def test_arithmetic_matches_numpy():
    a, b = np.array([1.0, -2.0, 3.0]), np.array([0.5, 4.0, -1.0])
    ta, tb = Tensor(a), Tensor(b)
    np.testing.assert_allclose((ta + tb).data, a + b)
    np.testing.assert_allclose((ta - tb).data, a - b)
    np.testing.assert_allclose((ta * tb).data, a * b)
    np.testing.assert_allclose((ta / tb).data, a / b)
    np.testing.assert_allclose((ta ** 2).data, a ** 2)
    np.testing.assert_allclose((2 ** tb).data, 2 ** b)
    np.testing.assert_allclose((1 - ta).data, 1 - a)
    np.testing.assert_allclose((-ta).data, -a)
    np.testing.assert_allclose((a @ Tensor(b)).data, a @ b)


def test_comparisons_are_boolean_and_not_differentiable():
    t = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    mask = t > 1.5
    assert mask.dtype == bool and not mask.requires_grad
    np.testing.assert_array_equal((t == 2.0).data, [False, True, False])


def test_indexing_forms():
    x = np.arange(24.0).reshape(2, 3, 4)
    t = Tensor(x)
    np.testing.assert_array_equal(t[1].data, x[1])
    np.testing.assert_array_equal(t[:, 1:, ::2].data, x[:, 1:, ::2])
    np.testing.assert_array_equal(t[None, ..., 0].data, x[None, ..., 0])
    np.testing.assert_array_equal(t[np.array([1, 1, 0])].data, x[[1, 1, 0]])
    np.testing.assert_array_equal(t[x > 10].data, x[x > 10])
    np.testing.assert_array_equal(t[Tensor(np.array([0, 1]), dtype=np.int64), 0].data, x[[0, 1], 0])


def test_shape_methods():
    t = Tensor(np.arange(6.0).reshape(1, 2, 3))
    assert t.reshape(3, 2).shape == (3, 2) and t.reshape((6,)).shape == (6,)
    assert t.transpose(2, 0, 1).shape == (3, 1, 2)
    assert t.flatten().shape == (6,) and t.flatten(1).shape == (1, 6)
    assert t.squeeze().shape == (2, 3) and t.squeeze(0).shape == (2, 3)
    assert t.expand_dims(-1).shape == (1, 2, 3, 1)
    assert t.broadcast_to((4, 2, 3)).shape == (4, 2, 3)
    assert t.pad(((0, 0), (1, 1), (0, 2))).shape == (1, 4, 5)
    assert ad.concatenate([t, t], axis=1).shape == (1, 4, 3)
    assert ad.stack([t, t]).shape == (2, 1, 2, 3)


def test_reductions_match_numpy():
    x = np.random.default_rng(0).normal(size=(3, 4))
    t = Tensor(x)
    np.testing.assert_allclose(t.sum(axis=1).data, x.sum(axis=1))
    np.testing.assert_allclose(t.mean(dim=0, keepdim=True).data, x.mean(0, keepdims=True))
    np.testing.assert_allclose(t.var(ddof=1).data, x.var(ddof=1))
    np.testing.assert_allclose(t.std(axis=(0, 1)).data, x.std())
    np.testing.assert_allclose(t.max(axis=-1).data, x.max(-1))
    np.testing.assert_allclose(t.min().data, x.min())
    np.testing.assert_allclose(t.logsumexp(1).data, np.log(np.exp(x).sum(1)))
    np.testing.assert_allclose(t.softmax().data.sum(-1), np.ones(3))
    np.testing.assert_allclose(t.log_softmax(0).data, x - np.log(np.exp(x).sum(0)))
    np.testing.assert_array_equal(t.argmax(axis=1).data, x.argmax(1))


def test_max_ties_share_the_gradient():
    x = Tensor(np.array([1.0, 3.0, 3.0]), requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 0.5, 0.5])


def test_einsum_matches_numpy():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2, 3, 4)), rng.normal(size=(4, 5))
    np.testing.assert_allclose(ad.einsum("...ij,jk->...ik", a, b).data, a @ b)
    np.testing.assert_allclose(ad.einsum("bij->j", a).data, a.sum((0, 1)))
    sq = rng.normal(size=(3, 3))
    np.testing.assert_allclose(ad.einsum("ii", sq).data, np.trace(sq))


# ----- numerical stability -------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_functions_at_large_inputs(dtype):
    x = Tensor(np.array([-1e4, 0.0, 1e4], dtype=dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outputs = [x.sigmoid(), x.softplus(), x.log_softmax(), x.logsumexp(), x.softmax()]
        for out in outputs:
            assert np.isfinite(out.data).all()
            out.sum().backward()
            assert np.isfinite(x.grad.data).all()
            x.grad = None
    np.testing.assert_allclose(x.sigmoid().data, [0.0, 0.5, 1.0])
    np.testing.assert_allclose(x.softplus().data, [0.0, np.log(2), 1e4])
    np.testing.assert_allclose(x.log_softmax().data, [-2e4, -1e4, 0.0])


# ----- error messages ------------------------------------------------------------------------------
def test_matmul_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"matmul: shapes \(3, 4\) and \(5, 2\) are not aligned"):
        Tensor(np.ones((3, 4))) @ Tensor(np.ones((5, 2)))


def test_matmul_batch_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3, 4\) and \(3, 4, 5\)"):
        Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((3, 4, 5)))


def test_broadcasting_mismatch_names_the_op_and_both_shapes():
    with pytest.raises(ValueError, match=r"Add.*\(3,\).*\(4,\)"):
        Tensor(np.ones(3)) + Tensor(np.ones(4))


def test_reshape_mismatch_names_shapes():
    with pytest.raises(ValueError, match=r"cannot reshape a tensor of shape \(2, 3\)"):
        Tensor(np.ones((2, 3))).reshape(4, 2)


def test_axis_out_of_range():
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        Tensor(np.ones((2, 3))).sum(axis=2)


# ----- creation: tensor() copies, arange's step -------------------------------------------
def test_arange_with_only_stop_honours_step():
    np.testing.assert_array_equal(ad.arange(5, step=2).data, np.arange(5, step=2))
    np.testing.assert_array_equal(ad.arange(1.0, step=0.25).data, [0.0, 0.25, 0.5, 0.75])


def test_arange_keeps_working_with_start_stop_step():
    np.testing.assert_array_equal(ad.arange(1, 5, 2).data, [1.0, 3.0])
    np.testing.assert_array_equal(ad.arange(3).data, [0.0, 1.0, 2.0])


def test_tensor_copies_an_ndarray_as_torch_tensor_does():
    array = np.zeros(3)
    t = ad.tensor(array, requires_grad=True)
    assert not np.shares_memory(t.data, array)
    with ad.no_grad():
        t -= 1
    np.testing.assert_array_equal(array, [0.0, 0.0, 0.0])
    array[0] = 42.0
    np.testing.assert_array_equal(t.data, [-1.0, -1.0, -1.0])


def test_tensor_of_a_tensor_is_a_new_leaf_with_its_own_memory():
    a = ad.tensor([1.0, 2.0], requires_grad=True)
    b = ad.tensor(a)
    assert not np.shares_memory(a.data, b.data)
    assert b.is_leaf and not b.requires_grad
    with ad.no_grad():
        b += 1
    np.testing.assert_array_equal(a.data, [1.0, 2.0])


def test_tensor_keeps_the_dtype_rules():
    assert ad.tensor(np.arange(3)).dtype == np.int64
    assert ad.tensor(np.ones(2)).dtype == np.float64
    assert ad.tensor([1, 2]).dtype == np.float32
    assert ad.tensor(np.ones(2), dtype=np.float32).dtype == np.float32


def test_no_grad_and_enable_grad_decorate_without_parentheses_and_set_grad_enabled():
    import autodiff as ad

    @ad.no_grad
    def doubled(x):
        return x * 2

    x = Tensor([1.0], requires_grad=True)
    assert not doubled(x).requires_grad and doubled.__name__ == "doubled"
    ad.set_grad_enabled(False)
    try:
        assert not ad.is_grad_enabled() and not (x * 2).requires_grad
        with ad.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not ad.is_grad_enabled()
    finally:
        ad.set_grad_enabled(True)
    with pytest.raises(TypeError, match="set_grad_enabled takes a bool"):
        ad.set_grad_enabled("no")
    evaluation = ad.set_grad_enabled(False)
    ad.set_grad_enabled(True)
    for _ in range(2):  # each block sets the mode anew, as PyTorch's
        with evaluation:
            assert not (x * 2).requires_grad
        assert ad.is_grad_enabled()


@pytest.mark.parametrize("a_shape, b_shape", [((5, 1, 4), (4, 3)), ((2, 3, 1, 4), (4,)),
                                              ((6, 5), (3, 5, 2)), ((6, 5), (2, 1, 5, 2))])
def test_a_matrix_against_a_batch_gets_its_gradient_from_one_folded_product(a_shape, b_shape):
    """``x @ W`` with a 2-d W over batch dims made one (K, N) product per batch element and
    summed them: 70 MB and 20x the time for a (4096, 1, 64) input. PyTorch folds the batch.
    (``W @ x`` folds only where the (M, K) products outweigh the copies folding makes.)"""
    rng = np.random.default_rng(0)
    a = Tensor(rng.normal(size=a_shape), requires_grad=True)
    b = Tensor(rng.normal(size=b_shape), requires_grad=True)
    assert ad.gradcheck(lambda x, y: x @ y, [a, b])
    assert ad.gradgradcheck(lambda x, y: x @ y, [a, b])
    (a @ b).sum().backward(create_graph=True)
    matrix = a if len(a_shape) <= 2 else b
    names, stack = set(), [matrix.grad._ctx]
    while stack:
        node = stack.pop()
        if node is not None and hasattr(node, "children"):
            names.add(type(node).__name__)
            stack.extend(node.children())
    assert "MatMul" in names and "SumTo" not in names  # one product, not a sum of products


@pytest.mark.parametrize("a_shape, b_shape", [((2, 0), (4, 0, 2)), ((0, 3), (4, 3, 2)),
                                              ((4, 2, 0), (0, 3)), ((4, 2, 3), (3, 0)),
                                              ((0,), (4, 0, 2)), ((4, 2, 0), (0,)),
                                              ((2, 3), (4, 3, 2)), ((4,), (2, 4, 3))])
def test_matmul_gradients_of_empty_and_unfolded_matrix_batch_pairs(a_shape, b_shape):
    """The folds reshaped with -1 beside a zero size, which NumPy refuses."""
    rng = np.random.default_rng(1)
    a = Tensor(rng.normal(size=a_shape), requires_grad=True)
    b = Tensor(rng.normal(size=b_shape), requires_grad=True)
    (a @ b).sum().backward()
    assert a.grad.shape == a_shape and b.grad.shape == b_shape
    ones = np.ones(np.matmul(a.numpy(), b.numpy()).shape)
    expected_a = np.matmul(ones, np.swapaxes(b.numpy(), -1, -2)) if len(b_shape) > 1 else None
    if len(a_shape) == 2 and expected_a is not None:
        np.testing.assert_allclose(a.grad.numpy(),
                                   expected_a.sum(axis=tuple(range(expected_a.ndim - 2))))
    if a.size and b.size:
        assert ad.gradcheck(lambda x, y: x @ y, [a, b])


def test_a_large_einsum_contracts_through_blas_with_the_same_values_and_gradients(monkeypatch):
    """Two-operand einsums never planned their contraction, so never reached BLAS (attention
    written with einsum took 4x the time of @); large matrix products now do, and row-wise
    dots and broadcast products, which planning only slows down, still do not."""
    from autodiff.ops import linalg
    planned = []
    einsum = np.einsum
    monkeypatch.setattr(linalg.np, "einsum", lambda *args, optimize=False: planned.append(
        (args[0], bool(optimize))) or einsum(*args, optimize=optimize))
    big = Tensor(np.ones((64, 128)))
    ad.einsum("bi,bi->b", big, big)
    ad.einsum("b,bi->bi", Tensor(np.ones(64)), big)
    ad.einsum("ij,jk->ik", Tensor(np.ones((2, 3))), Tensor(np.ones((3, 2))))  # small
    ad.einsum("ij,jk->ik", big, Tensor(np.ones((128, 64))))
    ad.einsum("ij,j->i", big, Tensor(np.ones(128)))  # a matrix times a vector: BLAS's gemv
    assert [flag for _, flag in planned] == [False, False, False, True, True]
    monkeypatch.undo()
    rng = np.random.default_rng(0)
    q = Tensor(rng.normal(size=(2, 2, 40, 16)), requires_grad=True)
    k = Tensor(rng.normal(size=(2, 2, 40, 16)), requires_grad=True)
    scores = ad.einsum("bhqd,bhkd->bhqk", q, k)
    np.testing.assert_allclose(scores.numpy(), q.numpy() @ k.numpy().swapaxes(-1, -2))
    (scores * scores).sum().backward()
    expected_q = 2 * scores.numpy() @ k.numpy()
    np.testing.assert_allclose(q.grad.numpy(), expected_q, rtol=1e-10)


def test_outer_product_gradients_of_one_sample_are_exact_products():
    """The weight gradient of a vector times a matrix (nn.Linear on one sample) was a matmul
    with a contracted length of 1, which NumPy takes 3x as long for as a broadcast multiply."""
    import nn
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=4), rng.normal(size=(4, 3))
    a, b = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    (a @ b).backward(Tensor(np.arange(3.0)))
    np.testing.assert_array_equal(b.grad.numpy(), np.outer(x, np.arange(3.0)))
    layer = nn.Linear(4, 3, dtype=np.float64)
    for sample in (Tensor(x), Tensor(x[None])):
        layer.zero_grad()
        layer(sample).backward(Tensor(np.ones((3,) if sample.ndim == 1 else (1, 3))))
        np.testing.assert_array_equal(layer.weight.grad.numpy(), np.outer(np.ones(3), x))
    assert ad.gradgradcheck(lambda t, u: t @ u, [Tensor(x), Tensor(w)])
