"""split, chunk, unbind, narrow, flip, index_select, gather, masked_fill, tril and triu: the
values of their NumPy counterparts, gradients into the right places, PyTorch's errors."""
import numpy as np
import pytest

import autodiff as ad
from autodiff import Tensor

X = np.arange(24.0).reshape(2, 3, 4)


def _grad_of(fn, x=X, weights_seed=0):
    """d sum(w * fn(x)) / dx for random weights w, and the weights' NumPy counterpart input."""
    t = Tensor(x, requires_grad=True)
    out = fn(t)
    outs = out if isinstance(out, tuple) else (out,)
    rng = np.random.default_rng(weights_seed)
    weights = [rng.standard_normal(o.shape) for o in outs]
    sum(((o * w).sum() for o, w in zip(outs, weights)), Tensor(0.0)).backward()
    return t.grad.data, weights


def test_split_and_chunk_match_numpy_and_route_each_piece_gradient_back():
    pieces = Tensor(X).split(3, dim=2)
    assert [p.shape for p in pieces] == [(2, 3, 3), (2, 3, 1)]
    np.testing.assert_array_equal(pieces[1].data, X[:, :, 3:])
    sized = ad.split(Tensor(X), [1, 0, 2], dim=1)
    assert [p.shape for p in sized] == [(2, 1, 4), (2, 0, 4), (2, 2, 4)]
    assert [p.shape for p in Tensor(X).chunk(3, dim=-1)] == [(2, 3, 2), (2, 3, 2)]  # 2 of 3
    assert [p.shape for p in ad.chunk(Tensor(X), 2, dim=1)] == [(2, 2, 4), (2, 1, 4)]
    grad, weights = _grad_of(lambda t: t.split([1, 3], dim=2))
    np.testing.assert_array_equal(grad, np.concatenate(weights, axis=2))


def test_unbind_narrow_and_flip_match_numpy():
    rows = Tensor(X).unbind(1)
    assert len(rows) == 3 and rows[2].shape == (2, 4)
    np.testing.assert_array_equal(rows[2].data, X[:, 2])
    np.testing.assert_array_equal(Tensor(X).narrow(2, -3, 2).data, X[:, :, 1:3])
    np.testing.assert_array_equal(ad.flip(Tensor(X), (0, 2)).data, np.flip(X, (0, 2)))
    np.testing.assert_array_equal(Tensor(X).flip(1).data, X[:, ::-1])
    grad, weights = _grad_of(lambda t: t.unbind(2))
    np.testing.assert_array_equal(grad, np.stack(weights, axis=2))
    grad, (w,) = _grad_of(lambda t: t.flip(-1))
    np.testing.assert_array_equal(grad, w[..., ::-1])


def test_index_select_and_gather_match_numpy_and_add_repeated_places():
    index = np.array([3, 0, 3])
    np.testing.assert_array_equal(Tensor(X).index_select(2, index).data, X[:, :, index])
    grad, (w,) = _grad_of(lambda t: t.index_select(-1, index))
    expected = np.zeros_like(X)
    np.add.at(expected, (slice(None), slice(None), index), w)
    np.testing.assert_allclose(grad, expected)  # column 3 taken twice: both gradients
    where = np.random.default_rng(1).integers(0, 3, (2, 2, 4))
    np.testing.assert_array_equal(ad.gather(Tensor(X), 1, where).data,
                                  np.take_along_axis(X, where, 1))  # (2, 2, 4) of (2, 3, 4)
    grad, (w,) = _grad_of(lambda t: t.gather(1, where))
    expected = np.zeros_like(X)
    for i, j, k in np.ndindex(where.shape):
        expected[i, where[i, j, k], k] += w[i, j, k]
    np.testing.assert_allclose(grad, expected)
    labels = np.array([[2], [0]])  # the log-likelihood of labels, as torch code writes it
    logp = Tensor(np.log(np.full((2, 3), 1 / 3)))
    np.testing.assert_allclose(logp.gather(1, labels).data, np.log(1 / 3) * np.ones((2, 1)))


