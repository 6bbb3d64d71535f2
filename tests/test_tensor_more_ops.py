"""Tensor methods that PyTorch users expect: clone, square, log1p, expm1, prod, cumsum, norm,
sign, floor, ceil, round, numel, dim. Values against NumPy, gradients at the special points
(zeros in a product, a zero vector's norm) against hand-computed ones, dtypes, aliases, errors.
Gradients at ordinary points are checked by the op registry (tests/test_op_gradients.py)."""
import re

import numpy as np
import pytest

import autodiff as ad
from autodiff import Tensor

RNG = np.random.default_rng(0)
X = RNG.normal(size=(3, 4))


def grad_of(f, x):
    """The gradient of ``f(t).sum()`` at ``x`` (a float64 array)."""
    t = Tensor(np.array(x, dtype=np.float64), requires_grad=True)
    f(t).sum().backward()
    return t.grad.data


# ----- values against NumPy -----------------------------------------------------------------------
@pytest.mark.parametrize("method, reference", [
    ("square", np.square), ("log1p", np.log1p), ("expm1", np.expm1), ("sign", np.sign),
    ("floor", np.floor), ("ceil", np.ceil), ("round", np.round), ("clone", np.copy),
])
def test_elementwise_values_match_numpy(method, reference):
    x = np.abs(X) if method == "log1p" else X
    np.testing.assert_allclose(getattr(Tensor(x), method)().data, reference(x), rtol=1e-12)
    np.testing.assert_allclose(getattr(ad, method)(x).data, reference(x), rtol=1e-12)


def test_log1p_and_expm1_are_accurate_for_small_inputs():
    tiny = np.array([1e-10, -1e-12, 3e-20], dtype=np.float32)
    np.testing.assert_allclose(Tensor(tiny).log1p().data, tiny, rtol=1e-6)
    np.testing.assert_allclose(Tensor(tiny).expm1().data, tiny, rtol=1e-6)
    assert np.all(np.log(1 + tiny) - tiny != 0)  # the naive forms lose them entirely
    np.testing.assert_allclose(grad_of(lambda t: t.log1p(), [-0.5, 0.0, 3.0]), [2.0, 1.0, 0.25])
    np.testing.assert_allclose(grad_of(lambda t: t.expm1(), [-1.0, 0.0, 2.0]), np.exp([-1, 0, 2]))


def test_round_halves_to_even_and_takes_decimals():
    x = Tensor([0.5, 1.5, 2.5, -0.5, -1.5, 1.2345])
    np.testing.assert_array_equal(x.round().data, np.float32([0, 2, 2, -0.0, -2, 1]))
    np.testing.assert_allclose(x.round(2).data, np.round(x.data, 2))
    np.testing.assert_allclose(ad.round(x, decimals=1).data, np.round(x.data, 1))
    with pytest.raises(TypeError, match=r"round: decimals must be an int, got 1\.5"):
        x.round(1.5)


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_prod_matches_numpy(axis, keepdims):
    np.testing.assert_allclose(Tensor(X).prod(axis, keepdims).data,
                               np.prod(X, axis=axis, keepdims=keepdims))


def test_cumsum_matches_numpy_and_flattens_without_axis():
    for axis in (0, 1, -1):
        np.testing.assert_allclose(Tensor(X).cumsum(axis).data, np.cumsum(X, axis=axis))
    np.testing.assert_allclose(Tensor(X).cumsum().data, np.cumsum(X))  # NumPy: flattened
    assert Tensor(X).cumsum().shape == (12,)
    np.testing.assert_allclose(ad.cumsum(X, dim=1).data, np.cumsum(X, axis=1))
    assert Tensor(2.0).cumsum(0).shape == ()  # 0-d, as PyTorch


@pytest.mark.parametrize("ord", [None, 2, 1, np.inf, -np.inf, 3, 0.5, 1.5])
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
def test_norm_matches_numpy_vector_norms(ord, axis):
    if axis is None or isinstance(axis, tuple):  # one vector of every element, not a matrix norm
        expected = np.linalg.norm(X.ravel(), ord=ord)
    else:
        expected = np.linalg.norm(X, ord=ord, axis=axis)
    np.testing.assert_allclose(Tensor(X).norm(ord, axis).data, expected, rtol=1e-12)


def test_norm_defaults_and_keepdims():
    x = Tensor([[3.0, -4.0], [0.0, 1.0]])
    np.testing.assert_allclose(x.norm().data, np.sqrt(26))
    np.testing.assert_allclose(x.norm(axis=1, keepdims=True).data, [[5.0], [1.0]])
    np.testing.assert_allclose(x.norm("fro").data, np.sqrt(26))
    np.testing.assert_allclose(ad.norm(x, 1, axis=0).data, [3.0, 5.0])


# ----- clone --------------------------------------------------------------------------------------
def test_clone_copies_the_data_and_keeps_the_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.clone()
    assert y.data is not x.data and not np.shares_memory(y.data, x.data)
    assert y.requires_grad and not y.is_leaf
    y.data[0] = 5.0
    assert x.data[0] == 1.0
    (y * Tensor([3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 4.0])
    assert not Tensor([1.0]).clone().requires_grad


def test_square_gradient():
    np.testing.assert_allclose(grad_of(lambda t: t.square(), [-1.5, 0.0, 2.0]), [-3.0, 0.0, 4.0])


# ----- prod with zeros ----------------------------------------------------------------------------
def test_prod_gradient_with_no_one_and_several_zeros_in_a_slice():
    x = [[2.0, 0.0, 3.0],   # one zero: only the zero gets a gradient, 2 * 3
         [0.0, 0.0, 5.0],   # two zeros: every gradient is 0
         [1.0, 2.0, 4.0],   # none: the product of the others
         [0.0, 0.0, 0.0]]   # all zeros
    expected = [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0], [8.0, 4.0, 2.0], [0.0, 0.0, 0.0]]
    np.testing.assert_array_equal(grad_of(lambda t: t.prod(axis=1), x), expected)
    np.testing.assert_array_equal(grad_of(lambda t: t.prod(dim=-1, keepdim=True), x), expected)
    np.testing.assert_array_equal(grad_of(lambda t: t.T.prod(axis=0), x), expected)


