"""In-place operations: written into the array when not recorded, rebased when recorded, refused
for leaves that require grad, and caught at backward when they change what a node recorded;
gradients handed out own their arrays."""
import numpy as np
import pytest

import autodiff as ad
from autodiff import Tensor
from autodiff.engine import run_backward
from autodiff.testing import assert_grad_matches


def test_hand_written_gradient_descent_keeps_the_leaf_and_its_memory():
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(40, 3)))
    y = Tensor(x.data @ np.array([1.0, -2.0, 0.5]))
    w = Tensor(np.zeros(3), requires_grad=True)
    memory = w.data
    for _ in range(200):
        loss = ((x @ w - y) ** 2).mean()
        loss.backward()
        with ad.no_grad():
            w -= 0.1 * w.grad
            w.grad.zero_()
    assert w.is_leaf and w.requires_grad and w.data is memory
    np.testing.assert_allclose(w.data, [1.0, -2.0, 0.5], atol=1e-6)
    np.testing.assert_array_equal(w.grad.data, 0.0)


def test_arithmetic_forms_write_into_the_array_and_return_the_tensor():
    x = Tensor([1.0, 2.0, 3.0])
    memory = x.data
    assert x.add_(1) is x
    x.sub_(Tensor([1.0, 1.0, 1.0]), alpha=2)
    x.mul_(4)
    x.div_(2)
    x += 1
    x -= 0.5
    x *= 2
    x /= 4
    # ((x + 1 - 2) * 4 / 2 + 1 - 0.5) * 2 / 4
    np.testing.assert_allclose(x.data, [0.25, 1.25, 2.25])
    assert x.data is memory and x.dtype == np.float32


def test_views_share_the_write_as_in_pytorch():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    row = x[1]
    x.zero_()
    np.testing.assert_array_equal(row.data, 0.0)
    row.fill_(7.0)
    np.testing.assert_array_equal(x.data, [[0, 0, 0], [7, 7, 7]])


def test_fill_copy_clamp_and_setitem_values():
    x = Tensor(np.zeros((2, 3)))
    x.fill_(2.0)
    np.testing.assert_array_equal(x.data, 2.0)
    x.copy_([1, 2, 3])  # broadcast and cast, as PyTorch's copy_
    np.testing.assert_array_equal(x.data, [[1, 2, 3], [1, 2, 3]])
    x.clamp_(max=2.5)
    np.testing.assert_array_equal(x.data, [[1, 2, 2.5], [1, 2, 2.5]])
    x.clamp_(min=1.5)
    np.testing.assert_array_equal(x.data, [[1.5, 2, 2.5], [1.5, 2, 2.5]])
    x[0, 1:] = Tensor([8.0, 9.0])
    x[:, 0] = -1
    np.testing.assert_array_equal(x.data, [[-1, 8, 9], [-1, 2, 2.5]])
    with pytest.raises(ValueError, match="at least one of min and max"):
        x.clamp_()
    with pytest.raises(ValueError, match="0-d tensor, got shape"):
        x.fill_(Tensor([1.0, 2.0]))


def test_leaf_that_requires_grad_refuses_in_grad_mode_only():
    w = Tensor([1.0, 2.0], requires_grad=True)
    for change in (lambda: w.add_(1), lambda: w.zero_(), lambda: w.__setitem__(0, 5.0)):
        with pytest.raises(RuntimeError, match="leaf tensor that requires grad.*no_grad"):
            change()
    np.testing.assert_array_equal(w.data, [1.0, 2.0])
    with ad.no_grad():
        w[0] = 5.0
    np.testing.assert_array_equal(w.data, [5.0, 2.0])


def test_recorded_in_place_ops_have_the_out_of_place_gradients():
    def in_place(a, b):
        h = a * 1.0
        h += b
        h.mul_(a)
        h.sub_(b, alpha=3)
        h /= 2
        h[0] = b[1] * 4
        h.clamp_(-1.5, 1.5)
        out = b * 0
        out.copy_(h)  # a tensor that did not require grad takes a recorded history
        return out

    rng = np.random.default_rng(1)
    a, b = rng.uniform(-1, 1, 5), rng.uniform(-1, 1, 5)
    assert_grad_matches(in_place, a, b, order=2)

    def out_of_place(a, b):
        h = ((a + b) * a - 3 * b) / 2
        h = ad.where(np.arange(5) == 0, b[1] * 4, h)
        return h.clip(-1.5, 1.5)

    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    in_place(ta, tb).sum().backward()
    ua, ub = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    out_of_place(ua, ub).sum().backward()
    np.testing.assert_allclose(ta.grad.data, ua.grad.data)
    np.testing.assert_allclose(tb.grad.data, ub.grad.data)


