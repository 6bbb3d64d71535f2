"""nn.optim.lr_scheduler: each schedule against its closed form, epoch by epoch; resuming."""
import math

import numpy as np
import pytest

from autodiff import Tensor
from nn import serialization
from nn.optim import SGD, Adam, CosineAnnealingLR, ExponentialLR, LRScheduler, StepLR

# These tests check the schedules' arithmetic, stepping schedulers without training; the
# warning about calling scheduler.step() before optimizer.step() has its own test below.
pytestmark = pytest.mark.filterwarnings(
    r"ignore:lr_scheduler\.step\(\) was called before optimizer\.step\(\)")

BASE_LRS = [0.1, 0.03]
EPOCHS = 25


def make_optimizer(lrs=BASE_LRS):
    groups = [{"params": [Tensor(np.zeros(2), requires_grad=True)], "lr": lr} for lr in lrs]
    return SGD(groups, lr=1.0, momentum=0.9)


def lr_history(make_scheduler, epochs=EPOCHS):
    """The groups' rates at epochs 0..epochs-1 (epoch 0 is right after construction)."""
    optimizer = make_optimizer()
    scheduler = make_scheduler(optimizer)
    history = []
    for _ in range(epochs):
        assert scheduler.get_last_lr() == [g["lr"] for g in optimizer.param_groups]
        history.append(scheduler.get_last_lr())
        scheduler.step()
    return np.array(history)


def closed_form(formula, epochs=EPOCHS):
    return np.array([[formula(base, epoch) for base in BASE_LRS] for epoch in range(epochs)])


@pytest.mark.parametrize("step_size, gamma", [(1, 0.5), (3, 0.1), (7, 0.9)])
def test_step_lr(step_size, gamma):
    history = lr_history(lambda opt: StepLR(opt, step_size=step_size, gamma=gamma))
    expected = closed_form(lambda base, epoch: base * gamma ** (epoch // step_size))
    np.testing.assert_allclose(history, expected, rtol=1e-15)


def test_step_lr_drops_exactly_at_multiples_of_step_size():
    history = lr_history(lambda opt: StepLR(opt, step_size=3), epochs=7)[:, 0]
    np.testing.assert_allclose(history, [0.1] * 3 + [0.01] * 3 + [0.001], rtol=1e-15)


@pytest.mark.parametrize("gamma", [0.5, 0.95, 1.0])
def test_exponential_lr(gamma):
    history = lr_history(lambda opt: ExponentialLR(opt, gamma=gamma))
    np.testing.assert_allclose(history, closed_form(lambda base, e: base * gamma ** e), rtol=1e-15)


@pytest.mark.parametrize("T_max, eta_min", [(10, 0.0), (10, 0.001), (4, 0.01), (30, 0.0)])
def test_cosine_annealing_lr(T_max, eta_min):
    history = lr_history(lambda opt: CosineAnnealingLR(opt, T_max=T_max, eta_min=eta_min))
    expected = closed_form(
        lambda base, e: eta_min + (base - eta_min) * (1 + math.cos(math.pi * e / T_max)) / 2)
    np.testing.assert_allclose(history, expected, rtol=1e-14, atol=1e-17)


def test_cosine_annealing_reaches_eta_min_at_t_max_and_rises_after():
    history = lr_history(lambda opt: CosineAnnealingLR(opt, T_max=5, eta_min=0.001), epochs=8)
    assert history[5, 0] == pytest.approx(0.001)
    assert history[0, 0] == pytest.approx(0.1)
    assert history[6, 0] > history[5, 0]


def test_construction_records_initial_lr_and_the_optimizer_uses_the_scheduled_rate():
    w = Tensor(np.array([1.0]), requires_grad=True)
    optimizer = SGD([w], lr=0.5)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.1)
    assert optimizer.param_groups[0]["initial_lr"] == 0.5
    scheduler.step()
    w.grad = Tensor(np.array([1.0]))
    optimizer.step()
    np.testing.assert_allclose(w.data, [1.0 - 0.05])


def test_scheduler_resumes_from_its_state_dict(tmp_path):
    reference = lr_history(lambda opt: CosineAnnealingLR(opt, T_max=12, eta_min=0.002))

    optimizer = make_optimizer()
    scheduler = CosineAnnealingLR(optimizer, T_max=12, eta_min=0.002)
    for _ in range(9):
        scheduler.step()
    serialization.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()},
                       tmp_path / "ckpt.npz")
    checkpoint = serialization.load(tmp_path / "ckpt.npz")

    optimizer = make_optimizer(lrs=[5.0, 5.0])  # different rates, restored from the checkpoint
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler = CosineAnnealingLR(optimizer, T_max=1)  # different settings, restored too
    scheduler.load_state_dict(checkpoint["scheduler"])
    assert scheduler.last_epoch == 9 and scheduler.T_max == 12
    history = [scheduler.get_last_lr()]
    for _ in range(EPOCHS - 10):
        scheduler.step()
        history.append(scheduler.get_last_lr())
    np.testing.assert_allclose(history, reference[9:], rtol=1e-15)


