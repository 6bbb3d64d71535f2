"""Fused nodes: nn.Sequential records a Linear followed by a ReLU or LeakyReLU as one node
(nn.functional.fused) with the values, gradients and drawing of the two ops, and keeps them
apart wherever the user can see the difference."""
import numpy as np
import pytest

import autodiff as ad
import nn
import nn.functional as F
from autodiff import Tensor
from autodiff.engine import run_backward
from autodiff.viz import draw_graph, record_modules
from nn.functional.fused import LinearLeakyRelu, LinearRelu, linear_leaky_relu, linear_relu


def _normal(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def _mlp(dtype=np.float64, seed=0):
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 5), nn.LeakyReLU(0.2),
                          nn.Linear(5, 3))
    for i, p in enumerate(model.parameters()):
        p.data = _normal(*p.shape, seed=seed + i).astype(dtype)
    return model


def _by_hand(model, x):
    """The same network called module by module outside Sequential: separate nodes."""
    h = x
    for layer in model:
        if isinstance(layer, nn.ReLU):
            h = F.relu(h)
        elif isinstance(layer, nn.LeakyReLU):
            h = F.leaky_relu(h, layer.negative_slope)
        else:
            h = layer(h)
    return h


def _node_names(tensor):
    """Names of the ops from ``tensor`` back to the input, following the first input."""
    names, node = [], tensor._ctx
    while node is not None:
        names.append(node.name)
        node = node.inputs[0]._ctx
    return names


def _grad(output, inputs, create_graph=False):
    """d sum(output) / d inputs, as a list of Tensors (autodiff.grad is JAX's form)."""
    seed = Tensor(np.ones(output.shape, dtype=output.dtype))
    return list(run_backward((output,), (seed,), create_graph=create_graph, inputs=inputs))


def _gradients(model, x, build):
    for p in model.parameters():
        p.grad = None
    x.grad = None
    out = build(model, x)
    (out * Tensor(_normal(*out.shape, seed=9))).sum().backward()
    return out.data, [p.grad.data for p in model.parameters()] + [x.grad.data]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sequential_fuses_linear_and_activation_with_the_same_values_and_gradients(dtype):
    model = _mlp(dtype)
    x = Tensor(_normal(7, 4, seed=10).astype(dtype), requires_grad=True)
    assert _node_names(model(x)) == ["Linear", "LinearLeakyRelu", "LinearRelu"]
    out, grads = _gradients(model, x, lambda m, t: m(t))
    expected_out, expected_grads = _gradients(model, x, _by_hand)
    np.testing.assert_array_equal(out, expected_out)
    assert out.dtype == dtype
    for got, expected in zip(grads, expected_grads):
        np.testing.assert_array_equal(got, expected)


def test_inputs_with_more_axes_are_fused_too():
    model = _mlp()
    x = Tensor(_normal(2, 3, 4, seed=4), requires_grad=True)
    assert _node_names(model(x)) == ["Linear", "LinearLeakyRelu", "LinearRelu"]
    out, grads = _gradients(model, x, lambda m, t: m(t))
    expected_out, expected_grads = _gradients(model, x, _by_hand)
    np.testing.assert_array_equal(out, expected_out)
    for got, expected in zip(grads, expected_grads):
        np.testing.assert_array_equal(got, expected)


def test_the_input_is_left_as_it_was():
    x = Tensor(_normal(5, 4, seed=2))
    before = x.data.copy()
    _mlp()(x)
    np.testing.assert_array_equal(x.data, before)


def test_the_last_pair_keeps_its_activation_node_as_in_pytorch():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    out = model(Tensor(_normal(2, 4)))
    assert _node_names(out) == ["Relu", "Linear"]
    assert "grad_fn=Relu" in repr(out)


def test_under_no_grad_the_pair_computes_the_same_values_without_a_graph():
    model = _mlp()
    x = Tensor(_normal(3, 4, seed=1))
    with ad.no_grad():
        out = model(x)
    assert out._ctx is None and not out.requires_grad
    np.testing.assert_array_equal(out.data, _by_hand(model, x).data)


def test_second_derivatives_through_the_fused_nodes_match_the_separate_ops():
    model = _mlp()
    x = Tensor(_normal(6, 4, seed=5), requires_grad=True)
    params = list(model.parameters())

    def curvature(build):
        grads = _grad(build(model, x) ** 2, params + [x], create_graph=True)
        total = sum((g * g).sum() for g in grads)
        return [g.data for g in _grad(total, params + [x])]

    for got, expected in zip(curvature(lambda m, t: m(t)), curvature(_by_hand)):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_modules_with_hooks_are_called_as_usual():
    model = _mlp()
    seen = []
    model[0].register_forward_hook(lambda module, args, output: seen.append(output.data.copy()))
    model[3].register_forward_pre_hook(lambda module, args: seen.append(args[0].data.copy()))
    out = model(Tensor(_normal(8, 4, seed=3)))
    assert (seen[0] < 0).any()  # the first Linear's output, before its ReLU
    assert (seen[1] < 0).any()  # the LeakyReLU's input
    assert _node_names(out) == ["Linear", "LeakyRelu", "Linear", "Relu", "Linear"]