def test_recorded_in_place_op_rebases_the_same_tensor_object():
    a = Tensor([1.0, 2.0], requires_grad=True)
    h = a * 2
    node_before = h.grad_fn
    same = h.add_(a)
    assert same is h and h.grad_fn is not node_before and h.requires_grad
    h.sum().backward()
    np.testing.assert_array_equal(a.grad.data, [3.0, 3.0])


def test_setitem_gradient_goes_to_the_last_write_of_a_repeated_index():
    x = Tensor(np.zeros(3), requires_grad=True)
    v = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 1.0
    h[np.array([0, 2, 0])] = v  # NumPy keeps the last write to place 0: v[2]
    np.testing.assert_array_equal(h.data, [3.0, 0.0, 2.0])
    (h * Tensor([10.0, 20.0, 30.0])).sum().backward()
    np.testing.assert_array_equal(v.grad.data, [0.0, 30.0, 10.0])
    np.testing.assert_array_equal(x.grad.data, [0.0, 20.0, 0.0])


def test_changing_a_tensor_a_recorded_op_needs_raises_at_backward():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = a * 3
    c = b * b
    b.add_(1)
    with pytest.raises(RuntimeError, match="modified by an in-place operation: input 0 of Mul"):
        c.sum().backward()


def test_changing_a_tensor_before_it_is_used_is_fine():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = a * 3
    b.add_(1)
    (b * b).sum().backward()
    np.testing.assert_allclose(a.grad.data, 2 * (3 * a.data + 1) * 3)


def test_writing_into_a_recorded_output_under_no_grad_raises_at_backward():
    a = Tensor([1.0, 2.0], requires_grad=True)
    e = a.exp()
    with ad.no_grad():
        e.zero_()
    with pytest.raises(RuntimeError, match="the output of Exp was written into under no_grad"):
        e.sum().backward()


def test_updating_a_leaf_between_forward_and_backward_raises():
    w = Tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with ad.no_grad():
        w -= 0.1
    with pytest.raises(RuntimeError, match="input 0 of Mul"):
        loss.backward()


def test_bad_in_place_operands_are_named():
    counts = Tensor(np.array([1, 2], dtype=np.int64))
    with pytest.raises(TypeError, match="cannot be stored in a tensor of dtype int64"):
        counts += 0.5
    x = Tensor(np.zeros(3))
    with pytest.raises(ValueError, match=r"tensor of shape \(3,\)"):
        x += np.ones((2, 3))
    frozen = Tensor(np.broadcast_to(np.zeros(3), (2, 3)))
    with pytest.raises(ValueError, match="read-only"):
        frozen.zero_()
    h = Tensor(np.zeros(3), requires_grad=True) * 1
    with pytest.raises(ValueError, match=r"result has shape \(2, 3\).*shape \(3,\)"):
        h.add_(Tensor(np.ones((2, 3))))


def test_float32_tensor_stays_float32_when_a_float64_result_is_written():
    x = Tensor(np.ones(2, dtype=np.float32))
    x += np.array([0.5, 0.25])
    assert x.dtype == np.float32
    h = Tensor(np.ones(2, dtype=np.float32), requires_grad=True) * 1
    h.add_(Tensor(np.ones(2), requires_grad=True))
    assert h.dtype == np.float32


# ----- gradients handed out own their arrays ------------------------------------------------------

def test_leaves_given_one_array_by_backward_get_their_own_copies():
    a, b = Tensor(np.ones(3), requires_grad=True), Tensor(np.ones(3), requires_grad=True)
    (a + b).sum().backward()  # Add hands the same array to both inputs
    a.grad.zero_()
    np.testing.assert_array_equal(b.grad.data, 1.0)


def test_a_broadcast_gradient_becomes_a_writeable_array():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    x.sum().backward()
    x.grad.mul_(3)
    np.testing.assert_array_equal(x.grad.data, 3.0)


def test_the_users_seed_gradient_is_not_shared_with_grad():
    seed = np.ones(3)
    x = Tensor(np.ones(3), requires_grad=True)
    (x + 0).backward(Tensor(seed))
    x.grad.zero_()
    np.testing.assert_array_equal(seed, 1.0)


def test_a_retained_gradient_is_not_shared_with_a_leafs():
    x = Tensor(np.ones(3), requires_grad=True)
    y = x + 0
    y.retain_grad()
    y.sum().backward()
    y.grad.zero_()
    np.testing.assert_array_equal(x.grad.data, 1.0)


def test_gradients_collected_for_inputs_are_arrays_of_their_own():
    x = Tensor(np.ones(3), requires_grad=True)
    seed = Tensor(np.full(3, 2.0))
    (gx,) = run_backward((x + 0,), (seed,), inputs=[x])
    gx.zero_()
    np.testing.assert_array_equal(seed.data, 2.0)