def test_state_dict_excludes_the_optimizer_and_is_a_copy():
    scheduler = ExponentialLR(make_optimizer(), gamma=0.5)
    state = scheduler.state_dict()
    assert "optimizer" not in state
    assert state["base_lrs"] == BASE_LRS and state["last_epoch"] == 0 and state["gamma"] == 0.5
    scheduler.step()
    assert state["last_epoch"] == 0 and state["_last_lr"] == BASE_LRS


def test_errors():
    with pytest.raises(KeyError, match=r"'initial_lr' is not specified in param_groups\[0\]"):
        StepLR(make_optimizer(), step_size=2, last_epoch=5)
    with pytest.raises(ValueError, match="step_size must be a positive int, got 0"):
        StepLR(make_optimizer(), step_size=0)
    with pytest.raises(ValueError, match="T_max must be positive"):
        CosineAnnealingLR(make_optimizer(), T_max=0)
    scheduler = StepLR(make_optimizer(), step_size=2)
    with pytest.raises(ValueError, match="has 1 base_lrs, the optimizer has 2 parameter groups"):
        scheduler.load_state_dict({"base_lrs": [0.1], "last_epoch": 3})
    with pytest.raises(TypeError, match="is not an Optimizer"):
        StepLR([0.1], step_size=2)


def test_resuming_with_last_epoch_uses_initial_lr():
    optimizer = Adam([Tensor(np.zeros(1), requires_grad=True)], lr=0.2)
    StepLR(optimizer, step_size=2, gamma=0.5)
    scheduler = StepLR(optimizer, step_size=2, gamma=0.5, last_epoch=4)
    assert scheduler.last_epoch == 5
    assert scheduler.get_last_lr() == [pytest.approx(0.2 * 0.5 ** 2)]


# ----- resuming and chaining as PyTorch ---------------------------------------------------
def _optimizer(lr=0.1):
    return SGD([Tensor(np.zeros(2), requires_grad=True)], lr=lr, momentum=0.9)


def test_resume_keeps_the_loaded_rate_when_the_scheduler_is_built_after_optimizer_load():
    optimizer = _optimizer()
    scheduler = StepLR(optimizer, step_size=3, gamma=0.1)
    for _ in range(7):
        scheduler.step()
    checkpoint = {"opt": optimizer.state_dict(), "sched": scheduler.state_dict()}

    resumed = _optimizer()
    resumed.load_state_dict(checkpoint["opt"])
    resumed_scheduler = StepLR(resumed, step_size=3, gamma=0.1)
    resumed_scheduler.load_state_dict(checkpoint["sched"])
    # the next epoch trains at group["lr"]: it must be the checkpoint's rate (PyTorch keeps it)
    assert resumed.param_groups[0]["lr"] == pytest.approx(0.001)
    assert resumed_scheduler.get_last_lr() == [resumed.param_groups[0]["lr"]]