def test_prod_gradient_over_every_axis_with_one_zero():
    x = np.array([[2.0, 3.0], [0.0, 5.0]])
    np.testing.assert_array_equal(grad_of(lambda t: t.prod(), x), [[0.0, 0.0], [30.0, 0.0]])
    np.testing.assert_array_equal(grad_of(lambda t: t.prod(), np.zeros((2, 2))), np.zeros((2, 2)))


def test_prod_second_derivatives_with_zeros():
    # d2 prod / dx_i dx_j = product of the elements other than i and j (0 on the diagonal).
    h = ad.hessian(lambda t: t.prod())(Tensor(np.array([2.0, 0.0, 3.0]))).data
    np.testing.assert_array_equal(h, [[0.0, 3.0, 0.0], [3.0, 0.0, 2.0], [0.0, 2.0, 0.0]])
    h = ad.hessian(lambda t: t.prod())(Tensor(np.array([2.0, 0.0, 0.0]))).data
    np.testing.assert_array_equal(h, [[0.0, 0.0, 0.0], [0.0, 0.0, 2.0], [0.0, 2.0, 0.0]])


def test_prod_gradient_without_zeros_is_the_product_of_the_others():
    x = RNG.uniform(0.5, 2.0, size=(2, 5))
    others = np.prod(x, axis=1, keepdims=True) / x
    np.testing.assert_allclose(grad_of(lambda t: t.prod(axis=1), x), others, rtol=1e-12)


# ----- norm at zero -------------------------------------------------------------------------------
@pytest.mark.parametrize("ord", [None, 2, 1, np.inf, 3, 1.5, 0.5])
def test_norm_gradient_of_a_zero_vector_is_zero(ord):
    g = grad_of(lambda t: t.norm(ord, axis=1), [[0.0, 0.0, 0.0], [3.0, -4.0, 0.0]])
    assert np.isfinite(g).all()
    np.testing.assert_array_equal(g[0], [0.0, 0.0, 0.0])
    assert g[1, 1] < 0 <= g[1, 0] and g[1, 2] == 0  # the gradient points along x


def test_norm_gradients_by_hand():
    x = [3.0, -4.0, 0.0]
    np.testing.assert_allclose(grad_of(lambda t: t.norm(), x), [0.6, -0.8, 0.0])
    np.testing.assert_allclose(grad_of(lambda t: t.norm(1), x), [1.0, -1.0, 0.0])
    np.testing.assert_allclose(grad_of(lambda t: t.norm(np.inf), [-3.0, 3.0, 1.0]),
                               [-0.5, 0.5, 0.0])  # a tie shares the gradient
    np.testing.assert_allclose(grad_of(lambda t: t.norm(-np.inf), [-3.0, 2.0, 5.0]),
                               [0.0, 1.0, 0.0])
    # p = 3: sign(x) |x|^2 / norm^2
    norm3 = (27 + 64) ** (1 / 3)
    np.testing.assert_allclose(grad_of(lambda t: t.norm(p=3), x),
                               [9 / norm3 ** 2, -16 / norm3 ** 2, 0.0])


def test_norm_below_one_gives_zero_gradient_at_zero_elements():
    g = grad_of(lambda t: t.norm(0.5), [1.0, 0.0, 4.0])  # |x|^-0.5 is infinite at 0
    np.testing.assert_allclose(g, [3.0, 0.0, 1.5])  # sqrt(norm) / sqrt(|x|), norm = 9


def test_norm_arguments_are_checked():
    x = Tensor([1.0, 2.0])
    for bad in (0, -1, -2.5, "nuc", float("nan"), True):
        with pytest.raises(ValueError, match=r"norm: ord must be .*got " + re.escape(repr(bad))):
            x.norm(bad)
    with pytest.raises(TypeError, match="either ord or p"):
        x.norm(2, p=2)
    with pytest.raises(TypeError, match="either axis or dim"):
        x.norm(axis=0, dim=0)


# ----- piecewise-constant ops ---------------------------------------------------------------------
@pytest.mark.parametrize("method", ["sign", "floor", "ceil", "round"])
def test_piecewise_constant_ops_have_zero_gradient(method):
    x = Tensor(np.array([-1.7, -0.2, 0.0, 0.4, 2.5]), requires_grad=True)
    y = getattr(x, method)()
    assert y.requires_grad  # as PyTorch: the output stays in the graph
    (y * 3.0).sum().backward()
    assert x.grad is not None and x.grad.shape == x.shape
    np.testing.assert_array_equal(x.grad.data, np.zeros(5))
    z = Tensor(np.array([0.3]), requires_grad=True)
    (z * z + getattr(z, method)()).sum().backward()  # and adds nothing to other paths
    np.testing.assert_allclose(z.grad.data, [0.6])


