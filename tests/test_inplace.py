"""In-place operations: written into the array when not recorded, rebased when recorded, refused
for leaves that require grad, and caught at backward when they change what a node recorded;
gradients handed out own their arrays."""
import gc

import numpy as np
import pytest

import autodiff as ad
import nn.functional
import nn.layers
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


def test_an_op_recorded_before_a_recorded_change_backpropagates_what_it_saw():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = a * 3
    c = b * b  # saw b = 3a
    b.add_(1)
    (c.sum() + b.sum()).backward()  # PyTorch refuses this one (Mul saved b); the value is kept
    np.testing.assert_allclose(a.grad.data, 18 * a.data + 3)


def test_pytorch_idioms_that_read_a_tensor_before_changing_it():
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = w * 1
    h[0:2] += 10  # reads h[0:2], then writes it back
    (h * h).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [22.0, 24.0, 6.0])  # PyTorch's values
    w.grad = None
    x = w * 1
    x -= x.mean()
    (x * x).sum().backward()
    np.testing.assert_allclose(w.grad.data, [-2.0, 0.0, 2.0], atol=1e-6)
    w.grad = None
    h = w * 1
    h[0] = h[2] * 2
    (h * Tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [0.0, 2.0, 5.0])


def test_a_stand_in_gone_with_an_earlier_backward_raises():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = a * 3
    c = b * b
    b.add_(1)
    b.sum().backward()  # releases the in-place op's node, and the stand-in with it
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
    with pytest.raises(RuntimeError, match="the output of Exp .or memory it shares. was written"):
        e.sum().backward()


@pytest.mark.parametrize("make", [lambda x, w: x @ w.T, lambda x, w: x * w[0],
                                  lambda x, w: nn.functional.linear(x, w)],
                         ids=["matmul", "mul", "linear"])
def test_writing_into_the_output_of_an_op_that_never_reads_it_is_fine(make):
    # as in PyTorch, which saves the inputs of a product, not its output
    x = Tensor(np.array([[1.0, -2.0], [3.0, 0.5]]), requires_grad=True)
    w = Tensor(np.array([[0.5, 2.0], [-1.0, 1.5]]), requires_grad=True)
    h = make(x, w)
    with ad.no_grad():
        h.mul_(10.0)
    h.sum().backward()
    expected_x, expected_w = x.grad.data.copy(), w.grad.data.copy()
    x.grad = w.grad = None
    make(x, w).sum().backward()
    np.testing.assert_array_equal(x.grad.data, expected_x)
    np.testing.assert_array_equal(w.grad.data, expected_w)


def test_relu_and_leaky_relu_in_place_write_the_array_when_not_recorded():
    values = np.array([-2.0, -0.5, 0.0, 1.5])
    x = Tensor(values.copy())
    memory = x.data
    assert x.relu_() is x and x.data is memory
    np.testing.assert_array_equal(x.data, [0.0, 0.0, 0.0, 1.5])
    y = Tensor(values.copy())
    assert y.leaky_relu_(0.1) is y and y.data is not None
    np.testing.assert_allclose(y.data, [-0.2, -0.05, 0.0, 1.5])
    z = Tensor(values.copy())
    assert nn.functional.relu(z, inplace=True) is z
    np.testing.assert_array_equal(z.data, np.maximum(values, 0))
    assert nn.layers.LeakyReLU(0.1, inplace=True)(y) is y


@pytest.mark.parametrize("act, act_", [(lambda t: t.relu(), lambda t: t.relu_()),
                                        (lambda t: t.leaky_relu(0.1),
                                         lambda t: t.leaky_relu_(0.1))], ids=["relu", "leaky"])
def test_recorded_relu_in_place_backpropagates_as_out_of_place(act, act_):
    # tanh's backward reads its output: after the in-place change it must see the old values
    w = Tensor(np.array([-1.5, -0.2, 0.3, 2.0]), requires_grad=True)
    t = w.tanh()
    tripled = t * 3.0
    assert act_(t) is t
    (tripled.sum() + (t * t).sum()).backward()
    in_place = w.grad.data.copy()
    w.grad = None
    t = w.tanh()
    s = act(t)
    ((t * 3.0).sum() + (s * s).sum()).backward()
    np.testing.assert_allclose(in_place, w.grad.data, rtol=1e-12)


