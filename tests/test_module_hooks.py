"""Module forward hooks as PyTorch's: ``register_forward_pre_hook`` and ``register_forward_hook``
(arguments, replacements, order, removal, ``always_call``), together with graph drawing."""
import copy
import doctest

import numpy as np
import pytest

from autodiff import Tensor
from autodiff.hooks import RemovableHandle
from autodiff.viz import draw_graph, record_modules
from nn.layers import Linear, ReLU
from nn.module import Module, Sequential

RNG = np.random.default_rng(5)


def floats(*shape):
    """A float64 Tensor of standard normal samples."""
    return Tensor(RNG.standard_normal(shape))


def linear_by_hand(layer, x):
    return x @ layer.weight.numpy().T + layer.bias.numpy()


class Scale(Module):
    """``x * scale``, with a keyword argument for the kwargs tests."""

    def forward(self, x, scale=1.0):
        return x * scale


class Fails(Module):
    """A module whose forward raises."""

    def forward(self, x):
        raise ValueError("forward failed")


def mlp():
    return Sequential(Linear(3, 5, dtype=np.float64, rng=0), ReLU(),
                      Linear(5, 2, dtype=np.float64, rng=1))


# ----- what hooks see and what they replace ---------------------------------------------------
def test_forward_hook_sees_module_args_and_output_and_replaces_the_output():
    layer, x = Linear(3, 4, dtype=np.float64, rng=0), floats(2, 3)
    seen = []
    layer.register_forward_hook(lambda module, args, output: seen.append((module, args, output)))
    layer.register_forward_hook(lambda module, args, output: output * 2.0)
    layer.register_forward_hook(lambda module, args, output: seen.append(output.numpy()))
    out = layer(x)
    module, args, first_output = seen[0]
    assert module is layer and len(args) == 1 and args[0] is x
    np.testing.assert_allclose(first_output.numpy(), linear_by_hand(layer, x.numpy()))
    np.testing.assert_allclose(out.numpy(), 2.0 * linear_by_hand(layer, x.numpy()))
    np.testing.assert_allclose(seen[1], out.numpy())  # a later hook sees the replacement


def test_pre_hook_replaces_args_and_a_single_value_becomes_a_one_tuple():
    layer, x = Linear(3, 4, dtype=np.float64, rng=0), floats(2, 3)
    seen = []
    layer.register_forward_pre_hook(lambda module, args: args[0] + 1.0)  # not a tuple
    layer.register_forward_pre_hook(lambda module, args: seen.append(args))
    layer.register_forward_pre_hook(lambda module, args: (args[0] * 3.0,))
    out = layer(x)
    assert isinstance(seen[0], tuple) and len(seen[0]) == 1
    np.testing.assert_allclose(seen[0][0].numpy(), x.numpy() + 1.0)
    np.testing.assert_allclose(out.numpy(), linear_by_hand(layer, (x.numpy() + 1.0) * 3.0))


def test_forward_hook_args_are_those_after_the_pre_hooks():
    layer, x = Scale(), floats(3)
    seen = []
    layer.register_forward_pre_hook(lambda module, args: (args[0] * 0.0,))
    layer.register_forward_hook(lambda module, args, output: seen.append(args[0].numpy()))
    layer(x)
    np.testing.assert_array_equal(seen[0], np.zeros(3))


def test_keyword_arguments_reach_forward_and_only_with_kwargs_hooks():
    layer, x = Scale(), floats(3)
    seen = []
    layer.register_forward_pre_hook(lambda module, args: seen.append(("pre", args)))
    layer.register_forward_pre_hook(lambda module, args, kwargs: seen.append(("pre kw", kwargs)),
                                    with_kwargs=True)
    layer.register_forward_hook(
        lambda module, args, kwargs, output: seen.append(("hook kw", args, kwargs, output)),
        with_kwargs=True)
    out = layer(x, scale=3.0)
    assert seen[0] == ("pre", (x,)) and seen[1] == ("pre kw", {"scale": 3.0})
    _, args, kwargs, output = seen[2]
    assert args == (x,) and kwargs == {"scale": 3.0} and output is out
    np.testing.assert_allclose(out.numpy(), 3.0 * x.numpy())
    seen.clear()
    layer(x=x)  # as PyTorch: a keyword argument is not in args
    assert seen[0] == ("pre", ()) and seen[1] == ("pre kw", {"x": x})


