"""`Optimizer`: the base class of every optimizer (parameter groups, state, checkpoints).

An optimizer holds ``param_groups``, a list of dicts each with a ``"params"`` list and that
group's hyperparameters (``lr``, ``momentum``, ...), and ``state``, a dict from parameter to
that parameter's buffers (NumPy arrays of its shape and dtype, plus ints such as ``step``).
Subclasses implement ``_update_group(group)``; ``step()`` calls it for every group.

Updates write into ``p.data`` in place, so every holder of the parameter sees them, and
``step()`` stamps the parameters as changed (a graph recorded before the step refuses to
backpropagate, as PyTorch's). Gradients are left as they are, as PyTorch's optimizers leave
them: users read ``p.grad`` after ``step()``.

``state_dict()`` follows PyTorch's layout: parameters are numbered in the order the groups list
them, ``{"state": {index: {name: value}}, "param_groups": [{hyperparameters..., "params":
[indices]}]}``; ``load_state_dict`` maps those numbers onto this optimizer's own parameters, so
a checkpoint loads into a new optimizer over new parameters of the same shapes.
"""
import copy
import itertools
from collections import defaultdict

import numpy as np

from autodiff import Tensor, inplace
from autodiff.grad_mode import enable_grad

__all__ = ["Optimizer"]


