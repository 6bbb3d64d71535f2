"""The module system: `Parameter`, `Module`, and the containers `Sequential`, `ModuleList` and
`ModuleDict`.

A `Module` registers what is assigned to it: a `Parameter` becomes a parameter, a `Module` a
submodule, and `register_buffer` adds state that is saved but not trained (BatchNorm's running
statistics). Registration keeps assignment order, so ``named_parameters()`` and ``state_dict()``
list entries in a stable order with dotted names (``layers.0.weight``), as in PyTorch. Registered
values stay ordinary attributes, so reading ``self.weight`` costs nothing extra.

Forward hooks (`Module.register_forward_pre_hook`, `Module.register_forward_hook`) watch or
change what flows through a module, as PyTorch's. They are not part of the state dict. A module
without hooks keeps ``_forward_hooks = None``, so its call pays one attribute check for them.

`Sequential` hands each layer's output to the next as a temporary: when its loop holds the only
reference, a layer that can compute in place (``_forward_in_place``, e.g. ``ReLU``) writes its
result into that tensor's memory, if `autodiff.temporaries.overwritable` finds that nothing else
can see it. The values, gradients and graph are the same; memory and time are saved. A layer
may also compute itself and the next module as one node (``_fuses_with``, ``_call_fused``: a
`Linear` and the ReLU after it, `nn.functional.fused`), except for the last pair, whose output
the caller sees.
"""
import itertools
import operator
import os
import warnings
from collections import OrderedDict, namedtuple
from collections.abc import Mapping
from sys import getrefcount

import numpy as np

from autodiff import Tensor, inplace
from autodiff.devices import check_device
from autodiff.grad_mode import HOOKS, STATE
from autodiff.hooks import RemovableHandle
from autodiff.temporaries import LOCAL_ONLY, overwritable


class Parameter(Tensor):
    """A Tensor that is a model's trainable weight: it requires grad unless told otherwise.

    >>> Parameter(np.zeros(3, dtype=np.float32)).requires_grad
    True
    """

    __slots__ = ()

    def __init__(self, data, requires_grad=True, dtype=None, name=None):
        super().__init__(data, requires_grad=requires_grad, dtype=dtype, name=name)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])

_next_hook_key = itertools.count().__next__


class _ForwardHooks:
    """A module's forward hooks, made at its first registration. Each table maps a handle's
    key to the hook and its options, in calling order; the handle is the one tensor hooks
    return (`autodiff.hooks.RemovableHandle`, without a counter)."""

    __slots__ = ("pre", "post")

    def __init__(self):
        self.pre = OrderedDict()  # key -> (hook, with_kwargs)
        self.post = OrderedDict()  # key -> (hook, with_kwargs, always_call)

    def add(self, table, hook, options, prepend):
        """Put ``(hook, *options)`` in ``table`` (last, or first with ``prepend``); its handle."""
        key = _next_hook_key()
        table[key] = (hook, *options)
        if prepend:
            table.move_to_end(key, last=False)
        return RemovableHandle(table, key)


