"""conv2d, max_pool2d and avg_pool2d: values against naive loops, gradients, errors, layouts."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import nn
import nn.functional as F
from autodiff import Tensor, enable_grad, gradcheck, gradgradcheck
from autodiff.engine import run_backward
from autodiff.ops.registry import OPS
from nn.functional.conv import Conv2dInputGrad, Conv2dWeightGrad, conv2d
from nn.functional.padding import pad2d
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


def naive_grouped_conv(x, w, b, stride, padding, dilation, groups):
    """Direct dilated, grouped cross-correlation: loops over output pixels and channels."""
    (sh, sw), (ph, pw), (dh, dw) = pair(stride), pair(padding), pair(dilation)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    o, cg, kh, kw = w.shape
    og = o // groups
    ho = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    wo = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((x.shape[0], o, ho, wo))
    for oc in range(o):
        first = (oc // og) * cg  # the group's first input channel
        for i in range(ho):
            for j in range(wo):
                taps = xp[:, first:first + cg, i * sh:i * sh + dh * (kh - 1) + 1:dh,
                          j * sw:j * sw + dw * (kw - 1) + 1:dw]
                out[:, oc, i, j] = np.einsum("nchw,chw->n", taps, w[oc])
    return out if b is None else out + b[None, :, None, None]


def window_starts(size, reach, stride, padding, ceil_mode):
    """Window starts in padded coordinates: every full window, then with ceil_mode one partial
    window if the last full one stops short of the end, unless it starts in the right padding."""
    end, starts, t = size + 2 * padding, [], 0
    while t + reach <= end:
        starts.append(t)
        t += stride
    if ceil_mode and starts and starts[-1] + reach < end and t < size + padding:
        starts.append(t)
    return starts


def naive_pool_ext(x, kernel, stride, padding, dilation, ceil_mode):
    """Per output pixel of pooling, the list of (row, column) input positions of the window
    (padding excluded), and per axis (window start, window end clipped to the padded input)."""
    (kh, kw), (ph, pw), (dh, dw) = pair(kernel), pair(padding), pair(dilation)
    sh, sw = pair(kernel if stride is None else stride)
    h, w = x.shape[2:]
    rows = window_starts(h, dh * (kh - 1) + 1, sh, ph, ceil_mode)
    cols = window_starts(w, dw * (kw - 1) + 1, sw, pw, ceil_mode)
    windows = {}
    for i, top in enumerate(rows):
        for j, left in enumerate(cols):
            taps = [(top - ph + a * dh, left - pw + b * dw) for a in range(kh) for b in range(kw)]
            windows[i, j] = [(r, c) for r, c in taps if 0 <= r < h and 0 <= c < w]
    return rows, cols, windows


def naive_max_pool(x, kernel, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Max pooling and PyTorch's indices (first maximum, flat in H*W) by loops."""
    rows, cols, windows = naive_pool_ext(x, kernel, stride, padding, dilation, ceil_mode)
    out = np.full(x.shape[:2] + (len(rows), len(cols)), -np.inf)
    index = np.zeros(out.shape, dtype=np.int64)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for (i, j), taps in windows.items():
                for r, col in taps:
                    if x[n, c, r, col] > out[n, c, i, j]:
                        out[n, c, i, j], index[n, c, i, j] = x[n, c, r, col], r * x.shape[3] + col
    return out, index


def naive_avg_pool(x, kernel, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                   divisor_override=None):
    """Average pooling by loops, dividing as PyTorch: by the window's elements inside the
    padded input, or inside the input, or by divisor_override."""
    (kh, kw), (ph, pw) = pair(kernel), pair(padding)
    h, w = x.shape[2:]
    rows, cols, windows = naive_pool_ext(x, kernel, stride, padding, 1, ceil_mode)
    out = np.zeros(x.shape[:2] + (len(rows), len(cols)))
    for (i, j), taps in windows.items():
        total = sum(x[:, :, r, c] for r, c in taps)
        padded_rows = min(rows[i] + kh, h + 2 * ph) - rows[i]
        padded_cols = min(cols[j] + kw, w + 2 * pw) - cols[j]
        divisor = (divisor_override or (padded_rows * padded_cols if count_include_pad
                                        else len(taps)))
        out[:, :, i, j] = total / divisor
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
    (((5, 5), (4, 3, 3, 3)), r"4-d input.*\(5, 5\)"),  # (C, H, W) is one unbatched image
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