def test_pre_hook_with_kwargs_replaces_args_and_kwargs():
    layer, x, y = Scale(), floats(3), floats(3)
    layer.register_forward_pre_hook(lambda module, args, kwargs: ((y,), {"scale": 5.0}),
                                    with_kwargs=True)
    np.testing.assert_allclose(layer(x, scale=2.0).numpy(), 5.0 * y.numpy())


def test_pre_hook_with_kwargs_must_return_none_or_a_pair():
    layer = Scale()
    layer.register_forward_pre_hook(lambda module, args, kwargs: args, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"<lambda>' registered with with_kwargs=True must "
                                           r"return None or a tuple \(args, kwargs\), got tuple"):
        layer(floats(3))


def test_a_hook_must_be_callable():
    with pytest.raises(TypeError, match="register_forward_hook: the hook must be callable, "
                                        "got int"):
        Scale().register_forward_hook(3)
    with pytest.raises(TypeError, match="register_forward_pre_hook: .* got str"):
        Scale().register_forward_pre_hook("print")


def test_gradients_flow_through_a_replaced_output():
    layer, x = Linear(3, 4, dtype=np.float64, rng=0), floats(2, 3)
    layer.register_forward_hook(lambda module, args, output: output * 3.0)
    layer(x).sum().backward()
    np.testing.assert_allclose(layer.bias.grad, np.full(4, 3.0 * 2))  # 2 rows, scaled by 3


# ----- order and removal ----------------------------------------------------------------------
def test_hooks_run_in_registration_order_and_prepend_puts_one_first():
    calls = []

    class Recorder(Module):
        def forward(self, x):
            calls.append("forward")
            return x

    layer = Recorder()
    layer.register_forward_hook(lambda *_: calls.append("hook 1"))
    layer.register_forward_pre_hook(lambda *_: calls.append("pre 1"))
    layer.register_forward_hook(lambda *_: calls.append("hook 0"), prepend=True)
    layer.register_forward_pre_hook(lambda *_: calls.append("pre 2"))
    layer.register_forward_pre_hook(lambda *_: calls.append("pre 0"), prepend=True)
    layer.register_forward_hook(lambda *_: calls.append("hook 2"))
    layer(1.0)
    assert calls == ["pre 0", "pre 1", "pre 2", "forward", "hook 0", "hook 1", "hook 2"]


def test_remove_is_idempotent_and_the_module_returns_to_its_plain_call():
    layer, x = Scale(), floats(3)
    handle = layer.register_forward_hook(lambda module, args, output: output + 1.0)
    assert isinstance(handle, RemovableHandle)
    np.testing.assert_allclose(layer(x).numpy(), x.numpy() + 1.0)
    handle.remove()
    handle.remove()
    np.testing.assert_allclose(layer(x).numpy(), x.numpy())
    assert layer._forward_hooks is None  # no hook left: the next calls pay one check only


def test_handle_as_context_manager_removes_the_hook_on_exit():
    layer, x = Scale(), floats(3)
    with layer.register_forward_pre_hook(lambda module, args: (args[0] * 0.0,)) as handle:
        assert isinstance(handle, RemovableHandle)
        np.testing.assert_array_equal(layer(x).numpy(), np.zeros(3))
    np.testing.assert_allclose(layer(x).numpy(), x.numpy())
    with pytest.raises(KeyError):
        with layer.register_forward_hook(lambda module, args, output: output * 0.0):
            raise KeyError("leaving the block by an exception")
    np.testing.assert_allclose(layer(x).numpy(), x.numpy())


