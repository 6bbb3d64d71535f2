"""conv2d, max_pool2d and avg_pool2d: values against naive loops, gradients, errors, layouts."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from autodiff import Tensor, enable_grad, gradcheck, gradgradcheck
from autodiff.engine import run_backward
from autodiff.ops.registry import OPS
from nn.functional.conv import Conv2dInputGrad, Conv2dWeightGrad, conv2d
from nn.functional.pooling import avg_pool2d, max_pool2d

RNG = np.random.default_rng(0)


def randn(*shape):
    return RNG.standard_normal(shape)


def distinct(*shape):
    """Tie-free values, well separated for finite differences."""
    size = int(np.prod(shape))
    return RNG.permutation(size).reshape(shape) * 0.25 - size / 8


# ----- naive references (loops over every output pixel) ------------------------------------------
def pair(v):
    return (v, v) if np.ndim(v) == 0 else tuple(v)


def naive_conv(x, w, b, stride, padding):
    (sh, sw), (ph, pw) = pair(stride), pair(padding)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    n, o, (kh, kw) = x.shape[0], w.shape[0], w.shape[2:]
    ho, wo = (xp.shape[2] - kh) // sh + 1, (xp.shape[3] - kw) // sw + 1
    out = np.zeros((n, o, ho, wo))
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
            out[:, :, i, j] = np.einsum("nchw,ochw->no", patch, w)
    return out if b is None else out + b[None, :, None, None]


def naive_pool(x, kernel, stride, padding, reduce, fill):
    (kh, kw), (ph, pw) = pair(kernel), pair(padding)
    sh, sw = pair(kernel if stride is None else stride)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    ho, wo = (xp.shape[2] - kh) // sh + 1, (xp.shape[3] - kw) // sw + 1
    out = np.zeros(x.shape[:2] + (ho, wo))
    for i in range(ho):
        for j in range(wo):
            out[:, :, i, j] = reduce(xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw], axis=(2, 3))
    return out


def input_grad(f, x, v):
    """d sum(f(x) * v) / dx, with v a Tensor (possibly requiring grad); recorded even when
    gradcheck evaluates it under no_grad."""
    with enable_grad():
        return run_backward((f(x),), (v,), create_graph=True, inputs=[x])[0]


# ----- convolution ---------------------------------------------------------------------------------
CONV_CASES = [  # x shape, w shape, stride, padding
    ((2, 3, 5, 6), (4, 3, 3, 3), 1, 0),
    ((2, 3, 5, 6), (4, 3, 3, 3), 1, 1),
    ((1, 2, 7, 6), (3, 2, 3, 2), 2, 1),
    ((2, 1, 6, 7), (2, 1, 2, 3), (2, 1), (0, 2)),
    ((1, 2, 4, 4), (1, 2, 1, 1), 3, 0),
    ((1, 1, 3, 3), (2, 1, 5, 5), 1, 1),  # kernel as large as the padded input
]


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", CONV_CASES)
@pytest.mark.parametrize("with_bias", [True, False])
def test_conv2d_matches_naive_loops(x_shape, w_shape, stride, padding, with_bias):
    x, w = randn(*x_shape), randn(*w_shape)
    b = randn(w_shape[0]) if with_bias else None
    out = conv2d(Tensor(x), Tensor(w), None if b is None else Tensor(b), stride, padding)
    np.testing.assert_allclose(out.numpy(), naive_conv(x, w, b, stride, padding), atol=1e-12)


def test_conv2d_float32_stays_float32_and_accepts_channels_last_memory():
    x = randn(2, 3, 5, 5).astype(np.float32)
    w, b = randn(4, 3, 3, 3).astype(np.float32), randn(4).astype(np.float32)
    channels_last = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    out = conv2d(Tensor(channels_last), Tensor(w), Tensor(b), padding=1)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), naive_conv(x, w, b, 1, 1), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", CONV_CASES[1:5])
def test_conv2d_gradcheck(x_shape, w_shape, stride, padding):
    x, w, b = randn(*x_shape), randn(*w_shape), randn(w_shape[0])
    assert gradcheck(lambda x, w, b: conv2d(x, w, b, stride, padding), [x, w, b])


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", [
    ((1, 2, 4, 4), (2, 2, 3, 3), 1, 1),
    ((2, 1, 5, 4), (2, 1, 2, 3), (2, 1), (1, 0)),
])
def test_conv2d_gradgradcheck(x_shape, w_shape, stride, padding):
    x, w, b = randn(*x_shape), randn(*w_shape), randn(w_shape[0])
    assert gradgradcheck(lambda x, w, b: conv2d(x, w, b, stride, padding), [x, w, b])


def test_first_order_and_differentiable_gradients_agree():
    """The array path (grad mode off) and the Function path (create_graph) give equal values."""
    x_shape, w_shape, stride, padding = CONV_CASES[3]
    data = randn(*x_shape), randn(*w_shape), randn(w_shape[0])
    grads = []
    for create_graph in (False, True):
        inputs = [Tensor(a, requires_grad=True) for a in data]
        out = conv2d(*inputs, stride=stride, padding=padding)
        v = Tensor(np.linspace(-1, 1, out.size).reshape(out.shape))
        grads.append(run_backward((out,), (v,), create_graph=create_graph, inputs=inputs))
    assert [g.requires_grad for g in grads[0]] == [False, False, False]
    assert [g.requires_grad for g in grads[1]] == [True, True, False]  # d/db does not depend on x, w
    for first, second in zip(*grads):
        np.testing.assert_allclose(first.numpy(), second.numpy(), atol=1e-12)


def test_gradient_ops_are_the_adjoints_of_conv2d():
    """<conv(x, w), g> = <x, InputGrad(g, w)> = <w, WeightGrad(x, g)>."""
    x, w = randn(2, 3, 6, 5), randn(4, 3, 3, 2)
    stride, padding = (2, 1), (1, 1)
    out = conv2d(Tensor(x), Tensor(w), stride=stride, padding=padding).numpy()
    g = randn(*out.shape)
    dx = Conv2dInputGrad.apply(g, w, in_hw=(6, 5), stride=stride, padding=padding).numpy()
    dw = Conv2dWeightGrad.apply(x, g, kernel=(3, 2), stride=stride, padding=padding).numpy()
    total = np.sum(out * g)
    assert np.isclose(np.sum(x * dx), total) and np.isclose(np.sum(w * dw), total)


def test_gradient_of_a_quadratic_loss_in_the_weight_differentiates_again():
    """d/dw of <conv(x, w), v * conv(x, w)> is checked against finite differences in x and w,
    which runs the backward of Conv2dInputGrad and Conv2dWeightGrad."""
    x, w = randn(1, 1, 4, 3), randn(1, 1, 2, 2)

    def second(x, w):
        with enable_grad():
            w_leaf = Tensor(w.data, requires_grad=True) if not w.requires_grad else w
            out = conv2d(x, w_leaf, padding=1)
            v = Tensor(np.linspace(-1, 1, out.size).reshape(out.shape))
            return input_grad(lambda w: conv2d(x, w, padding=1), w_leaf, v * out)

    assert gradcheck(second, [x, w])


@pytest.mark.parametrize("args, message", [
    (((2, 3, 5, 5), (4, 2, 3, 3)), r"\(2, 3, 5, 5\) has 3 channels but weight of shape \(4, 2, 3, 3\)"),
    (((3, 5, 5), (4, 3, 3, 3)), r"4-d input.*\(3, 5, 5\)"),
    (((1, 3, 5, 5), (4, 3, 3)), r"4-d weight.*\(4, 3, 3\)"),
    (((1, 1, 2, 4), (1, 1, 3, 3)), r"kernel size \(3, 3\) is larger than the padded input size \(2, 4\)"),
])
def test_conv2d_errors_name_the_shapes(args, message):
    x_shape, w_shape = args
    with pytest.raises(ValueError, match=message):
        conv2d(Tensor(np.zeros(x_shape)), Tensor(np.zeros(w_shape)))


def test_conv2d_bias_and_argument_errors():
    x, w = Tensor(np.zeros((1, 2, 4, 4))), Tensor(np.zeros((3, 2, 2, 2)))
    with pytest.raises(ValueError, match=r"bias of shape \(2,\).*expected \(3,\)"):
        conv2d(x, w, Tensor(np.zeros(2)))
    with pytest.raises(ValueError, match="stride must be positive"):
        conv2d(x, w, stride=0)
    with pytest.raises(TypeError, match="padding must be an int or a pair"):
        conv2d(x, w, padding=(1, 1, 1))


# ----- pooling -------------------------------------------------------------------------------------
POOL_CASES = [  # x shape, kernel, stride, padding
    ((2, 3, 4, 6), 2, None, 0),  # windows tile the input exactly
    ((1, 2, 5, 7), 2, None, 0),  # the last row and column fall outside every window
    ((2, 2, 5, 5), 3, 2, 1),  # overlapping, padded
    ((1, 2, 4, 5), (2, 3), (1, 2), (1, 1)),  # non-square kernel and stride
    ((1, 1, 5, 4), 2, 3, 0),  # gaps between windows
]


@pytest.mark.parametrize("x_shape, kernel, stride, padding", POOL_CASES)
def test_max_pool2d_matches_naive_loops_and_gradcheck(x_shape, kernel, stride, padding):
    x = distinct(*x_shape)
    out = max_pool2d(Tensor(x), kernel, stride, padding)
    np.testing.assert_array_equal(out.numpy(), naive_pool(x, kernel, stride, padding, np.max, -np.inf))
    assert gradcheck(lambda x: max_pool2d(x, kernel, stride, padding), [x])


@pytest.mark.parametrize("x_shape, kernel, stride, padding", POOL_CASES)
def test_avg_pool2d_matches_naive_loops_and_gradchecks(x_shape, kernel, stride, padding):
    x = randn(*x_shape)
    out = avg_pool2d(Tensor(x), kernel, stride, padding)
    np.testing.assert_allclose(out.numpy(), naive_pool(x, kernel, stride, padding, np.mean, 0.0),
                               atol=1e-12)
    f = lambda x: avg_pool2d(x, kernel, stride, padding)
    assert gradcheck(f, [x]) and gradgradcheck(f, [x])


def test_avg_pool2d_counts_padding_as_zeros():
    out = avg_pool2d(Tensor(np.ones((1, 1, 2, 2))), 2, stride=1, padding=1)
    np.testing.assert_allclose(out.numpy()[0, 0], [[0.25, 0.5, 0.25], [0.5, 1, 0.5], [0.25, 0.5, 0.25]])


@pytest.mark.parametrize("x, expected", [
    (np.zeros((2, 2)), [[1, 0], [0, 0]]),  # all tied: the first element
    ([[0, 5], [5, 0]], [[0, 1], [0, 0]]),  # first in row-major order, not column-major
    ([[1, 2], [2, 2]], [[0, 1], [0, 0]]),
    ([[1, 0], [0, 3]], [[0, 0], [0, 1]]),
])
def test_max_pool2d_ties_send_the_gradient_to_the_first_maximum(x, expected):
    x = Tensor(np.asarray(x, dtype=np.float64)[None, None], requires_grad=True)
    max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], expected)


def test_max_pool2d_ties_in_overlapping_windows_accumulate_per_window():
    x = Tensor(np.zeros((1, 1, 3, 3)), requires_grad=True)
    max_pool2d(x, 2, stride=1).sum().backward()  # four windows, each picks its top-left
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])


def test_max_pool2d_pads_with_minus_infinity():
    x = -np.ones((1, 1, 2, 2)) - np.arange(4).reshape(1, 1, 2, 2)
    out = max_pool2d(Tensor(x), 2, stride=1, padding=1).numpy()[0, 0]
    np.testing.assert_array_equal(out, [[-1, -1, -2], [-1, -1, -2], [-3, -3, -4]])


@pytest.mark.parametrize("x_shape, kernel, stride, padding", POOL_CASES[1:4])
def test_max_pool2d_backward_is_differentiable(x_shape, kernel, stride, padding):
    """The gradient is linear in the output gradient v: its derivative is the gather."""
    x = Tensor(distinct(*x_shape))
    f = lambda x: max_pool2d(x, kernel, stride, padding)
    v = randn(*f(x).shape)
    assert gradcheck(lambda v: input_grad(f, Tensor(x.data, requires_grad=True), v), [v])
    assert gradgradcheck(lambda v: input_grad(f, Tensor(x.data, requires_grad=True), v) ** 2, [v])
    assert gradgradcheck(f, [x.data])


def test_pool_float32_channels_last_and_mixed_layout_gradients():
    """A channels-last input and an NCHW output gradient (as after a Flatten) give the same
    gradients as contiguous NCHW arrays."""
    x = distinct(2, 3, 4, 4).astype(np.float32)
    channels_last = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    g = randn(2, 3, 2, 2).astype(np.float32)
    for pool in (max_pool2d, avg_pool2d):
        grads = []
        for data in (x, channels_last):
            t = Tensor(data, requires_grad=True)
            out = pool(t, 2)
            assert out.dtype == np.float32
            out.backward(g)
            grads.append(t.grad.numpy())
        np.testing.assert_array_equal(grads[0], grads[1])
        assert np.count_nonzero(grads[0]) == (x.size if pool is avg_pool2d else g.size)


@pytest.mark.parametrize("pool", [max_pool2d, avg_pool2d])
def test_pool_errors(pool):
    name = pool.__name__
    with pytest.raises(ValueError, match=rf"{name}: expected a 4-d input.*\(4, 4\)"):
        pool(Tensor(np.zeros((4, 4))), 2)
    with pytest.raises(ValueError, match=r"padding \(2, 2\) must be at most half of kernel_size \(3, 3\)"):
        pool(Tensor(np.zeros((1, 1, 6, 6))), 3, padding=2)
    with pytest.raises(ValueError, match=r"\(1, 1, 2, 5\) is too small for kernel_size \(3, 3\)"):
        pool(Tensor(np.zeros((1, 1, 2, 5))), 3)
    with pytest.raises(ValueError, match="must be positive"):
        pool(Tensor(np.zeros((1, 1, 4, 4))), 2, stride=0)


# ----- registry --------------------------------------------------------------------------------------
SPECS = [spec for spec in OPS.values() if spec.kind in ("conv2d", "pool2d")]


def test_every_op_family_is_registered():
    names = {spec.name for spec in SPECS}
    assert {"conv2d", "conv2d_input_grad", "conv2d_weight_grad", "max_pool2d", "avg_pool2d"} <= names


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_registered_strategies_draw_checkable_cases(spec):
    @settings(max_examples=3, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(spec.params["strategy"]())
    def check(case):
        args, kwargs = case
        f = lambda *xs: spec.fn(*xs, **kwargs)
        assert gradcheck(f, list(args))
        if spec.distinct:
            assert len(np.unique(args[0])) == args[0].size

    check()