GROUPED_CASES = [  # x shape, w shape, stride, padding, dilation, groups
    ((2, 4, 6, 7), (6, 2, 3, 3), 1, 1, 1, 2),
    ((1, 3, 5, 5), (3, 1, 3, 3), 1, 1, 1, 3),  # depthwise
    ((1, 2, 7, 8), (3, 2, 3, 2), 1, 0, (2, 3), 1),
    ((2, 6, 8, 7), (6, 2, 2, 3), (2, 1), (1, 2), (3, 2), 3),
    ((1, 4, 5, 6), (2, 2, 1, 2), 2, 0, 2, 2),  # one output channel per group
]


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, groups", GROUPED_CASES)
def test_dilated_and_grouped_conv2d_matches_naive_loops(x_shape, w_shape, stride, padding,
                                                        dilation, groups):
    x, w, b = randn(*x_shape), randn(*w_shape), randn(w_shape[0])
    expected = naive_grouped_conv(x, w, b, stride, padding, dilation, groups)
    channels_last = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    for data in (x, channels_last):
        out = conv2d(Tensor(data), Tensor(w), Tensor(b), stride, padding, dilation, groups)
        np.testing.assert_allclose(out.numpy(), expected, atol=1e-12)


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, groups",
                         [GROUPED_CASES[0], GROUPED_CASES[3]])
def test_dilated_and_grouped_conv2d_gradcheck_and_adjoints(x_shape, w_shape, stride, padding,
                                                           dilation, groups):
    x, w, b = randn(*x_shape), randn(*w_shape), randn(w_shape[0])
    geometry = dict(stride=pair(stride), padding=pair(padding), dilation=pair(dilation),
                    groups=groups)
    assert gradcheck(lambda x, w, b: conv2d(x, w, b, **geometry), [x, w, b])
    out = conv2d(Tensor(x), Tensor(w), **geometry).numpy()
    g = randn(*out.shape)
    dx = Conv2dInputGrad.apply(g, w, in_hw=x_shape[2:], **geometry).numpy()
    dw = Conv2dWeightGrad.apply(x, g, kernel=w_shape[2:], **geometry).numpy()
    assert dx.shape == x.shape and dw.shape == w.shape
    total = np.sum(out * g)
    assert np.isclose(np.sum(x * dx), total) and np.isclose(np.sum(w * dw), total)


def test_grouped_conv2d_gradgradcheck():
    x, w = randn(1, 4, 4, 4), randn(2, 2, 2, 2)
    assert gradgradcheck(lambda x, w: conv2d(x, w, None, 1, 1, (2, 1), 2), [x, w])


@pytest.mark.parametrize("kernel, dilation", [(2, 1), ((4, 3), (1, 2)), ((2, 3), (3, 1))])
def test_conv2d_same_padding_puts_the_odd_element_last(kernel, dilation):
    """PyTorch's 'same': total padding dilation*(k - 1), the extra element at the bottom and
    right when it is odd."""
    x, w = randn(2, 2, 6, 7), randn(3, 2, *pair(kernel))
    pads = [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2)
            for k, d in zip(pair(kernel), pair(dilation))]
    xp = np.pad(x, ((0, 0), (0, 0), pads[0], pads[1]))
    out = conv2d(Tensor(x), Tensor(w), padding="same", dilation=dilation)
    assert out.shape == (2, 3, 6, 7)
    np.testing.assert_allclose(out.numpy(), naive_grouped_conv(xp, w, None, 1, 0, dilation, 1),
                               atol=1e-12)
    assert gradcheck(lambda x, w: conv2d(x, w, padding="same", dilation=dilation), [x, w])
    valid = conv2d(Tensor(x), Tensor(w), padding="valid", dilation=dilation)
    np.testing.assert_allclose(valid.numpy(), naive_grouped_conv(x, w, None, 1, 0, dilation, 1),
                               atol=1e-12)