# ----- dtypes, aliases, small methods -------------------------------------------------------------
@pytest.mark.parametrize("f", [
    lambda t: t.clone(), lambda t: t.square(), lambda t: t.log1p(), lambda t: t.expm1(),
    lambda t: t.prod(), lambda t: t.prod(axis=0), lambda t: t.cumsum(1), lambda t: t.norm(),
    lambda t: t.norm(3, axis=1), lambda t: t.norm(1), lambda t: t.norm(np.inf),
    lambda t: t.sign(), lambda t: t.floor(), lambda t: t.ceil(), lambda t: t.round(1),
])
def test_float32_stays_float32(f):
    x = Tensor(np.array([[0.5, 0.0, 2.0], [1.0, 1.5, -0.3]], dtype=np.float32),
               requires_grad=True)
    y = f(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and np.isfinite(x.grad.data).all()


def test_pytorch_aliases():
    t = Tensor(X)
    np.testing.assert_allclose(t.prod(dim=1, keepdim=True).data, np.prod(X, 1, keepdims=True))
    np.testing.assert_allclose(t.cumsum(dim=0).data, np.cumsum(X, 0))
    np.testing.assert_allclose(t.norm(p=1, dim=1, keepdim=True).data,
                               np.linalg.norm(X, 1, axis=1, keepdims=True))
    np.testing.assert_allclose(ad.prod(X, dim=0).data, np.prod(X, 0))
    with pytest.raises(TypeError, match="either axis or dim"):
        t.cumsum(0, dim=0)


def test_cumsum_gradient_is_the_reversed_running_sum():
    np.testing.assert_array_equal(grad_of(lambda t: t.cumsum(), [1.0, 2.0, 3.0]), [3.0, 2.0, 1.0])
    g = grad_of(lambda t: t.cumsum(0) * Tensor([[1.0], [10.0]]), np.ones((2, 2)))
    np.testing.assert_array_equal(g, [[11.0, 11.0], [10.0, 10.0]])


def test_cumsum_axis_is_checked():
    with pytest.raises(TypeError, match=r"cumsum: axis must be an int or None, got \(0, 1\)"):
        Tensor(X).cumsum((0, 1))
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        Tensor(X).cumsum(2)


def test_numel_and_dim_and_size_stays_an_attribute():
    t = Tensor(np.zeros((2, 3, 4)))
    assert t.numel() == 24 and type(t.numel()) is int
    assert t.dim() == 3 == t.ndim
    assert t.size == 24 and isinstance(t.size, int)
    assert Tensor(1.0).numel() == 1 and Tensor(1.0).dim() == 0


# ----- more of PyTorch's spellings (new-user review, session 10) -----------------------------

def test_pytorch_function_spellings_match_the_methods():
    x = ad.Tensor(np.array([[0.5, 1.0], [2.0, 3.0]]), requires_grad=True)
    for function, method in [(ad.exp, x.exp), (ad.log, x.log), (ad.sqrt, x.sqrt),
                             (ad.tanh, x.tanh), (ad.sigmoid, x.sigmoid)]:
        np.testing.assert_array_equal(function(x).data, method().data)
    np.testing.assert_array_equal(ad.sum(x, dim=1).data, [1.5, 5.0])
    assert ad.sum(x).item() == 6.5
    np.testing.assert_array_equal(ad.cat([x, x], dim=1).data, np.concatenate([x.data] * 2, 1))
    assert ad.concatenate([x, x], dim=1).shape == (2, 4)
    assert ad.stack([x, x], dim=2).shape == (2, 2, 2)
    ad.sum(ad.exp(x)).backward()
    np.testing.assert_allclose(x.grad.data, np.exp(x.data))


def test_pow_matmul_t_and_expand_methods():
    a = ad.Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    np.testing.assert_array_equal(a.pow(3).data, a.data ** 3)
    np.testing.assert_array_equal(a.matmul(a).data, a.data @ a.data)
    np.testing.assert_array_equal(a.t().data, a.data.T)
    assert ad.Tensor([1.0, 2.0]).t().shape == (2,)
    with pytest.raises(ValueError, match="t\\(\\) expects a tensor with <= 2 dimensions"):
        ad.Tensor(np.zeros((2, 2, 2))).t()
    column = a[:, :1]
    assert column.expand(-1, 3).data.tolist() == [[1, 1, 1], [3, 3, 3]]
    assert column.expand(4, 2, 3).shape == (4, 2, 3)
    column.expand(2, 3).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [[3, 0], [3, 0]])


# ----- code ported from PyTorch (porting review, session 10) --------------------------------

def test_the_manual_update_of_p_data_writes_into_the_array():
    """The 60-minute blitz's ``p.data -= lr * p.grad``: in place, .data stays the ndarray."""
    import nn

    ad.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    x = ad.randn(5, 3)
    losses = []
    for _ in range(3):
        loss = model(x).sum()
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            before = p.data
            p.data -= 0.1 * p.grad
            assert p.data is before and type(p.data) is np.ndarray
        losses.append(loss.item())
    assert losses[2] < losses[1] < losses[0]


def test_arrays_on_the_left_of_an_operator_still_give_recorded_tensors():
    a, t = np.ones(3), ad.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result in (a * t, a - t, a / t, a ** t, a @ t, np.float64(2.0) * t):
        assert isinstance(result, ad.Tensor) and result.requires_grad
    assert (a < t).data.tolist() == [False, True, True]
    assert type(np.exp(t.detach())) is np.ndarray  # other ufuncs compute on the arrays
    with ad.no_grad():
        assert type(np.exp(t)) is np.ndarray
    with pytest.raises(TypeError, match=r"np.exp of a Tensor that requires grad would return an "
                                        r"array without its gradient: use .*t.exp\(\)"):
        np.exp(t)  # the gradient would be lost silently (PyTorch raises too)
    with pytest.raises(TypeError):
        np.add(a, a, out=t)  # would write around the in-place records


def test_view_after_a_convolution_or_batch_first_lstm_works_as_in_pytorch():
    import nn
    import nn.functional as F

    y = F.max_pool2d(F.relu(nn.Conv2d(1, 6, 5)(ad.randn(4, 1, 28, 28))), 2)
    np.testing.assert_array_equal(y.view(4, -1).data, y.data.reshape(4, -1))
    out, _ = nn.LSTM(3, 5, batch_first=True)(ad.randn(2, 4, 3))
    assert out.view(-1, 5).shape == (8, 5)
    assert y.contiguous().data.flags.c_contiguous
    with pytest.raises(ValueError, match="Use .reshape"):
        ad.randn(2, 3).T.view(-1)  # a view you made: as PyTorch


def test_pytorch_keyword_spellings_and_casts():
    x = ad.Tensor(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]))
    assert x.argmax(dim=1, keepdim=True).data.tolist() == [[1], [0]]
    assert x.argmin(dim=1, keepdim=True).shape == (2, 1)
    assert ad.Tensor([1.0, 2.0]).unsqueeze(dim=1).shape == (2, 1)
    a = ad.Tensor([[1.0, 2.0], [3.0, 5.0]])
    np.testing.assert_allclose(a.std(unbiased=True).item(), np.std(a.data, ddof=1), rtol=1e-6)
    np.testing.assert_allclose(a.var(dim=0, correction=1).data, np.var(a.data, 0, ddof=1))
    np.testing.assert_allclose(a.std(unbiased=False).item(), np.std(a.data), rtol=1e-6)
    assert (x.long().dtype, x.int().dtype, x.bool().dtype) == (np.int64, np.int32, np.bool_)
    assert x.to("cpu") is x and x.cpu() is x and x.to(np.float64).dtype == np.float64
    assert (x > 4).any().item() and not (x > 4).all().item()
    assert (x > 0).all(dim=0).data.tolist() == [True, False, True]
    with pytest.raises(ValueError, match="CPU only"):
        x.to("cuda")