def test_relu_in_place_refuses_a_leaf_that_requires_grad():
    w = Tensor([1.0, -1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        w.relu_()
    with pytest.raises(RuntimeError, match="leaf"):
        nn.layers.ReLU(inplace=True)(w)


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


# ----- changes through other tensors that share the memory ----------------------------------------

def test_a_write_through_a_view_or_an_alias_is_caught_at_backward():
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = Tensor([1.0, 1.0, 1.0])
    y = (w * x).sum()
    view = x[:2]
    view += 100  # x's memory, through a view
    with pytest.raises(RuntimeError, match="input 1 of Mul"):
        y.backward()
    h = w * 2
    y = (h * h).sum()
    h.detach().zero_()  # the same array, another tensor
    with pytest.raises(RuntimeError, match="of Mul"):
        y.backward()
    h = w * 2
    y = (h * h).sum()
    with ad.no_grad():
        h.reshape(3).mul_(0)
    with pytest.raises(RuntimeError, match="of Mul"):
        y.backward()


def test_an_optimizer_step_between_forward_and_backward_is_caught():
    import nn

    layer = nn.Linear(2, 1, rng=0)
    optimizer = nn.optim.SGD(layer.parameters(), lr=1.0)
    x = Tensor([[1.0, 2.0]], requires_grad=True)
    second = (layer(x) ** 2).sum()
    first = (layer(x) ** 2).sum()
    first.backward()
    optimizer.step()
    with pytest.raises(RuntimeError, match="modified by an in-place operation: input 1 of Linear"):
        second.backward()
    third = (layer(x) ** 2).sum()  # recorded after the step: fine
    third.backward()
    stale = (layer(x) ** 2).sum()
    layer.load_state_dict(layer.state_dict())
    with pytest.raises(RuntimeError, match="input 1 of Linear"):
        stale.backward()


def test_an_operand_that_is_the_tensor_itself_stands_for_its_old_value():
    for change, expected in ((lambda h: h.__iadd__(h), 2.0), (lambda h: h.add_(h, alpha=2), 3.0),
                             (lambda h: h.mul_(h), None), (lambda h: h.copy_(h), 1.0),
                             (lambda h: h.__setitem__(..., h), 1.0)):
        w = Tensor([1.0, 2.0], requires_grad=True)
        h = w * 1
        change(h)
        h.sum().backward()
        np.testing.assert_allclose(w.grad.data, 2 * w.data if expected is None else expected)


def test_integer_tensors_take_the_written_values_and_record_nothing():
    w = Tensor([1.0, 2.0], requires_grad=True)
    counts = Tensor(np.array([1, 2, 3]))
    counts[0] = w[1] * 1.75  # 3.5 stored as 3, as NumPy and PyTorch store it
    assert not counts.requires_grad and counts.grad_fn is None
    np.testing.assert_array_equal(counts.data, [3, 2, 3])
    counts.copy_(Tensor([1.0, 2.0, 3.0], requires_grad=True) * 1.5)  # cast, as PyTorch's copy_
    np.testing.assert_array_equal(counts.data, [1, 3, 4])
    assert not counts.requires_grad


def test_gradients_of_a_create_graph_pass_are_distinct_and_writeable():
    a, b, c = (Tensor([1.0, 2.0], requires_grad=True) for _ in range(3))
    ((a + b) * c).sum().backward(create_graph=True)
    assert a.grad is not b.grad
    a.grad.zero_()
    np.testing.assert_array_equal(b.grad.data, [1.0, 2.0])
    seed = Tensor([1.0, 1.0])
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.backward(seed, create_graph=True)
    x.grad.zero_()
    np.testing.assert_array_equal(seed.data, 1.0)
    s = Tensor([1.0, 2.0], requires_grad=True)
    s.sum().backward(create_graph=True)  # its gradient is a broadcast, read-only view
    s.grad.zero_()
    np.testing.assert_array_equal(s.grad.data, 0.0)


def test_a_hooks_replacement_is_copied_into_grad():
    kept = Tensor([7.0, 7.0])
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda grad: kept)
    (x * 2).sum().backward()
    x.grad.zero_()
    np.testing.assert_array_equal(kept.data, 7.0)


def test_zero_dimensional_gradients_for_inputs_are_tensors():
    x, y = Tensor(2.0, requires_grad=True), Tensor(3.0, requires_grad=True)
    (gx,) = run_backward(((x * y) + (x * y),), (Tensor(1.0),), inputs=[x])
    assert isinstance(gx, Tensor) and gx.item() == 6.0


def test_clamp_takes_tensor_bounds_as_pytorch():
    x = Tensor([-2.0, 0.5, 3.0], requires_grad=True)
    low = Tensor([-1.0, -1.0, -1.0], requires_grad=True)
    high = Tensor(2.0, requires_grad=True)
    clamped = x.clamp(low, high)
    np.testing.assert_array_equal(clamped.data, [-1.0, 0.5, 2.0])
    clamped.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(low.grad.data, [1.0, 0.0, 0.0])
    assert high.grad.item() == 1.0
    data = Tensor([-2.0, 0.5, 3.0])
    data.clamp_(Tensor([-1.0, 1.0, 0.0]), 2.0)
    np.testing.assert_array_equal(data.data, [-1.0, 1.0, 2.0])


def test_a_recorded_change_of_a_view_writes_its_base_as_pytorch():
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = w * 1
    view = h[:2]
    view.mul_(10)
    np.testing.assert_array_equal(h.data, [10.0, 20.0, 3.0])
    np.testing.assert_array_equal(view.data, [10.0, 20.0])
    assert np.shares_memory(view.data, h.data)
    h.sum().backward()
    np.testing.assert_array_equal(w.grad.data, [10.0, 10.0, 1.0])
    w.grad = None
    x = w * 1
    x[0].zero_()
    (x * x).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [0.0, 4.0, 6.0])


