"""Learning-rate schedules, stepped once per epoch: `StepLR`, `ExponentialLR`, `CosineAnnealingLR`.

A scheduler remembers each group's starting rate (``initial_lr``, stored in the group as
PyTorch does) and, on every ``step()``, sets ``group["lr"]`` to its value at the new epoch count
``last_epoch``. Construction performs the first step, to epoch 0, which keeps each group's
current rate (the base rate of a fresh optimizer). The usual loop::

    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch()          # calls optimizer.step() per batch
        scheduler.step()

While a group's rate is the one this scheduler's closed form gives, ``step()`` uses that closed
form (exact, however many epochs). When something else changed the rate -- another scheduler on
the same optimizer, the user, or an optimizer state loaded before the scheduler was made --
``step()`` applies this epoch's factor to the group's current rate instead (PyTorch's chainable
form), so schedulers chain and a resumed rate is kept, as in PyTorch.
"""
import math
import numbers
import warnings

__all__ = ["LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR"]


class LRScheduler:
    """Base class: subclasses define ``lr_at(base_lr, epoch)`` (closed form, chainable), or,
    as in PyTorch, override ``get_lr()``, which returns every group's rate at ``last_epoch``
    (already advanced when it is called) and is then written into the groups as it is. None
    of the schedules here overrides ``get_lr``, so a subclass of one may (a warm-up before a
    `StepLR`), calling ``super().get_lr()`` for the schedule's own rates."""

    def __init__(self, optimizer, last_epoch=-1):
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when "
                        "resuming an optimizer"
                    )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        # PyTorch's first step to epoch 0 keeps each group's current rate (chainable form);
        # resuming with last_epoch >= 0 jumps to the closed form of the next epoch
        self._step(chain=last_epoch == -1)

    def lr_at(self, base_lr, epoch):
        """The learning rate at ``epoch`` for a group whose initial rate is ``base_lr``."""
        raise NotImplementedError(f"{type(self).__name__} must implement lr_at(base_lr, epoch)")

    def get_lr(self):
        """The rates of every group at the current ``last_epoch``. While ``step()`` runs (a
        subclass's ``super().get_lr()``), from each group's current rate, PyTorch's chainable
        form: a warm-up that ends at the base rate goes on from there. Called from outside, it
        warns as PyTorch does and returns the rates the schedule gives at ``last_epoch``."""
        in_step = self.__dict__.get("_in_step")
        if not in_step:
            if in_step is None:  # (False: a step to a given epoch, which takes the closed form)
                warnings.warn("To get the last learning rate computed by the scheduler, please "
                              "use get_last_lr()", UserWarning, stacklevel=2)
            return [self.lr_at(base_lr, self.last_epoch) for base_lr in self.base_lrs]
        return [self.chained_lr(group["lr"], base_lr, self.last_epoch)
                for group, base_lr in zip(self.optimizer.param_groups, self.base_lrs)]

    def chained_lr(self, lr, base_lr, epoch):
        """The rate at ``epoch`` from the group's current rate ``lr`` (PyTorch's chainable form);
        by default ``lr`` times the closed form's ratio between ``epoch`` and ``epoch - 1`` (a
        schedule whose closed form reaches 0 overrides this)."""
        if epoch == 0:
            return lr
        return lr * self.lr_at(base_lr, epoch) / self.lr_at(base_lr, epoch - 1)

    def step(self, epoch=None):
        """Advance one epoch (or jump to ``epoch``) and write the new rates into the groups.

        Call it after the epoch's ``optimizer.step()`` calls: called before the first one, it
        warns as PyTorch does (the schedule's first rate would be skipped)."""
        optimizer = self.optimizer
        # (an optimizer that overrides step() itself does not count its steps: no warning)
        if (getattr(optimizer, "_step_count", None) == 0 and _counts_steps(optimizer)
                and not optimizer.__dict__.get("_warned_of_order")):
            optimizer._warned_of_order = True  # once per optimizer
            warnings.warn(
                "lr_scheduler.step() was called before optimizer.step(): call optimizer.step() "
                "first in each epoch, else the first value of the learning-rate schedule is "
                "skipped", UserWarning, stacklevel=2)
        self._step(epoch=epoch, chain=epoch is None)

    def _step(self, epoch=None, chain=True):
        groups = self.optimizer.param_groups
        if len(groups) > len(self.base_lrs):  # added since: scheduled from their own rate on,
            self.base_lrs += [group.setdefault("initial_lr", group["lr"])  # as PyTorch's are
                              for group in groups[len(self.base_lrs):]]
        previous = self.last_epoch
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        if type(self).get_lr is not LRScheduler.get_lr:  # a PyTorch-style subclass
            self._in_step = chain  # (step(epoch) jumps: get_lr gives the closed form there)
            try:
                rates = list(self.get_lr())
            finally:
                del self._in_step
            if len(rates) != len(groups):
                raise ValueError(f"{type(self).__name__}.get_lr() returned {len(rates)} rates "
                                 f"for {len(groups)} parameter groups")
            for group, rate in zip(groups, rates):
                group["lr"] = rate
            self._last_lr = [group["lr"] for group in groups]
            return
        for group, base_lr in zip(self.optimizer.param_groups, self.base_lrs):
            on_schedule = previous >= 0 and group["lr"] == self.lr_at(base_lr, previous)
            if chain and not on_schedule:  # changed by someone else: apply this epoch's factor
                group["lr"] = self.chained_lr(group["lr"], base_lr, self.last_epoch)
            else:
                group["lr"] = self.lr_at(base_lr, self.last_epoch)
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The rates set by the last ``step()``, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self):
        """Everything but the optimizer (its rates live in the optimizer's own state dict)."""
        return {k: (list(v) if isinstance(v, list) else v)
                for k, v in self.__dict__.items() if k not in ("optimizer", "_in_step")}

    def load_state_dict(self, state_dict):
        """Restore a `state_dict`; the number of groups must match the optimizer's."""
        base_lrs = state_dict.get("base_lrs")
        if base_lrs is None or len(base_lrs) != len(self.optimizer.param_groups):
            found = "no base_lrs" if base_lrs is None else f"{len(base_lrs)} base_lrs"
            raise ValueError(
                f"loaded {type(self).__name__} state has {found}, the optimizer has "
                f"{len(self.optimizer.param_groups)} parameter groups"
            )
        self.__dict__.update({k: (list(v) if isinstance(v, (list, tuple)) else v)
                              for k, v in state_dict.items() if k != "optimizer"})


