"""nn.optim: every optimizer against its update rule written out in NumPy, checkpoints, errors."""
import numpy as np
import pytest

import nn
from autodiff import Tensor
from nn import optim, serialization
from nn.optim import SGD, Adam, AdamW, RMSprop, clip_grad_norm_

# f(w) = sum(A * (w - C)**2): a quadratic with a known gradient 2 * A * (w - C)
A = np.array([1.0, 2.0, 0.5, 3.0])
C = np.array([0.3, -1.0, 2.0, 0.0])
W0 = np.array([1.0, 0.5, -1.5, 2.0])
STEPS = 6


def quadratic(w):
    return (Tensor(A) * (w - Tensor(C)) ** 2).sum()


def quadratic_grad(w):
    return 2 * A * (w - C)


def run(make_optimizer, steps=STEPS, w0=W0):
    """Minimise the quadratic; returns the parameter after every step."""
    w = Tensor(w0.copy(), requires_grad=True)
    optimizer = make_optimizer([w])
    trajectory = []
    for _ in range(steps):
        optimizer.zero_grad()
        quadratic(w).backward()
        optimizer.step()
        trajectory.append(w.data.copy())
    return np.array(trajectory)


# ----- the update rules, re-derived from PyTorch's documented algorithms ----------------------

def sgd_reference(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                  maximize=False):
    w, buf, out = W0.copy(), None, []
    for _ in range(STEPS):
        g = quadratic_grad(w)
        if maximize:
            g = -g
        g = g + weight_decay * w
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        w = w - lr * g
        out.append(w)
    return np.array(out)


def rmsprop_reference(lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                      centered=False):
    w = W0.copy()
    v, m, b, out = np.zeros(4), np.zeros(4), np.zeros(4), []
    for _ in range(STEPS):
        g = quadratic_grad(w) + weight_decay * w
        v = alpha * v + (1 - alpha) * g ** 2
        if centered:
            m = alpha * m + (1 - alpha) * g
            avg = np.sqrt(v - m ** 2) + eps
        else:
            avg = np.sqrt(v) + eps
        if momentum > 0:
            b = momentum * b + g / avg
            w = w - lr * b
        else:
            w = w - lr * g / avg
        out.append(w)
    return np.array(out)


def adam_reference(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                   decoupled=False):
    b1, b2 = betas
    w = W0.copy()
    m, v, v_max, out = np.zeros(4), np.zeros(4), np.zeros(4), []
    for t in range(1, STEPS + 1):
        g = quadratic_grad(w)
        if decoupled:
            w = w * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        if amsgrad:
            v_max = np.maximum(v_max, v)
            used = v_max
        else:
            used = v
        m_hat = m / (1 - b1 ** t)
        w = w - lr * m_hat / (np.sqrt(used) / np.sqrt(1 - b2 ** t) + eps)
        out.append(w)
    return np.array(out)


def assert_trajectory(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kwargs", [
    dict(lr=0.1),
    dict(lr=0.1, maximize=True),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.3),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.05, weight_decay=0.1),
    dict(lr=0.05, momentum=0.8, weight_decay=0.1, nesterov=True),
    dict(lr=0.05, momentum=0.5, weight_decay=0.2, maximize=True),
], ids=repr)
def test_sgd_follows_the_update_rule(kwargs):
    assert_trajectory(run(lambda p: SGD(p, **kwargs)), sgd_reference(**kwargs))


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(lr=0.05, alpha=0.9, eps=1e-3),
    dict(lr=0.05, centered=True),
    dict(lr=0.02, momentum=0.9),
    dict(lr=0.02, weight_decay=0.1),
    dict(lr=0.02, alpha=0.8, momentum=0.7, centered=True, weight_decay=0.05),
], ids=repr)
def test_rmsprop_follows_the_update_rule(kwargs):
    assert_trajectory(run(lambda p: RMSprop(p, **kwargs)), rmsprop_reference(**kwargs))


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(lr=0.1, betas=(0.8, 0.9), eps=1e-4),
    dict(lr=0.1, weight_decay=0.1),
    dict(lr=0.3, betas=(0.5, 0.6), amsgrad=True),
    dict(lr=0.1, weight_decay=0.1, amsgrad=True),
], ids=repr)
def test_adam_follows_the_update_rule(kwargs):
    assert_trajectory(run(lambda p: Adam(p, **kwargs)), adam_reference(**kwargs))


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(lr=0.1, weight_decay=0.3),
    dict(lr=0.3, betas=(0.5, 0.6), weight_decay=0.1, amsgrad=True),
], ids=repr)
def test_adamw_decays_the_weights_decoupled_from_the_gradient(kwargs):
    reference = dict(kwargs, weight_decay=kwargs.get("weight_decay", 1e-2))  # AdamW's default
    expected = adam_reference(decoupled=True, **reference)
    assert_trajectory(run(lambda p: AdamW(p, **kwargs)), expected)


def test_adamw_differs_from_adam_with_l2_penalty():
    decoupled = run(lambda p: AdamW(p, lr=0.1, weight_decay=0.5))
    coupled = run(lambda p: Adam(p, lr=0.1, weight_decay=0.5))
    assert np.abs(decoupled - coupled).max() > 1e-3


