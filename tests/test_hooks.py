"""Tensor.register_hook, as PyTorch's: the hook sees the gradient once backward has it and may
replace it; handles remove hooks; hooks follow PyTorch's rules around in-place changes."""
import numpy as np
import pytest

from autodiff import Tensor, hooks
from autodiff.engine import run_backward


def test_a_leaf_hook_replaces_what_accumulates_into_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda grad: grad * 10)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [20.0, 40.0])
    (x * x).sum().backward()  # accumulates the replaced gradient again
    np.testing.assert_array_equal(x.grad.data, [40.0, 80.0])


def test_a_leaf_hook_runs_once_on_the_sum_over_all_uses():
    x = Tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda grad: seen.append(grad.data.copy()))
    (x * 2 + x * 3 + x).sum().backward()
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], [6.0, 6.0])
    np.testing.assert_array_equal(x.grad.data, [6.0, 6.0])


def test_hooks_chain_in_registration_order():
    x = Tensor([1.0], requires_grad=True)
    x.register_hook(lambda grad: grad + 1)
    x.register_hook(lambda grad: None)  # None keeps the gradient
    x.register_hook(lambda grad: grad * 3)
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [9.0])  # (2 + 1) * 3


def test_an_interior_hook_changes_what_flows_on_and_what_is_retained():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    h.register_hook(lambda grad: grad * 0.5)
    (h * Tensor([4.0, 8.0])).sum().backward()
    np.testing.assert_array_equal(h.grad.data, [2.0, 4.0])
    np.testing.assert_array_equal(x.grad.data, [6.0, 12.0])
    assert h.retains_grad and not x.retains_grad


def test_remove_and_the_with_block_take_the_hook_away():
    x = Tensor([1.0], requires_grad=True)
    registered = hooks.REGISTERED.count
    handle = x.register_hook(lambda grad: grad * 100)
    handle.remove()
    handle.remove()
    assert hooks.REGISTERED.count == registered
    with x.register_hook(lambda grad: grad * 100):
        (x * 1).sum().backward()
    (x * 1).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [101.0])
    assert hooks.REGISTERED.count == registered


def test_a_hook_may_remove_itself_while_hooks_run():
    x = Tensor([1.0], requires_grad=True)
    handles = []
    handles.append(x.register_hook(lambda grad: handles[0].remove()))
    x.register_hook(lambda grad: grad * 5)
    (x * 1).sum().backward()
    (x * 1).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [10.0])


def test_hooks_around_an_in_place_change_follow_pytorch():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = a * 1
    seen = {}
    b.register_hook(lambda grad: seen.setdefault("before", grad.data.copy()))
    b.retain_grad()
    b.mul_(3)
    b.register_hook(lambda grad: seen.setdefault("after", grad.data.copy()))
    (b * Tensor([10.0, 20.0])).sum().backward()
    np.testing.assert_array_equal(seen["after"], [10.0, 20.0])  # of the changed value
    np.testing.assert_array_equal(seen["before"], [30.0, 60.0])  # of the value before
    np.testing.assert_array_equal(b.grad.data, [10.0, 20.0])  # retain_grad follows the tensor
    np.testing.assert_array_equal(a.grad.data, [30.0, 60.0])


def test_hooks_run_when_gradients_are_collected_for_inputs():
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda grad: grad * 100)
    h = x * 1
    h.register_hook(lambda grad: grad + 1)
    (gx, gh) = run_backward(((h * 2).sum(),), (Tensor(1.0),), inputs=[x, h])
    np.testing.assert_array_equal(gh.data, [3.0, 3.0])
    assert gx is None  # the walk stops at h, an input
    (gx,) = run_backward(((x * 2).sum(),), (Tensor(1.0),), inputs=[x])
    np.testing.assert_array_equal(gx.data, [200.0, 200.0])
    assert x.grad is None


def test_under_create_graph_a_hook_is_part_of_the_recorded_gradient():
    w = Tensor([3.0], requires_grad=True)
    w.register_hook(lambda grad: grad * 2)
    (w ** 3).sum().backward(create_graph=True)
    np.testing.assert_allclose(w.grad.data, [54.0])  # 2 * 3 w^2
    (second,) = run_backward((w.grad.sum(),), (Tensor(1.0),), inputs=[w])
    np.testing.assert_allclose(second.data, [2 * 2 * 6 * 3.0])  # hook again on d(2*3w^2)/dw


