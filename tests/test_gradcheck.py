"""gradcheck / gradgradcheck: float64 finite differences, clear reports, kink awareness."""
import numpy as np
import pytest

import autodiff as ad
from autodiff import Function, Tensor, gradcheck, gradgradcheck
import nn.functional as F
from autodiff.gradcheck import (GradcheckError, LowPrecisionGradientError,
                                NondeterministicFunctionError, NonDifferentiablePointError)
from autodiff.testing import assert_grad_matches


class ScaleWrongOnSecondInput(Function):
    """a * b whose gradient for b is off by a factor 2."""

    def forward(self, a, b):
        return a * b

    def backward(self, grad):
        a, b = self.inputs
        return grad * b, grad * a * 2


class CubeFromData(Function):
    """x ** 3 with a right gradient computed from .data: its second derivative is lost."""

    def forward(self, x):
        return x ** 3

    def backward(self, grad):
        return (grad * Tensor(3 * self.inputs[0].data ** 2),)


def test_true_for_correct_gradients_of_several_inputs():
    a = Tensor(np.array([[0.5, -1.0], [2.0, 0.3]]))
    b = Tensor(np.array([0.7, -0.2]))
    assert gradcheck(lambda a, b: (a @ b).tanh() * b.sum(), [a, b]) is True
    assert gradgradcheck(lambda a, b: (a @ b).tanh() * b.sum(), [a, b]) is True


def test_error_names_the_input_the_element_and_both_values():
    a = Tensor(np.array([1.0, 2.0]))
    b = Tensor(np.array([[3.0], [-4.0]]))
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: ScaleWrongOnSecondInput.apply(a, b).sum(), [a, b])
    error = info.value
    assert error.input_index == 1 and error.element in ((0, 0), (1, 0))
    assert error.analytic == pytest.approx(2 * error.numeric, rel=1e-6)
    message = str(error)
    assert message.startswith(f"gradient of input 1 at element {error.element}: ")
    assert f"analytic {error.analytic!r} != numeric {error.numeric!r}" in message


def test_a_scalar_function_reports_the_derivatives_themselves():
    a, b = Tensor(np.array([1.0, 2.0])), Tensor(np.array([3.0, -4.0]))
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: ScaleWrongOnSecondInput.apply(a, b).sum(), [a, b])
    element = info.value.element[0]
    assert info.value.numeric == pytest.approx(a.data[element], rel=1e-6)  # d(sum a*b)/db = a
    assert info.value.analytic == pytest.approx(2 * a.data[element], rel=1e-9)


def test_a_vector_function_says_its_outputs_are_weighted():
    a, b = Tensor(np.array([1.0, 2.0])), Tensor(np.array([3.0, -4.0]))
    with pytest.raises(GradcheckError, match=r"^gradient of sum\(output \* v\) \(v: fixed "
                                             r"random weights on the 2 output elements\) of "
                                             r"input 1"):
        gradcheck(lambda a, b: ScaleWrongOnSecondInput.apply(a, b), [a, b])


def test_gradgradcheck_catches_a_lost_second_derivative():
    x = Tensor(np.array([0.5, -1.5]))
    assert gradcheck(lambda x: CubeFromData.apply(x), x)
    with pytest.raises(GradcheckError, match="second derivative of input 0"):
        gradgradcheck(lambda x: CubeFromData.apply(x), x)


def test_float32_inputs_are_differentiated_in_float64():
    x = Tensor(np.array([0.1, 1.3, -0.7], dtype=np.float32))
    assert gradcheck(lambda x: x.exp() * x.sin(), x, atol=1e-7, rtol=1e-6)


def test_integer_inputs_are_passed_through_unchanged():
    seen = []

    def f(x, idx):
        seen.append(idx.dtype)
        return x[idx]

    assert gradcheck(f, [Tensor(np.array([1.0, 2.0, 3.0])), np.array([2, 2, 0])])
    assert set(seen) == {np.dtype(np.int64)}


def test_kink_raises_non_differentiable_point_error():
    x = Tensor(np.array([0.5, 0.0]))
    with pytest.raises(NonDifferentiablePointError) as info:
        gradcheck(lambda x: x.relu(), x)
    error = info.value
    assert error.input_index == 0 and error.element == (1,)
    assert error.left == 0.0 and error.right != 0.0  # relu: slopes 0 and v
    assert error.analytic == 0.0
    assert "not a wrong gradient" in str(error)