# ----- the step's contract --------------------------------------------------------------------

ALL_OPTIMIZERS = [
    lambda p: SGD(p, lr=0.1),
    lambda p: SGD(p, lr=0.1, momentum=0.9, weight_decay=0.1, nesterov=True),
    lambda p: RMSprop(p, momentum=0.5, centered=True, weight_decay=0.1),
    lambda p: Adam(p, lr=0.1, weight_decay=0.1, amsgrad=True),
    lambda p: AdamW(p, lr=0.1),
]
OPTIMIZER_IDS = ["sgd", "sgd-nesterov-wd", "rmsprop-centered", "adam-amsgrad", "adamw"]


@pytest.mark.parametrize("make", ALL_OPTIMIZERS, ids=OPTIMIZER_IDS)
def test_step_updates_data_in_place_and_never_writes_into_gradients(make):
    w = Tensor(W0.copy(), requires_grad=True)
    other = Tensor(W0.copy(), requires_grad=True)
    shared = quadratic_grad(W0)
    shared.flags.writeable = False  # any write into the gradient would raise
    w.grad, other.grad = Tensor(shared), Tensor(shared)  # two tensors, one gradient array
    data = w.data
    optimizer = make([w, other])
    optimizer.step()
    assert w.data is data  # the same array, updated in place
    assert not np.array_equal(w.data, W0)
    np.testing.assert_array_equal(shared, quadratic_grad(W0))


@pytest.mark.parametrize("make", ALL_OPTIMIZERS, ids=OPTIMIZER_IDS)
def test_parameters_without_gradient_are_skipped(make):
    w = Tensor(W0.copy(), requires_grad=True)
    idle = Tensor(W0.copy(), requires_grad=True)
    optimizer = make([w, idle])
    w.grad = Tensor(quadratic_grad(W0))
    optimizer.step()
    np.testing.assert_array_equal(idle.data, W0)
    assert idle not in optimizer.state
    assert not np.array_equal(w.data, W0)


@pytest.mark.parametrize("make", ALL_OPTIMIZERS, ids=OPTIMIZER_IDS)
def test_float32_parameters_and_state_stay_float32(make):
    trajectory = run(make, steps=3, w0=W0.astype(np.float32))
    assert trajectory.dtype == np.float32
    w = Tensor(W0.astype(np.float32), requires_grad=True)
    optimizer = make([w])
    w.grad = Tensor(quadratic_grad(W0).astype(np.float32))
    optimizer.step()
    assert w.dtype == np.float32
    for value in optimizer.state.get(w, {}).values():
        assert not isinstance(value, np.ndarray) or value.dtype == np.float32


def test_plain_sgd_matches_numpy_for_non_contiguous_and_float32_gradients():
    w = Tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    g = np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2).T  # a transposed view
    w.grad = Tensor(g)
    expected = w.data - np.float32(0.5) * g
    SGD([w], lr=0.5).step()
    np.testing.assert_allclose(w.data, expected, rtol=1e-6)


def test_zero_grad_sets_gradients_to_none_or_to_new_zeros():
    w = Tensor(W0.copy(), requires_grad=True)
    optimizer = SGD([w], lr=0.1)
    quadratic(w).backward()
    optimizer.zero_grad()
    assert w.grad is None
    quadratic(w).backward()
    old = w.grad
    optimizer.zero_grad(set_to_none=False)
    assert w.grad is not old and not np.array_equal(old.data, 0)
    np.testing.assert_array_equal(w.grad.data, np.zeros(4))


def test_closure_is_evaluated_and_its_loss_returned():
    w = Tensor(W0.copy(), requires_grad=True)
    optimizer = SGD([w], lr=0.1)

    def closure():
        optimizer.zero_grad()
        loss = quadratic(w)
        loss.backward()
        return loss

    loss = optimizer.step(closure)
    assert loss.item() == pytest.approx(np.sum(A * (W0 - C) ** 2))
    np.testing.assert_allclose(w.data, W0 - 0.1 * quadratic_grad(W0))


def test_param_groups_take_their_own_hyperparameters_and_defaults():
    a = Tensor(W0.copy(), requires_grad=True)
    b = Tensor(W0.copy(), requires_grad=True)
    optimizer = SGD([{"params": [a]}, {"params": b, "lr": 0.01, "momentum": 0.9}], lr=0.1)
    assert [g["lr"] for g in optimizer.param_groups] == [0.1, 0.01]
    assert [g["momentum"] for g in optimizer.param_groups] == [0, 0.9]
    a.grad = b.grad = Tensor(np.ones(4))
    optimizer.step()
    np.testing.assert_allclose(a.data, W0 - 0.1)
    np.testing.assert_allclose(b.data, W0 - 0.01)
    c = Tensor(np.zeros(2), requires_grad=True)
    optimizer.add_param_group({"params": [c], "weight_decay": 0.5})
    assert optimizer.param_groups[2]["lr"] == 0.1 and optimizer.param_groups[2]["weight_decay"] == 0.5


# ----- argument checking ---------------------------------------------------------------------