class Optimizer:
    """Base class: manages parameter groups and per-parameter state.

    ``params`` is an iterable of Tensors, or of dicts each holding ``"params"`` and any
    hyperparameters that override ``defaults`` for that group (PyTorch's parameter groups)::

        SGD([{"params": model.body.parameters()},
             {"params": model.head.parameters(), "lr": 1e-3}], lr=1e-2, momentum=0.9)
    """

    _added_later = ()  # hyperparameters older state dicts may lack (see _match_group)

    def __init__(self, params, defaults):
        if isinstance(params, (Tensor, np.ndarray)):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {type(params).__name__}"
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError(_SET_MESSAGE)
        _check_params_iterable(params)
        self.defaults = dict(defaults)
        self._step_count = 0  # read by the schedulers, which warn when they step first
        # parameter -> its buffers; a defaultdict, as PyTorch's, so that a subclass may start
        # with ``state = self.state[p]; if len(state) == 0: ...``
        self.state = defaultdict(dict)
        self.param_groups = []
        groups = list(params)
        if not groups:
            if iter(params) is params:  # a generator or iterator, possibly used up before
                raise ValueError(
                    "optimizer got an empty parameter list: the iterator given as params "
                    "yielded nothing. model.parameters() is a generator, used up after one "
                    "pass: call model.parameters() again for each optimizer, or keep "
                    "params = list(model.parameters()). (If the model is new, check that its "
                    "layers are attributes or in nn.ModuleList, not in a plain list.)")
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ----- groups ---------------------------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a group (a dict with ``"params"``); missing hyperparameters come from defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"a parameter group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if params is None:
            raise KeyError("a parameter group needs a 'params' entry")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(_SET_MESSAGE)
        group["params"] = params = list(params)
        if params and all(_is_named(entry) for entry in params):  # named_parameters(), as
            group["param_names"] = [name for name, _ in params]   # PyTorch 2 takes them
            group["params"] = params = [param for _, param in params]
        for param in params:
            _check_param(param)
        _check_no_duplicates(params, self.param_groups)
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        _check_group_hyperparameters(group, len(self.param_groups))
        self.param_groups.append(group)

    # ----- stepping -------------------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Clear the gradients: set them to None (default) or rebind each to a new zero Tensor."""
        for group in self.param_groups:
            if set_to_none:
                for p in group["params"]:
                    p.grad = None
                continue
            for p in group["params"]:
                if p.grad is not None:
                    # a new array: a .grad the user kept (for logging, say) keeps its values
                    p.grad = Tensor._make(np.zeros_like(p.grad.data), False)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given.

        ``closure`` (optional) re-evaluates the model and returns the loss (it runs with
        gradient recording on, as in PyTorch). Parameters whose ``.grad`` is None are skipped.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:  # all checked before any changes
            _check_grads(group["params"])
        for group in self.param_groups:
            self._update_group(group)
        self._step_count += 1
        # parameters changed in place: graphs recorded before must not backpropagate now
        inplace.stamp_written(p for group in self.param_groups for p in group["params"]
                              if p.grad is not None)
        return loss

    def _update_group(self, group):
        raise NotImplementedError(f"{type(self).__name__} must implement _update_group(group)")

    # ----- checkpoints ----------------------------------------------------------------------
    def state_dict(self):
        """The optimizer's state as PyTorch lays it out, deep-copied (later steps leave it alone).

        ``{"state": {index: {...}}, "param_groups": [{..., "params": [index, ...]}]}`` where
        parameters are numbered across groups in order; only parameters with state appear in
        ``"state"``. Arrays are NumPy copies, counters are ints: it saves with ``nn.save``.
        """
        groups, index = [], {}
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {}
        for p in self._all_params():
            if self.state.get(p):  # (not the empty ones a read of self.state[p] makes)
                state[index[id(p)]] = {k: _copy_value(v) for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load a `state_dict` (possibly from another optimizer over other parameters).

        Groups and parameters are matched by position; the counts of groups, of parameters
        per group and the shapes of the state arrays must agree, else ``ValueError`` names what
        differs. Hyperparameters (e.g. a scheduled ``lr``) are taken from the state dict, and
        checked as `add_param_group` checks them.
        Arrays are copied and cast to their parameter's dtype.
        """
        saved_groups, saved_state = _unpack(state_dict)
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(saved_groups)} parameter groups, this "
                f"{type(self).__name__} has {len(self.param_groups)}"
            )
        params = {}
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            params.update(self._match_group(i, saved, group))
        new_state = defaultdict(dict)
        for key, values in saved_state.items():
            index = _as_index(key)
            if index not in params:
                raise ValueError(
                    f"loaded state dict has state for parameter {index}, but its parameter "
                    f"groups number only {len(params)} parameters"
                )
            group_index, param = params[index]
            new_state[param] = _restore_state(values, param, index, group_index)
        groups = [
            {**group, **copy.deepcopy({k: v for k, v in saved.items() if k != "params"}),
             "params": group["params"]}
            for saved, group in zip(saved_groups, self.param_groups)
        ]
        for i, group in enumerate(groups):  # as add_param_group checks them, before any change
            _check_group_hyperparameters(group, i)
        self._check_complete_state(saved_state, new_state, params, groups)
        self.param_groups = groups
        self.state = new_state

    def _required_state(self, group):
        """The buffers ``_update_group`` reads from a parameter's state once it has one (names
        the loaded state must have); subclasses that keep state override this."""
        return ()

    def _check_complete_state(self, saved_state, new_state, params, groups):
        """Raise ValueError, naming the parameter and the buffers, for a loaded state that
        lacks a buffer the next ``step()`` would read (a KeyError there, far from the load)."""
        for key in saved_state:
            index = _as_index(key)
            group_index, param = params[index]
            if not new_state[param]:  # no step taken yet: the first step makes the buffers
                continue
            missing = [name for name in self._required_state(groups[group_index])
                       if name not in new_state[param]]
            if missing:
                raise ValueError(
                    f"loaded state of parameter {index} (group {group_index}) lacks {missing}, "
                    f"which {type(self).__name__} with these hyperparameters keeps (was it "
                    f"saved from another optimizer, or with other options?)")
            for name in self._required_state(groups[group_index]):
                value = new_state[param][name]
                if name != "step" and not isinstance(value, np.ndarray):
                    raise ValueError(
                        f"loaded state {name!r} of parameter {index} (group {group_index}) is "
                        f"a {type(value).__name__}, not an array of the parameter's shape")

    def _match_group(self, i, saved, group):
        """Map the saved indices of group ``i`` onto this optimizer's parameters."""
        if not isinstance(saved, dict) or "params" not in saved:
            raise ValueError(f"loaded param_groups[{i}] is not a dict with a 'params' list")
        if len(saved["params"]) != len(group["params"]):
            raise ValueError(
                f"loaded param_groups[{i}] has {len(saved['params'])} parameters, this "
                f"optimizer's group {i} has {len(group['params'])}"
            )
        # (hyperparameters added after checkpoints were written take this optimizer's value)
        missing = [name for name in self.defaults
                   if name not in saved and name not in self._added_later]
        if missing:
            raise ValueError(
                f"loaded param_groups[{i}] lacks the hyperparameters {missing} of "
                f"{type(self).__name__} (was it saved from another optimizer?)"
            )
        matched = {_as_index(k): (i, p) for k, p in zip(saved["params"], group["params"])}
        if len(matched) != len(group["params"]):
            raise ValueError(f"loaded param_groups[{i}] lists a parameter index more than once: "
                             f"{list(saved['params'])}")
        return matched

    def _all_params(self):
        return itertools.chain.from_iterable(g["params"] for g in self.param_groups)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {group[k]}" for k in sorted(group) if k != "params")
        lines.append(")")
        return "\n".join(lines)