class _DoubledLinear(nn.Linear):
    def forward(self, x):
        return super().forward(x) * 2.0


class _ShiftedRelu(nn.ReLU):
    def forward(self, x):
        return super().forward(x) + 1.0


def test_subclasses_keep_their_own_forward():
    x = Tensor(_normal(5, 4, seed=6))
    first = _DoubledLinear(4, 3)
    np.testing.assert_allclose(nn.Sequential(first, nn.ReLU(), nn.Identity())(x).data,
                               np.maximum(2 * nn.Linear.forward(first, x).data, 0))
    second = nn.Linear(4, 3)
    np.testing.assert_allclose(nn.Sequential(second, _ShiftedRelu(), nn.Identity())(x).data,
                               np.maximum(second(x).data, 0) + 1)


def test_nothing_is_fused_while_module_calls_or_anomalies_are_recorded():
    model = _mlp()
    x = Tensor(_normal(4, 4, seed=7))
    with record_modules():
        assert "LinearRelu" not in _node_names(model(x))
    with ad.detect_anomaly():
        assert "LinearRelu" not in _node_names(model(x))


def test_input_that_does_not_fit_gets_the_layer_error():
    with pytest.raises(ValueError, match=r"Linear: input of shape \(5, 3\) does not end in "
                                         r"in_features=4"):
        _mlp()(Tensor(_normal(5, 3)))


def test_backward_frees_a_fused_node_as_any_other():
    out = _mlp()(Tensor(_normal(3, 4)))
    hidden = out._ctx.inputs[0]
    fused = hidden._ctx
    assert type(fused) is LinearLeakyRelu and not fused.released
    out.sum().backward()
    assert fused.released and "scale" not in vars(fused)
    with pytest.raises(RuntimeError, match="LinearLeakyRelu were freed"):
        hidden.sum().backward()


def _all_node_names(tensor):
    names, stack = set(), [tensor._ctx]
    while stack:
        node = stack.pop()
        names.add(type(node).__name__)
        stack.extend(c for c in node.children() if isinstance(c, ad.Function))
    return names


@pytest.mark.parametrize("backward_first", [False, True])
def test_the_drawing_shows_the_separate_ops(backward_first):
    model = _mlp()
    x, y = Tensor(_normal(7, 4, seed=8)), Tensor(_normal(7, 3, seed=9))
    fused = F.mse_loss(model(x), y)
    separate = F.mse_loss(_by_hand(model, x), y)
    assert "LinearRelu" in _all_node_names(fused)
    if backward_first:
        fused.backward()
        separate.backward()
    drawn = draw_graph(fused, model=model).source
    assert drawn == draw_graph(separate, model=model).source
    assert ("LeakyRelu slope=0.2" in drawn) is not backward_first  # released: no parameters
    assert "Linear" in drawn and "LinearRelu" not in drawn


def test_the_drawing_shows_the_product_before_the_activation():
    x = Tensor(np.array([[1.0, -2.0]]))
    w = Tensor(np.array([[1.0, 1.0]]), requires_grad=True)
    drawn = draw_graph(linear_relu(x, w, Tensor(np.zeros(1))).sum()).source
    assert "data -1" in drawn  # the Linear part's output, recomputed (the ReLU wrote over it)
    assert "data 0" in drawn


def test_the_functional_forms_without_bias():
    x = Tensor(_normal(3, 2, seed=11), requires_grad=True)
    w = Tensor(_normal(4, 2, seed=12), requires_grad=True)
    for fused, separate in ((linear_relu(x, w), F.relu(F.linear(x, w))),
                            (linear_leaky_relu(x, w, negative_slope=0.3),
                             F.leaky_relu(F.linear(x, w), 0.3))):
        assert type(fused._ctx) in (LinearRelu, LinearLeakyRelu)
        np.testing.assert_array_equal(fused.data, separate.data)
        got = _grad(fused, [x, w])
        expected = _grad(separate, [x, w])
        for a, b in zip(got, expected):
            np.testing.assert_array_equal(a.data, b.data)



# ----- cases the suite missed (mutation testing, session 10) -----------------------------
# F2: the fused Linear+ReLU array backward must not overwrite a gradient array that another
# node still needs (Add hands the same array to both branches)
def test_two_fused_branches_sharing_one_gradient():
    from nn.functional.fused import linear_relu
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    w1 = Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    w2 = Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    b = Tensor(np.zeros(2))
    (linear_relu(x, w1, b) + linear_relu(x, w2, b)).sum().backward()
    got = x.grad.data.copy(), w1.grad.data.copy(), w2.grad.data.copy()
    xd, w1d, w2d = x.data, w1.data, w2.data
    m1, m2 = (xd @ w1d.T) > 0, (xd @ w2d.T) > 0
    np.testing.assert_allclose(got[0], m1 @ w1d + m2 @ w2d)
    np.testing.assert_allclose(got[1], m1.T.astype(float) @ xd)
    np.testing.assert_allclose(got[2], m2.T.astype(float) @ xd)