def test_bad_hooks_are_named():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).register_hook(lambda grad: grad)
    with pytest.raises(TypeError, match="must be callable"):
        Tensor([1.0], requires_grad=True).register_hook(3)
    y = Tensor([1.0, 2.0], requires_grad=True)

    def total(grad):
        return grad.sum()

    y.register_hook(total)
    with pytest.raises(RuntimeError, match=r"hook 'total' returned a gradient of shape \(\) for "
                                           r"a tensor of shape \(2,\)"):
        (y * 2).sum().backward()


def test_a_replacement_takes_the_tensors_dtype():
    x = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    x.register_hook(lambda grad: np.full(2, 0.5))  # float64 array
    (x * 1).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.data, [0.5, 0.5])


def test_retain_grad_refuses_a_tensor_without_gradients():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).retain_grad()


def test_hooks_of_a_freed_tensor_stop_counting():
    registered = hooks.REGISTERED.count
    x = Tensor([1.0], requires_grad=True)
    x.register_hook(lambda grad: grad)
    h = x * 2
    h.register_hook(lambda grad: grad)
    assert hooks.REGISTERED.count == registered + 2
    del x, h  # no handle removed: the hooks go with their tensor and node
    assert hooks.REGISTERED.count == registered


def test_collecting_gradients_for_inputs_runs_only_the_branches_behind_them():
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([1.0, 2.0], requires_grad=True)
    seen = []
    other = b * 2
    other.register_hook(lambda grad: seen.append("b's branch"))  # as autograd.grad: not run
    total = (a * 3).sum() + other.sum()
    (ga,) = run_backward((total,), (Tensor(1.0),), inputs=[a], retain_graph=True)
    np.testing.assert_array_equal(ga.data, [3.0, 3.0])
    assert seen == []
    run_backward((total,), (Tensor(1.0),), inputs=[b], retain_graph=True)
    assert seen == ["b's branch"]


# ----- hooks review (session 10) --------------------------------------------------------------

def test_a_gradient_a_hook_keeps_does_not_share_memory_with_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    logged = []
    x.register_hook(logged.append)
    (x * 3).sum().backward()
    x.grad.zero_()  # as a hand-written gradient-descent loop does
    np.testing.assert_array_equal(logged[0].data, [3.0, 3.0])
    y0 = Tensor([1.0, 2.0], requires_grad=True)
    y = y0 * 2
    y.retain_grad()
    seen = []
    y.register_hook(seen.append)
    (y * 3).sum().backward()
    y.grad.mul_(0)
    np.testing.assert_array_equal(seen[0].data, [3.0, 3.0])


def test_copies_and_pickles_of_a_tensor_leave_its_hooks_behind():
    import copy
    import pickle

    calls = []
    x = Tensor([1.0], requires_grad=True)
    x.register_hook(lambda g: calls.append("hook"))
    for twin in (copy.deepcopy(x), copy.copy(x), pickle.loads(pickle.dumps(x))):
        (twin * 2).sum().backward()
        np.testing.assert_array_equal(twin.grad.data, [2.0])
    assert calls == []
    (x * 2).sum().backward()
    assert calls == ["hook"]


def test_a_hook_that_refers_to_its_own_tensor_is_freed_with_it():
    """A finalizer held every hook table until its owner died, so a hook whose closure refers
    to its tensor (``lambda g, p=p: g / p.size``, or Grad-CAM's ``out`` inside its own hook)
    kept the tensor, its graph and the count of registered hooks forever."""
    import gc
    import weakref

    from autodiff import hooks
    gc.collect()
    before = hooks.REGISTERED.count
    leaf = Tensor(np.ones(3), requires_grad=True)
    leaf.register_hook(lambda grad, p=leaf: grad / p.size)
    out = leaf * 2.0
    handle = out.register_hook(lambda grad: out.data)
    assert hooks.REGISTERED.count == before + 2
    leaf_alive, out_alive = weakref.ref(leaf), weakref.ref(out)
    del leaf, out
    gc.collect()
    assert leaf_alive() is None and out_alive() is None
    assert hooks.REGISTERED.count == before
    handle.remove()  # a kept handle does nothing once its table is gone
    assert hooks.REGISTERED.count == before


def test_a_kept_handle_still_removes_its_hook():
    from autodiff import hooks
    x = Tensor(np.ones(2), requires_grad=True)
    calls = []
    handle = x.register_hook(lambda g: calls.append(1))
    count = hooks.REGISTERED.count
    handle.remove()
    handle.remove()
    assert hooks.REGISTERED.count == count - 1
    (x * 1.0).sum().backward()
    assert calls == []