_SET_MESSAGE = (
    "optimizer parameters need to be organized in ordered collections, but the ordering of "
    "tensors in sets will change between runs. Please use a list instead."
)


# Hyperparameters that must be numbers >= 0 wherever an optimizer has them: each optimizer's
# constructor checks its defaults, but a group's own values (SGD([{"params": ..., "lr": -1}]))
# would otherwise go unchecked, and a negative lr silently climbs the loss.
_NON_NEGATIVE = ("lr", "momentum", "weight_decay", "eps", "alpha")


def _check_numbers(owner, **hyperparameters):
    """Raise TypeError, naming optimizer ``owner`` and the argument, for a hyperparameter that is
    not a number (None, a string), before a range check fails on it with "'<' not supported"."""
    for name, value in hyperparameters.items():
        try:
            bool(value >= 0)
        except (TypeError, ValueError):
            raise TypeError(f"{owner}: {name} must be a number, got {value!r}") from None


def _check_implementation_options(owner, differentiable):
    """PyTorch's ``foreach``, ``fused`` and ``capturable`` choose how its kernels run, not what
    they compute, so the constructors accept and ignore them (code written for PyTorch runs
    unchanged); ``differentiable=True`` would record the update itself, which is not done."""
    if differentiable:
        raise NotImplementedError(
            f"{owner}: differentiable=True (recording the update so that gradients flow "
            f"through it) is not supported; the step updates .data outside the graph")


def _check_group_hyperparameters(group, index):
    """Raise, naming the group and the value, for a negative (or nan, or non-numeric) lr,
    momentum, weight_decay, eps or alpha, or betas outside [0, 1)."""
    for name in _NON_NEGATIVE:
        if name not in group:
            continue
        value = group[name]
        _check_numbers(f"param_groups[{index}]", **{name: value})
        if not value >= 0:
            raise ValueError(f"param_groups[{index}]: invalid {name} {value!r}: it must be >= 0")
    betas = group.get("betas")
    if betas is not None:
        try:
            valid = len(betas) == 2 and all(0.0 <= beta < 1.0 for beta in betas)
        except TypeError:
            valid = False
        if not valid:
            raise ValueError(f"param_groups[{index}]: invalid betas {betas!r}: each must be "
                             f"in [0, 1)")


def _check_params_iterable(params):
    """Raise TypeError, saying what to pass, for a model or an uncalled ``model.parameters``."""
    if callable(getattr(params, "parameters", None)):  # a Module (or anything like it)
        raise TypeError(f"params must be an iterable of Tensors, got the model "
                        f"{type(params).__name__}: pass model.parameters()")
    if callable(params) and not hasattr(params, "__iter__"):
        name = getattr(params, "__qualname__", type(params).__name__)
        raise TypeError(f"params must be an iterable of Tensors, got the function or method "
                        f"{name}: call it, e.g. model.parameters() (with the parentheses)")