def _counts_steps(optimizer):
    """Whether ``optimizer`` steps through `Optimizer.step`, which counts the steps."""
    from .optimizer import Optimizer

    return getattr(type(optimizer), "step", None) is Optimizer.step


class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs:
    ``lr = base_lr * gamma ** (epoch // step_size)``."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if (not isinstance(step_size, numbers.Integral) or isinstance(step_size, bool)
                or step_size <= 0):
            raise ValueError(f"step_size must be a positive int, got {step_size!r}")
        self.step_size = int(step_size)
        self.gamma = _checked_gamma(type(self).__name__, gamma)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, epoch):
        """``base_lr * gamma ** (epoch // step_size)``."""
        return base_lr * self.gamma ** (epoch // self.step_size)

    def chained_lr(self, lr, base_lr, epoch):
        """``lr * gamma`` at multiples of ``step_size``, else ``lr`` (PyTorch's get_lr)."""
        return lr * self.gamma if epoch != 0 and epoch % self.step_size == 0 else lr


class ExponentialLR(LRScheduler):
    """Multiply the rate by ``gamma`` every epoch: ``lr = base_lr * gamma ** epoch``."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = _checked_gamma(type(self).__name__, gamma)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, epoch):
        """``base_lr * gamma ** epoch``."""
        return base_lr * self.gamma ** epoch

    def chained_lr(self, lr, base_lr, epoch):
        """``lr * gamma`` (PyTorch's get_lr)."""
        return lr if epoch == 0 else lr * self.gamma


class CosineAnnealingLR(LRScheduler):
    """Anneal from the base rate to ``eta_min`` along half a cosine over ``T_max`` epochs:
    ``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``.

    Past ``T_max`` the cosine continues (the rate rises again), as in PyTorch (SGDR without
    restarts).
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        if T_max <= 0:
            raise ValueError(f"T_max must be positive, got {T_max!r}")
        if not eta_min >= 0:  # the rate ends at eta_min: a negative one climbs the loss
            raise ValueError(f"CosineAnnealingLR: eta_min must be >= 0, got {eta_min!r}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr, epoch):
        """``eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``."""
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2

    def chained_lr(self, lr, base_lr, epoch):
        """PyTorch's recursive form of the cosine schedule from the current rate ``lr``."""
        if epoch == 0:
            return lr
        if (epoch - 1 - self.T_max) % (2 * self.T_max) == 0:
            return lr + (base_lr - self.eta_min) * (1 - math.cos(math.pi / self.T_max)) / 2
        return ((1 + math.cos(math.pi * epoch / self.T_max))
                / (1 + math.cos(math.pi * (epoch - 1) / self.T_max))
                * (lr - self.eta_min) + self.eta_min)


def _checked_gamma(owner, gamma):
    """``gamma`` if it is a number >= 0: a negative factor makes every other rate negative,
    so the optimizer would climb the loss without a word (PyTorch does not check)."""
    try:
        valid = not isinstance(gamma, bool) and gamma >= 0
    except TypeError:
        valid = False
    if not valid:
        raise ValueError(f"{owner}: gamma must be a number >= 0, got {gamma!r}")
    return gamma
