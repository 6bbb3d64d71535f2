"""Grad mode: whether operations record a graph, per thread.

`no_grad()` and `enable_grad()` are context managers (and decorators); `is_grad_enabled()` reads
the current thread's mode. The same thread-local state carries the anomaly-detection flag used by
`detect_anomaly()` and the flag that makes ops remember the user's line that created them.
"""
import functools
import inspect
import threading

import numpy as np


class _ThreadsWithHooks:
    """How many threads have ``hooks`` on. Every op reads this plain global first: a read of
    the thread-local state costs as much as a small NumPy call, and is needed only when some
    thread has a hook on."""

    def __init__(self):
        self.count = 0
        self._lock = threading.Lock()

    def add(self, change):
        with self._lock:
            self.count += change


HOOKS = _ThreadsWithHooks()


def _switch(name):
    """A property over ``_<name>`` that keeps ``hooks`` (and `HOOKS`) up to date when set."""
    private = "_" + name

    def set_switch(state, value):
        setattr(state, private, value)
        hooks = bool(state._anomaly or state._record_sites or state._module_scopes is not None)
        if hooks != state.hooks:
            HOOKS.add(1 if hooks else -1)
            state.hooks = hooks

    return property(lambda state: getattr(state, private), set_switch)


class _State(threading.local):
    """Per-thread switches. Each new thread starts with grad enabled and anomaly mode off.

    ``hooks`` is True while any of ``anomaly``, ``record_sites`` or ``module_scopes`` is on, so
    that every op reads one flag, not three, to learn that it has nothing extra to do.
    """

    anomaly = _switch("anomaly")  # check every forward and backward result for NaN/inf
    record_sites = _switch("record_sites")  # remember the user's source line of every op
    module_scopes = _switch("module_scopes")  # the nn.Modules being called, while drawing graphs

    def __init__(self):
        self.grad_enabled = True
        self.in_backward = False  # inside a backward pass (its views are temporaries)
        self.hooks = False
        self._anomaly = False
        self._record_sites = False
        self._module_scopes = None


STATE = _State()


def is_grad_enabled():
    """True when operations on tensors that require grad record a graph (in this thread)."""
    return STATE.grad_enabled


class _GradMode:
    """Context manager and decorator that sets grad mode and restores the previous one. As a
    decorator it is used with or without parentheses (``@no_grad()`` or ``@no_grad``), as
    PyTorch's."""

    enabled = True

    def __new__(cls, func=None):
        if func is None:
            return super().__new__(cls)
        if not callable(func):
            raise TypeError(f"{cls.__name__}() takes no arguments, or decorates a function; "
                            f"got {type(func).__name__}")
        return cls()(func)

    def __enter__(self):
        self._previous = STATE.grad_enabled
        STATE.grad_enabled = self.enabled
        return self

    def __exit__(self, *exc_info):
        STATE.grad_enabled = self._previous
        return False

    def __call__(self, func):
        if inspect.isgeneratorfunction(func):
            return self._wrap_generator(func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self._fresh():
                return func(*args, **kwargs)

        return wrapper

    def _fresh(self):
        """A new manager of the same mode, for one call of a decorated function."""
        return type(self)()

    def _wrap_generator(self, func):
        """A generator function whose every step runs in this mode (as PyTorch's decorator):
        the mode is set while the generator's body runs and the caller's between steps."""
        mode = self._fresh

        @functools.wraps(func)
        def generator(*args, **kwargs):
            gen = func(*args, **kwargs)
            try:
                with mode():
                    value = next(gen)
                while True:
                    try:
                        request = yield value
                    except GeneratorExit:
                        with mode():
                            gen.close()
                        raise
                    except BaseException as error:  # noqa: B036 - handed on to the body
                        with mode():
                            value = gen.throw(error)
                    else:
                        with mode():
                            value = gen.send(request)
            except StopIteration as stop:
                return stop.value

        return generator


class no_grad(_GradMode):
    """Disable graph recording inside the block (or the decorated function).

    >>> from autodiff import Tensor
    >>> x = Tensor([1.0], requires_grad=True)
    >>> with no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    enabled = False


class enable_grad(_GradMode):
    """Enable graph recording inside the block, even within `no_grad()`."""

    enabled = True


class set_grad_enabled(_GradMode):
    """Set grad mode to ``mode`` (a bool): at once when called, as PyTorch's, and back to the
    previous mode when used as a context manager and its block ends (each ``with`` block sets
    the mode anew, so one object may be entered again).

    >>> set_grad_enabled(False).enabled
    False
    >>> is_grad_enabled()
    False
    >>> with set_grad_enabled(True):
    ...     is_grad_enabled()
    True
    >>> is_grad_enabled()
    False
    >>> _ = set_grad_enabled(True)
    """

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __init__(self, mode):
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"set_grad_enabled takes a bool, got {type(mode).__name__}")
        self.enabled = mode = bool(mode)
        self._previous = STATE.grad_enabled  # what every block restores, as PyTorch's
        STATE.grad_enabled = mode

    def __enter__(self):
        STATE.grad_enabled = self.enabled
        return self

    def __call__(self, func):
        STATE.grad_enabled = self._previous  # a decorator: the mode applies inside only
        return super().__call__(func)

    def _fresh(self):
        return set_grad_enabled(self.enabled)