def _w():
    return Tensor(W0.copy(), requires_grad=True)


@pytest.mark.parametrize("make, message", [
    (lambda: SGD([_w()], lr=-1), "Invalid learning rate: -1"),
    (lambda: SGD([_w()], lr=0.1, momentum=-0.5), "Invalid momentum value: -0.5"),
    (lambda: SGD([_w()], lr=0.1, weight_decay=-1e-4), "Invalid weight_decay value: -0.0001"),
    (lambda: SGD([_w()], lr=0.1, nesterov=True), "Nesterov momentum requires a momentum"),
    (lambda: SGD([_w()], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "zero dampening"),
    (lambda: Adam([_w()], lr=-0.1), "Invalid learning rate: -0.1"),
    (lambda: Adam([_w()], eps=-1.0), "Invalid epsilon value: -1.0"),
    (lambda: Adam([_w()], betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    (lambda: AdamW([_w()], betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    (lambda: AdamW([_w()], weight_decay=-1), "Invalid weight_decay value: -1"),
    (lambda: RMSprop([_w()], alpha=-0.1), "Invalid alpha value: -0.1"),
    (lambda: RMSprop([_w()], momentum=-1), "Invalid momentum value: -1"),
    (lambda: RMSprop([_w()], eps=-1), "Invalid epsilon value: -1"),
    (lambda: SGD([], lr=0.1), "empty parameter list"),
    (lambda: SGD([_w(), _w().sum()], lr=0.1), "non-leaf"),
])
def test_invalid_arguments_raise_value_error(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_invalid_parameter_containers_raise_type_error():
    w = _w()
    with pytest.raises(TypeError, match="iterable of Tensors or dicts, but got Tensor"):
        SGD(w, lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        SGD({w}, lr=0.1)
    with pytest.raises(TypeError, match="only optimize Tensors, but one of the params is ndarray"):
        SGD([np.ones(3)], lr=0.1)


def test_a_parameter_may_appear_only_once():
    w = _w()
    with pytest.raises(ValueError, match="more than once"):
        SGD([w, w], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        SGD([{"params": [w]}, {"params": [_w(), w]}], lr=0.1)


# ----- checkpoints ---------------------------------------------------------------------------

RESUMABLE = [
    lambda p: SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda p: RMSprop(p, lr=0.01, momentum=0.5, centered=True),
    lambda p: Adam(p, lr=0.05, amsgrad=True),
    lambda p: AdamW(p, lr=0.05, betas=(0.8, 0.9)),
]


def _two_groups(make, params):
    optimizer = make([{"params": params[:1]}, {"params": params[1:]}])
    optimizer.param_groups[1]["lr"] *= 0.5
    return optimizer


def _train(params, optimizer, steps):
    for _ in range(steps):
        optimizer.zero_grad()
        (quadratic(params[0]) + (params[1] * params[1]).sum() * 3.0).backward()
        optimizer.step()


def _fresh_params():
    return [Tensor(W0.astype(np.float32), requires_grad=True),
            Tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3), requires_grad=True)]


@pytest.mark.parametrize("make", RESUMABLE, ids=["sgd", "rmsprop", "adam", "adamw"])
def test_training_resumes_bit_for_bit_from_a_saved_state_dict(make, tmp_path):
    uninterrupted = _fresh_params()
    optimizer = _two_groups(make, uninterrupted)
    _train(uninterrupted, optimizer, 7)

    first = _fresh_params()
    optimizer = _two_groups(make, first)
    _train(first, optimizer, 4)
    serialization.save({"params": [p.data for p in first], "optimizer": optimizer.state_dict()},
                       tmp_path / "checkpoint.npz")
    del optimizer

    checkpoint = serialization.load(tmp_path / "checkpoint.npz")
    resumed = [Tensor(a, requires_grad=True) for a in checkpoint["params"]]
    optimizer = _two_groups(make, resumed)
    optimizer.param_groups[1]["lr"] = 123.0  # overwritten by the checkpoint
    optimizer.load_state_dict(checkpoint["optimizer"])
    _train(resumed, optimizer, 3)
    for got, want in zip(resumed, uninterrupted):
        np.testing.assert_array_equal(got.data, want.data)


def test_state_dict_layout_is_pytorchs():
    params = _fresh_params()
    optimizer = Adam([{"params": params[:1]}, {"params": params[1:], "lr": 0.5}], amsgrad=True)
    _train(params, optimizer, 2)
    state = optimizer.state_dict()
    assert set(state) == {"state", "param_groups"}
    assert [g["params"] for g in state["param_groups"]] == [[0], [1]]
    assert state["param_groups"][1] == {"lr": 0.5, "betas": (0.9, 0.999), "eps": 1e-8,
                                        "weight_decay": 0, "amsgrad": True, "maximize": False,
                                        "decoupled_weight_decay": False, "params": [1]}
    assert set(state["state"]) == {0, 1}
    assert set(state["state"][1]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert state["state"][1]["step"] == 2 and state["state"][1]["exp_avg"].shape == (2, 3)


def test_state_dict_is_a_deep_copy():
    params = _fresh_params()
    optimizer = SGD(params, lr=0.1, momentum=0.9)
    _train(params, optimizer, 1)
    state = optimizer.state_dict()
    buffer = state["state"][0]["momentum_buffer"].copy()
    state["param_groups"][0]["lr"] = 99.0
    _train(params, optimizer, 2)
    np.testing.assert_array_equal(state["state"][0]["momentum_buffer"], buffer)
    assert optimizer.param_groups[0]["lr"] == 0.1


def test_loaded_state_is_copied_and_cast_to_the_parameters_dtype():
    params = _fresh_params()
    optimizer = SGD(params, lr=0.1, momentum=0.9)
    state = {"state": {0: {"momentum_buffer": np.ones(4)}},  # float64 buffer for float32 param
             "param_groups": [dict(optimizer.state_dict()["param_groups"][0])]}
    optimizer.load_state_dict(state)
    buffer = optimizer.state[params[0]]["momentum_buffer"]
    assert buffer.dtype == np.float32
    assert buffer is not state["state"][0]["momentum_buffer"]


def _saved(make=lambda p: Adam(p, lr=0.1)):
    params = _fresh_params()
    optimizer = make(params)
    _train(params, optimizer, 1)
    return optimizer.state_dict()


def test_loading_a_mismatched_state_dict_names_what_differs():
    params = _fresh_params()
    with pytest.raises(ValueError, match="has 1 parameter groups, this Adam has 2"):
        Adam([{"params": params[:1]}, {"params": params[1:]}]).load_state_dict(_saved())
    with pytest.raises(ValueError, match=r"param_groups\[0\] has 2 parameters, this optimizer's group 0 has 1"):
        Adam(params[:1]).load_state_dict(_saved())
    swapped = [params[1], params[0]]
    with pytest.raises(ValueError, match=r"state 'exp_avg' of parameter 0 \(group 0\) has shape \(4,\), the parameter has shape \(2, 3\)"):
        Adam(swapped).load_state_dict(_saved())
    with pytest.raises(ValueError, match=r"lacks the hyperparameters \['momentum', 'dampening', 'nesterov'\] of SGD"):
        SGD(params, lr=0.1).load_state_dict(_saved())
    with pytest.raises(ValueError, match="keys 'state' and 'param_groups'"):
        Adam(params).load_state_dict({"state": {}})


def test_a_failed_load_leaves_the_optimizer_unchanged():
    params = _fresh_params()
    optimizer = Adam(params[::-1], lr=0.3)
    with pytest.raises(ValueError):
        optimizer.load_state_dict(_saved())
    assert optimizer.state == {} and optimizer.param_groups[0]["lr"] == 0.3


# ----- clip_grad_norm_ -----------------------------------------------------------------------

def _with_grads(*grads):
    params = []
    for g in grads:
        p = Tensor(np.zeros_like(g), requires_grad=True)
        p.grad = Tensor(g)
        params.append(p)
    return params


def test_clip_grad_norm_scales_by_max_norm_over_total_norm():
    g1, g2 = np.array([3.0, 0.0]), np.array([[0.0], [4.0]])
    params = _with_grads(g1, g2)
    old = [p.grad for p in params]
    total = clip_grad_norm_(params, max_norm=1.0)
    assert isinstance(total, Tensor) and total.ndim == 0 and total.item() == pytest.approx(5.0)
    coef = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(params[0].grad.data, g1 * coef, rtol=1e-12)
    np.testing.assert_allclose(params[1].grad.data, g2 * coef, rtol=1e-12)
    assert all(p.grad is not o for p, o in zip(params, old))  # rebound, not mutated
    np.testing.assert_array_equal(old[0].data, [3.0, 0.0])


def test_clip_grad_norm_leaves_small_gradients_alone():
    params = _with_grads(np.array([0.3, 0.4]))
    grad = params[0].grad
    assert clip_grad_norm_(params, max_norm=1.0).item() == pytest.approx(0.5)
    assert params[0].grad is grad


def test_clip_grad_norm_other_norms_and_skipped_parameters():
    params = _with_grads(np.array([1.0, -7.0]), np.array([2.0]))
    params.append(Tensor(np.zeros(3), requires_grad=True))  # no gradient: ignored
    assert clip_grad_norm_(params, 100.0, norm_type="inf").item() == 7.0
    assert clip_grad_norm_(params, 100.0, norm_type=1).item() == pytest.approx(10.0)
    total = clip_grad_norm_(params, 3.5, norm_type=float("inf"))
    assert total.item() == 7.0
    np.testing.assert_allclose(params[0].grad.data, np.array([1.0, -7.0]) * 3.5 / (7.0 + 1e-6))
    assert params[2].grad is None
    assert clip_grad_norm_(params[2], 1.0).item() == 0.0


def test_clip_grad_norm_keeps_float32_and_reports_nonfinite_norms():
    params = _with_grads(np.array([30.0, 40.0], dtype=np.float32))
    total = clip_grad_norm_(params, 5.0)
    assert total.dtype == np.float32 and params[0].grad.dtype == np.float32
    np.testing.assert_allclose(params[0].grad.data, [3.0, 4.0], rtol=1e-5)
    with pytest.raises(RuntimeError, match="total norm of order 2.0 of the gradients is nan"):
        clip_grad_norm_(_with_grads(np.array([np.nan, 1.0])), 1.0, error_if_nonfinite=True)


# ----- clip_grad_norm_'s max_norm ---------------------------------------------------------
def _param():
    w = Tensor([0.0, 0.0], requires_grad=True)
    w.grad = Tensor([3.0, 4.0])
    return w


@pytest.mark.parametrize("bad", [-1.0, float("nan")])
def test_negative_or_nan_max_norm_raises_and_leaves_grads(bad):
    w = _param()
    with pytest.raises(ValueError, match="max_norm must be >= 0"):
        nn.clip_grad_norm_([w], max_norm=bad)
    np.testing.assert_array_equal(w.grad.data, [3.0, 4.0])


def test_non_number_max_norm_names_the_argument():
    with pytest.raises(TypeError, match="max_norm must be a number"):
        nn.clip_grad_norm_([_param()], max_norm=None)


def test_valid_max_norm_still_clips():
    w = _param()
    assert nn.clip_grad_norm_([w], max_norm=1).item() == pytest.approx(5.0)
    np.testing.assert_allclose(w.grad.data, [0.6, 0.8], rtol=1e-5)


# ----- hyperparameters of groups and schedulers -------------------------------------------
def _w():
    return Tensor(np.ones(2, np.float32), requires_grad=True)


@pytest.mark.parametrize("make", [lambda g: optim.SGD(g, lr=0.1),
                                  lambda g: optim.Adam(g, lr=0.1),
                                  lambda g: optim.RMSprop(g, lr=0.1)])
def test_negative_group_lr_raises(make):
    with pytest.raises(ValueError, match=r"param_groups\[1\]: invalid lr -0.1"):
        make([{"params": [_w()]}, {"params": [_w()], "lr": -0.1}])


def test_add_param_group_checks_too():
    opt = optim.SGD([_w()], lr=0.1)
    with pytest.raises(ValueError, match="invalid weight_decay"):
        opt.add_param_group({"params": [_w()], "weight_decay": -1})
    assert len(opt.param_groups) == 1


def test_group_betas_checked():
    with pytest.raises(ValueError, match="invalid betas"):
        optim.Adam([{"params": [_w()], "betas": (1.2, 0.9)}], lr=0.1)


def test_group_lr_not_a_number():
    with pytest.raises(TypeError, match="lr must be a number"):
        optim.SGD([{"params": [_w()], "lr": "0.1"}], lr=0.1)


@pytest.mark.parametrize("make", [lambda o: optim.ExponentialLR(o, gamma=-0.5),
                                  lambda o: optim.StepLR(o, step_size=1, gamma=-0.5),
                                  lambda o: optim.CosineAnnealingLR(o, T_max=5, eta_min=-0.1)])
def test_schedules_that_make_lr_negative_raise(make):
    opt = optim.SGD([_w()], lr=0.1)
    with pytest.raises(ValueError, match="gamma|eta_min"):
        make(opt)
    assert opt.param_groups[0]["lr"] == 0.1


def test_valid_groups_still_work():
    opt = optim.SGD([{"params": [_w()]}, {"params": [_w()], "lr": 0.01}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    scheduler = optim.ExponentialLR(opt, gamma=0.9)
    opt.step()
    scheduler.step()
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.09, 0.009])


# ----- wrong params arguments -------------------------------------------------------------
def test_uncalled_parameters_method():
    with pytest.raises(TypeError, match=r"call it, e\.g\. model\.parameters\(\)"):
        optim.SGD(nn.Linear(2, 2).parameters, lr=0.1)


def test_model_instead_of_parameters():
    with pytest.raises(TypeError, match=r"got the model Linear: pass model\.parameters\(\)"):
        optim.Adam(nn.Linear(2, 2), lr=0.1)


def test_generator_used_twice():
    params = nn.Linear(2, 2).parameters()
    optim.SGD(params, lr=0.1)
    with pytest.raises(ValueError, match="used up after one pass"):
        optim.SGD(params, lr=0.1)


def test_named_parameters_mixed_with_plain_ones_are_refused():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"a \(name, parameter\) pair among plain parameters"):
        optim.SGD([layer.weight, ("bias", layer.bias)], lr=0.1)


def test_empty_list_message_unchanged():
    with pytest.raises(ValueError, match="^optimizer got an empty parameter list$"):
        optim.SGD([], lr=0.1)


# ----- hyperparameters that are not numbers -------------------------------------------------
@pytest.mark.parametrize("make", [SGD, Adam, AdamW, RMSprop])
@pytest.mark.parametrize("bad", [None, "0.1"])
def test_lr_that_is_no_number_is_named(make, bad):
    w = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(TypeError, match=rf"{make.__name__}: lr must be a number, got {bad!r}"):
        make([w], lr=bad)


def test_other_hyperparameters_that_are_no_number_are_named():
    w = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(TypeError, match="SGD: momentum must be a number, got None"):
        SGD([w], lr=0.1, momentum=None)
    with pytest.raises(TypeError, match="RMSprop: alpha must be a number, got None"):
        RMSprop([w], alpha=None)
    with pytest.raises(TypeError, match=r"Adam: betas\[1\] must be a number, got None"):
        Adam([w], betas=(0.9, None))
    with pytest.raises(ValueError, match="betas must be a pair"):
        Adam([w], betas=None)


# ----- 0-d parameters (a learnable temperature or scale) --------------------------------------

@pytest.mark.parametrize("make", ALL_OPTIMIZERS + [lambda p: RMSprop(p), lambda p: Adam(p)],
                         ids=OPTIMIZER_IDS + ["rmsprop", "adam"])
def test_a_0d_parameter_trains_as_a_one_element_vector_does(make):
    """NumPy turns arithmetic on 0-d arrays into scalars; the updates must not care."""
    trajectories = []
    for shape in [(), (1,)]:
        w = Tensor(np.full(shape, 1.5), requires_grad=True)
        optimizer = make([w])
        values = []
        for _ in range(4):
            optimizer.zero_grad()
            ((w - 0.25) ** 2 * 3.0).sum().backward()
            optimizer.step()
            assert w.data.shape == shape
            values.append(float(w.data.reshape(())))
        trajectories.append(values)
    assert trajectories[0] == trajectories[1]
    assert trajectories[0][-1] != 1.5


def test_clip_grad_norm_minus_inf_is_the_smallest_absolute_entry():
    w, v = Tensor(np.zeros(3), requires_grad=True), Tensor(np.zeros(2), requires_grad=True)
    w.grad, v.grad = Tensor(np.array([-4.0, 0.5, 2.0])), Tensor(np.array([3.0, -0.3]))
    total = clip_grad_norm_([w, v], max_norm=1.0, norm_type=-float("inf"))
    assert total.item() == pytest.approx(0.3)
    np.testing.assert_array_equal(w.grad.data, [-4.0, 0.5, 2.0])  # 0.3 <= 1: left alone
    assert clip_grad_norm_([w, v], max_norm=0.1, norm_type="-inf").item() == pytest.approx(0.3)
    np.testing.assert_allclose(v.grad.data, np.array([3.0, -0.3]) * 0.1 / (0.3 + 1e-6))


@pytest.mark.parametrize("lr, error", [(-1.0, ValueError), ("0.1", TypeError)])
def test_loaded_hyperparameters_are_checked_and_a_bad_one_loads_nothing(lr, error):
    w = Tensor(W0.copy(), requires_grad=True)
    optimizer = SGD([w], lr=0.1, momentum=0.9)
    saved = optimizer.state_dict()
    saved["param_groups"][0]["lr"] = lr
    with pytest.raises(error, match="param_groups\\[0\\].*lr"):
        optimizer.load_state_dict(saved)
    assert optimizer.param_groups[0]["lr"] == 0.1


def test_a_parameter_index_listed_twice_is_named():
    a, b = Tensor(W0.copy(), requires_grad=True), Tensor(W0.copy(), requires_grad=True)
    optimizer = SGD([a, b], lr=0.1)
    saved = optimizer.state_dict()
    saved["param_groups"][0]["params"] = [0, 0]
    with pytest.raises(ValueError, match="more than once"):
        optimizer.load_state_dict(saved)


@pytest.mark.parametrize("make", [
    lambda p: SGD(p, lr=0.1, momentum=0.9, foreach=False, differentiable=False, fused=None),
    lambda p: RMSprop(p, foreach=True, capturable=False, differentiable=False),
    lambda p: Adam(p, lr=0.1, foreach=None, capturable=False, differentiable=False, fused=False),
    lambda p: AdamW(p, lr=0.1, foreach=False, capturable=False, fused=None),
], ids=["sgd", "rmsprop", "adam", "adamw"])
def test_pytorchs_kernel_options_are_accepted_and_change_nothing(make):
    """foreach, fused and capturable pick PyTorch's kernels: ported code passes them."""
    plain = {"sgd": lambda p: SGD(p, lr=0.1, momentum=0.9), "rmsprop": RMSprop,
             "adam": lambda p: Adam(p, lr=0.1), "adamw": lambda p: AdamW(p, lr=0.1)}
    name = type(make([Tensor(W0.copy(), requires_grad=True)])).__name__.lower()
    np.testing.assert_array_equal(run(make), run(plain[name]))


@pytest.mark.parametrize("make", [SGD, RMSprop, Adam, AdamW])
def test_differentiable_steps_are_refused_by_name(make):
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        make([Tensor(W0.copy(), requires_grad=True)], lr=0.1, differentiable=True)



# ----- cases the suite missed (mutation testing, session 10) -----------------------------
# O9: Adam(maximize=True) ascends: same trajectory as Adam on the negated objective
@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop"])
def test_maximize_equals_minimizing_the_negated_objective(name):
    import nn.optim as optim
    def run(maximize):
        w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
        opt = getattr(optim, name)([w], lr=0.1, maximize=maximize)
        for _ in range(3):
            opt.zero_grad()
            loss = (w * w).sum()
            (-loss if maximize else loss).backward()
            opt.step()
        return w.data.copy()
    np.testing.assert_allclose(run(True), run(False))


@pytest.mark.parametrize("make, dropped", [
    (lambda ps: Adam(ps, lr=0.1), "exp_avg_sq"),
    (lambda ps: Adam(ps, lr=0.1, amsgrad=True), "max_exp_avg_sq"),
    (lambda ps: RMSprop(ps, lr=0.1, momentum=0.9), "momentum_buffer"),
    (lambda ps: RMSprop(ps, lr=0.1, centered=True), "grad_avg"),
])
def test_load_state_dict_names_a_missing_buffer_at_the_load(make, dropped):
    """A state lacking a buffer the optimizer reads raised KeyError at the next step(), far
    from the load that caused it; the load now names the parameter and the buffer."""
    w = Tensor(np.ones(3), requires_grad=True)
    w.grad = Tensor(np.ones(3))
    optimizer = make([w])
    optimizer.step()
    state = optimizer.state_dict()
    del state["state"][0][dropped]
    fresh = make([Tensor(np.ones(3), requires_grad=True)])
    with pytest.raises(ValueError, match=rf"parameter 0 .*lacks.*'{dropped}'"):
        fresh.load_state_dict(state)
    assert fresh.state == {}  # nothing half-loaded


def test_load_state_dict_accepts_sgd_state_without_momentum_buffer():
    """SGD makes its momentum buffer at the first step, so a state without one is complete."""
    w = Tensor(np.ones(3), requires_grad=True)
    optimizer = SGD([w], lr=0.1, momentum=0.9)
    optimizer.load_state_dict({"state": {0: {}}, "param_groups": [
        {**optimizer.param_groups[0], "params": [0]}]})
    w.grad = Tensor(np.ones(3))
    optimizer.step()
    np.testing.assert_allclose(w.data, 0.9)


def test_load_state_dict_refuses_a_buffer_that_is_not_an_array():
    w = Tensor(np.ones(2), requires_grad=True)
    optimizer = Adam([w])
    state = {"state": {0: {"step": 1, "exp_avg": [0.0, 0.0], "exp_avg_sq": np.zeros(2)}},
             "param_groups": [{**optimizer.param_groups[0], "params": [0]}]}
    with pytest.raises(ValueError, match="'exp_avg' of parameter 0 .* is a list"):
        optimizer.load_state_dict(state)


def test_clip_grad_norm_accepts_pytorchs_foreach():
    w = Tensor([0.0, 0.0], requires_grad=True)
    w.grad = Tensor([3.0, 4.0])
    assert clip_grad_norm_([w], 1.0, foreach=True).item() == 5.0


def test_a_pytorch_style_custom_optimizer_starts_its_state_from_self_state_p():
    """``state = self.state[p]; if len(state) == 0: ...`` (Lion, LAMB, ...) raised KeyError:
    the state was a plain dict, where PyTorch's is a defaultdict(dict)."""
    import autodiff as ad

    class Lion(nn.optim.Optimizer):
        def __init__(self, params, lr=1e-4, betas=(0.9, 0.99)):
            super().__init__(params, dict(lr=lr, betas=betas))

        def step(self, closure=None):
            with ad.no_grad():
                for group in self.param_groups:
                    for p in group["params"]:
                        state = self.state[p]
                        if len(state) == 0:
                            state["exp_avg"] = ad.zeros_like(p)
                        b1, b2 = group["betas"]
                        m = state["exp_avg"]
                        p.sub_((m * b1 + p.grad * (1 - b1)).sign() * group["lr"])
                        m.mul_(b2).add_(p.grad * (1 - b2))

    w = Tensor([1.0, -2.0], requires_grad=True)
    opt = Lion([w], lr=0.1)
    (w * w).sum().backward()
    opt.step()
    np.testing.assert_allclose(w.numpy(), [0.9, -1.9])
    # built-in optimizers start from an empty state a read made, and save none of it
    v = Tensor([1.0, 2.0], requires_grad=True)
    adam = nn.optim.Adam([v], lr=0.1)
    assert adam.state[v] == {} and adam.state_dict()["state"] == {}
    (v * v).sum().backward()
    adam.step()
    assert adam.state[v]["step"] == 1
    fresh = nn.optim.Adam([Tensor([1.0, 2.0], requires_grad=True)], lr=0.1)
    fresh.load_state_dict({"state": {0: {}}, "param_groups": adam.state_dict()["param_groups"]})


def test_a_read_only_parameter_is_refused_before_anything_moves(tmp_path):
    """A memory-mapped weight failed in NumPy after the parameters before it had moved and
    their Adam state advanced; load_state_dict likewise half-loaded the model."""
    np.save(tmp_path / "w.npy", np.ones((2, 3), np.float32))
    head, body = nn.Linear(2, 2), nn.Linear(3, 2)
    body.weight = nn.Parameter(np.load(tmp_path / "w.npy", mmap_mode="r"))
    opt = Adam([head.weight, body.weight], lr=0.1)
    before = head.weight.numpy().copy()
    head(body(Tensor(np.ones((4, 3), np.float32)))).sum().backward()
    with pytest.raises(ValueError, match=r"parameter of shape \(2, 3\) has a read-only array"):
        opt.step()
    np.testing.assert_array_equal(head.weight.numpy(), before)
    assert not opt.state.get(head.weight)
    model = nn.Sequential(head, body)
    with pytest.raises(ValueError, match=r"1.weight: its array is read-only"):
        model.load_state_dict({k: np.zeros(v.shape, np.float32)
                               for k, v in model.state_dict().items()})
    np.testing.assert_array_equal(head.weight.numpy(), before)


def test_pytorch_2_keyword_forms_of_optimizers_init_and_loading():
    """named_parameters() given to an optimizer, Adam(decoupled_weight_decay=True),
    nn.init's generator= and load_state_dict(assign=) all raised TypeError."""
    model = nn.Linear(3, 2, dtype=np.float64)
    opt = AdamW(model.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert all(p is q for p, q in zip(opt.param_groups[0]["params"], model.parameters()))

    def trained(make):
        m = nn.Linear(3, 2, dtype=np.float64)
        m.load_state_dict({k: np.ones(v.shape) for k, v in m.state_dict().items()})
        o = make(m.parameters())
        for _ in range(3):
            o.zero_grad()
            m(Tensor(np.ones((2, 3)))).sum().backward()
            o.step()
        return m.weight.numpy()

    decoupled = trained(lambda ps: Adam(ps, lr=0.1, weight_decay=0.5, decoupled_weight_decay=True))
    np.testing.assert_array_equal(decoupled,
                                  trained(lambda ps: AdamW(ps, lr=0.1, weight_decay=0.5)))
    assert not np.array_equal(decoupled, trained(lambda ps: Adam(ps, lr=0.1, weight_decay=0.5)))
    w = nn.Parameter(np.zeros((3, 4), np.float32))
    nn.init.kaiming_uniform_(w, generator=np.random.default_rng(0))
    drawn = w.numpy().copy()
    nn.init.kaiming_uniform_(w, rng=0)
    np.testing.assert_array_equal(drawn, w.numpy())
    with pytest.raises(TypeError, match="either rng or generator"):
        nn.init.normal_(w, rng=0, generator=1)
    layer = nn.Linear(2, 2)
    layer.load_state_dict({"weight": np.full((2, 2), 3.0), "bias": np.zeros(2)}, assign=True)
    assert layer.weight.dtype == np.float64 and layer.weight.requires_grad  # the value's dtype
    layer.load_state_dict({"weight": np.ones((2, 2)), "bias": np.zeros(2)})
    assert layer.weight.numpy().tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_an_adam_state_dict_from_before_decoupled_weight_decay_still_loads():
    """The new hyperparameter made every older Adam/AdamW checkpoint 'lack' it."""
    for cls, decoupled in ((Adam, False), (AdamW, True)):
        w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
        optimizer = cls([w], lr=0.1)
        w.grad = Tensor(np.array([0.5, 0.5]))
        optimizer.step()
        old = optimizer.state_dict()
        for group in old["param_groups"]:
            del group["decoupled_weight_decay"]  # as written before this option existed
        fresh = cls([Tensor(np.array([1.0, -2.0]), requires_grad=True)], lr=0.1)
        fresh.load_state_dict(old)
        assert fresh.param_groups[0]["decoupled_weight_decay"] is decoupled


def test_load_state_dict_assign_refuses_integer_values_for_trainable_parameters():
    layer = nn.Linear(2, 2)
    with pytest.raises(ValueError, match=r"weight: assign=True would make it int64"):
        layer.load_state_dict({"weight": np.array([[1, 2], [3, 4]]), "bias": np.zeros(2)},
                              assign=True)
    assert layer.weight.dtype == np.float32


def test_a_pytorch_style_float_step_counter_loads_as_an_int():
    """PyTorch keeps Adam's ``step`` as a 0-d float tensor; exported with ``.numpy()`` it was
    taken for a buffer and refused with "has shape (), the parameter has shape (2, 3)"."""
    uninterrupted = _fresh_params()
    optimizer = nn.optim.Adam(uninterrupted, lr=0.1)
    _train(uninterrupted, optimizer, 5)
    resumed = _fresh_params()
    optimizer = nn.optim.Adam(resumed, lr=0.1)
    _train(resumed, optimizer, 2)
    state = optimizer.state_dict()
    for values in state["state"].values():
        values["step"] = np.array(float(values["step"]), np.float32)
    optimizer = nn.optim.Adam(resumed, lr=0.1)
    optimizer.load_state_dict(state)
    assert all(type(s["step"]) is int and s["step"] == 2 for s in optimizer.state.values())
    _train(resumed, optimizer, 3)
    for got, want in zip(resumed, uninterrupted):
        np.testing.assert_array_equal(got.data, want.data)
    for values in state["state"].values():
        values["step"] = np.array(2.5)
    with pytest.raises(ValueError, match="state 'step' of parameter 0 .* 2.5, not a whole number"):
        nn.optim.Adam(resumed, lr=0.1).load_state_dict(state)