def test_transpose_0_1_of_a_matrix_warns_that_it_is_numpys_identity():
    m = ad.Tensor(np.arange(6.0).reshape(2, 3))
    with pytest.warns(UserWarning, match="identity permutation"):
        assert m.transpose(0, 1).shape == (2, 3)
    assert m.permute(1, 0).shape == m.swapaxes(0, 1).shape == (3, 2)
    with pytest.raises(ValueError, match="is swapaxes\\(0, 1\\) here"):
        ad.randn(2, 3, 4).transpose(0, 1)
    for axes in [(-2, -1), (0, -1), (-2, 1)]:  # attention's k.transpose(-2, -1): silent before
        with pytest.warns(UserWarning, match=r"transpose\(-?\d, -?\d\) of a 2-d tensor"):
            assert m.transpose(*axes).shape == (2, 3)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert m.transpose(-1, -2).shape == m.transpose(1, 0).shape == (3, 2)


def test_pytorch_style_function_and_grad_calls_are_named():
    with pytest.raises(TypeError, match="staticmethod, as in PyTorch's ctx style"):
        class CtxStyle(ad.Function):
            @staticmethod
            def forward(ctx, x):
                return x

    x = ad.Tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="takes a function"):
        ad.grad((x * x).sum(), x)
    import nn

    assert nn.utils.clip_grad_norm_ is nn.clip_grad_norm_


# ----- operators and protocols (session-11 review) ---------------------------------------------

def test_floor_division_and_remainder_are_recorded_with_pytorchs_gradients():
    """Without // and %, NumPy's reflected operator computed on the arrays: t % np.float32(1)
    was an ndarray and the gradient through it was lost; t % 1.0 raised TypeError."""
    t = Tensor([0.25, 1.75, 2.5], requires_grad=True)
    frac = t % np.float32(1.0)
    assert isinstance(frac, Tensor)
    (frac * t).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), [0.5, 2.5, 3.0])  # frac + t
    a, b = Tensor([7.0, -7.0, 7.5]), Tensor([2.0, 2.0, -2.0])
    np.testing.assert_array_equal((a // b).numpy(), np.floor_divide(a.numpy(), b.numpy()))
    np.testing.assert_array_equal((a % b).numpy(), np.remainder(a.numpy(), b.numpy()))
    quotient, rest = divmod(a, 2)
    np.testing.assert_array_equal(quotient.numpy(), [3.0, -4.0, 3.0])
    np.testing.assert_array_equal(rest.numpy(), [1.0, 1.0, 1.5])
    assert (1 // Tensor([0.1])).item() == 1.0 // 0.1  # NumPy's exact floor division: 9
    assert isinstance(np.ones(3) % b, Tensor) and isinstance(np.floor_divide(1, b), Tensor)
    assert all(isinstance(part, Tensor) for part in divmod(np.ones(3), b))
    assert np.float64(0.1) in Tensor([0.1])  # compared as (t == 0.1) is, in float32
    assert (Tensor(np.array([7, -7])) // 2).dtype == np.int64
    assert ad.gradcheck(lambda x, y: x % y, [Tensor([0.3, 2.6]), Tensor([0.7, -1.1])])


def test_power_floor_division_and_remainder_assignments_write_in_place():
    w = Tensor([1.0, 2.0], requires_grad=True)
    params = [w]
    with ad.no_grad():
        w **= 2
    assert w is params[0] and w.requires_grad
    np.testing.assert_array_equal(params[0].numpy(), [1.0, 4.0])
    h = Tensor([[1.0, 2.0], [3.0, 4.0]])
    row = h[0]
    row **= 2
    np.testing.assert_array_equal(h.numpy(), [[1.0, 4.0], [3.0, 4.0]])
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        x = Tensor([1.0, 2.0], requires_grad=True)
        x **= 2
    x = Tensor([1.0, 2.0], requires_grad=True)
    z = x * 1.0
    z **= 3
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])
    t = Tensor([7.0, -7.0])
    alias = t
    t //= 2
    np.testing.assert_array_equal(alias.numpy(), [3.0, -4.0])
    t %= 3
    np.testing.assert_array_equal(alias.numpy(), [0.0, 2.0])
    a = Tensor([[1.0, 2.0], [3.0, 4.0]])
    alias = a
    a @= Tensor(np.ones((2, 3)))  # as PyTorch's (no in-place matmul): a = a @ b
    assert a is not alias and a.shape == (2, 3)


def test_format_contains_and_logical_operators():
    assert f"{Tensor(0.123456):.4f}" == "0.1235"
    x = Tensor([[-1.0, 0.5], [2.0, 3.0]])
    np.testing.assert_array_equal(((x > 0) & (x < 1)).numpy(), [[False, True], [False, False]])
    np.testing.assert_array_equal(((x < 0) | (x > 2)).numpy(), [[True, False], [False, True]])
    np.testing.assert_array_equal(((x > 0) ^ (x > 1)).numpy(), [[False, True], [False, False]])
    np.testing.assert_array_equal((~(x > 0)).numpy(), [[True, False], [False, False]])
    assert isinstance(np.array([True, False]) & (x[0] > 0), Tensor)
    with pytest.raises(TypeError, match="bitwise_and takes bool or integer tensors"):
        x & x
    assert 2.0 in x and 99.0 not in x
    mask = x > 0
    alias, first_row = mask, mask[0]
    mask &= x < 1
    mask |= np.array([[True, False], [False, False]])
    np.testing.assert_array_equal(alias.numpy(), [[True, True], [False, False]])
    np.testing.assert_array_equal(first_row.numpy(), [True, True])  # a view sees it too
    mask ^= True
    np.testing.assert_array_equal(alias.numpy(), [[False, False], [True, True]])
    with pytest.raises(TypeError, match="takes a number or a Tensor, got str"):
        "a" in x


def test_numpy_scalars_compare_and_promote_as_in_arithmetic():
    t = Tensor([0.1])
    assert (t == np.float64(0.1)).item() and not (t > np.float64(0.1)).item()
    image = Tensor(np.array([[3, 250]], dtype=np.uint8))
    np.testing.assert_allclose((image / 256).numpy(), [[3 / 256, 250 / 256]])
    assert (Tensor(np.array([True, False])) * np.float32(0.5)).dtype == np.float32
    assert (Tensor(np.array([3, 4], np.int32)) ** np.int64(2)).dtype == np.int64
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        a, b = Tensor(1.0)
    with pytest.raises(ValueError, match=r"float\(\) of a tensor of shape \(2,\)"):
        float(Tensor([1.0, 2.0]))


def test_vectorized_erf_is_within_a_few_ulps_of_math_erf():
    """erf ran math.erf once per element (np.frompyfunc): the exact GELU took 30 times the
    Linear layer before it. The vectorized one must keep math.erf's values."""
    import math

    from autodiff.ops.erf import END, STEP, erf
    rng = np.random.default_rng(0)
    grid = np.arange(-END - 0.5, END + 0.5, STEP / 8)  # every interval, both signs, the edges
    x = np.concatenate([grid, rng.uniform(-7, 7, 20000), np.logspace(-320, 0.5, 2000),
                        -np.logspace(-320, 0.5, 2000), [0.0, -0.0, END, -END, 5.99]])
    expected = np.array([math.erf(v) for v in x])
    got = erf(x)
    assert got.dtype == np.float64 and got.shape == x.shape
    ulps = np.abs(got - expected) / np.spacing(np.abs(expected))
    assert ulps.max() <= 5  # measured: 5 at most, 0.3 on average
    assert np.array_equal(np.signbit(got), np.signbit(expected))  # erf(-0.0) is -0.0
    single = erf(x.astype(np.float32))
    assert single.dtype == np.float32
    rounded = expected.astype(np.float32)
    finite = np.isfinite(x.astype(np.float32))
    assert (np.abs(single - rounded) <= np.spacing(np.abs(rounded)))[finite].all()  # 1 ulp
    special = erf(np.array([np.nan, np.inf, -np.inf]))
    assert np.isnan(special[0]) and special[1:].tolist() == [1.0, -1.0]
    assert erf(np.float64(0.5)).shape == () and abs(erf(np.float64(0.5)) - math.erf(0.5)) < 1e-15
    assert ad.Tensor(np.array([0.5], np.float16)).erf().dtype == np.float16


def test_lerp_and_lerp_in_place_for_weight_averages():
    """timm's and others' EMA code calls ``ema.lerp_(p, 1 - decay)``."""
    ema, weights = Tensor([0.0, 10.0]), Tensor([1.0, 0.0])
    with ad.no_grad():
        assert ema.lerp_(weights, 0.1) is ema
    np.testing.assert_allclose(ema.numpy(), [0.1, 9.0])
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 5.0], requires_grad=True)
    weight = Tensor([0.25, 0.5], dtype=np.float64)
    assert ad.gradcheck(lambda s, e: s.lerp(e, weight), [Tensor([1.0, 2.0], dtype=np.float64),
                                                         Tensor([3.0, 5.0], dtype=np.float64)])
    moved = a * 1.0
    moved.lerp_(b, 0.25).sum().backward()
    np.testing.assert_allclose(moved.detach().numpy(), [1.5, 2.75])
    np.testing.assert_allclose(a.grad.numpy(), [0.75, 0.75])
    np.testing.assert_allclose(b.grad.numpy(), [0.25, 0.25])