def test_hooks_removed_or_added_while_hooks_run_change_the_next_call_only():
    layer, calls, handles = Scale(), [], {}

    def first(module, args, output):
        calls.append("first")
        handles["second"].remove()

    def third(module, args, output):
        calls.append("third")
        module.register_forward_hook(lambda *_: calls.append("added"))

    layer.register_forward_hook(first)
    handles["second"] = layer.register_forward_hook(lambda *_: calls.append("second"))
    layer.register_forward_hook(third)
    layer(1.0)
    assert calls == ["first", "second", "third"]  # the call started with three hooks (PyTorch)
    calls.clear()
    layer(1.0)
    assert calls == ["first", "third", "added"]


# ----- always_call ----------------------------------------------------------------------------
def test_always_call_hooks_run_when_forward_raises_then_the_error_is_raised():
    layer, x, seen = Fails(), floats(3), []
    layer.register_forward_hook(lambda *_: seen.append("not always"))
    layer.register_forward_hook(lambda module, args, output: seen.append(("always", args, output))
                                or "replaced", always_call=True)
    layer.register_forward_hook(
        lambda module, args, kwargs, output: seen.append(("always kw", kwargs, output)),
        always_call=True, with_kwargs=True)
    with pytest.raises(ValueError, match="forward failed"):
        layer(x)
    assert seen == [("always", (x,), None), ("always kw", {}, "replaced")]


def test_always_call_hooks_run_when_a_pre_hook_raises_with_its_args():
    layer, seen = Scale(), []
    layer.register_forward_pre_hook(lambda module, args: (args[0] + 1.0,))
    layer.register_forward_pre_hook(lambda module, args: 1 / 0)
    layer.register_forward_hook(lambda module, args, output: seen.append((args, output)),
                                always_call=True)
    with pytest.raises(ZeroDivisionError):
        layer(1.0)
    assert seen == [((2.0,), None)]


def test_always_call_hook_that_already_ran_is_not_run_again():
    layer, seen = Scale(), []
    layer.register_forward_hook(lambda *_: seen.append("early"), always_call=True)
    layer.register_forward_hook(lambda *_: 1 / 0)
    layer.register_forward_hook(lambda module, args, output: seen.append(("late", output)),
                                always_call=True)
    with pytest.raises(ZeroDivisionError):
        layer(2.0)
    assert seen == ["early", ("late", 2.0)]  # the late one gets the output forward made


def test_an_always_call_hook_that_raises_too_gives_a_warning():
    layer = Fails()

    def broken(module, args, output):
        raise KeyError("hook failed")

    layer.register_forward_hook(broken, always_call=True)
    with pytest.warns(UserWarning, match=r"'test_an_always_call_hook.*broken' with "
                                         r"always_call=True raised KeyError.*Fails") as caught:
        with pytest.raises(ValueError, match="forward failed"):
            layer(1.0)
    assert caught[0].filename == __file__  # the warning points at the call of the module


# ----- hooks in models ------------------------------------------------------------------------
def test_hooks_on_modules_inside_sequential_see_their_own_inputs():
    model, x = mlp(), floats(4, 3)
    seen = {}
    model[1].register_forward_pre_hook(lambda module, args: seen.update(relu_in=args[0]))
    model[2].register_forward_hook(lambda module, args, output: seen.update(last=(args, output)))
    out = model(x)
    hidden = linear_by_hand(model[0], x.numpy())
    np.testing.assert_allclose(seen["relu_in"].numpy(), hidden)
    (last_in,), last_out = seen["last"]
    np.testing.assert_allclose(last_in.numpy(), np.maximum(hidden, 0.0))
    assert last_out is out