def test_a_view_of_a_leaf_that_requires_grad_refuses_before_changing_anything():
    w = Tensor([1.0, 2.0], requires_grad=True)
    view = w[:1]
    with pytest.raises(RuntimeError, match="a view of a leaf tensor that requires grad"):
        view.mul_(2)
    np.testing.assert_array_equal(w.data, [1.0, 2.0])
    np.testing.assert_array_equal(view.data, [1.0])


# ----- views and their base follow each other's recorded changes (values from PyTorch 2.13) -------

def _x():
    return Tensor(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), requires_grad=True)


def test_a_recorded_change_of_a_base_reaches_every_kind_of_view():
    x = _x()
    h = x * 1.0
    row, flat, transposed, one = h[1], h.reshape(6), h.T, h[0, 2]
    h.mul_(Tensor(np.array([[1.0, 2.0, 3.0]])))
    np.testing.assert_array_equal(row.data, [4.0, 10.0, 18.0])
    np.testing.assert_array_equal(flat.data, [1.0, 4.0, 9.0, 4.0, 10.0, 18.0])
    np.testing.assert_array_equal(transposed.data, [[1.0, 4.0], [4.0, 10.0], [9.0, 18.0]])
    assert one.item() == 9.0
    for view in (row, flat, transposed, one):
        assert np.shares_memory(view.data, h.data)
    (row.sum() + (flat * flat).sum() + transposed[0].sum() * 10 + one * 100).backward()
    np.testing.assert_array_equal(x.grad.data, [[12.0, 16.0, 354.0], [19.0, 42.0, 111.0]])


def test_a_recorded_change_through_a_reshape_or_transpose_view_writes_its_base():
    x = _x()
    h = x * 1.0
    h.reshape(3, 2)[0].mul_(10)
    h.T[2].add_(x[0, 0])
    np.testing.assert_array_equal(h.data, [[10.0, 20.0, 4.0], [4.0, 5.0, 7.0]])
    (h * h).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[222.0, 400.0, 8.0], [8.0, 10.0, 14.0]])


def test_a_change_of_a_view_of_a_view_reaches_the_base_and_back():
    x = _x()
    a = x * 1.0
    c = a.reshape(3, 2).T
    c[0].mul_(-1)
    np.testing.assert_array_equal(a.data, [[-1.0, 2.0, -3.0], [4.0, -5.0, 6.0]])
    np.testing.assert_array_equal(c.data, [[-1.0, -3.0, -5.0], [2.0, 4.0, 6.0]])
    (a * Tensor(np.arange(6.0).reshape(2, 3))).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0.0, 1.0, -2.0], [3.0, -4.0, 5.0]])