def test_out_of_place_arithmetic_methods_and_random_like_as_pytorch():
    """A PyTorch VAE's reparameterize: ``std = logvar.mul(0.5).exp()`` and
    ``eps = torch.randn_like(std)`` both failed with AttributeError."""
    logvar = Tensor([0.0, 2.0], requires_grad=True)
    std = logvar.mul(0.5).exp()
    eps = ad.randn_like(std, rng=0)
    assert eps.shape == std.shape and eps.dtype == std.dtype and not eps.requires_grad
    (std * eps).sum().backward()
    np.testing.assert_allclose(logvar.grad.numpy(), 0.5 * np.exp([0.0, 1.0]) * eps.numpy(),
                               rtol=1e-6)
    t = Tensor([1.0, 2.0])
    np.testing.assert_array_equal(t.add(t, alpha=2).sub(1, alpha=3).div(2).numpy(), [0.0, 1.5])
    assert ad.rand_like(Tensor(np.ones((2, 3), np.float64)), rng=1).dtype == np.float64
    assert ad.rand_like(Tensor(np.arange(3)), rng=1).dtype == np.float32  # floats for ints
    assert 0 <= ad.rand_like(t, rng=2).numpy().min()


def test_add_with_alpha_scales_a_list_and_clip_takes_tensor_bounds():
    """``x.add([1., 2.], alpha=2)`` repeated the list; ``x.clip(lo_tensor, 1)`` raised."""
    x = Tensor([0.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(x.add([1.0, 2.0, 3.0, 4.0], alpha=2).numpy(), [2, 4, 6, 8])
    np.testing.assert_array_equal(x.sub([1.0, 2.0, 3.0, 4.0], alpha=2).numpy(), [-2, -4, -6, -8])
    values = Tensor(np.linspace(-2, 2, 5), requires_grad=True)
    lo = Tensor(-1.0, requires_grad=True)
    clipped = values.clip(lo, 1.0)
    np.testing.assert_array_equal(clipped.detach().numpy(), [-1, -1, 0, 1, 1])
    clipped.sum().backward()
    assert lo.grad.item() == 1.5  # as clamp: the tie at -1 shares


def test_tutorial_forms_float_index_message_generator_and_creation():
    """makemore and the PyTorch tutorials: ``C[X]`` with a float X got NumPy's message with
    the whole array; randn(generator=g), linspace, randint, multinomial, allclose, log10,
    nelement and F.one_hot raised AttributeError or TypeError."""
    import nn.functional as F
    x = Tensor(np.arange(12.0).reshape(3, 4))
    for index in (ad.arange(2), Tensor([0, 1])):
        with pytest.raises(IndexError, match=r"dtype float32 and shape \(2,\) cannot index .*"
                                             r"arange\(n, dtype=np.int64\)"):
            x[index]
    with pytest.raises(IndexError, match="cannot index"):
        x[ad.arange(2)] = 1.0
    assert x[[]].shape == (0, 4) and x[ad.arange(2, dtype=np.int64)].shape == (2, 4)
    g = np.random.default_rng(5)
    np.testing.assert_array_equal(ad.randn(3, generator=g).numpy(),
                                  ad.randn(3, rng=np.random.default_rng(5)).numpy())
    with pytest.raises(TypeError, match="either rng or generator"):
        ad.rand(2, rng=0, generator=1)
    np.testing.assert_allclose(ad.linspace(0, 1, 5).numpy(), [0, 0.25, 0.5, 0.75, 1])
    drawn = ad.randint(2, 5, (1000,), generator=np.random.default_rng(0)).numpy()
    assert drawn.dtype == np.int64 and set(drawn.tolist()) == {2, 3, 4}
    assert ad.randint(3, size=(2, 2), rng=0).shape == (2, 2)
    samples = ad.multinomial(Tensor([[0.0, 1.0, 0.0], [1.0, 1.0, 2.0]]), 500, replacement=True,
                             rng=0).numpy()
    assert samples.shape == (2, 500) and (samples[0] == 1).all()
    assert abs((samples[1] == 2).mean() - 0.5) < 0.1
    assert sorted(ad.multinomial(np.array([1.0, 2.0, 3.0]), 3, rng=0).numpy()) == [0, 1, 2]
    with pytest.raises(ValueError, match="without replacement"):
        ad.multinomial(np.array([1.0, 2.0]), 3)
    assert ad.allclose(Tensor([1.0, 2.0]), [1.0, 2.0000001]) is True
    y = Tensor([10.0, 100.0], requires_grad=True)
    y.log10().sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), 1 / (np.array([10.0, 100.0]) * np.log(10)),
                               rtol=1e-6)
    assert Tensor([8.0]).log2().item() == pytest.approx(3.0) and x.nelement() == 12
    np.testing.assert_array_equal(F.one_hot(np.array([0, 2, 1])).numpy(), np.eye(3)[[0, 2, 1]])
    assert F.one_hot(Tensor(np.array([[1], [0]])), 3).shape == (2, 1, 3)