def test_recording_every_layer_gives_the_layer_by_layer_arrays():
    model, x = mlp(), floats(4, 3)
    activations = {}

    def record(name):
        return lambda module, args, output: activations.__setitem__(name, output.numpy())

    handles = [module.register_forward_hook(record(name or "model"))
               for name, module in model.named_modules()]
    out = model(x)
    for handle in handles:
        handle.remove()
    first = linear_by_hand(model[0], x.numpy())
    expected = {"0": first, "1": np.maximum(first, 0.0)}
    expected["2"] = linear_by_hand(model[2], expected["1"])
    expected["model"] = expected["2"]
    assert sorted(activations) == sorted(expected)
    for name, value in expected.items():
        np.testing.assert_allclose(activations[name], value, rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(out.numpy(), expected["model"], rtol=1e-12)


def test_docstring_example_prints_each_layer_output_shape():
    globs = {"Sequential": Sequential, "Linear": Linear, "ReLU": ReLU, "Tensor": Tensor, "np": np}
    examples = doctest.DocTestParser().get_doctest(
        Module.register_forward_hook.__doc__, globs, "register_forward_hook", None, 0)
    result = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS).run(examples)
    assert result.attempted > 0 and result.failed == 0


def test_hooks_are_not_in_the_state_dict_and_deepcopy_copies_them():
    model, x = mlp(), floats(2, 3)
    keys = list(model.state_dict())
    handle = model[0].register_forward_hook(lambda module, args, output: output * 0.0)
    model[2].register_forward_pre_hook(lambda module, args: None)
    assert list(model.state_dict()) == keys
    model.load_state_dict(mlp().state_dict())
    twin = copy.deepcopy(model)
    np.testing.assert_allclose(twin(x).numpy(), model(x).numpy())
    handle.remove()  # the handle removes the original's hook, not the copy's (as PyTorch)
    np.testing.assert_allclose(twin(x).numpy(), np.tile(model[2].bias.numpy(), (2, 1)))
    assert not np.allclose(model(x).numpy(), twin(x).numpy())


def test_module_that_skipped_module_init_can_still_be_called():
    class NoInit(Module):
        def __init__(self):  # no super().__init__(): no parameters, but it runs
            pass

        def forward(self, x):
            return x + 1

    assert NoInit()(1) == 2


# ----- together with graph drawing --------------------------------------------------------------
def test_hooks_and_recorded_module_scopes_together():
    model, x = mlp(), floats(4, 3)
    made = {}

    def double(module, args, output):
        made["linear"], made["doubled"] = output, output * 2.0
        return made["doubled"]

    def shift(module, args):
        made["shifted"] = args[0] + 1.0
        return made["shifted"]

    model[0].register_forward_hook(double)
    model[2].register_forward_pre_hook(shift)
    with record_modules():
        out = model(x)
        loss = (out ** 2).mean()
    hidden = np.maximum(2.0 * linear_by_hand(model[0], x.numpy()), 0.0)
    np.testing.assert_allclose(out.numpy(), linear_by_hand(model[2], hidden + 1.0))
    # forward's ops belong to the layer's call, a hook's ops to the caller's: in PyTorch's
    # traces too, a module's scope holds its forward only
    assert made["linear"]._ctx.scope.module is model[0]
    assert out._ctx.scope.module is model[2]
    assert made["doubled"]._ctx.scope.module is model
    assert made["shifted"]._ctx.scope.module is model
    graph = draw_graph(loss, model=model, collapse=True)
    for box in ("0: Linear", "1: ReLU", "2: Linear"):
        assert f"<B>{box}</B>" in graph.source


def test_scopes_are_balanced_when_a_hooked_module_raises_while_recording():
    from autodiff.grad_mode import STATE

    layer = Fails()
    layer.register_forward_hook(lambda *_: None, always_call=True)
    with record_modules():
        with pytest.raises(ValueError):
            Sequential(layer)(floats(2))
        assert len(STATE.module_scopes) == 0


def test_softmax_warning_points_at_the_users_line_also_through_hooks():
    import warnings as _warnings

    from nn import Softmax

    module = Softmax()
    module.register_forward_hook(lambda m, args, output: None)
    with _warnings.catch_warnings(record=True) as caught:
        _warnings.simplefilter("always")
        module(Tensor(np.ones((2, 3))))
    assert caught and caught[0].filename == __file__