def test_a_boolean_mask_or_a_reshape_that_copies_makes_no_view():
    x = _x()
    m = x * 1.0
    m[m > 2].mul_(0)  # picks elements: a copy, as in PyTorch and NumPy
    copied = (x * 1.0).T * 1.0  # non-contiguous: reshape has to copy
    copied.reshape(6).mul_(0)
    np.testing.assert_array_equal(m.data, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    np.testing.assert_array_equal(copied.data, [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]])


def test_a_broadcast_view_refuses_a_recorded_change_before_changing_anything():
    x = _x()
    h = x[0] * 1.0
    wide = h.broadcast_to((2, 3))
    with pytest.raises(ValueError, match="broadcast view of shape \\(2, 3\\)"):
        wide.mul_(x)
    np.testing.assert_array_equal(h.data, [1.0, 2.0, 3.0])


def test_consumers_of_a_view_recorded_before_its_base_changed_see_the_old_value():
    x = _x()
    h = x * 1.0
    row = h[0]
    before = (row * row).sum()  # recorded with row = [1, 2, 3]
    h.mul_(2)
    after = row.sum()  # row = [2, 4, 6] now
    assert after.item() == 12.0
    (before + after).backward()
    np.testing.assert_array_equal(x.grad.data, [[4.0, 6.0, 8.0], [0.0, 0.0, 0.0]])


def test_a_base_remembers_only_its_live_views():
    h = Tensor(np.ones(4)) * 1.0
    for i in range(1000):
        h[i % 4].item()
    assert len(h._views) <= 16
    kept = [h[i % 4] for i in range(40)]
    assert sum(ref() is not None for ref in h._views) == 40 and len(kept) == 40


def test_a_change_through_a_permuted_view_writes_back_by_the_inverse_permutation():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    h = x * 1.0
    p = h.permute(1, 2, 0)  # p[i, j, k] = h[k, i, j]
    p[1].mul_(10)
    expected = np.arange(24.0).reshape(2, 3, 4)
    expected[:, 1, :] *= 10
    np.testing.assert_array_equal(h.data, expected)
    np.testing.assert_array_equal(p.data, expected.transpose(1, 2, 0))
    (h * h).sum().backward()
    scale = np.ones((2, 3, 4))
    scale[:, 1, :] = 100.0
    np.testing.assert_array_equal(x.grad.data, 2 * np.arange(24.0).reshape(2, 3, 4) * scale)


def test_a_change_of_a_base_reaches_the_views_of_its_views():
    x = _x()
    h = x * 1.0
    c = h.reshape(3, 2).T
    h.mul_(2)
    np.testing.assert_array_equal(c.data, [[2.0, 6.0, 10.0], [4.0, 8.0, 12.0]])
    c.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((2, 3), 2.0))


@pytest.mark.parametrize("op, expected", [
    (lambda h: h[0:2].sum(), [1.0, 1.0, 0.0]),
    (lambda h: h.reshape(3, 1).T.sum(), [1.0, 1.0, 1.0]),
    (lambda h: (h - h[0]).sum(), [-2.0, 1.0, 1.0]),
    (lambda h: ad.concatenate([h, -h]).sum(), [0.0, 0.0, 0.0]),
])
def test_ops_that_read_no_values_ignore_memory_written_after_them_as_pytorch(op, expected):
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x + 0.0  # Add reads no values either
    y = op(h)
    with ad.no_grad():
        h[2] = 50.0  # into the memory the ops above were recorded on
    y.backward()
    np.testing.assert_array_equal(x.grad.data, expected)


def test_an_op_that_reads_a_written_value_still_raises():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x + 0.0
    y = (h * h[0:2].sum()).sum()  # Mul saved h and the sum
    with ad.no_grad():
        h[2] = 50.0
    with pytest.raises(RuntimeError, match="input 0 of Mul"):
        y.backward()