def test_conv2d_positional_arguments_are_pytorchs():
    """conv2d(input, weight, bias, stride, padding, dilation, groups)."""
    x, w, b = randn(1, 4, 7, 7), randn(2, 2, 3, 3), randn(2)
    out = conv2d(Tensor(x), Tensor(w), Tensor(b), 2, 1, 2, 2).numpy()
    np.testing.assert_allclose(out, naive_grouped_conv(x, w, b, 2, 1, 2, 2), atol=1e-12)


@pytest.mark.parametrize("x_shape, w_shape, kwargs, error, message", [
    ((1, 4, 5, 5), (6, 3, 3, 3), dict(groups=2), ValueError,
     r"\(1, 4, 5, 5\) has 4 channels but weight of shape \(6, 3, 3, 3\) with groups=2 expects 6"),
    ((1, 4, 5, 5), (3, 2, 3, 3), dict(groups=2), ValueError,
     r"\(3, 2, 3, 3\) has 3 output channels, not divisible by groups=2"),
    ((1, 4, 5, 5), (4, 4, 3, 3), dict(groups=0), ValueError, "groups must be a positive int"),
    ((1, 4, 5, 5), (4, 4, 3, 3), dict(dilation=0), ValueError, "dilation must be positive"),
    ((1, 4, 5, 5), (4, 4, 3, 3), dict(dilation=(1, -1)), ValueError, "dilation must be positive"),
    ((1, 4, 5, 5), (4, 4, 3, 3), dict(padding=-1), ValueError, "padding must be non-negative"),
    ((1, 4, 5, 5), (4, 4, 3, 3), dict(padding="same", stride=2), ValueError,
     r"padding='same' is not supported for strided convolutions, got stride=\(2, 2\)"),
    ((1, 4, 5, 5), (4, 4, 3, 3), dict(padding="full"), ValueError, "got padding='full'"),
    ((1, 4, 5, 6), (4, 4, 3, 3), dict(dilation=3), ValueError,
     r"kernel size \(3, 3\) with dilation \(3, 3\) \(spanning \(7, 7\)\) is larger than the "
     r"padded input size \(5, 6\)"),
])
def test_conv2d_geometry_errors(x_shape, w_shape, kwargs, error, message):
    with pytest.raises(error, match=message):
        conv2d(Tensor(np.zeros(x_shape)), Tensor(np.zeros(w_shape)), **kwargs)


@pytest.mark.parametrize("mode, numpy_mode", [("zeros", "constant"), ("reflect", "reflect"),
                                               ("replicate", "edge"), ("circular", "wrap")])
def test_pad2d_modes_match_numpy_and_gradcheck(mode, numpy_mode):
    x, padding = randn(2, 2, 3, 4), ((2, 1), (0, 3))
    out = pad2d(Tensor(x), padding, mode)
    np.testing.assert_array_equal(out.numpy(), np.pad(x, ((0, 0), (0, 0)) + padding, numpy_mode))
    assert gradcheck(lambda x: pad2d(x, padding, mode), [x])


def test_pad2d_sends_every_copy_s_gradient_back_to_its_source():
    x = Tensor(np.zeros((1, 1, 1, 3)), requires_grad=True)
    pad2d(x, ((0, 0), (2, 2)), "reflect").sum().backward()  # [2 1 | 0 1 2 | 1 0]
    np.testing.assert_array_equal(x.grad.numpy()[0, 0, 0], [2, 3, 2])


@pytest.mark.parametrize("mode, padding, message", [
    ("reflect", ((0, 0), (3, 0)), r"reflect padding .* less than the input size.*\(1, 1, 4, 3\)"),
    ("circular", ((5, 0), (0, 0)), "wrap around more than once"),
    ("mirror", ((1, 1), (1, 1)), "mode must be one of"),
])
def test_pad2d_errors(mode, padding, message):
    with pytest.raises(ValueError, match=message):
        pad2d(Tensor(np.zeros((1, 1, 4, 3))), padding, mode)


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