def test_predicates_of_grad_tensors_and_leaky_relu_with_an_array_slope():
    """The ufunc guard refused np.isnan(loss); the table lookup broke an array slope."""
    t = Tensor([-1.0, 2.0], requires_grad=True)
    assert np.isnan(t).tolist() == [False, False] and np.less(t, 0).tolist() == [True, False]
    with pytest.raises(TypeError, match="use the Tensor's methods and autodiff's functions"):
        np.absolute(t)  # (no t.absolute: the message does not invent one)
    out = t.leaky_relu(np.array([0.1, 0.2]))
    np.testing.assert_allclose(out.detach().numpy(), [-0.1, 2.0])


def test_log10_log2_exact_at_powers_one_hot_memory_and_randint_keywords():
    """log(x) / log(10) gave 2.9999999999999996 at 1000 (floor off by one); one_hot built a
    num_classes-square identity (3 GB for 20,000 classes); randint refused high=."""
    import nn.functional as F
    powers = np.array([10.0, 1000.0, 1e6, 1e15])
    assert Tensor(powers).log10().numpy().tolist() == [1.0, 3.0, 6.0, 15.0]
    assert Tensor(2.0 ** np.arange(1, 41)).log2().numpy().tolist() == list(range(1, 41))
    assert ad.gradcheck(lambda t: t.log10() + t.log2(), [Tensor(np.array([0.5, 3.0]))])
    hot = F.one_hot(np.array([3, 0]), 50257)  # GPT-2's vocabulary: an eye would be 20 GB
    assert hot.shape == (2, 50257) and hot.numpy().sum() == 2 and hot.numpy()[0, 3] == 1
    assert ad.randint(high=10, size=(3,), rng=0).shape == (3,)
    assert set(ad.randint(low=2, high=4, size=100, rng=0).numpy().tolist()) == {2, 3}
    assert ad.multinomial(np.zeros((0, 3)), 2).shape == (0, 2)


def test_vectorized_erfc_keeps_the_precision_of_its_small_values():
    """1 - erf(x) loses every digit of erfc from x = 6 on; erfc keeps them (float64 within 7
    ulps of math.erfc, float32 within 6 of it rounded, where the result is a normal number)."""
    import math

    from autodiff.ops.erf import STEP, TAIL_END, erfc
    rng = np.random.default_rng(1)
    x = np.concatenate([np.arange(-TAIL_END - 1, TAIL_END + 1, STEP / 8),
                        rng.uniform(-28, 28, 20000), np.logspace(-320, 1.45, 2000),
                        -np.logspace(-320, 1.45, 2000), [0.0, -0.0],
                        [0.5226177, 1.0958303, 1.7249144, 4.3311, 7.509789],  # float32's
                        [17.992640213112708, 15.888395535707119]])  # and float64's worst
    expected = np.array([math.erfc(v) for v in x])
    got = erfc(x)
    assert got.dtype == np.float64 and got.shape == x.shape
    normal = expected >= np.finfo(np.float64).tiny
    assert (np.abs(got - expected) / np.spacing(expected))[normal].max() <= 7
    assert np.abs(got - expected)[~normal].max() <= 1e-323  # subnormals: a unit of the last place
    single = erfc(x.astype(np.float32))
    rounded = np.array([math.erfc(float(v)) for v in x.astype(np.float32)]).astype(np.float32)
    normal = rounded >= np.finfo(np.float32).tiny
    assert single.dtype == np.float32
    assert (np.abs(single - rounded) <= 6 * np.spacing(rounded))[normal].all()
    assert erfc(np.array([np.nan, np.inf, -np.inf, -0.0])).tolist()[1:] == [0.0, 2.0, 1.0]
    assert np.isnan(erfc(np.array(np.nan)))
    t = ad.Tensor(np.array([6.0, -1.0, 0.5]), requires_grad=True)
    t.erfc().sum().backward()
    assert t.erfc().data[0] == pytest.approx(math.erfc(6.0), rel=1e-15)
    np.testing.assert_allclose(t.grad.data, -2 / math.sqrt(math.pi) * np.exp(-t.data ** 2))


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_exact_gelu_keeps_its_relative_precision_far_left(dtype):
    """GELU was x (1 + erf(x / sqrt 2)) / 2: 1 + erf cancels far left, and float32 kept 3
    digits at x = -4 (relative error 9e-4), float16 none at x = -6. It is x erfc(-x / sqrt 2) / 2,
    as precise as the rounding of x / sqrt 2 allows (erfc magnifies it by about x^2; the
    reference rounds it too)."""
    import math

    x = np.linspace(-8.0, -2.0, 601).astype(dtype)
    wide = x.astype(np.float64)
    exact = np.array([v * 0.5 * math.erfc(-v / math.sqrt(2)) for v in wide])
    slope = np.array([0.5 * math.erfc(-v / math.sqrt(2)) + v * math.exp(-v * v / 2)
                      / math.sqrt(2 * math.pi) for v in wide])
    t = ad.Tensor(x, requires_grad=True)
    y = t.gelu()
    y.sum().backward()
    assert y.dtype == dtype and t.grad.dtype == dtype
    allowed = (4 + 2 * wide ** 2) * np.finfo(np.float32 if dtype == np.float16 else dtype).eps
    if dtype == np.float16:  # computed in float32, then rounded: half a float16 ulp more
        allowed += np.finfo(np.float16).eps / 2
    for got, want in [(y.data, exact), (t.grad.data, slope)]:
        keep = np.abs(want) >= np.finfo(dtype).tiny  # (float16 underflows from x = -5.3)
        assert (np.abs(got - want) / np.abs(want) <= allowed)[keep].all()