def test_copies_and_pickles_of_tensors_are_nobodys_views():
    import copy
    import pickle

    h = Tensor(np.arange(6.0)) * 1.0
    view = h[0:2]
    twin, view_twin = copy.deepcopy(h), copy.deepcopy(view)
    assert not hasattr(twin, "_views") and not hasattr(view_twin, "_view_of")
    np.testing.assert_array_equal(view_twin.data, [0.0, 1.0])
    twin.mul_(Tensor(2.0, requires_grad=True))  # recorded: must not reach the original's view
    np.testing.assert_array_equal(view.data, [0.0, 1.0])
    np.testing.assert_array_equal(twin.data, np.arange(6.0) * 2)
    loaded = pickle.loads(pickle.dumps(view.detach()))
    np.testing.assert_array_equal(loaded.data, [0.0, 1.0])
    assert loaded.name is None and loaded.requires_grad is False


def test_a_view_made_under_no_grad_refuses_a_change_in_grad_mode_as_pytorch():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 1.0
    with ad.no_grad():
        of_leaf, of_h, of_view = x[0:2], h[0:2], h[0:2][0:1]
    for view in (of_leaf, of_h, of_view):
        with pytest.raises(RuntimeError, match="view made under no_grad"):
            view.mul_(10.0)
    np.testing.assert_array_equal(x.data, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(h.data, [1.0, 2.0, 3.0])
    with ad.no_grad():
        of_h.mul_(10.0)  # both inside no_grad(): written, not tracked
    np.testing.assert_array_equal(h.data, [10.0, 20.0, 3.0])
    constant = Tensor([1.0, 2.0, 3.0])
    with ad.no_grad():
        view = constant[0:2]
    view.mul_(10.0)  # nothing requires grad: allowed, as in PyTorch
    np.testing.assert_array_equal(constant.data, [10.0, 20.0, 3.0])


def test_a_view_made_under_no_grad_follows_its_base_without_history():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 1.0
    with ad.no_grad():
        view = h[0:2]
    h.mul_(3.0)
    np.testing.assert_array_equal(view.data, [3.0, 6.0])
    assert view.requires_grad is False and view._ctx is None
    (h.sum() + (view * x[0:2]).sum()).backward()
    np.testing.assert_array_equal(x.grad.data, [6.0, 9.0, 3.0])


def test_an_in_place_op_keeps_the_tensors_memory_layout_as_pytorch():
    x = _x()
    h = x * 1.0
    h.T[0] = 0.0  # a recorded write through a transpose view
    flat = h.reshape(-1)  # still a view: h kept its C layout
    flat.mul_(2.0)
    np.testing.assert_array_equal(h.data, [[0.0, 4.0, 6.0], [0.0, 10.0, 12.0]])
    (h * 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0.0, 2.0, 2.0], [0.0, 2.0, 2.0]])
    k = x.T.clone()  # keeps the transposed layout: reshape has to copy
    k.reshape(-1).mul_(2.0)
    np.testing.assert_array_equal(k.data, [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]])


def test_setitem_from_overlapping_memory_reads_the_values_before_the_write():
    x = Tensor(np.arange(9.0).reshape(3, 3))
    x[1] = x[:, 2]  # NumPy alone gives [2, 8, 8]
    np.testing.assert_array_equal(x.data[1], [2.0, 5.0, 8.0])


@pytest.mark.parametrize("change", [
    lambda h: h.zero_(), lambda h: h.fill_(0.0), lambda h: h.clamp_(max=0.0),
    lambda h: h.__setitem__(slice(None), 0.0), lambda h: h.copy_(Tensor([0.0, 0.0])),
])
def test_an_infinite_gradient_stopped_by_a_mask_gives_zero_not_nan(change):
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 1.0
    change(h)  # masks h's old value out
    import warnings
    with np.errstate(divide="ignore"), warnings.catch_warnings():
        warnings.filterwarnings("error", message="invalid value")  # no NaN made on the way
        (Tensor([1.0, 1.0]) / h).sum().backward()  # d y / d h = -inf
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])  # PyTorch 2.13 gives 0 too