# PyTorch's output sizes (computed with torch 2.13): (H, kernel, stride, padding, dilation,
# floor size, ceil_mode size). The last windows of (4, 2, 3, 1) and (10, 4, 3, 2) would start in
# the right padding, so ceil_mode drops them.
POOL_SIZES = [(5, 2, 2, 0, 1, 2, 3), (5, 3, 2, 1, 1, 3, 3), (6, 3, 2, 1, 1, 3, 4),
              (7, 3, 3, 1, 1, 3, 3), (4, 2, 3, 1, 1, 2, 2), (6, 2, 2, 1, 2, 3, 4),
              (9, 3, 2, 1, 2, 4, 4), (5, 3, 3, 0, 1, 1, 2), (10, 4, 3, 2, 1, 4, 4)]


@pytest.mark.parametrize("h, kernel, stride, padding, dilation, floor_size, ceil_size", POOL_SIZES)
def test_pool_output_sizes_are_pytorchs(h, kernel, stride, padding, dilation, floor_size,
                                        ceil_size):
    x = Tensor(np.zeros((1, 1, h, h)))
    for ceil_mode, size in ((False, floor_size), (True, ceil_size)):
        out = max_pool2d(x, kernel, stride, padding, dilation, ceil_mode)
        assert out.shape == (1, 1, size, size)
        if dilation == 1:
            assert avg_pool2d(x, kernel, stride, padding, ceil_mode).shape == out.shape
        rows, _, _ = naive_pool_ext(x.numpy(), kernel, stride, padding, dilation, ceil_mode)
        assert len(rows) == size


EXTENDED_POOL_CASES = [  # x shape, kernel, stride, padding, dilation, ceil_mode
    ((1, 2, 5, 5), 2, None, 0, 1, True),  # a last window of one row and column
    ((2, 1, 6, 7), 3, 2, 1, 1, True),
    ((1, 2, 4, 4), 2, 3, 1, 1, True),  # ceil_mode's extra window would start in the padding
    ((1, 2, 7, 8), (3, 2), (2, 1), (1, 1), (2, 3), False),
    ((2, 2, 9, 6), 3, 2, 1, 2, True),
    ((1, 1, 6, 6), (2, 3), (3, 2), (1, 0), (2, 1), True),
]


@pytest.mark.parametrize("x_shape, kernel, stride, padding, dilation, ceil_mode",
                         EXTENDED_POOL_CASES)
def test_max_pool2d_dilation_ceil_mode_and_indices_match_naive_loops(x_shape, kernel, stride,
                                                                     padding, dilation, ceil_mode):
    x = distinct(*x_shape)
    expected, expected_index = naive_max_pool(x, kernel, stride, padding, dilation, ceil_mode)
    channels_last = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    for data in (x, channels_last):
        out, index = max_pool2d(Tensor(data), kernel, stride, padding, dilation, ceil_mode, True)
        np.testing.assert_array_equal(out.numpy(), expected)
        np.testing.assert_array_equal(index.numpy(), expected_index)
        assert index.dtype == np.int64 and not index.requires_grad
    f = lambda x: max_pool2d(x, kernel, stride, padding, dilation, ceil_mode)
    assert gradcheck(f, [x])


def test_max_pool2d_gradient_goes_to_the_returned_index():
    x = Tensor(distinct(2, 3, 5, 5), requires_grad=True)
    out, index = max_pool2d(x, 3, 2, 1, 2, True, True)
    out.sum().backward()
    expected = np.zeros((2, 3, 25))
    for n, c in np.ndindex(2, 3):
        np.add.at(expected[n, c], index.numpy()[n, c].ravel(), 1.0)
    np.testing.assert_array_equal(x.grad.numpy(), expected.reshape(2, 3, 5, 5))


AVG_POOL_CASES = [  # x shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor
    ((1, 2, 5, 5), 2, None, 0, True, True, None),
    ((2, 1, 6, 7), 3, 2, 1, True, True, None),  # last windows run past the padding
    ((2, 1, 6, 7), 3, 2, 1, True, False, None),
    ((1, 2, 5, 6), (3, 2), (2, 1), (1, 1), False, False, None),
    ((1, 2, 4, 4), 2, 3, 1, True, False, None),
    ((1, 1, 5, 5), 3, 2, 1, True, True, 2),
    ((1, 1, 4, 5), 2, 1, 1, False, False, -3),
]