class Module:
    """Base class of every layer and model: subclass it and define ``forward``.

    >>> class TwoLayer(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = Linear(4, 8)
    ...         self.out = Linear(8, 1)
    ...     def forward(self, x):
    ...         return self.out(self.hidden(x).relu())
    """

    _forward_hooks = None  # for a subclass that skipped Module.__init__ (it can still be called)

    def __init__(self):
        object.__setattr__(self, "_parameter_names", [])
        object.__setattr__(self, "_module_names", [])
        object.__setattr__(self, "_buffer_names", [])
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "training", True)
        # in the instance dict too: found there, __call__'s check costs ~70 instructions, not ~270
        object.__setattr__(self, "_forward_hooks", None)

    # ----- registration -----------------------------------------------------------------------
    def __setattr__(self, name, value):
        if "_parameter_names" not in self.__dict__:
            if not isinstance(value, (Parameter, Module)):  # plain state may come first
                object.__setattr__(self, name, value)
                return
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() is called: call "
                f"super().__init__() first in {type(self).__name__}.__init__"
            )
        # PyTorch's rules: a Parameter or Module registers (keeping its place when it replaces
        # one of its kind); a name registered as a parameter or submodule takes only its kind
        # or None; a buffer stays a buffer when a Tensor (or None) is assigned to it.
        if isinstance(value, Parameter):
            kind = self._parameter_names
        elif isinstance(value, Module):
            kind = self._module_names
        elif value is not None and name in self._parameter_names:
            raise TypeError(
                f"cannot assign {type(value).__name__} as parameter {name!r} of "
                f"{type(self).__name__} (Parameter or None expected; wrap it as "
                f"Parameter(value), or write into it: self.{name}.data[...] = value)")
        elif value is not None and name in self._module_names:
            raise TypeError(
                f"cannot assign {type(value).__name__} as child module {name!r} of "
                f"{type(self).__name__} (Module or None expected)")
        elif name in self._buffer_names:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign {type(value).__name__} as buffer {name!r} of "
                    f"{type(self).__name__} (Tensor or None expected)")
            object.__setattr__(self, name, value)  # still a buffer, saved in the state dict
            return
        else:
            kind = None
        if kind is None or name not in kind:
            self._unregister(name)
            if kind is not None:
                kind.append(name)
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        self._unregister(name)
        object.__delattr__(self, name)

    def _unregister(self, name):
        for names in (self._parameter_names, self._module_names, self._buffer_names):
            if name in names:
                names.remove(name)
        self.__dict__.get("_non_persistent_buffers", set()).discard(name)

    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter, or None for an absent optional one) as ``name``."""
        self._check_new_name(name, "parameter", self._parameter_names)
        if param is None:
            self._unregister(name)
            object.__setattr__(self, name, None)
            return
        if not isinstance(param, Parameter):
            raise TypeError(f"cannot register {type(param).__name__} as parameter {name!r}")
        setattr(self, name, param)

    def register_buffer(self, name, tensor, persistent=True):
        """Register non-trainable state as ``name``: saved in the state dict unless
        ``persistent=False`` (as PyTorch's; it still follows ``to``/``double`` and is listed by
        ``buffers()``)."""
        self._check_new_name(name, "buffer", self._buffer_names)
        self._unregister(name)
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = Tensor(np.asarray(tensor))
        self._buffer_names.append(name)
        if not persistent:
            self._non_persistent_buffers.add(name)
        object.__setattr__(self, name, tensor)

    def add_module(self, name, module):
        """Register ``module`` as a submodule called ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module")
        self._check_new_name(name, "module", self._module_names)
        setattr(self, name, module)

    register_module = add_module

    def get_submodule(self, target):
        """The submodule at the dotted path ``target`` ("" for this module), as PyTorch's;
        AttributeError names the part that is missing or not a module."""
        _check_target(target, "get_submodule")
        module = self
        for part in target.split(".") if target else ():
            child = module.__dict__.get(part)
            if not isinstance(child, Module):
                raise AttributeError(f"{type(module).__name__} has no submodule {part!r} "
                                     f"(in {target!r})")
            module = child
        return module

    def get_parameter(self, target):
        """The parameter at the dotted path ``target`` (``"0.weight"``), as PyTorch's."""
        _check_target(target, "get_parameter")
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if name not in module._parameter_names:
            raise AttributeError(f"{type(module).__name__} has no parameter {name!r} "
                                 f"(in {target!r})")
        return module.__dict__[name]

    def _check_new_name(self, name, kind, same_kind):
        """PyTorch's checks of a name being registered: a non-empty string without dots, not
        taken by an attribute of another kind (a buffer named as a parameter would silently
        take the parameter out of parameters(), and of the optimizer's reach)."""
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"{kind} name can't be empty or contain \".\", got {name!r}")
        if self.__dict__.get(name) is not None and name not in same_kind:
            raise KeyError(f"attribute {name!r} already exists in {type(self).__name__}: "
                           f"it cannot also be registered as a {kind}")

    # ----- running ----------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        """Compute the module's output; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args, **kwargs):
        # Runs for every layer of every step: _forward_in_scope is inlined here, and a module
        # without hooks pays one attribute check for them.
        if self._forward_hooks is not None:
            return self._call_with_hooks(args, kwargs)
        if HOOKS.count and STATE.hooks and STATE.module_scopes is not None:
            return self._call_in_scope(args, kwargs)
        return self.forward(*args, **kwargs)

    # ``forward(x)`` computed into ``x``'s memory, for modules that can (None: they cannot)
    _forward_in_place = None
    # ``_fuses_with(following)`` and ``_call_fused(following, x)``: modules that can compute
    # themselves and the next module of a Sequential as one node (None: they cannot; see Linear)
    _fuses_with = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "forward" in vars(cls) and "_forward_in_place" not in vars(cls):
            cls._forward_in_place = None  # a new forward: the inherited in-place form is not it

    def _call_on_temporary(self, x):
        """``self(x)`` for a tensor that `Sequential` alone holds: `_forward_in_place` when
        the call is plain (no hooks, no module scopes being recorded) and nothing else can see
        ``x``'s memory (`autodiff.temporaries.overwritable`)."""
        if (self._forward_hooks is None and not (HOOKS.count and STATE.hooks)
                and overwritable(x)):
            return self._forward_in_place(x)
        return self(x)

    def _forward_in_scope(self, args, kwargs):
        """forward, inside this module's scope while graph drawing records module calls."""
        if HOOKS.count and STATE.hooks and STATE.module_scopes is not None:
            return self._call_in_scope(args, kwargs)
        return self.forward(*args, **kwargs)

    def _call_in_scope(self, args, kwargs):
        """Run forward while ops record that they were created inside this module."""
        STATE.module_scopes.append(self)
        try:
            return self.forward(*args, **kwargs)
        finally:
            STATE.module_scopes.pop()

    # ----- hooks ------------------------------------------------------------------------------
    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Call ``hook(module, args)`` before every ``forward``, as PyTorch's; return a handle
        whose ``remove()`` (or a ``with`` block) takes the hook away.

        ``args`` is the tuple of positional arguments (keyword arguments go to ``forward``
        unseen). A hook returning something other than None replaces ``args`` with it (a value
        that is not a tuple becomes a 1-tuple). With ``with_kwargs=True`` the hook is
        ``hook(module, args, kwargs)`` and returns None or a tuple ``(args, kwargs)``.
        Pre-hooks run in registration order (``prepend=True`` puts this one first), each on
        what the one before returned, and outside the module's box in graph drawings.
        """
        _check_hook(hook, "register_forward_pre_hook")
        hooks = self._forward_hook_tables()
        return hooks.add(hooks.pre, hook, (bool(with_kwargs),), prepend)

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False,
                              always_call=False):
        """Call ``hook(module, args, output)`` after every ``forward``, as PyTorch's; return a
        handle whose ``remove()`` (or a ``with`` block) takes the hook away.

        ``args`` are the positional arguments forward received (after the pre-hooks). A hook
        returning something other than None replaces the output, for the next hook and the
        caller. With ``with_kwargs=True`` the hook is ``hook(module, args, kwargs, output)``.
        With ``always_call=True`` the hook also runs when forward (or a hook) raised an
        Exception, with the output so far (None if forward raised); the exception is raised
        again afterwards, and one raised by the hook itself only gives a warning. Hooks run in
        registration order (``prepend=True`` puts this one first), and outside the module's box
        in graph drawings (ops a hook makes belong to the caller).

        Printing what each layer of a model computes:

        >>> import numpy as np
        >>> from autodiff import Tensor
        >>> from nn import Linear, ReLU
        >>> model = Sequential(Linear(4, 8), ReLU(), Linear(8, 1))
        >>> def show(module, args, output):
        ...     print(type(module).__name__, output.shape)
        >>> handles = [layer.register_forward_hook(show) for layer in model]
        >>> _ = model(Tensor(np.zeros((2, 4))))
        Linear (2, 8)
        ReLU (2, 8)
        Linear (2, 1)
        >>> for handle in handles:
        ...     handle.remove()
        """
        _check_hook(hook, "register_forward_hook")
        hooks = self._forward_hook_tables()
        return hooks.add(hooks.post, hook, (bool(with_kwargs), bool(always_call)), prepend)

    def _forward_hook_tables(self):
        """This module's `_ForwardHooks`, made at the first registration."""
        if self._forward_hooks is None:
            object.__setattr__(self, "_forward_hooks", _ForwardHooks())
        return self._forward_hooks

    def _call_with_hooks(self, args, kwargs):
        """`__call__` of a module with hooks, in PyTorch's order: pre-hooks, forward, hooks."""
        hooks = self._forward_hooks
        if not (hooks.pre or hooks.post):  # all were removed: back to the plain call
            object.__setattr__(self, "_forward_hooks", None)
            return self._forward_in_scope(args, kwargs)
        output, ran = None, set()
        try:
            for hook, with_kwargs in list(hooks.pre.values()):  # a hook may remove hooks
                args, kwargs = _run_pre_hook(self, hook, with_kwargs, args, kwargs)
            output = self._forward_in_scope(args, kwargs)
            for key, (hook, with_kwargs, _) in list(hooks.post.items()):
                ran.add(key)
                output = _run_forward_hook(self, hook, with_kwargs, args, kwargs, output)
            return output
        except Exception:
            for key, (hook, with_kwargs, always_call) in list(hooks.post.items()):
                if always_call and key not in ran:
                    output = _run_hook_after_error(self, hook, with_kwargs, args, kwargs, output)
            raise

    def train(self, mode=True):
        """Set training mode (dropout active, batch statistics) on this module and below."""
        if not isinstance(mode, (bool, np.bool_)):  # train("False") would mean training
            raise ValueError(f"training mode is expected to be boolean, got {mode!r}")
        object.__setattr__(self, "training", bool(mode))
        for child in self.children():  # through their own train(), which a layer may override
            child.train(bool(mode))       # (keeping a pretrained BatchNorm frozen), as PyTorch
        return self

    def eval(self):
        """Set evaluation mode (dropout off, running statistics) on this module and below."""
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        """Forget the gradients of every parameter: set them to None (default, as PyTorch) or,
        with ``set_to_none=False``, rebind each existing one to a new zero Tensor (as
        `Optimizer.zero_grad`)."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad = Tensor._make(np.zeros_like(p.grad.data), False)

    # ----- traversal --------------------------------------------------------------------------
    def named_children(self):
        """(name, submodule) for each direct submodule, in registration order; a module
        registered under two names comes once, under the first (as in PyTorch)."""
        seen = set()
        for name, module in self._registered_children():
            if id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def _registered_children(self):
        """(name, submodule) under every registered name, a shared module under each of its
        names: what containers index and iterate, the state dict and the repr list."""
        for name in self._module_names:
            module = self.__dict__[name]
            if module is not None:
                yield name, module

    def children(self):
        """The direct submodules."""
        for _, module in self.named_children():
            yield module

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(dotted name, module) for this module (name ``prefix``) and every one below it.

        As PyTorch's: a module registered under several names is listed once, unless
        ``remove_duplicate=False`` lists it under each; ``memo`` is a set of modules to skip
        (it gains those listed)."""
        if not remove_duplicate:
            yield from self._state_modules(prefix)
            return
        seen = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if module in seen:
                continue
            seen.add(module)
            yield name, module
            children = list(module.named_children())
            for child_name, child in reversed(children):
                stack.append((f"{name}.{child_name}" if name else child_name, child))

    def modules(self):
        """This module and every module below it."""
        for _, module in self.named_modules():
            yield module

    def _named_members(self, names_attr, prefix, recurse, remove_duplicate):
        seen = set()
        if recurse:
            modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
        else:
            modules = [(prefix, self)]
        for module_name, module in modules:
            for name in getattr(module, names_attr):
                value = module.__dict__[name]
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, parameter) for every parameter, each listed once (under each of its
        names with ``remove_duplicate=False``, as PyTorch's)."""
        return self._named_members("_parameter_names", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        """Every parameter, each once, in registration order."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, buffer) for every buffer (``remove_duplicate`` as in
        `named_parameters`)."""
        return self._named_members("_buffer_names", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        """Every buffer."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn):
        """Call ``fn`` on every submodule and then on this module, as PyTorch: each child's
        subtree in registration order before its parent. Returns self."""
        stack = [(self, False)]
        while stack:
            module, children_done = stack.pop()
            if children_done:
                fn(module)
                continue
            stack.append((module, True))
            stack.extend((child, False) for child in reversed(list(module.children())))
        return self

    # ----- state --------------------------------------------------------------------------------
    def _state_modules(self, prefix=""):
        """(dotted name, module) for this module and every one below it, as PyTorch's
        ``state_dict`` walks them: a submodule registered under several names (``Sequential(l,
        ReLU(), l)``) is visited under each name, so its entries appear under every name, as in
        PyTorch's checkpoints. Only a module that contains itself is not entered again."""
        stack = [(prefix, self, ())]
        while stack:
            name, module, ancestors = stack.pop()
            yield name, module
            ancestors = ancestors + (id(module),)
            children = [(child_name, child) for child_name, child in module._registered_children()
                        if id(child) not in ancestors]
            for child_name, child in reversed(children):
                stack.append((f"{name}.{child_name}" if name else child_name, child, ancestors))

    def _named_state(self):
        """(dotted name, tensor) for every parameter and buffer, under every name it has (a
        parameter shared by two modules is listed under both, as in PyTorch's state dict)."""
        for name, module in self._state_modules():
            prefix = f"{name}." if name else ""
            skip = module.__dict__.get("_non_persistent_buffers", ())
            for key in module._parameter_names + module._buffer_names:
                value = module.__dict__[key]
                if value is not None and key not in skip:
                    yield prefix + key, value

    def state_dict(self, *, destination=None, prefix="", keep_vars=False):
        """An ordered dict of every parameter and buffer by dotted name (sharing their data).

        As in PyTorch, a tensor shared by several modules (tied weights, a submodule used
        twice) is listed under each of its names. The values are detached unless
        ``keep_vars=True`` (then they are the parameters themselves); keys start with
        ``prefix``; ``destination`` (a dict) is filled and returned instead of a new one."""
        state = OrderedDict() if destination is None else destination
        for key, value in self._named_state():
            state[prefix + key] = value if keep_vars else value.detach()
        return state

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy values from ``state_dict`` into this module's parameters and buffers.

        Every key must match in name and shape; with ``strict=False`` missing and unexpected
        keys are returned instead of raising (shape mismatches always raise). As PyTorch's
        ``assign``: False (the default) writes the values into the existing arrays, in their
        dtype; True makes each tensor hold a copy of the value as it is, its dtype included
        (``requires_grad`` stays the module's).
        """
        _check_state_dict_type(type(self).__name__, state_dict)
        own = OrderedDict(self._named_state())
        state_dict = self._with_own_names(state_dict)
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        values = {}
        for key, target in own.items():
            if key in state_dict:
                value = np.asarray(state_dict[key])
                _check_shape(key, value, target)
                if assign:
                    if target.requires_grad and value.dtype.kind != "f":
                        raise ValueError(f"{key}: assign=True would make it {value.dtype}, "
                                         f"which cannot require grad (load without assign to "
                                         f"cast it to {target.dtype})")
                    values[key] = np.array(value)  # a copy, in its own dtype
                    continue
                values[key] = value.astype(target.dtype, copy=False)  # (numeric: checked)
                _check_writeable(key, target)
        if strict and (missing or unexpected):
            raise KeyError(_key_error_message(type(self).__name__, missing, unexpected))
        # every value converted before any is written: a bad entry leaves the model untouched
        for key, value in values.items():
            if assign:
                own[key].data = value
            else:
                own[key].data[...] = value
        # written in place: graphs recorded before must not backpropagate
        inplace.stamp_written([own[key] for key in values])
        return IncompatibleKeys(missing, unexpected)

    def _state_dict_aliases(self):
        """{checkpoint name: own name} for entries this module also loads under another name
        (RNN and LSTM take PyTorch's ``weight_ih_l0``); empty for most modules."""
        return {}

    def _state_dict_defaults(self):
        """{own name: value} for entries that older checkpoints may lack, loaded as that value
        when missing (BatchNorm's ``num_batches_tracked``: its own, as PyTorch's); empty for
        most."""
        return {}

    def _with_own_names(self, state_dict):
        """``state_dict`` with aliased keys renamed to this model's names (an alias whose own
        name is also given is left alone, so it shows up as unexpected), and the defaults of
        entries it lacks (`_state_dict_defaults`) added."""
        renames, defaults = {}, {}
        for name, module in self._state_modules():
            prefix = f"{name}." if name else ""
            for alias, own in module._state_dict_aliases().items():
                renames[prefix + alias] = prefix + own
            for key, value in module._state_dict_defaults().items():
                defaults[prefix + key] = value
        if any(key in renames for key in state_dict):
            state_dict = {renames[key] if key in renames and renames[key] not in state_dict
                          else key: value for key, value in state_dict.items()}
        missing = {key: value for key, value in defaults.items() if key not in state_dict}
        return {**state_dict, **missing} if missing else state_dict

    def astype(self, dtype):
        """Convert every floating parameter and buffer to ``dtype`` in place; return self.

        A converted tensor loses its gradient; one already in ``dtype`` is left as it is.
        ``dtype`` must be float32 or float64, as for `to` (an integer one would truncate).
        """
        dtype = float_dtype(dtype, f"{type(self).__name__}.astype")
        for module in self.modules():
            for name in module._parameter_names + module._buffer_names:
                value = module.__dict__[name]
                if value is not None and value.dtype.kind == "f" and value.dtype != dtype:
                    value.data = value.data.astype(dtype)
                    value.grad = None
        return self

    def double(self):
        """Convert floating parameters and buffers to float64."""
        return self.astype(np.float64)

    def float(self):
        """Convert floating parameters and buffers to float32."""
        return self.astype(np.float32)

    def to(self, *args, device=None, dtype=None, non_blocking=False):
        """Move to ``device`` and convert floating parameters and buffers to ``dtype``, in place,
        as PyTorch's: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(tensor)`` (its
        dtype), or the keywords. The device must be the CPU, so only a dtype changes anything
        (see `astype`); the dtype must be float32 or float64. ``non_blocking`` is ignored.
        Returns self.

        >>> import numpy as np
        >>> from nn import Linear
        >>> Linear(2, 3).to("cpu", np.float64).weight.dtype
        dtype('float64')
        """
        device, dtype = _to_arguments(args, device, dtype)
        owner = f"{type(self).__name__}.to"
        check_device(device, owner)
        if dtype is not None:
            self.astype(float_dtype(dtype, owner))
        return self

    def cpu(self):
        """Return self: parameters and buffers always live on the CPU."""
        return self

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` on every parameter (False freezes them); return self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    # ----- display ------------------------------------------------------------------------------
    def extra_repr(self):
        """The text inside this module's parentheses in ``repr`` (layers override it)."""
        return ""

    def __repr__(self):
        children = list(self._registered_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        if self.extra_repr():
            lines.append("  " + self.extra_repr())
        for name, module in children:
            lines.append(f"  ({name}): " + repr(module).replace("\n", "\n  "))
        lines.append(")")
        return "\n".join(lines)


def _check_hook(hook, method):
    if not callable(hook):
        raise TypeError(f"{method}: the hook must be callable, got {type(hook).__name__}")


def _run_pre_hook(module, hook, with_kwargs, args, kwargs):
    """(args, kwargs) for forward after one pre-hook, as PyTorch's rules."""
    if not with_kwargs:
        result = hook(module, args)
        if result is None:
            return args, kwargs
        return (result if isinstance(result, tuple) else (result,)), kwargs
    result = hook(module, args, kwargs)
    if result is None:
        return args, kwargs
    if not (isinstance(result, tuple) and len(result) == 2):
        raise RuntimeError(f"forward pre-hook {_hook_name(hook)} registered with "
                           f"with_kwargs=True must return None or a tuple (args, kwargs), "
                           f"got {type(result).__name__} {result!r}")
    return result


def _run_forward_hook(module, hook, with_kwargs, args, kwargs, output):
    """The output after one forward hook (its result unless that is None)."""
    result = hook(module, args, kwargs, output) if with_kwargs else hook(module, args, output)
    return output if result is None else result


def _run_hook_after_error(module, hook, with_kwargs, args, kwargs, output):
    """An ``always_call`` hook run while an exception is on its way out: an exception of its
    own would hide the first one, so it becomes a warning, as in PyTorch."""
    try:
        return _run_forward_hook(module, hook, with_kwargs, args, kwargs, output)
    except Exception as error:
        warnings.warn(f"forward hook {_hook_name(hook)} with always_call=True raised "
                      f"{type(error).__name__}: {error}; silenced, as the call of "
                      f"{type(module).__name__} had raised already", stacklevel=4)
        return output


def _hook_name(hook):
    return repr(getattr(hook, "__qualname__", hook))


FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def float_dtype(dtype, owner):
    """``dtype`` (np.float64, 'float64', a np.dtype...) as a NumPy dtype if it is float32 or
    float64, the floating dtypes the engine is tested in; else a TypeError naming ``owner``."""
    resolved = _as_dtype(dtype)
    if resolved is None or resolved not in FLOAT_DTYPES:  # `None in` would match float64
        raise TypeError(f"{owner}: dtype must be float32 or float64, got dtype={dtype!r}")
    return resolved


def _as_dtype(value):
    """``value`` as a NumPy dtype, or None if it names none (None itself included, which NumPy
    would read as float64)."""
    if value is None:
        return None
    try:
        return np.dtype(value)
    except (TypeError, ValueError):
        return None


def _to_arguments(args, device, dtype):
    """(device, dtype) from `Module.to`'s positional forms and its keywords."""
    if len(args) > 2:
        raise TypeError(f"to() takes at most 2 positional arguments (device, dtype), "
                        f"got {len(args)}")
    if len(args) == 1:
        arg = args[0]
        if isinstance(arg, Tensor):
            args = (None, arg.dtype)
        else:
            args = (None, arg) if _as_dtype(arg) is not None else (arg, None)
    given_device, given_dtype = args or (None, None)
    if (given_device is not None and device is not None) or (
            given_dtype is not None and dtype is not None):
        raise TypeError("to(): device or dtype given both by position and by keyword")
    return (device if given_device is None else given_device,
            dtype if given_dtype is None else given_dtype)


def _check_target(target, method):
    """A dotted path is a string: ``seq.get_submodule(0)`` returned the whole Sequential."""
    if not isinstance(target, str):
        raise TypeError(f"{method} takes a dotted path as a string, such as \"0\" or "
                        f"\"encoder.0.weight\", got {type(target).__name__} {target!r}")


def _check_writeable(key, target):
    """Raise, naming the key, unless ``target``'s array can be written (a memory-mapped or
    broadcast array cannot): found after other entries were written, it left a half-loaded
    model."""
    if not target.data.flags.writeable:
        raise ValueError(f"{key}: its array is read-only (memory-mapped, or a broadcast or "
                         f"frombuffer array?), so nothing can be loaded into it; give it its "
                         f"own copy first (t.data = t.data.copy())")


def _check_shape(key, value, target):
    if value.dtype.kind not in "biuf":  # None or a string became a 0-d object array
        raise ValueError(f"cannot load {key!r}: the checkpoint's value is not an array of "
                        f"numbers (got dtype {value.dtype})")
    if value.shape != target.shape:
        raise ValueError(
            f"size mismatch for {key!r}: the checkpoint has shape {value.shape}, "
            f"the model has shape {target.shape}"
        )


def _check_state_dict_type(model_name, state_dict):
    """Raise TypeError, saying what to pass instead, unless ``state_dict`` is a mapping: a
    path would otherwise be read as its characters, a module as its children."""
    if isinstance(state_dict, Mapping):
        return
    if isinstance(state_dict, (str, bytes, os.PathLike)):
        hint = f"; to load a checkpoint file, read it first: load_state_dict(nn.load({str(state_dict)!r}))"
    elif isinstance(state_dict, Module):
        hint = "; to copy another model's weights, pass other.state_dict()"
    else:
        hint = ""
    raise TypeError(f"{model_name}.load_state_dict expects a dict of name -> tensor (from "
                    f"state_dict() or nn.load), got {type(state_dict).__name__}{hint}")


def _key_error_message(model_name, missing, unexpected):
    parts = [f"error loading the state dict of {model_name}:"]
    if missing:
        parts.append("missing keys " + ", ".join(repr(k) for k in missing))
    if unexpected:
        parts.append("unexpected keys " + ", ".join(repr(k) for k in unexpected))
    if {"state", "param_groups"} <= set(unexpected):
        parts.append("(this is an optimizer's state dict: load it with "
                     "optimizer.load_state_dict)")
    return " ".join(parts)


class _ListEdits:
    """The list edits of `Sequential` and `ModuleList` beyond ``append`` and ``[i] = m``:
    ``insert``, ``extend``, ``pop`` and ``del``. As PyTorch's, they number the modules again
    "0", "1", ... in their new order (state dict keys follow)."""

    def insert(self, index, module):
        """Insert ``module`` before position ``index`` (as ``list.insert``)."""
        _check_item(f"{type(self).__name__}.insert", index, module)
        modules = list(self)
        modules.insert(index, module)
        self._renumber(modules)

    def extend(self, modules):
        """Add several modules at the end."""
        for module in modules:
            self.append(module)
        return self

    def pop(self, index=-1):
        """Remove the module at ``index`` (the last by default) and return it."""
        module = list(self)[index]  # IndexError for an index out of range
        del self[index]
        return module

    def __delitem__(self, index):
        modules = list(self)
        del modules[index]
        self._renumber(modules)

    def _renumber(self, modules):
        for name in list(self._module_names):
            delattr(self, name)
        for position, module in enumerate(modules):
            self.add_module(str(position), module)


class Sequential(_ListEdits, Module):
    """Modules applied in order; ``Sequential(a, b)(x) == b(a(x))``.

    Also accepts one OrderedDict of named modules.
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                _check_item("Sequential", repr(name), module)
                self.add_module(name, module)
        else:
            for index, module in enumerate(modules):
                _check_item("Sequential", index, module)
                self.add_module(str(index), module)

    def forward(self, x):
        modules = self.__dict__
        names = self._module_names
        index, count = 0, len(names)
        while index < count:
            module = modules[names[index]]
            index += 1
            # A pair that is not the last: the output keeps its last module's node, as in PyTorch
            if (module._fuses_with is not None and index + 1 < count
                    and module._fuses_with(modules[names[index]])):
                x = module._call_fused(modules[names[index]], x)
                index += 1
            # x held by this loop alone is a temporary between two layers (module docstring)
            elif module._forward_in_place is not None and getrefcount(x) == LOCAL_ONLY:
                x = module._call_on_temporary(x)
            else:
                x = module(x)
        return x

    def append(self, module):
        """Add a module at the end."""
        _check_item("Sequential.append", len(self._module_names), module)
        self.add_module(str(len(self._module_names)), module)
        return self

    def __getitem__(self, index):
        if isinstance(index, slice):
            # as PyTorch: the slice keeps the modules' names ("2.weight" stays "2.weight")
            return Sequential(OrderedDict((name, self.__dict__[name])
                                          for name in self._module_names[index]))
        return _child_at(self, index)

    def __setitem__(self, index, module):
        """Replace the module at ``index`` (an int), keeping its name and place."""
        _replace_child(self, index, module)

    def __len__(self):
        return len(self._module_names)

    def __iter__(self):
        return (module for _, module in self._registered_children())


def _check_item(container, where, module):
    """Raise TypeError unless ``module`` (argument ``where`` of ``container``) is a Module.

    A None would be skipped by forward, silently leaving a layer out (a helper that builds a
    layer but lacks its ``return`` gives None), so it is refused here, as are a layer class
    (``nn.ReLU`` for ``nn.ReLU()``), a list of layers (``Sequential([...])``) and functions.
    """
    if isinstance(module, Module):
        return
    if module is None:
        hint = ("None would be skipped, leaving a layer out; a function that builds a layer "
                "may be missing its `return`")
    elif isinstance(module, type) and issubclass(module, Module):
        hint = (f"this is the class {module.__name__}, not a layer: write "
                f"{module.__name__}(...) to make one")
    elif isinstance(module, (list, tuple)):
        hint = f"unpack the {type(module).__name__} of layers: {container}(*layers)"
    elif callable(module):
        hint = ("a function is not a layer: use the module form (nn.ReLU() for F.relu) or "
                "wrap the function in a Module")
    else:
        hint = "expected a Module"
    raise TypeError(f"{container}: item {where} is {type(module).__name__}, not a Module: "
                    f"{hint}")


def _replace_child(container, index, module):
    """``container[index] = module`` for Sequential and ModuleList: same name, same place."""
    if not isinstance(module, Module):
        raise TypeError(f"{type(container).__name__}[{index!r}] = ...: expected a Module, got "
                        f"{type(module).__name__}")
    name = container._module_names[index]  # IndexError for an index out of range
    object.__setattr__(container, name, module)


class ModuleList(_ListEdits, Module):
    """A list of modules whose parameters are registered (iterate it in your own forward)."""

    def __init__(self, modules=None):
        super().__init__()
        if isinstance(modules, Module) and not isinstance(modules, (Sequential, ModuleList)):
            raise TypeError(f"ModuleList takes an iterable of modules, got a single "
                            f"{type(modules).__name__}: write ModuleList([module])")
        for module in modules or ():
            self.append(module)

    def append(self, module):
        """Add a module at the end."""
        _check_item("ModuleList", len(self._module_names), module)
        self.add_module(str(len(self._module_names)), module)
        return self

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ModuleList([module for _, module in self._registered_children()][index])
        return _child_at(self, index)

    def __setitem__(self, index, module):
        _replace_child(self, index, module)

    def __len__(self):
        return len(self._module_names)

    def __iter__(self):
        return (module for _, module in self._registered_children())


class ModuleDict(Module):
    """Modules by name, registered (their parameters are the container's, named
    ``<key>.<parameter>``), as PyTorch's ``nn.ModuleDict``: indexed like a dict, in the order
    the keys were added; ``keys items values update pop clear``.

    >>> blocks = ModuleDict({"encoder": Sequential(), "head": Sequential()})
    >>> list(blocks), "head" in blocks, len(blocks)
    (['encoder', 'head'], True, 2)
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        if key not in self._module_names:
            raise KeyError(f"ModuleDict has no module {key!r} (it has {self._module_names})")
        return self.__dict__[key]

    def __setitem__(self, key, module):
        _check_item("ModuleDict", repr(key), module)
        if isinstance(key, str) and key not in self._module_names and hasattr(type(self), key):
            raise KeyError(f"ModuleDict: {key!r} is the name of a ModuleDict attribute; "
                           f"it cannot also name a module")
        if key in self._module_names:
            setattr(self, key, module)  # same key, same place
        else:
            self.add_module(key, module)

    def __delitem__(self, key):
        self[key]  # noqa: B018 - the KeyError for a missing key
        delattr(self, key)

    def __len__(self):
        return len(self._module_names)

    def __iter__(self):
        return iter(list(self._module_names))

    def __contains__(self, key):
        return key in self._module_names

    def keys(self):
        """The keys, in order."""
        return list(self._module_names)

    def values(self):
        """The modules, in order."""
        return [self.__dict__[key] for key in self._module_names]

    def items(self):
        """(key, module) pairs, in order."""
        return [(key, self.__dict__[key]) for key in self._module_names]

    def update(self, modules):
        """Add (or replace) modules from a mapping or an iterable of (key, module) pairs."""
        pairs = modules.items() if isinstance(modules, (Mapping, ModuleDict)) else modules
        for pair in pairs:
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise TypeError(f"ModuleDict.update takes a mapping or (key, module) pairs, "
                                f"got an item {pair!r}")
            self[pair[0]] = pair[1]

    def pop(self, key):
        """Remove the module at ``key`` and return it."""
        module = self[key]
        del self[key]
        return module

    def clear(self):
        """Remove every module."""
        for key in list(self._module_names):
            del self[key]


def _child_at(container, index):
    """The module at position ``index`` of a Sequential or ModuleList: one lookup (building the
    list of modules on every access made a loop over ``layers[i]`` quadratic)."""
    names = container._module_names
    try:
        return container.__dict__[names[operator.index(index)]]
    except IndexError:
        raise IndexError(f"index {index} is out of range for {type(container).__name__} of "
                         f"{len(names)} modules") from None