def _is_named(entry):
    """Whether ``entry`` is a (name, parameter) pair, as ``named_parameters()`` yields."""
    return (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], str)
            and isinstance(entry[1], Tensor))


def _check_param(param):
    if not isinstance(param, Tensor):
        hint = ""
        if _is_named(param):
            hint = " (a (name, parameter) pair among plain parameters: give all of them named)"
        raise TypeError(
            f"optimizer can only optimize Tensors, but one of the params is "
            f"{type(param).__name__}{hint}"
        )
    if not param.is_leaf:
        raise ValueError("can't optimize a non-leaf Tensor")


def _check_no_duplicates(params, existing_groups):
    # by identity: Tensor == Tensor is elementwise, so `p in list` would not work
    seen = set()
    for i, p in enumerate(params):
        if id(p) in seen:
            raise ValueError(f"parameter {i} of a parameter group appears in it more than once")
        seen.add(id(p))
    for group in existing_groups:
        if any(id(p) in seen for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")


def _check_grads(params):
    """Raise, naming the parameter's shape, for a ``.grad`` assigned by hand that is not a
    Tensor of the parameter's shape (the update would broadcast it silently, or fail in NumPy),
    and for a parameter with a gradient whose array is read-only (the update would fail after
    other parameters had moved)."""
    for p in params:  # (on every step: .data.shape, not the .shape property)
        grad = p.grad
        if grad is None:
            continue
        data = p.data
        if not isinstance(grad, Tensor) or grad.data.shape != data.shape:
            what = (f"a {type(grad).__name__}" if not isinstance(grad, Tensor)
                    else f"of shape {grad.shape}")
            raise ValueError(f"a parameter of shape {p.shape} has a .grad {what}: it must be a "
                             f"Tensor of the parameter's shape")
        if not data.flags.writeable:
            raise ValueError(f"a parameter of shape {p.shape} has a read-only array "
                             f"(memory-mapped, or a broadcast or frombuffer array?), which "
                             f"the step cannot update: give it its own copy first "
                             f"(p.data = p.data.copy())")


def _copy_value(value):
    return value.copy() if isinstance(value, np.ndarray) else copy.deepcopy(value)


def _unpack(state_dict):
    if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
        keys = sorted(map(str, state_dict)) if isinstance(state_dict, dict) else type(state_dict)
        raise ValueError(
            f"an optimizer state dict has keys 'state' and 'param_groups', got {keys}"
        )
    return list(state_dict["param_groups"]), dict(state_dict["state"])


def _as_index(key):
    """Parameter indices are ints; accept their string form too (e.g. from JSON)."""
    try:
        return int(key)
    except (TypeError, ValueError):
        raise ValueError(f"parameter index {key!r} in the loaded state dict is not an int") from None


def _restore_state(values, param, index, group_index):
    """Copy one parameter's saved state, checking shapes and casting arrays to its dtype."""
    restored = {}
    for name, value in values.items():
        if isinstance(value, Tensor):
            value = value.data
        kind = value.dtype.kind if isinstance(value, (np.ndarray, np.generic)) else None
        if name == "step" and kind == "f" and np.ndim(value) == 0:
            # PyTorch keeps the counter as a 0-d float tensor: a whole number, taken as an int
            if not float(value).is_integer():
                raise ValueError(f"state 'step' of parameter {index} (group {group_index}) is "
                                 f"{float(value)}, not a whole number of steps")
            kind, value = "i", np.int64(value)
        if kind == "f":  # a buffer shaped like the parameter
            value = np.asarray(value)
            if value.shape != param.shape:
                raise ValueError(
                    f"state {name!r} of parameter {index} (group {group_index}) has shape "
                    f"{value.shape}, the parameter has shape {param.shape}"
                )
            value = value.astype(param.dtype, copy=True)
        elif kind in ("i", "u") and np.ndim(value) == 0:
            value = int(value)  # a counter such as "step"
        else:
            value = _copy_value(value)
        restored[name] = value
    return restored