@pytest.mark.parametrize("x_shape, kernel, stride, padding, ceil_mode, include, divisor",
                         AVG_POOL_CASES)
def test_avg_pool2d_ceil_mode_and_divisors_match_naive_loops(x_shape, kernel, stride, padding,
                                                             ceil_mode, include, divisor):
    x = randn(*x_shape)
    args = (kernel, stride, padding, ceil_mode, include, divisor)
    expected = naive_avg_pool(x, *args)
    channels_last = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    for data in (x, channels_last):
        np.testing.assert_allclose(avg_pool2d(Tensor(data), *args).numpy(), expected, atol=1e-12)
    f = lambda x: avg_pool2d(x, *args)
    assert gradcheck(f, [x]) and gradgradcheck(f, [x])


def test_avg_pool2d_divisors_by_hand():
    """4 rows, kernel 3, stride 2, padding 1: windows over rows -1..1 and 1..3, and with
    ceil_mode rows 3..5, cut to 3..4 by the end of the padded input. Per axis they hold 2, 3, 1
    input elements and 3, 3, 2 elements of the padded input."""
    ones = Tensor(np.ones((1, 1, 4, 4)))
    ratio = np.array([2 / 3, 1.0, 1 / 2])
    np.testing.assert_allclose(avg_pool2d(ones, 3, 2, 1).numpy()[0, 0],
                               np.outer(ratio[:2], ratio[:2]))
    np.testing.assert_allclose(avg_pool2d(ones, 3, 2, 1, True).numpy()[0, 0],
                               np.outer(ratio, ratio))
    np.testing.assert_allclose(avg_pool2d(ones, 3, 2, 1, True, False).numpy()[0, 0],
                               np.ones((3, 3)))
    np.testing.assert_allclose(avg_pool2d(ones, 3, 2, 1, True, True, 2).numpy()[0, 0],
                               np.outer([2, 3, 1], [2, 3, 1]) / 2)


def test_pool_positional_arguments_are_pytorchs():
    """max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices) and
    avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor)."""
    x = distinct(1, 1, 5, 5)
    out = max_pool2d(Tensor(x), 2, 2, 0, 1, True)
    assert isinstance(out, Tensor) and out.shape == (1, 1, 3, 3)
    out, index = max_pool2d(Tensor(x), 2, 2, 0, 1, False, True)
    assert out.shape == index.shape == (1, 1, 2, 2)
    np.testing.assert_allclose(avg_pool2d(Tensor(x), 2, 2, 1, True, False, 3).numpy(),
                               naive_avg_pool(x, 2, 2, 1, True, False, 3))


@pytest.mark.parametrize("call, message", [
    (lambda x: max_pool2d(x, 2, dilation=0), "dilation must be positive"),
    (lambda x: max_pool2d(x, 3, padding=2, dilation=2),
     r"padding \(2, 2\) must be at most half of kernel_size \(3, 3\)"),
    (lambda x: max_pool2d(x, 3, dilation=3), r"too small .* dilation \(3, 3\)"),
    (lambda x: avg_pool2d(x, 2, divisor_override=0), "divisor_override must be a non-zero int"),
    (lambda x: avg_pool2d(x, 2, padding=-1), "padding must be non-negative"),
])
def test_extended_pool_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call(Tensor(np.zeros((1, 1, 5, 5))))


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


# ----- unbatched (C, H, W) images in the functional pooling -------------------------------
IMAGE_CHW = np.random.default_rng(0).normal(size=(2, 5, 6))


