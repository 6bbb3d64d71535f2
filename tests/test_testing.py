"""autodiff.testing: strategies, and assert_grad_matches with its localizing report."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autodiff import Function, Tensor
from autodiff.ops.registry import OpSpec
from autodiff.testing import (GradcheckError, NonDifferentiablePointError, assert_grad_matches,
                              broadcastable_shapes, elements, op_cases, shapes, tensors)

FAST = settings(max_examples=25, deadline=None, derandomize=True, database=None)


class Square(Function):
    def forward(self, x):
        return x * x

    def backward(self, grad):
        return (grad * self.inputs[0] * 2,)


class SquareMissingFactor(Function):
    """A wrong backward: forgets the factor 2."""

    def forward(self, x):
        return x * x

    def backward(self, grad):
        return (grad * self.inputs[0],)


class CubeFirstOrderOnly(Function):
    """Right gradient, built from .data, so its own derivative (the second one) is wrong."""

    def forward(self, x):
        return x ** 3

    def backward(self, grad):
        return (grad * Tensor(3 * self.inputs[0].data ** 2),)


class ReluWrongAtZero(Function):
    """Relu whose backward gives 3 at exactly 0: not between the one-sided slopes 0 and 1."""

    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, grad):
        x = self.inputs[0].data
        return (grad * ((x > 0) + 3.0 * (x == 0)),)


class MaxToFirst(Function):
    """Max of a vector with the whole gradient to the first maximal element (like argmax)."""

    def forward(self, x):
        self.first = np.zeros_like(x)
        self.first[np.argmax(x)] = 1
        return np.max(x)

    def backward(self, grad):
        return (grad * self.first,)


# ----- assert_grad_matches ----------------------------------------------------------------------
def test_passes_for_a_correct_composite_function():
    x = Tensor(np.array([[0.3, -1.2, 0.8]]))
    w = Tensor(np.array([[0.5, -0.1], [1.0, 0.2], [-0.7, 0.4]]))
    assert_grad_matches(lambda x, w: Square.apply(x @ w).tanh().sum(), x, w)


def test_names_the_one_wrong_op_among_correct_ones():
    x = Tensor(np.array([0.1, -0.4, 0.9]))

    def f(x):
        h = (x * 2).exp()
        y = SquareMissingFactor.apply(h)  # the culprit line
        return (y.sin() + h).sum()

    with pytest.raises(GradcheckError) as info:
        assert_grad_matches(f, x)
    error = info.value
    assert error.op == "SquareMissingFactor"
    assert error.input_shapes == [(3,)]
    assert error.site[0] == __file__ and "# the culprit line" in error.site[2]
    message = str(error)
    assert "first wrong op: SquareMissingFactor (inputs (3,) float64)" in message
    assert "test_testing.py" in message and "SquareMissingFactor.apply(h)" in message
    assert "Mul -> Exp -> SquareMissingFactor -> Sin -> Add -> Sum" in message


def test_reports_the_worst_element_with_both_values():
    x = Tensor(np.array([0.5, -3.0, 1.0]))
    with pytest.raises(GradcheckError) as info:
        assert_grad_matches(lambda x: SquareMissingFactor.apply(x).sum(), x, order=1)
    error = info.value
    # The analytic gradient is x, the true one 2 x: the largest gap is at |x| = 3.
    assert error.input_index == 0 and error.element == (1,)
    assert error.numeric == pytest.approx(2 * error.analytic, rel=1e-6)
    assert f"analytic {error.analytic!r}" in str(error)


def test_a_wrong_second_derivative_is_found_and_localized():
    x = Tensor(np.array([0.3, -0.6]))

    def f(x):
        return CubeFirstOrderOnly.apply(x.sin()).sum()

    assert_grad_matches(f, x, order=1)
    with pytest.raises(GradcheckError) as info:
        assert_grad_matches(f, x)
    assert info.value.op == "CubeFirstOrderOnly"
    assert str(info.value).startswith("second derivative of the function disagrees")


def test_a_function_that_leaves_the_graph_is_reported_as_such():
    x = Tensor(np.array([0.5, 2.0]))
    with pytest.raises(GradcheckError) as info:
        assert_grad_matches(lambda x: x * Tensor(x.data), x)  # x.data is a constant to autodiff
    assert info.value.op is None
    assert "every op of the graph (Mul) passes its own check" in str(info.value)
    assert ".data" in str(info.value)


def test_is_an_assertion_error():
    assert issubclass(GradcheckError, AssertionError)
    assert issubclass(NonDifferentiablePointError, GradcheckError)


def test_float32_inputs_are_checked_in_float64():
    x = Tensor(np.array([0.25, -1.5, 0.75], dtype=np.float32))
    assert_grad_matches(lambda x: (x.exp() * x.sin()).sum(), x)  # float32 differences would fail
    assert x.dtype == np.float32


def test_integer_inputs_pass_through():
    x = Tensor(np.array([1.0, -2.0, 3.0]))
    assert_grad_matches(lambda x, idx: (x[idx] * x[idx]).sum(), x, np.array([0, 0, 2]))


def test_a_kink_is_reported_as_such_not_as_a_wrong_gradient():
    x = Tensor(np.array([1.0, 0.0, -1.0]))
    assert_grad_matches(lambda x: x.relu(), x)  # kinks="accept": 0 is a valid subgradient
    with pytest.raises(NonDifferentiablePointError) as info:
        assert_grad_matches(lambda x: x.relu(), x, kinks="raise")
    error = info.value
    assert error.element == (1,)
    assert error.left == 0.0 and error.right != 0.0
    assert "not differentiable" in str(error) and "not a wrong gradient" in str(error)


def test_a_tie_in_max_is_recognized():
    x = Tensor(np.array([2.0, 2.0, -1.0]))
    assert_grad_matches(lambda x: MaxToFirst.apply(x), x, order=1)
    with pytest.raises(NonDifferentiablePointError) as info:
        assert_grad_matches(lambda x: MaxToFirst.apply(x), x, order=1, kinks="raise")
    assert info.value.element in ((0,), (1,))


def test_a_wrong_value_at_a_kink_is_still_wrong():
    x = Tensor(np.array([0.0, 1.0]))
    with pytest.raises(GradcheckError) as info:
        assert_grad_matches(lambda x: ReluWrongAtZero.apply(x), x, order=1)
    assert not isinstance(info.value, NonDifferentiablePointError)
    assert "is not between them" in str(info.value)
    assert info.value.op == "ReluWrongAtZero"


def test_unknown_order_is_refused():
    with pytest.raises(ValueError, match="order must be 1 or 2"):
        assert_grad_matches(lambda x: x, Tensor(np.ones(2)), order=3)


def test_hypothesis_shrinks_a_wrong_backward_to_a_small_failing_input():
    class SoftplusWrongForNegatives(Function):
        def forward(self, x):
            return np.logaddexp(0, x)

        def backward(self, grad):
            x = self.inputs[0]
            return (grad * x.sigmoid() * (x.data > -1),)  # drops the gradient below -1

    failing = []

    @FAST
    @given(tensors(domain=(-5.0, 5.0)))
    def check(x):
        try:
            assert_grad_matches(lambda t: SoftplusWrongForNegatives.apply(t), x, order=1)
        except GradcheckError:
            failing.append(x)
            raise

    with pytest.raises(GradcheckError):
        check()
    smallest = failing[-1]
    assert smallest.size == 1 and smallest.item() == -1.0  # the boundary of the bug


# ----- strategies -------------------------------------------------------------------------------
@FAST
@given(shapes(min_dims=1, max_dims=2, max_side=4))
def test_shapes_respect_their_bounds(shape):
    assert 1 <= len(shape) <= 2 and all(1 <= n <= 4 for n in shape)


@FAST
@given(broadcastable_shapes(3))
def test_broadcastable_shapes_broadcast(shape_list):
    assert len(shape_list) == 3
    np.broadcast_shapes(*shape_list)


@FAST
@given(tensors(shape=(2, 3), dtype=np.float32, domain=(0.1, 3.0), requires_grad=True))
def test_tensors_have_the_shape_dtype_and_domain(x):
    assert isinstance(x, Tensor) and x.shape == (2, 3) and x.dtype == np.float32
    assert x.requires_grad
    assert ((x.data >= 0.1) & (x.data <= 3.0)).all()


@FAST
@given(tensors(domain=(-1.0, 1.0), avoid=(0.0, 0.5)))
def test_tensors_keep_away_from_kinks(x):
    assert (np.abs(x.data) >= 1e-3).all() and (np.abs(x.data - 0.5) >= 1e-3).all()
    assert ((x.data >= -1.0) & (x.data <= 1.0)).all()


@FAST
@given(tensors(shape=shapes(min_dims=1), distinct=True))
def test_distinct_tensors_have_no_close_elements(x):
    values = np.sort(x.data.reshape(-1))
    assert (np.diff(values) >= 4.0 / 400 - 1e-12).all()


@FAST
@given(tensors(shape=hnp.array_shapes(max_dims=2), elements=st.integers(-3, 3), dtype=np.int64))
def test_tensors_compose_with_hypothesis_numpy(x):
    assert x.dtype == np.int64 and ((x.data >= -3) & (x.data <= 3)).all()


def test_elements_are_bounded_and_shifted_off_kinks():
    @FAST
    @given(elements(domain=(-1.0, 1.0), avoid=(0.0,)))
    def check(value):
        assert -1.0 <= value <= 1.0 and abs(value) >= 1e-3

    check()


# ----- op_cases ---------------------------------------------------------------------------------
@FAST
@given(st.data())
def test_reduction_cases_honour_min_size(data):
    spec = OpSpec("fake_var", None, kind="reduction", params={"min_size": 3})
    (x,), kwargs = data.draw(op_cases(spec))
    axis = kwargs["axis"]
    reduced = range(x.ndim) if axis is None else [a % x.ndim for a in axis]
    assert x.ndim >= 1 and np.prod([x.shape[a] for a in reduced]) >= 3
    assert isinstance(kwargs["keepdims"], bool)


@FAST
@given(st.data())
def test_getitem_cases_are_valid_numpy_indices(data):
    (x,), kwargs = data.draw(op_cases(OpSpec("fake_getitem", None, kind="getitem")))
    x[kwargs["index"]]  # raises IndexError if the strategy drew an invalid index


@FAST
@given(st.data())
def test_matmul_cases_multiply(data):
    (a, b), _ = data.draw(op_cases(OpSpec("fake_matmul", None, arity=2, kind="matmul")))
    np.matmul(a, b)


def test_a_spec_can_bring_its_own_strategy():
    fixed = st.just(((np.ones(2),), {"scale": 3}))
    with_spec = OpSpec("a", None, kind="mine", params={"strategy": lambda spec: fixed})
    without_spec = OpSpec("b", None, kind="mine", params={"strategy": lambda: fixed})
    with_defaults = OpSpec("c", None, kind="mine", params={"strategy": lambda bias=True: fixed})
    for spec in (with_spec, without_spec, with_defaults):
        assert op_cases(spec) is fixed


def test_an_unknown_kind_is_named():
    with pytest.raises(LookupError, match="op 'conv9d' has kind 'nine'"):
        op_cases(OpSpec("conv9d", None, kind="nine"))


# ----- kinks at second order, float32 graphs (hooks/viz review, session 10) ------------------

@pytest.mark.parametrize("f, x", [
    (lambda x: x.max(), np.array([2.0, 2.0, -1.0])),
    (lambda x: x.abs().sum(), np.array([0.0, 1.0])),
])
def test_a_tie_or_abs_at_zero_passes_at_second_order_and_is_named_a_kink(f, x):
    """The gradient jumps there and the subgradient sits in the middle of the jump, so the two
    one-sided quotients agree (and grow as 1 / step): a kink, not a wrong op."""
    assert_grad_matches(f, Tensor(x))
    with pytest.raises(NonDifferentiablePointError, match="second derivative jumps there"):
        assert_grad_matches(f, Tensor(x), kinks="raise")


def test_a_wrong_op_inside_a_float32_graph_is_still_named():
    class WrongSquare(Function):
        def forward(self, a):
            return a * a

        def backward(self, grad):
            (a,) = self.inputs
            return (grad * a * 3.0,)  # should be 2a

    def f(x):
        return WrongSquare.apply(x.astype(np.float32)).sum()

    with pytest.raises(GradcheckError, match="first wrong op: WrongSquare"):
        assert_grad_matches(f, Tensor(np.array([0.3, -0.7])), order=1, atol=1e-3, rtol=1e-2)


def test_an_op_that_cannot_be_checked_in_float64_is_not_said_to_pass():
    class WrongHalf(Function):
        def forward(self, a):
            return (a * 2).astype(np.float16)  # float16 whatever the input

        def backward(self, grad):
            return (grad * 3.0,)  # should be 2

    with pytest.raises(GradcheckError, match="but WrongHalf could not be checked") as error:
        assert_grad_matches(lambda x: WrongHalf.apply(x).sum(), Tensor(np.array([0.3, -0.7])),
                            order=1)
    assert "passes its own check" not in str(error.value)


def test_at_a_jump_another_ops_wrong_second_derivative_is_still_caught():
    """abs at 0 makes the second-order check's function jump there; the cube's derivative
    beside the jump must still be right."""
    class CubeWrongSecond(Function):
        def forward(self, x):
            return x ** 3

        def backward(self, grad):
            (x,) = self.inputs
            return (grad * self.constant(3 * x.data ** 2),)  # leaves the graph: wrong 2nd order

    with pytest.raises(GradcheckError):
        assert_grad_matches(lambda x: CubeWrongSecond.apply(x + 1.0).sum() + x.abs().sum(),
                            np.array([0.0]))
    assert_grad_matches(lambda x: ((x + 1.0) ** 3).sum() + x.abs().sum(), np.array([0.0]))


@settings(max_examples=200, deadline=None)
@given(elements(domain=(-1.0, 1.0), avoid=(0.0, 0.0015)))
def test_elements_stay_away_from_points_closer_together_than_twice_the_margin(value):
    """Moving away from 0.0015 could land within the margin of 0."""
    assert abs(value) >= 1e-3 and abs(value - 0.0015) >= 1e-3


@settings(max_examples=100, deadline=None)
@given(elements(domain=(0.0, 0.0005), avoid=(0.002,)))
def test_elements_stay_in_a_domain_narrower_than_the_margin(value):
    assert 0.0 <= value <= 0.0005


def test_elements_refuse_a_domain_that_avoid_covers():
    with pytest.raises(ValueError, match="nothing to draw"):
        elements(domain=(-0.0005, 0.0005), avoid=(0.0,))