@pytest.mark.parametrize("op, expected", [
    (lambda h: h.clamp(min=2.0).sum(), [0.0, 1.0, 1.0]),
    (lambda h: ad.where(h > 1.5, h, 0.0).sum(), [0.0, 1.0, 1.0]),
    (lambda h: h.abs().sum(), [1.0, 1.0, 1.0]),
    (lambda h: h.max(), [0.0, 0.0, 1.0]),
])
def test_ops_that_use_only_masks_they_saved_ignore_memory_written_after_them(op, expected):
    # the gradient as recorded; PyTorch gives the same for where, and refuses the others
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x + 0.0
    y = op(h)
    with ad.no_grad():
        h += 10.0
    y.backward()
    np.testing.assert_array_equal(x.grad.data, expected)


def test_views_made_again_after_a_change_still_share_their_bases_memory():
    x = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    base = x.sin()
    column = base[:, ::2]
    column[0:2][:, ::2] = 0.5  # recorded, through a view of a view
    assert np.shares_memory(column.data, base.data)
    with ad.no_grad():
        base.copy_(x)  # written in place: every view sees it
    np.testing.assert_array_equal(column.data, [[0.0], [2.0], [4.0]])


def test_views_a_backward_pass_makes_are_not_remembered():
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor(np.ones((3, 2)), requires_grad=True)
    (a @ b).sum().backward()  # MatMul's backward transposes a and b
    assert not getattr(a, "_views", None) and not getattr(b, "_views", None)
    # Recording (create_graph) they are tracked, as any view made in grad mode (a forward
    # re-run inside a backward needs that), and gone once the graph is
    a.grad = b.grad = None
    (a @ b).sum().backward(create_graph=True)
    a.grad = b.grad = None
    gc.collect()
    assert all(ref() is None for ref in getattr(a, "_views", ()))
    assert b.T._view_of[0] is b  # a view the user makes is


def test_flatten_that_merges_nothing_returns_the_tensor_itself_as_pytorch():
    h = Tensor([1.0, 2.0], requires_grad=True) * 1.0
    assert h.flatten() is h
    grid = Tensor(np.ones((2, 3)))
    assert grid.flatten(1, 1) is grid and grid.flatten().shape == (6,)


def test_a_factor_written_after_a_product_matters_only_for_the_other_factors_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * 3.0).sum() + (x @ Tensor([[1.0], [2.0]])).sum()  # x's value is not needed
    with ad.no_grad():
        x += 1.0
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [4.0, 5.0])  # PyTorch 2.13 gives the same
    w = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * w).sum()  # w's gradient needs x
    with ad.no_grad():
        x += 1.0
    with pytest.raises(RuntimeError, match="input 0 of Mul"):
        y.backward()


# ----- in-place review (session 10) -----------------------------------------------------------

def test_a_released_stand_in_still_raises_after_a_later_change():
    """A stand-in freed by an earlier backward must not be replaced by a later one's."""
    w = Tensor(np.array([10.0, 20.0]), requires_grad=True)
    h = Tensor(np.array([1.0, 2.0]))
    y = h * w  # w's gradient needs h == [1, 2]
    h.add_(w)
    h.sum().backward()  # releases the change's node, and with it the stand-in [1, 2]
    h.mul_(3.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()


def test_the_record_of_changes_stays_small_when_old_values_are_released():
    h = Tensor(np.zeros(3))
    v = Tensor(np.ones(3), requires_grad=True)
    for _ in range(300):
        h.add_(v)
        h.sum().backward()
        h._ctx, h.requires_grad = None, False  # history dropped, as a new epoch would
    assert len(h._versions) < 20


def test_an_optimizer_step_is_seen_through_a_detached_alias():
    W = nn.Parameter(Tensor(np.array([[1.0, 2.0], [3.0, 4.0]])))
    x = Tensor(np.array([[1.0, 1.0]]), requires_grad=True)
    loss = (x @ W.detach()).sum()
    W.grad = Tensor(np.ones((2, 2)))
    nn.optim.SGD([W], lr=1.0).step()
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()


def test_after_an_optimizer_step_ops_that_do_not_read_the_parameter_still_backpropagate():
    """As after a step written by hand under no_grad (README: sums, additions, the unread
    factor of a product)."""
    b = Tensor(np.zeros(3), requires_grad=True)
    xb = Tensor(np.ones((2, 3)))
    loss = (xb + b).sum()
    loss.backward(retain_graph=True)
    nn.optim.SGD([b], lr=0.1).step()
    b.grad = None
    loss.backward()
    np.testing.assert_array_equal(b.grad.data, [2.0, 2.0, 2.0])
    w = Tensor(np.ones(3), requires_grad=True)
    product = (Tensor(np.arange(3.0)) * w).sum()
    w.grad = Tensor(np.ones(3))
    nn.optim.SGD([w], lr=0.1).step()
    w.grad = None
    product.backward()  # w's own value is not needed for w's gradient
    np.testing.assert_array_equal(w.grad.data, [0.0, 1.0, 2.0])


def test_view_never_copies_and_refuses_a_layout_that_would_need_a_copy():
    h = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True) * 1.0
    flat = h.view(-1)
    with ad.no_grad():
        flat[0] = 100.0
    assert h.data[0, 0] == 100.0  # a view: the write reaches h
    with pytest.raises(ValueError, match="Use .reshape"):
        h.T.view(-1)
    assert h.T.reshape(-1).shape == (6,)  # reshape copies where it must