def test_sum_to_names_a_shape_that_does_not_broadcast():
    with pytest.raises(ValueError, match=r"sum_to: shape \(2, 3\) does not broadcast from \(4,\)"):
        ad.Tensor(np.zeros((2, 3))).sum_to((4,))  # NumPy's broadcast message before


def test_erf_and_erfc_gradients_do_not_magnify_the_rounding_of_x_squared():
    """2/sqrt(pi) exp(-(x * x)) was 380 ulps off at x = 24: the rounding of x * x, times x^2."""
    import math
    from fractions import Fraction

    x = np.random.default_rng(3).uniform(-26.0, 26.0, 400)
    expected = []
    for v in x:
        square = Fraction(v) ** 2
        rounded = float(square)
        expected.append(2 / math.sqrt(math.pi) * math.exp(-rounded)
                        * (1 - float(square - Fraction(rounded))))
    expected = np.array(expected)
    for op, sign in (("erf", 1), ("erfc", -1)):
        t = ad.Tensor(x, requires_grad=True)
        getattr(t, op)().sum().backward()
        normal = expected >= np.finfo(np.float64).tiny
        ulps = np.abs(sign * t.grad.data - expected)[normal] / np.spacing(expected[normal])
        assert ulps.max() <= 4


@pytest.mark.parametrize("make", [
    lambda d: ad.tensor([1.0], device=d), lambda d: ad.zeros((1, 2), device=d),
    lambda d: ad.ones(2, device=d), lambda d: ad.full((2,), 3.0, device=d),
    lambda d: ad.zeros_like(np.ones(2), device=d), lambda d: ad.ones_like(np.ones(2), device=d),
    lambda d: ad.arange(3, device=d), lambda d: ad.linspace(0, 1, 3, device=d),
    lambda d: ad.randint(0, 5, (2,), device=d), lambda d: ad.multinomial([1.0, 1.0], 1, device=d),
    lambda d: ad.eye(2, device=d), lambda d: ad.randn(2, device=d), lambda d: ad.rand(2, device=d),
    lambda d: ad.randn_like(np.ones(2), device=d), lambda d: ad.rand_like(np.ones(2), device=d),
])
def test_creation_functions_take_pytorchs_device_keyword(make):
    """gpt.py's torch.arange(T, device=device) and nanoGPT's idx.device raised TypeError."""
    t = make("cpu")
    assert t.device == "cpu" and t.device.type == "cpu" and make(t.device).device == "cpu"
    assert make("cpu:0").device.index is None  # (a tensor's device is plain 'cpu')
    with pytest.raises(ValueError, match="device='cuda' is not available: autodiff runs on the "
                                         "CPU only"):
        make("cuda")


def test_pytorch_module_level_spellings():
    """gpt.py's dtype=torch.long, nanoGPT's torch.from_numpy, a lecture's torch.softmax(x, dim)."""
    assert ad.zeros(2, dtype=ad.long).dtype == np.int64 and ad.int == np.int32
    assert ad.float == ad.float32 == np.float32 and ad.double == np.float64 and ad.bool == bool
    array = np.zeros(2)
    shared = ad.from_numpy(array)
    array[0] = 5.0
    assert shared.data[0] == 5.0  # shares memory, as torch.from_numpy
    x = ad.Tensor(np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]))
    assert ad.mean(x, 1).data.tolist() == [2.0, 0.0]
    np.testing.assert_allclose(ad.softmax(x, dim=1).data, x.softmax(1).data)
    np.testing.assert_allclose(ad.log_softmax(x, 0).data, x.log_softmax(0).data)
    assert ad.logsumexp(x, 1, True).shape == (2, 1)


def test_flatten_is_a_function_too():
    """ResNet's forward: x = torch.flatten(x, 1)."""
    assert ad.flatten(ad.ones((2, 3, 4)), 1).shape == (2, 12)
    assert ad.flatten(np.ones((2, 3))).shape == (6,)


def test_log10_and_log2_gradients_do_not_overflow_before_dividing():
    """grad / (x * ln 10): x * ln 10 overflowed float16 from x = 28,443, giving 0."""
    x = ad.Tensor(np.array([30000.0, 60000.0], np.float16), requires_grad=True)
    x.log10().sum().backward()
    np.testing.assert_allclose(x.grad.data, 1 / (np.array([30000.0, 60000.0]) * np.log(10)),
                               rtol=1e-2)  # (subnormal float16s: 2 digits)
    small = ad.Tensor(np.array([1e-5, 6.7e-6], np.float16), requires_grad=True)
    small.log10().sum().backward()  # grad / x first overflowed to inf here
    np.testing.assert_allclose(small.grad.data, 1 / (small.data.astype(float) * np.log(10)),
                               rtol=2e-3)
    y = ad.Tensor(np.array([1e308]), requires_grad=True)
    y.log2().sum().backward()
    assert y.grad.item() == pytest.approx(1 / 1e308 / np.log(2), rel=1e-12)


def test_generator_objects_as_in_pytorch_and_no_int_as_generator():
    """makemore: g = torch.Generator().manual_seed(2147483647), then randn(..., generator=g)
    and multinomial(p, 1, replacement=True, generator=g) in a loop. An int there started the
    same stream on every call: the loop sampled one name over and over."""
    g = ad.Generator().manual_seed(2147483647)
    assert g.initial_seed() == 2147483647
    weights = ad.Tensor([0.2, 0.5, 0.3])
    draws = [ad.multinomial(weights, 1, replacement=True, generator=g).item() for _ in range(20)]
    assert len(set(draws)) > 1
    replay = ad.Generator().manual_seed(2147483647)
    assert [ad.multinomial(weights, 1, replacement=True, generator=replay).item()
            for _ in range(20)] == draws
    state = g.get_state()
    first = ad.randn(3, generator=g).data
    np.testing.assert_array_equal(ad.randn(3, generator=g.set_state(state)).data, first)
    for call in (lambda: ad.randn(2, generator=5), lambda: ad.multinomial(weights, 1, generator=5)):
        with pytest.raises(TypeError, match="generator must be a Generator .* got int; an int "
                                            "seed is rng="):
            call()
    assert ad.randn(2, rng=5).data.tolist() == ad.randn(2, rng=5).data.tolist()  # rng= knowingly