def test_schedulers_chain_as_in_pytorch():
    optimizer = _optimizer(lr=1.0)
    step, exponential = StepLR(optimizer, step_size=2, gamma=0.1), ExponentialLR(optimizer, 0.9)
    rates = []
    for _ in range(4):
        step.step()
        exponential.step()
        rates.append(optimizer.param_groups[0]["lr"])
    # PyTorch: each scheduler multiplies the rate the other left: 0.1**(e // 2) * 0.9**e
    np.testing.assert_allclose(rates, [0.9, 0.081, 0.0729, 0.006561])


def test_a_rate_set_by_hand_is_kept():
    optimizer = _optimizer(lr=0.1)
    scheduler = StepLR(optimizer, step_size=10, gamma=0.1)
    scheduler.step()
    optimizer.param_groups[0]["lr"] = 0.01  # e.g. a manual drop after a plateau
    scheduler.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.01)


def test_step_lr_takes_numpy_integer_step_sizes_and_refuses_bools():
    history = lr_history(lambda opt: StepLR(opt, step_size=np.int64(3), gamma=0.1))
    np.testing.assert_allclose(history, closed_form(lambda base, e: base * 0.1 ** (e // 3)))
    with pytest.raises(ValueError, match="step_size must be a positive int, got True"):
        StepLR(SGD([Tensor(np.zeros(1), requires_grad=True)], lr=0.1), step_size=True)


@pytest.mark.filterwarnings("error")
def test_stepping_the_scheduler_before_the_optimizer_warns_once_as_in_pytorch():
    optimizer = make_optimizer()
    scheduler = StepLR(optimizer, step_size=1, gamma=0.5)
    with pytest.warns(UserWarning, match=r"called before optimizer\.step\(\).*first value"):
        scheduler.step()
    scheduler.step()  # once per optimizer: no second warning (an error here)
    optimizer.step()
    in_order = make_optimizer()
    scheduler = StepLR(in_order, step_size=1, gamma=0.5)
    in_order.step()
    scheduler.step()  # the right order: no warning



# ----- cases the suite missed (mutation testing, session 10) -----------------------------
# S1: CosineAnnealingLR in its chained form past T_max (PyTorch's get_lr restart branch)
def test_cosine_chained_form_past_t_max_follows_pytorch():
    import math
    from nn.optim import SGD, CosineAnnealingLR
    opt = SGD([Tensor(np.zeros(1), requires_grad=True)], lr=0.1)
    sched = CosineAnnealingLR(opt, T_max=3, eta_min=0.0)
    opt.param_groups[0]["lr"] = 0.05  # set by hand: from now on the chained form is used
    lr, rates, expected = 0.05, [], []
    for epoch in range(1, 9):
        opt.step()
        sched.step()
        rates.append(opt.param_groups[0]["lr"])
        # torch.optim.lr_scheduler.CosineAnnealingLR.get_lr (recursive form)
        if (epoch - 1 - 3) % 6 == 0:
            lr = lr + 0.1 * (1 - math.cos(math.pi / 3)) / 2
        else:
            lr = (1 + math.cos(math.pi * epoch / 3)) / (1 + math.cos(math.pi * (epoch - 1) / 3)) * lr
        expected.append(lr)
    np.testing.assert_allclose(rates, expected, rtol=1e-12)


@pytest.mark.filterwarnings("error")
def test_no_order_warning_for_an_optimizer_that_overrides_step():
    from autodiff import no_grad
    from nn.optim import Optimizer

    class HandSGD(Optimizer):
        def __init__(self, params, lr):
            super().__init__(params, dict(lr=lr))

        def step(self, closure=None):
            with no_grad():
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is not None:
                            p.data -= group["lr"] * p.grad.data

    w = Tensor(np.ones(2), requires_grad=True)
    optimizer = HandSGD([w], lr=0.1)
    scheduler = StepLR(optimizer, step_size=1)
    (w * w).sum().backward()
    optimizer.step()
    scheduler.step()
    np.testing.assert_allclose(w.data, [0.8, 0.8])


@pytest.mark.parametrize("make", [
    lambda o: ExponentialLR(o, gamma=0.5),
    lambda o: StepLR(o, step_size=1, gamma=0.5),
])
def test_a_parameter_group_added_later_is_scheduled_too(make):
    """PyTorch's chainable form decays every group in optimizer.param_groups; the new group
    stayed at its rate, and the scheduler could not reload its own state dict."""
    optimizer = SGD([Tensor([1.0], requires_grad=True)], lr=0.1)
    scheduler = make(optimizer)
    optimizer.step()
    scheduler.step()
    optimizer.add_param_group({"params": [Tensor([2.0], requires_grad=True)], "lr": 0.01})
    for expected in (0.005, 0.0025, 0.00125):
        optimizer.step()
        scheduler.step()
        assert optimizer.param_groups[1]["lr"] == pytest.approx(expected)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5 ** 4)
    make(optimizer).load_state_dict(scheduler.state_dict())


def test_a_pytorch_style_scheduler_overriding_get_lr():
    """A subclass that overrides get_lr(), as PyTorch's warm-up schedulers do, raised
    NotImplementedError asking for lr_at."""
    class Warmup(LRScheduler):
        def __init__(self, optimizer, warmup, last_epoch=-1):
            self.warmup = warmup
            super().__init__(optimizer, last_epoch)

        def get_lr(self):
            return [base * min(1.0, (self.last_epoch + 1) / self.warmup)
                    for base in self.base_lrs]

    w = Tensor([1.0], requires_grad=True)
    optimizer = SGD([w], lr=1.0)
    scheduler = Warmup(optimizer, 4)
    assert optimizer.param_groups[0]["lr"] == 0.25  # epoch 0, set at construction
    rates = []
    for _ in range(5):
        optimizer.step()
        scheduler.step()
        rates.append(optimizer.param_groups[0]["lr"])
    assert rates == [0.5, 0.75, 1.0, 1.0, 1.0] and scheduler.get_last_lr() == [1.0]

    class WarmupStep(StepLR):  # get_lr over a built-in schedule: was ignored for its lr_at
        def get_lr(self):
            if self.last_epoch < 3:
                return [base * (self.last_epoch + 1) / 3 for base in self.base_lrs]
            return super().get_lr()

    optimizer = SGD([w], lr=1.0)
    scheduler = WarmupStep(optimizer, step_size=2, gamma=0.1)
    rates = [optimizer.param_groups[0]["lr"]]
    for _ in range(4):
        optimizer.step()
        scheduler.step()
        rates.append(optimizer.param_groups[0]["lr"])
    assert rates == pytest.approx([1 / 3, 2 / 3, 1.0, 1.0, 0.1])  # PyTorch's (chainable)

    class Wrong(LRScheduler):
        def get_lr(self):
            return [0.1, 0.2]

    with pytest.raises(ValueError, match=r"Wrong.get_lr\(\) returned 2 rates for 1 parameter"):
        Wrong(optimizer)


def test_get_lr_called_from_outside_warns_and_gives_the_schedules_rate():
    """The chainable get_lr, called outside step(), gave half StepLR's current rate (and 1.7x
    the base for cosine) without a word; PyTorch warns there."""
    w = Tensor([1.0], requires_grad=True)
    optimizer = SGD([w], lr=1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.5)
    for _ in range(3):
        optimizer.step()
        scheduler.step()
    with pytest.warns(UserWarning, match="please use get_last_lr"):
        assert scheduler.get_lr() == [0.125] == scheduler.get_last_lr()
    assert "_in_step" not in scheduler.state_dict()


def test_a_get_lr_subclass_jumped_to_an_epoch_takes_the_closed_form():
    class Warm(StepLR):
        def get_lr(self):
            if self.last_epoch < 1:
                return [b * 0.5 for b in self.base_lrs]
            return super().get_lr()

    w = Tensor([1.0], requires_grad=True)
    optimizer = SGD([w], lr=1.0)
    scheduler = Warm(optimizer, step_size=1, gamma=0.5)
    optimizer.step()
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (step(epoch) is deprecated in PyTorch too)
        scheduler.step(5)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.5 ** 5)