def test_kinks_accept_passes_valid_subgradients():
    x = Tensor(np.array([0.0, 0.5, -2.0]))
    assert gradcheck(lambda x: x.abs(), x, kinks="accept")
    assert gradcheck(lambda x: x.relu(), x, kinks="accept")
    assert gradgradcheck(lambda x: x.relu() * x, x, kinks="accept")


def test_a_sample_within_eps_of_a_kink_passes():
    # Central differences with step 1e-6 straddle 0 from 3e-7; a finer step does not.
    assert gradcheck(lambda x: x.relu(), Tensor(np.array([3e-7, -6e-7])))


def test_a_tie_in_max_shares_the_gradient_and_passes():
    assert gradcheck(lambda x: x.max(), Tensor(np.array([1.0, 1.0, 0.0])))


def test_rejects_an_unknown_kink_policy():
    with pytest.raises(ValueError, match="kinks must be one of"):
        gradcheck(lambda x: x.relu(), Tensor(np.array([0.0, 1.0])), kinks="ignore")


def test_a_non_tensor_result_is_refused():
    with pytest.raises(TypeError, match="returned float"):
        gradcheck(lambda x: 1.0 + float(x.sum()), Tensor(np.array([1.0])))


# ----- inputs in any memory layout --------------------------------------------------------
def test_gradcheck_accepts_a_transposed_tensor():
    x = Tensor(np.arange(6.0).reshape(2, 3)).T  # float64, not C-contiguous
    assert ad.gradcheck(lambda t: (t * t * t).sum(), x)


def test_gradcheck_accepts_a_fortran_ordered_array():
    x = np.asfortranarray(np.arange(1.0, 7.0).reshape(2, 3))
    assert ad.gradcheck(lambda t: (t * 2.0).sum(), x)


def test_gradgradcheck_accepts_a_transposed_tensor():
    x = Tensor(np.arange(1.0, 7.0).reshape(2, 3)).T
    assert ad.gradgradcheck(lambda t: (t ** 3).sum(), x)


def test_assert_grad_matches_accepts_a_transposed_input():
    x = Tensor(np.arange(6.0).reshape(2, 3)).T
    assert_grad_matches(lambda t: (t @ t.T).sum(), x)


class _WrongSquare(Function):
    def forward(self, x):
        return x * x

    def backward(self, grad):
        (x,) = self.inputs
        return (grad * x * 3.0,)  # should be 2


def test_assert_grad_matches_blames_the_wrong_op_not_a_matmul_on_a_transposed_view():
    rng = np.random.default_rng(0)
    a = Tensor(rng.standard_normal((2, 3)))
    w = Tensor(rng.standard_normal((4, 3)))
    with pytest.raises(GradcheckError) as info:
        assert_grad_matches(lambda w: _WrongSquare.apply(a @ w.T).sum(), w, order=1)
    assert info.value.op == "_WrongSquare"


# ----- nothing to check -------------------------------------------------------------------
@pytest.mark.parametrize("inputs", [[2.0], [[1.0, 2.0]], np.array([1, 2]), []])
def test_gradcheck_refuses_inputs_with_nothing_to_differentiate(inputs):
    with pytest.raises(ValueError, match="nothing to check"):
        ad.gradcheck(lambda *xs: Tensor(np.asarray(xs[0] if xs else 1.0, dtype=float)) ** 3,
                     inputs)


def test_gradgradcheck_refuses_a_python_float():
    with pytest.raises(ValueError, match="nothing to check"):
        ad.gradgradcheck(lambda x: Tensor(x) ** 3, [2.0])


def test_assert_grad_matches_refuses_a_plain_list():
    # the list is passed through untouched (not differentiated): a wrong function must not pass
    with pytest.raises(ValueError, match="nothing to check"):
        assert_grad_matches(lambda x: Tensor(x) ** 3, [1.0, 2.0])


def test_an_integer_target_next_to_a_float_input_is_still_fine():
    x = Tensor([0.5, -1.0, 2.0])
    assert ad.gradcheck(lambda x, i: x[i].sum(), [x, np.array([0, 0, 2])])


# ----- what finite differences alone miss (session-11 review) -------------------------------

class _MSEForgetsGrad(Function):
    """A loss whose backward forgets ``grad *``: right only when the loss is not scaled."""

    def forward(self, p, t):
        return np.mean((p - t) ** 2)

    def backward(self, grad):
        p, t = self.inputs
        d = (p - t) * (2.0 / p.data.size)
        return d, -d


def _pair():
    rng = np.random.default_rng(0)
    return Tensor(rng.normal(size=(4, 3))), Tensor(rng.normal(size=(4, 3)))