def test_dive_into_deep_learning_spellings():
    """d2l.ai's from-scratch code: torch.normal(0, 0.01, size=..., requires_grad=True),
    .type(dtype), torch.device('cpu'), state.detach_(), backward(gradient=...), size=,
    torch.max(X, zeros) as ReLU, torch.mm and torch.dot."""
    ad.manual_seed(0)
    w = ad.normal(0, 0.01, size=(784, 10), requires_grad=True)
    assert w.shape == (784, 10) and w.dtype == np.float32 and w.requires_grad
    assert 0.008 < float(w.data.std()) < 0.012
    per_element = ad.normal(ad.Tensor([0.0, 100.0]), ad.Tensor([1e-6, 1e-6]))
    np.testing.assert_allclose(per_element.data, [0.0, 100.0], atol=1e-3)
    assert ad.normal(np.zeros(2), 1.0).dtype == np.float64
    with pytest.raises(ValueError, match="std must be non-negative"):
        ad.normal(0.0, -1.0, size=(2,))
    labels = ad.Tensor(np.array([1, 0, 2]))
    assert (ad.Tensor([1.0, 0.0, 2.0]).type(labels.dtype) == labels).all().item()
    assert ad.Tensor([1.0]).type() == "torch.FloatTensor"
    assert ad.device("cpu") == "cpu" and ad.device("cpu", 0).index == 0
    assert ad.zeros(size=(2, 3)).shape == ad.ones(size=[2, 3]).shape == (2, 3)
    assert ad.randn(size=(4,)).shape == ad.rand(size=(4,)).shape == (4,)
    with pytest.raises(TypeError, match="either positionally or as size="):
        ad.zeros(2, size=(3,))
    x = ad.Tensor([1.0, 2.0], requires_grad=True)
    state = x * 3
    assert state.detach_() is state and not state.requires_grad and state.is_leaf
    (x * x).backward(gradient=ad.ones(2))
    assert x.grad.data.tolist() == [2.0, 4.0]
    relu = ad.max(ad.Tensor([-1.0, 2.0]), ad.zeros(2))
    assert relu.data.tolist() == [0.0, 2.0] and ad.min(ad.Tensor([3.0, -4.0])).item() == -4.0
    with pytest.raises(TypeError, match=r"autodiff.max\(x, dim\) is not offered: .* x.argmax"):
        ad.max(ad.ones((2, 2)), 1)
    assert ad.mm(ad.ones((2, 3)), ad.ones((3, 4))).shape == (2, 4)
    assert ad.dot(ad.Tensor([1.0, 2.0]), ad.Tensor([3.0, 4.0])).item() == 11.0
    with pytest.raises(ValueError, match=r"mm: expects two matrices, got shapes \(3,\) and"):
        ad.mm(ad.ones(3), ad.ones((3, 1)))
    with pytest.raises(ValueError, match=r"dot: expects two vectors of one length"):
        ad.dot(ad.ones(3), ad.ones(2))



def test_detach_in_place_keeps_the_history_of_ops_recorded_before():
    """PyTorch's edges point to nodes: y and z, built before h.detach_(), still reach a
    (they silently gave a.grad None); a view cannot be detached in place."""
    a = ad.Tensor([1.0, 2.0], requires_grad=True)
    h = a * 2
    y, z = h * 3, (h ** 2).sum()
    assert h.detach_() is h and h.is_leaf and not h.requires_grad
    y.sum().backward(retain_graph=True)
    assert a.grad.data.tolist() == [6.0, 6.0]
    a.grad = None
    z.backward()
    assert a.grad.data.tolist() == [8.0, 16.0]
    base = ad.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True) * 1
    with pytest.raises(RuntimeError, match="a view cannot be detached in place"):
        base[0].detach_()
    import copy
    assert copy.deepcopy(h).data.tolist() == [2.0, 4.0]  # a leaf now: its old graph not copied


def test_normal_takes_the_dtype_of_its_tensors_and_generators_copy():
    assert ad.normal(ad.zeros(2), 1.0).dtype == np.float32  # was float64
    assert ad.normal(ad.zeros(2, dtype=np.float16), 1.0).dtype == np.float16
    assert ad.normal(np.zeros(2), 1.0).dtype == np.float64
    assert ad.normal(0.0, 1.0, size=(2,)).dtype == np.float32
    import copy
    import pickle
    g = ad.Generator().manual_seed(5)
    for twin in (copy.deepcopy(g), pickle.loads(pickle.dumps(g))):
        assert type(twin) is ad.Generator and twin.initial_seed() == 5
        assert twin.random() == copy.deepcopy(g).random()
    assert all(type(child) is ad.Generator for child in g.spawn(2))
    assert ad.Generator().manual_seed(-1).random() == ad.manual_seed(-1).random()
    with pytest.raises(ValueError, match="Generator.manual_seed: the seed must be from"):
        ad.Generator().manual_seed(2 ** 70)


def test_type_takes_and_gives_pytorchs_type_names():
    assert ad.Tensor([1.0]).type() == "torch.FloatTensor"
    assert ad.Tensor([1.0]).type("torch.DoubleTensor").dtype == np.float64
    assert ad.Tensor(np.array([1])).type() == "torch.LongTensor"
    with pytest.raises(TypeError, match="unknown type 'torch.CudaTensor'"):
        ad.Tensor([1.0]).type("torch.CudaTensor")


def test_device_names_are_checked_and_as_tensor_takes_a_device():
    assert ad.device("cpu", 0) == "cpu:0" and ad.device("cuda").type == "cuda"
    for bad in ("cuda:cpu", "cpu:abc"):
        with pytest.raises(ValueError, match="device: expected a name such as 'cpu'"):
            ad.device(bad)
    with pytest.raises(ValueError, match="device='cpu:abc' is not available"):
        ad.zeros(2, device="cpu:abc")  # was taken for the CPU
    assert ad.as_tensor(np.ones(2), device="cpu").shape == (2,)
    with pytest.raises(ValueError, match="as_tensor: device='cuda' is not available"):
        ad.as_tensor(np.ones(2), device="cuda")