def test_changing_a_bias_between_forward_and_backward_is_allowed_as_for_addition():
    """Linear and Conv2d read x only for w's gradient, w only for x's, the bias never."""
    import nn as nn_package

    linear = nn_package.Linear(3, 2)
    loss = linear(Tensor(np.ones((4, 3)))).sum()
    with ad.no_grad():
        linear.bias -= 1.0
        linear.weight -= 0.5  # x needs no gradient: w's values are not read
    loss.backward()
    np.testing.assert_array_equal(linear.bias.grad.data, [4.0, 4.0])
    conv = nn_package.Conv2d(1, 2, 3)
    loss = conv(Tensor(np.ones((1, 1, 5, 5)))).sum()
    with ad.no_grad():
        conv.bias -= 1.0
    loss.backward()
    np.testing.assert_array_equal(conv.bias.grad.data, [9.0, 9.0])
    x = Tensor(np.ones((4, 3)), requires_grad=True)
    loss = linear(x).sum()
    with ad.no_grad():
        linear.weight -= 0.5  # x's gradient reads w
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()


def test_deepcopy_of_a_tensor_made_by_an_op_raises_and_pickle_keeps_no_graph():
    """A deep copy of a loss copied its graph and parameters: backward through it filled the
    copies' .grad and left the model's None. PyTorch refuses, and its pickle saves a leaf."""
    import copy
    import pickle

    w = Tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with pytest.raises(RuntimeError, match="graph leaves.*made by Sum.*detach"):
        copy.deepcopy({"loss": loss})
    loaded = pickle.loads(pickle.dumps(loss))
    assert loaded.is_leaf and loaded.requires_grad and loaded.item() == 5.0
    assert len(pickle.dumps(loss)) < 400  # the data, not the graph's saved arrays
    h = w * 1.0
    h.mul_(Tensor(2.0))  # recorded in-place change: its bookkeeping held weak references
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(h)).numpy(), [2.0, 4.0])
    twin = copy.deepcopy(w)
    assert twin is not w and twin.requires_grad and twin.data is not w.data


def test_a_long_chain_of_views_of_views_takes_a_recorded_change():
    """Write-back and refresh recursed once per level: RecursionError from about 400 levels,
    and the views were left stale."""
    x = Tensor(np.arange(2000.0), requires_grad=True)
    base = x * 1.0
    views = [base]
    for _ in range(1500):
        views.append(views[-1][1:])
    views[-1].mul_(10.0)  # reaches the base through 1,500 levels
    np.testing.assert_array_equal(base.data[1500:], np.arange(1500.0, 2000.0) * 10)
    base.add_(1.0)  # and a change of the base reaches every level
    np.testing.assert_array_equal(views[-1].data, np.arange(1500.0, 2000.0) * 10 + 1)
    np.testing.assert_array_equal(views[700].data[:2], [701.0, 702.0])
    views[-1].sum().backward()
    np.testing.assert_array_equal(x.grad.data[1499:1501], [0.0, 10.0])


def test_the_list_of_views_is_pruned_at_twice_what_survived():
    base = Tensor(np.zeros(4000)) * 1.0
    kept = [base[i:i + 1] for i in range(1023)]
    views = base._views
    for i in range(200):  # short-lived views beside many live ones
        base[i:i + 2]
    assert views.prune_at >= 2 * 1023 and len(kept) == 1023