def test_masked_fill_makes_a_causal_attention_mask():
    """nanoGPT's ``wei.masked_fill(tril[:T, :T] == 0, float('-inf'))`` then softmax."""
    T = 4
    tril = ad.tril(ad.ones(T, T))
    scores = Tensor(np.random.default_rng(2).standard_normal((T, T)).astype(np.float32),
                    requires_grad=True)
    weights = scores.masked_fill(tril == 0, float("-inf")).softmax(-1)
    assert weights.dtype == np.float32
    np.testing.assert_array_equal(weights.data[np.triu_indices(T, 1)], 0.0)
    np.testing.assert_allclose(weights.data.sum(-1), 1.0, rtol=1e-6)
    (weights * Tensor(np.arange(16.0).reshape(4, 4))).sum().backward()
    assert np.all(scores.grad.data[np.triu_indices(T, 1)] == 0)  # filled places: no gradient
    assert np.all(scores.grad.data[1:][np.tril_indices(T - 1)] != 0)


def test_masked_fill_in_place_and_its_gradient():
    x = Tensor(X, requires_grad=True)
    y = x * 2.0
    mask = np.array([True, False, False, True])  # broadcast over the last axis
    assert y.masked_fill_(mask, -1.0) is y
    np.testing.assert_array_equal(y.data, np.where(mask, -1.0, X * 2))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.where(mask, 0.0, 2.0) * np.ones_like(X))
    value = Tensor(3.0, requires_grad=True)  # a 0-d tensor as the value gets the filled count
    Tensor(X).masked_fill(mask, value).sum().backward()
    assert value.grad.item() == 12.0


def test_tril_and_triu_match_numpy_on_stacks_of_matrices():
    for k in (-1, 0, 2):
        np.testing.assert_array_equal(Tensor(X).tril(k).data, np.tril(X, k))
        np.testing.assert_array_equal(ad.triu(Tensor(X), k).data, np.triu(X, k))
    grad, (w,) = _grad_of(lambda t: t.triu(1))
    np.testing.assert_array_equal(grad, np.triu(w, 1))
    assert ad.tril(Tensor(np.ones((3, 3), np.int64))).dtype == np.int64


@pytest.mark.parametrize("call, error, message", [
    (lambda t: t.split([1, 2], dim=2), ValueError, r"sizes \[1, 2\] .* adding up to 4"),
    (lambda t: t.split(0), ValueError, "split_size must be positive"),
    (lambda t: t.chunk(0), ValueError, "chunks must be a positive int"),
    (lambda t: t.unbind(3), ValueError, r"axis 3 is out of range .* \(2, 3, 4\)"),
    (lambda t: t.narrow(2, 3, 2), ValueError, "start 3 and length 2 do not fit axis 2"),
    (lambda t: t.flip((0, -3)), ValueError, "name an axis twice"),
    (lambda t: t.index_select(1, np.array([0, 3])), IndexError,
     "index 3 is out of range for axis 1 of length 3"),
    (lambda t: t.index_select(1, np.array([-1])), IndexError, "index -1 is out of range"),
    (lambda t: t.index_select(1, np.array([0.0])), TypeError, "must hold integers"),
    (lambda t: t.gather(1, np.zeros((2, 3), int)), ValueError,
     r"index of shape \(2, 3\) does not fit a tensor of shape \(2, 3, 4\)"),
    (lambda t: t.gather(0, np.zeros((2, 4, 4), int)), ValueError, "does not fit"),
    (lambda t: t.masked_fill(np.array([1, 0, 0, 1]), 0.0), TypeError, "mask must be boolean"),
    (lambda t: t.masked_fill(np.ones((3, 3, 4), bool), 0.0), ValueError,
     r"mask of shape \(3, 3, 4\) does not broadcast to the tensor's shape \(2, 3, 4\)"),
    (lambda t: t.masked_fill(np.ones(4, bool), np.zeros(4)), ValueError, "value must be a number"),
    (lambda t: t[0, 0].tril(), ValueError, r"needs a matrix .* shape \(4,\)"),
    (lambda t: t.triu(0.5), TypeError, "diagonal must be an int"),
])
def test_bad_arguments_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call(Tensor(X))


def test_masked_fill_in_place_checks_before_writing():
    x = Tensor(X.copy())
    with pytest.raises(ValueError, match="does not broadcast"):
        x.masked_fill_(np.ones((3, 3, 4), bool), 0.0)
    np.testing.assert_array_equal(x.data, X)