def test_functional_pooling_accepts_an_unbatched_image():
    np.testing.assert_array_equal(max_pool2d(Tensor(IMAGE_CHW), 2).data,
                                  max_pool2d(Tensor(IMAGE_CHW[None]), 2).data[0])
    out, idx = max_pool2d(Tensor(IMAGE_CHW), 3, 2, 1, return_indices=True)
    ref, ref_idx = max_pool2d(Tensor(IMAGE_CHW[None]), 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(out.data, ref.data[0])
    np.testing.assert_array_equal(idx.data, ref_idx.data[0])
    np.testing.assert_allclose(avg_pool2d(Tensor(IMAGE_CHW), 2, 1, 1).data,
                               avg_pool2d(Tensor(IMAGE_CHW[None]), 2, 1, 1).data[0])


# ----- conv2d promotes a float64 bias as NumPy --------------------------------------------
def test_float64_bias_with_float32_input_and_weight_gives_float64():
    x = Tensor(np.ones((1, 1, 3, 3), np.float32), requires_grad=True)
    w = Tensor(np.ones((1, 1, 2, 2), np.float32), requires_grad=True)
    b = Tensor(np.array([1 / 3]), requires_grad=True)
    out = F.conv2d(x, w, b)
    linear = F.linear(Tensor(np.ones((1, 2), np.float32)), Tensor(np.ones((1, 2), np.float32)), b)
    assert linear.dtype == np.float64  # the rule F.linear already follows
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, 4 + 1 / 3, rtol=1e-15)
    out.sum().backward()
    assert (x.grad.dtype, w.grad.dtype, b.grad.dtype) == (np.float32, np.float32, np.float64)
    np.testing.assert_allclose(b.grad.data, [4.0])


def test_matching_dtypes_are_unchanged():
    for dtype in (np.float32, np.float64):
        x = Tensor(np.ones((1, 2, 3, 3), dtype))
        out = F.conv2d(x, Tensor(np.ones((2, 1, 2, 2), dtype)), Tensor(np.ones(2, dtype)), groups=2)
        assert out.dtype == dtype
        np.testing.assert_array_equal(out.data, 5.0)


# ----- conv2d on an unbatched (C, H, W) image ---------------------------------------------
def test_functional_conv2d_on_an_unbatched_image_matches_the_module():
    rng = np.random.default_rng(0)
    conv = nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2, rng=0).double()
    x = rng.standard_normal((4, 5, 5))
    a, b = Tensor(x, requires_grad=True), Tensor(x, requires_grad=True)
    by_module = conv(a)
    by_function = F.conv2d(b, conv.weight, conv.bias, 2, 1, 1, 2)
    assert by_function.shape == by_module.shape == (6, 3, 3)
    np.testing.assert_array_equal(by_function.data, by_module.data)
    by_module.sum().backward()
    by_function.sum().backward()
    np.testing.assert_array_equal(a.grad.data, b.grad.data)


def test_functional_conv2d_unbatched_first_and_second_order():
    rng = np.random.default_rng(1)
    f = lambda x, w, b: F.conv2d(x, w, b, padding="same")
    inputs = [rng.standard_normal((2, 4, 4)), rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3)]
    assert gradcheck(f, inputs)
    assert gradgradcheck(f, inputs)


# ----- max pooling: padding never wins a window, NaN does (layers review, session 10) -------

def test_padding_never_holds_the_maximum_of_an_all_minus_inf_window():
    x = Tensor(np.full((1, 1, 2, 2), -np.inf), requires_grad=True)
    out, indices = max_pool2d(x, 2, 2, padding=1, return_indices=True)
    out.sum().backward()
    assert indices.data.ravel().tolist() == [0, 1, 2, 3]
    np.testing.assert_array_equal(x.grad.data.ravel(), [1, 1, 1, 1])