def test_a_backward_that_ignores_its_incoming_gradient_is_caught_and_named():
    """With v = 1 for a one-element output, grad * d and d could not be told apart."""
    p, t = _pair()
    with pytest.raises(GradcheckError, match="not proportional.*forgotten 'grad \\*'"):
        gradcheck(_MSEForgetsGrad.apply, [p, t])
    with pytest.raises(GradcheckError, match="first wrong op: _MSEForgetsGrad"):
        assert_grad_matches(lambda p, t: _MSEForgetsGrad.apply(p, t) * 0.5, p, t, order=1)


def test_a_backward_that_writes_into_its_incoming_gradient_is_named():
    class ExpMutatesGrad(Function):
        def forward(self, x):
            self.e = np.exp(x)
            return self.e

        def backward(self, grad):
            grad.data[...] = grad.data * self.e
            return (grad,)

    with pytest.raises(GradcheckError, match="wrote into the gradient it received"):
        gradcheck(ExpMutatesGrad.apply, [Tensor(np.array([0.7, 0.2]))])


def test_a_gradient_wrong_only_in_float32_is_caught_at_that_dtype():
    class SoftplusNaive(Function):
        def forward(self, x):
            return np.logaddexp(0.0, x)

        def backward(self, grad):
            e = self.inputs[0].exp()  # inf in float32 from x = 89 on: inf / inf
            return (grad * e / (1 + e),)

    x32 = Tensor(np.array([100.0, -3.0], dtype=np.float32))
    assert gradcheck(SoftplusNaive.apply, [x32.astype(np.float64)])
    with pytest.raises(LowPrecisionGradientError, match="own dtype float32: nan, where float64"):
        gradcheck(SoftplusNaive.apply, [x32])
    with pytest.raises(LowPrecisionGradientError):
        assert_grad_matches(SoftplusNaive.apply, x32)
    assert gradcheck(lambda x: F.softplus(x), [x32])  # the library's own softplus is stable


def test_gradcheck_takes_tuple_outputs_and_raise_exception_as_pytorch():
    x = Tensor(np.random.default_rng(0).normal(size=4))
    assert gradcheck(lambda t: (t.sin(), t.cos()), [x])
    assert gradgradcheck(lambda t: (t.sin(), t * t), [x])

    class WrongCos(Function):
        def forward(self, x):
            return np.cos(x)

        def backward(self, grad):
            return (grad * self.inputs[0].sin(),)  # the sign is wrong

    with pytest.raises(GradcheckError, match="of the sum over the outputs"):
        gradcheck(lambda t: (t.sin(), WrongCos.apply(t)), [x])
    assert gradcheck(WrongCos.apply, [x], raise_exception=False) is False
    assert gradgradcheck(lambda t: t.sin(), [x], raise_exception=False) is True


def test_a_random_function_is_named_as_such():
    x = Tensor(np.random.default_rng(0).normal(size=6))
    with pytest.raises(NondeterministicFunctionError, match="different outputs for identical"):
        assert_grad_matches(lambda t: F.dropout(t, 0.5), x)
    assert_grad_matches(lambda t: F.dropout(t, 0.5, rng=0), x)


def test_correct_ops_pass_at_float32_and_float16_where_their_slopes_round_away():
    """tanh's slope at 9 is 6e-8 (0 in float32, as PyTorch's); log's at 1e-5 is beyond
    float16's range: neither is a wrong gradient."""
    assert gradcheck(lambda x: x.tanh(), [Tensor(np.array([9.0], np.float32))])
    assert gradcheck(lambda x: F.softmax(x, dim=-1), [Tensor(np.array([[18.0, 0.0]], np.float32))])
    assert gradcheck(lambda x: x.tanh(), [Tensor(np.array([5.0, 6.0], np.float16))])
    assert gradcheck(lambda x: x.log(), [Tensor(np.array([1e-5], np.float16))])


def test_the_localizer_names_the_wrong_op_of_a_function_with_tuple_outputs():
    class WrongCos(Function):
        def forward(self, x):
            return np.cos(x)

        def backward(self, grad):
            return (grad * self.inputs[0].sin(),)

    with pytest.raises(GradcheckError, match="first wrong op: WrongCos") as caught:
        assert_grad_matches(lambda t: (t.sin(), WrongCos.apply(t)), Tensor([0.3, 1.2]))
    assert caught.value.op == "WrongCos"


def test_max_of_a_zero_d_tensor_masks_an_infinite_gradient():
    x = Tensor(2.0, requires_grad=True)
    (ad.maximum(1.0 - x, 0.0) * Tensor(float("nan"))).backward()
    assert x.grad.item() == 0.0