def test_tril_triu_and_masked_fill_keep_the_tensors_dtype():
    """A boolean causal mask, as Hugging Face's GPT-2 builds it: tril gave int64, so ~mask was
    a bitwise NOT (-1, -2) and scores[~mask] = -inf filled whole rows; masked_fill promoted an
    int32 tensor to float64 where PyTorch keeps int32 (2.5 becomes 2)."""
    T = 4
    mask = ad.tril(ad.ones(T, T, dtype=bool))
    assert mask.dtype == np.bool_ and ad.triu(ad.ones(T, T, dtype=bool), 1).dtype == np.bool_
    scores = ad.zeros(T, T)
    scores[~mask] = float("-inf")
    np.testing.assert_allclose(scores.softmax(-1).data[1], [0.5, 0.5, 0.0, 0.0])
    filled = ad.ones(2, dtype=np.int32).masked_fill(np.array([True, False]), 2.5)
    assert filled.dtype == np.int32 and filled.data.tolist() == [2, 1]
    value = Tensor(np.float64(3.0), requires_grad=True)
    out = ad.ones(3).masked_fill(np.array([True, False, True]), value)
    assert out.dtype == np.float32
    out.sum().backward()
    assert value.grad.item() == 2.0
    with pytest.raises(ValueError, match="-inf cannot be written into a tensor of dtype int32"):
        ad.ones(2, dtype=np.int32).masked_fill(np.array([True, False]), float("-inf"))


def test_topk_values_indices_and_gradient_as_pytorch():
    """nanoGPT's top-k sampling: v, _ = torch.topk(logits, k); logits[logits < v[:, [-1]]] = -inf."""
    x = Tensor(np.array([[1.0, 5.0, 3.0, np.nan], [2.0, 9.0, 7.0, 0.0]]), requires_grad=True)
    values, indices = ad.topk(x, 2)
    assert indices.dtype == np.int64 and indices.data.tolist() == [[3, 1], [1, 2]]  # NaN largest
    np.testing.assert_array_equal(values.data, [[np.nan, 5.0], [9.0, 7.0]])
    smallest = x.topk(1, dim=0, largest=False)
    assert smallest.indices.data.tolist() == [[0, 0, 0, 1]]
    t = Tensor(np.array([[1.0, 5.0, 3.0], [2.0, 9.0, 7.0]]), requires_grad=True)
    (t.topk(2).values * Tensor([[1.0, 10.0], [100.0, 1000.0]])).sum().backward()
    np.testing.assert_array_equal(t.grad.data, [[0, 1, 10], [0, 100, 1000]])
    logits = Tensor(np.arange(10.0).reshape(2, 5))
    kth = logits.topk(3).values[:, [-1]]
    logits[logits < kth] = float("-inf")
    assert np.isfinite(logits.data).sum(axis=1).tolist() == [3, 3]
    with pytest.raises(ValueError, match=r"topk: k must be an int from 0 to 4 .* got 5"):
        x.topk(5)


def test_flip_is_a_copy_and_narrow_takes_a_tensor_start():
    """torch.flip copies: x.flip(0).add_(10) changed x (a reversed view). torch.narrow takes
    a 0-d integer tensor as start; it was refused as not fitting the axis."""
    x = Tensor(np.arange(4.0))
    flipped = x.flip(0)
    flipped.add_(10.0)
    assert x.data.tolist() == [0.0, 1.0, 2.0, 3.0] and flipped.data.tolist() == [13, 12, 11, 10]
    assert Tensor(np.arange(6.0)).narrow(0, Tensor(np.array(2)), 2).data.tolist() == [2.0, 3.0]


def test_masked_fill_in_place_checks_without_computing_the_result():
    x = ad.ones(4, dtype=np.int8)
    with pytest.raises(ValueError, match=r"masked_fill_: 1000 cannot be written into a tensor "
                                         r"of dtype int8 \(from -128 to 127\)"):
        x.masked_fill_(np.array([True, False, False, False]), 1000)
    assert x.data.tolist() == [1, 1, 1, 1]
    x.masked_fill_(np.array([True, False, False, True]), 7)
    assert x.data.tolist() == [7, 1, 1, 7]



def test_topk_breaks_ties_as_argmax_and_pieces_take_arrays():
    x = Tensor([2.0, 2.0, 1.0])
    assert ad.topk(x, 1).indices.item() == x.argmax().item() == 0
    assert ad.topk(x, 3).indices.data.tolist() == [0, 1, 2]
    assert ad.topk(Tensor([1.0, 1.0, 2.0]), 3, largest=False).indices.data.tolist() == [0, 1, 2]
    assert ad.flip(np.arange(3), 0).data.tolist() == [2, 1, 0]
    assert isinstance(ad.topk(np.array([1.0, 2.0, 3.0]), 2).values, Tensor)