def test_a_row_masked_to_minus_inf_keeps_its_gradient_inside_the_input():
    rows = np.array([[-np.inf, -np.inf, -np.inf], [1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    x = Tensor(rows[None, None], requires_grad=True)
    out, indices = max_pool2d(x, 2, 1, padding=1, return_indices=True)
    out.sum().backward()
    assert indices.data[0, 0, 0].tolist() == [0, 0, 1, 2]
    np.testing.assert_array_equal(x.grad.data[0, 0, 0], [2, 1, 1])
    assert x.grad.data.sum() == out.size  # every window's gradient lands on the input


def test_integer_minimum_inside_the_input_beats_the_padding():
    low = np.iinfo(np.int32).min
    x = Tensor(np.full((1, 1, 2, 2), low, dtype=np.int32))
    _, indices = max_pool2d(x, 2, 2, padding=1, return_indices=True)
    assert indices.data.ravel().tolist() == [0, 1, 2, 3]


def test_a_window_with_a_nan_sends_its_gradient_to_the_nan():
    x = Tensor(np.array([[1.0, np.nan, 3.0, np.nan], [0.0, 5.0, -1.0, 2.0]])[None, None],
               requires_grad=True)
    out, indices = max_pool2d(x, 2, return_indices=True)
    out.sum().backward()
    assert np.isnan(out.data).all()
    assert indices.data.ravel().tolist() == [1, 3]
    np.testing.assert_array_equal(x.grad.data[0, 0], [[0, 1, 0, 1], [0, 0, 0, 0]])


@pytest.mark.parametrize("dtype", [np.int64, np.uint8, np.bool_])
def test_avg_pool2d_of_integers_averages_in_float64(dtype):
    """The scale 1/4 was cast to the integer type (0), so every average was 0."""
    data = (np.arange(16).reshape(1, 1, 4, 4) * 10 % 7).astype(dtype)
    out = F.avg_pool2d(Tensor(data), 2)
    assert out.dtype == np.float64
    expected = data.astype(np.float64).reshape(1, 1, 2, 2, 2, 2).mean(axis=(3, 5))
    np.testing.assert_allclose(out.numpy(), expected)
    np.testing.assert_allclose(nn.AvgPool2d(2)(Tensor(data)).numpy(), expected)


def test_conv2d_layer_takes_numpy_integer_groups():
    conv = nn.Conv2d(4, 4, 3, groups=np.int64(2))
    assert conv.groups == 2 and conv.weight.shape == (4, 2, 3, 3)


@pytest.mark.parametrize("stride, padding, dilation", [(1, 1, 1), (2, 0, 1), ((2, 1), (1, 2), 2)])
def test_depthwise_input_gradient_matches_the_same_conv_written_dense(stride, padding, dilation):
    """A depthwise input gradient (one input channel per output channel) is computed offset
    by offset: the general batched product ran NumPy's slow loop on (N*H*W, 1) @ (1, 1)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 7, 6))
    w = rng.normal(size=(3, 1, 3, 2))
    dense_w = np.zeros((3, 3, 3, 2))
    for c in range(3):
        dense_w[c, c] = w[c, 0]
    grads = []
    for weight, groups in ((w, 3), (dense_w, 1)):
        xt = Tensor(x, requires_grad=True)
        out = F.conv2d(xt, Tensor(weight), stride=stride, padding=padding, dilation=dilation,
                       groups=groups)
        (out * Tensor(np.arange(out.size, dtype=float).reshape(out.shape))).sum().backward()
        grads.append(xt.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, atol=1e-12)
    assert gradgradcheck(lambda t, u: F.conv2d(t, u, stride=stride, padding=padding,
                                               dilation=dilation, groups=3),
                            [Tensor(x[:1, :, :5, :4]), Tensor(w)])


# ----- F.pad and adaptive average pooling --------------------------------------------------------
def _adaptive_reference(x, out_h, out_w):
    """PyTorch's adaptive average pooling, bin by bin: floor(i H / h) to ceil((i + 1) H / h)."""
    n, c, h, w = x.shape
    out = np.empty((n, c, out_h, out_w))
    for i in range(out_h):
        r0, r1 = (i * h) // out_h, -(-(i + 1) * h // out_h)
        for j in range(out_w):
            c0, c1 = (j * w) // out_w, -(-(j + 1) * w // out_w)
            out[:, :, i, j] = x[:, :, r0:r1, c0:c1].mean(axis=(2, 3))
    return out


@pytest.mark.parametrize("size, out", [((5, 7), (2, 3)), ((4, 4), (2, 2)), ((3, 5), (4, 6)),
                                       ((6, 6), (1, 1)), ((5, 7), (None, 3))])
def test_adaptive_avg_pool2d_matches_pytorchs_bins(size, out):
    x = np.random.default_rng(0).standard_normal((2, 3) + size)
    got = nn.AdaptiveAvgPool2d(out)(Tensor(x))
    shape = tuple(s if o is None else o for o, s in zip(out, size))
    np.testing.assert_allclose(got.data, _adaptive_reference(x, *shape), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(F.adaptive_avg_pool2d(Tensor(x[0]), out).data,
                               _adaptive_reference(x[:1], *shape)[0], rtol=1e-12, atol=1e-15)
    t = Tensor(x, requires_grad=True)  # each input gets 1 / (its bin's size), summed over bins
    F.adaptive_avg_pool2d(t, out).sum().backward()
    np.testing.assert_allclose(t.grad.data.sum(), 2 * 3 * shape[0] * shape[1])


def test_adaptive_avg_pool2d_refuses_bad_sizes():
    with pytest.raises(ValueError, match="output_size must be a positive int or a pair"):
        F.adaptive_avg_pool2d(Tensor(np.ones((1, 1, 4, 4))), (0, 2))
    with pytest.raises(ValueError, match=r"shape \(N, C, H, W\) or \(C, H, W\), got shape \(4, 4\)"):
        F.adaptive_avg_pool2d(Tensor(np.ones((4, 4))), 2)


def test_pad_follows_pytorchs_last_axis_first_widths():
    x = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(F.pad(Tensor(x), (1, 2), value=-1.0).data,
                                  np.pad(x, ((0, 0), (0, 0), (1, 2)), constant_values=-1.0))
    np.testing.assert_array_equal(F.pad(Tensor(x), (0, 1, 2, 0)).data,
                                  np.pad(x, ((0, 0), (2, 0), (0, 1))))
    np.testing.assert_array_equal(F.pad(Tensor(x), (-1, 1, 1, -2)).data,  # negative widths crop
                                  np.pad(x[:, :1, 1:], ((0, 0), (1, 0), (0, 1))))
    for mode, numpy_mode in [("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap")]:
        np.testing.assert_array_equal(F.pad(Tensor(x), (2, 1, 1, 2), mode=mode).data,
                                      np.pad(x, ((0, 0), (1, 2), (2, 1)), mode=numpy_mode))
    t = Tensor(x, requires_grad=True)
    F.pad(t, (2, 2), mode="replicate").sum().backward()  # the edges are copied three times
    np.testing.assert_array_equal(t.grad.data[0, 0], [3.0, 1.0, 1.0, 3.0])
    t = Tensor(x, requires_grad=True)
    F.pad(t, (1, 1), value=5.0).sum().backward()  # the filled places are constants
    np.testing.assert_array_equal(t.grad.data, np.ones_like(x))


@pytest.mark.parametrize("call, message", [
    (lambda t: F.pad(t, (1,)), "even number of int widths"),
    (lambda t: F.pad(t, (1, 1) * 4), r"at most 6 for a tensor of shape \(2, 3, 4\)"),
    (lambda t: F.pad(t, (4, 0), mode="reflect"), "reflect padding .* less than the input size"),
    (lambda t: F.pad(t, (-1, 0), mode="replicate"), "non-negative in mode 'replicate'"),
    (lambda t: F.pad(t, (1, 0), mode="reflect", value=2.0), "for mode 'constant' only"),
    (lambda t: F.pad(t, (1, 0), mode="symmetric"), "mode must be 'constant'"),
    (lambda t: F.pad(t, (-3, -2)), r"crop more than the shape \(2, 3, 4\) has"),
])
def test_pad_names_what_is_wrong(call, message):
    with pytest.raises(ValueError, match=message):
        call(Tensor(np.arange(24.0).reshape(2, 3, 4)))


def test_pad_and_adaptive_pooling_refuse_what_pytorch_refuses():
    with pytest.raises(ValueError, match=r"pad: 300 cannot be written into a tensor of dtype int8"):
        F.pad(Tensor(np.zeros(3, np.int8)), (1, 1), value=300)  # NumPy would wrap it to 44
    with pytest.raises(ValueError, match="pad: nan cannot be written into a tensor of dtype int32"):
        F.pad(Tensor(np.zeros(3, np.int32)), (1, 1), value=float("nan"))
    assert F.pad(Tensor(np.zeros(3, np.int8)), (1, 1), value=5).data.tolist() == [5, 0, 0, 0, 5]
    for shape, size in (((1, 1, 0, 3), 2), ((1, 1, 0, 3), 1), ((1, 1, 2, 3), None)):
        with pytest.raises(ValueError, match="needs a non-empty image and an output_size"):
            F.adaptive_avg_pool2d(Tensor(np.zeros(shape)), size)  # ZeroDivisionError, NaN, x
