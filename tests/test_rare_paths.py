"""Public behaviours on branches the rest of the suite did not reach (found by a coverage run),
each checked by value."""
from fractions import Fraction

import numpy as np
import pytest

import autodiff as ad
import nn
import nn.functional as F
from autodiff import Tensor, Value, gradcheck, gradgradcheck


def test_cosine_schedule_chained_past_t_max_follows_pytorchs_recursion():
    p = Tensor(np.zeros(1), requires_grad=True)
    opt = nn.optim.SGD([p], lr=1.0)
    cosine = nn.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=2, eta_min=0.1)
    decay = nn.optim.lr_scheduler.ExponentialLR(opt, 0.9)
    rates = []
    for _ in range(5):
        opt.step()
        cosine.step()
        decay.step()
        rates.append(opt.param_groups[0]["lr"])
    assert rates[2:] == pytest.approx([0.486, 0.7848, 0.39816])


@pytest.mark.parametrize("step", [np.int64(1), np.array(1), Tensor(np.array(1))])
def test_optimizer_step_counters_load_as_ints(step):
    w = Tensor(np.ones(2, np.float32), requires_grad=True)
    opt = nn.optim.Adam([w], lr=0.1)
    (w * w).sum().backward()
    opt.step()
    state = opt.state_dict()
    state["state"][0]["step"] = step
    restored = nn.optim.Adam([w], lr=0.1)
    restored.load_state_dict(state)
    assert type(restored.state[w]["step"]) is int and restored.state[w]["step"] == 1


def test_linear_with_a_frozen_weight_still_gives_the_input_its_gradient():
    layer = nn.Linear(3, 2)
    layer.weight.requires_grad_(False)
    x = Tensor(np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32),
               requires_grad=True)
    layer(x).sum().backward()
    assert layer.weight.grad is None and layer.bias.grad.data.tolist() == [4.0, 4.0]
    np.testing.assert_allclose(x.grad.data, np.ones((4, 2)) @ layer.weight.data, rtol=1e-6)


def test_batch_norm_without_running_stats_uses_the_batch_in_eval_too():
    x = Tensor(np.random.default_rng(1).standard_normal((8, 3)).astype(np.float32) * 3 + 5)
    bn = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    bn.reset_parameters()
    bn.eval()
    np.testing.assert_allclose(bn(x).data.mean(0), 0.0, atol=1e-6)
    np.testing.assert_allclose(bn(x).data.std(0), 1.0, rtol=1e-3)
    running_mean = np.zeros(3, np.float32)  # only a running mean: it alone is updated
    F.batch_norm(x, running_mean, None, training=True)
    np.testing.assert_allclose(running_mean, 0.1 * x.data.mean(0), rtol=1e-6)


def test_two_hooks_on_one_interior_tensor_run_in_order():
    x = Tensor(np.ones(2), requires_grad=True)
    y = x * 2
    seen = []
    y.register_hook(lambda g: seen.append(g.data.tolist()))
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    assert seen == [[1.0, 1.0]] and x.grad.data.tolist() == [20.0, 20.0]


def test_gradcheck_of_a_function_returning_one_tensor_twice():
    x = np.array([0.3, -0.7])

    def twice(t):
        y = (t * t).sin()
        return y, y

    assert gradcheck(twice, [x]) and gradgradcheck(twice, [x])


def test_value_arithmetic_with_numpy_and_fraction_numbers():
    b = Value(3.0)
    (np.float64(2) - b + np.float64(6) / b).backward()
    assert b.grad == pytest.approx(-1 - 6 / 9)
    c = Value(2.0)
    (Fraction(1, 2) * c - Fraction(3, 2)).backward()
    assert c.grad == 0.5
    with pytest.raises(TypeError):
        Value(2.0) - "x"


def test_variance_of_integer_tensors():
    t = Tensor(np.array([1, 2, 3, 4]))
    assert t.var().item() == 1.25
    assert t.std(ddof=1).item() == pytest.approx(np.std([1, 2, 3, 4], ddof=1))


def test_einsum_of_three_operands_and_its_gradients():
    rng = np.random.default_rng(2)
    a, b, c = (rng.standard_normal(s) for s in ((2, 3), (3, 4), (4, 2)))
    out = ad.einsum("ij,jk,kl->il", Tensor(a), Tensor(b), Tensor(c))
    np.testing.assert_allclose(out.data, a @ b @ c)
    chain = lambda p, q, r: ad.einsum("ij,jk,kl->il", p, q, r)  # noqa: E731
    assert gradcheck(chain, [a, b, c]) and gradgradcheck(chain, [a, b, c])


def test_boolean_operators_with_python_bools_on_the_left():
    mask = Tensor(np.array([True, False]))
    assert (True ^ mask).data.tolist() == [False, True]
    assert (False | mask).data.tolist() == [True, False]
    with pytest.raises(TypeError):
        ~Tensor(np.array([1.5]))
    with pytest.raises(ValueError):
        bool(Tensor(np.array([1.0, 2.0])))
