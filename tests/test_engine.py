"""The backward pass: PyTorch's semantics, memory release, depth, grad mode, custom ops."""
import gc
import sys
import threading
import tracemalloc
import weakref

import numpy as np
import pytest

import autodiff as ad
from autodiff import Function, Tensor


def leaf(values, dtype=np.float64):
    return Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


# ----- accumulation semantics ------------------------------------------------------------------
def test_leaves_accumulate_and_interior_tensors_keep_no_grad():
    x = leaf([1.0, 2.0])
    y = x * 3
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.data, 18 * x.data)
    assert y.grad is None
    (x * 2).sum().backward()
    np.testing.assert_allclose(x.grad.data, 18 * x.data + 2)


def test_retain_grad_keeps_an_interior_gradient():
    x = leaf([1.0, -2.0])
    y = (x * 3).retain_grad()
    (y * y).sum().backward()
    np.testing.assert_allclose(y.grad.data, 2 * y.data)


def test_two_leaves_never_share_one_grad_object():
    a, b = leaf([1.0]), leaf([2.0])
    (a + b).sum().backward()
    assert a.grad is not b.grad
    np.testing.assert_allclose(a.grad.data, [1.0])


def test_a_branch_created_early_and_consumed_late_gets_its_whole_gradient():
    # b is created before c but consumed after it, and feeds two consumers: the engine must
    # not run b's backward before both consumers have sent their gradients.
    x = leaf([1.0, 2.0])
    b = x * 2
    c = x * 3
    d = c * b
    e = d + b.exp()
    e.sum().backward()
    # e = 6 x^2 + exp(2x): de/dx = 12 x + 2 exp(2x)
    np.testing.assert_allclose(x.grad.data, 12 * x.data + 2 * np.exp(2 * x.data))


class _SameArrayTwice(Function):
    """a + b whose backward hands one ndarray to both inputs."""

    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        return grad.data, grad.data


def test_array_gradients_from_a_backward_reach_leaves_as_separate_tensors():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (_SameArrayTwice.apply(a, b) * 2).sum().backward()
    assert isinstance(a.grad, Tensor) and a.grad is not b.grad
    np.testing.assert_allclose(a.grad.data, [2.0, 2.0])
    np.testing.assert_allclose(b.grad.data, [2.0, 2.0])
    (_SameArrayTwice.apply(a, b)).sum().backward()  # accumulates into the existing .grad
    np.testing.assert_allclose(a.grad.data, [3.0, 3.0])


def _spy_on_relu(monkeypatch):
    """Record the ``private`` flag the engine hands to each ReLU's array backward."""
    from autodiff.ops.elementwise import Relu

    flags = []
    original = Relu._backward_arrays

    def spy(node, grad, private):
        flags.append(private)
        return original(node, grad, private)

    monkeypatch.setattr(Relu, "_backward_arrays", spy)
    return flags


def test_a_private_gradient_is_masked_in_place_with_the_right_values(monkeypatch):
    flags = _spy_on_relu(monkeypatch)
    x, w = leaf([1.0, -2.0, 3.0]), leaf([4.0, 5.0, 6.0])
    ((x * 3).relu() * w).sum().backward()
    assert flags == [True]  # Mul's backward made a new array that only the engine holds
    np.testing.assert_allclose(x.grad.data, [12.0, 0.0, 18.0])
    np.testing.assert_allclose(w.grad.data, [3.0, 0.0, 9.0])


def test_a_retained_gradient_is_not_overwritten_by_the_next_backward(monkeypatch):
    flags = _spy_on_relu(monkeypatch)
    x = leaf([1.0, -2.0])
    y = (x * 1).relu().retain_grad()
    z = y.relu()
    (z * Tensor([4.0, 5.0])).sum().backward()
    # z's ReLU runs first, on a private array; y's gradient is also y.grad, so not private
    assert flags == [True, False]
    np.testing.assert_allclose(y.grad.data, [4.0, 0.0])
    np.testing.assert_allclose(x.grad.data, [4.0, 0.0])


def test_one_gradient_array_sent_to_two_relus_is_not_overwritten_by_the_first(monkeypatch):
    flags = _spy_on_relu(monkeypatch)
    a, b = leaf([1.0, -1.0]), leaf([-1.0, 1.0])
    s = _SameArrayTwice.apply((a * 1).relu(), (b * 1).relu())
    (s * Tensor([2.0, 3.0])).sum().backward()
    assert flags == [False, True]  # the second ReLU alone holds the array by then
    np.testing.assert_allclose(a.grad.data, [2.0, 0.0])
    np.testing.assert_allclose(b.grad.data, [0.0, 3.0])


class _ReadOnlyGradient(Function):
    """Identity whose backward returns a new array marked read-only."""

    def forward(self, x):
        return x.copy()

    def backward(self, grad):
        g = grad.data * 3
        g.flags.writeable = False
        return g


def test_a_read_only_gradient_is_not_written(monkeypatch):
    flags = _spy_on_relu(monkeypatch)
    x = leaf([1.0, -1.0])
    _ReadOnlyGradient.apply((x * 1).relu()).sum().backward()
    assert flags == [False]
    np.testing.assert_allclose(x.grad.data, [3.0, 0.0])


class _GradFromSavedArray(Function):
    """Identity whose backward returns a view of an array it keeps (a constant gradient)."""

    def forward(self, x):
        self.saved = np.full(x.shape, 2.0)
        return x.copy()

    def backward(self, grad):
        return self.saved.reshape(-1).reshape(self.saved.shape)  # a view of self.saved


def test_a_gradient_that_views_an_op_s_saved_array_is_not_overwritten(monkeypatch):
    flags = _spy_on_relu(monkeypatch)
    x = leaf([1.0, -1.0])
    y = _GradFromSavedArray.apply((x * 1).relu())
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    assert flags == [False, False]
    np.testing.assert_allclose(x.grad.data, [4.0, 0.0])  # 2 per pass, masked


def test_gradient_has_the_leaf_dtype_when_mixed_with_float64():
    x = Tensor([1.0, 2.0], requires_grad=True)  # float32
    y = x * Tensor(np.array([0.5, 0.25]))  # float64 operand
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.data, [0.5, 0.25])


def test_broadcast_gradients_are_summed_back_to_each_input_shape():
    a = leaf(np.ones((3, 1)))
    b = leaf(np.arange(4.0))
    (a * b).sum().backward()
    np.testing.assert_allclose(a.grad.data, np.full((3, 1), 6.0))
    np.testing.assert_allclose(b.grad.data, np.full(4, 3.0))


def test_repeated_indices_accumulate_gradient():
    x = leaf([1.0, 2.0, 3.0])
    x[np.array([0, 0, 2, 0])].sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 0.0, 1.0])


def test_backward_with_an_explicit_gradient():
    x = leaf([1.0, 2.0])
    (x * x).backward(np.array([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.data, [2.0, 40.0])


# ----- release of the graph --------------------------------------------------------------------
def test_second_backward_through_a_released_graph_raises():
    x = leaf([1.0])
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time.*retain_graph"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    y = (x.exp()).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.data, 2 * np.exp(x.data))


def test_saved_arrays_are_released_after_backward():
    x = leaf(np.ones(10))
    hidden = x * 2
    saved = weakref.ref(hidden.data)
    out = hidden.exp().sum()
    del hidden
    assert saved() is not None  # kept alive by the graph until backward
    out.backward()
    assert saved() is None


def test_released_graph_memory_is_returned():
    x = leaf(np.ones(250_000))  # 2 MB per intermediate
    tracemalloc.start()
    out = (x * 2).exp().tanh().sum()
    before = tracemalloc.get_traced_memory()[0]
    out.backward()
    del x.grad
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert before - after > 4_000_000


def test_graph_has_no_reference_cycles():
    gc.collect()
    gc.disable()
    try:
        x = leaf(np.ones(3))
        y = (x * 2).exp().sum()
        node = weakref.ref(y._ctx)
        inner = weakref.ref(y._ctx.inputs[0])
        del y
        assert node() is None and inner() is None  # freed by reference counting alone
    finally:
        gc.enable()


def test_deep_tensor_chain_without_recursion():
    limit = sys.getrecursionlimit()
    x = leaf([0.5])
    y = x
    for _ in range(200_000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [1.0])
    assert sys.getrecursionlimit() == limit
    del y  # freeing a deep graph must not overflow the C stack either


# ----- grad mode ---------------------------------------------------------------------------------
def test_no_grad_records_nothing_and_enable_grad_nests():
    x = leaf([1.0])
    with ad.no_grad():
        y = x * 2
        with ad.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.is_leaf
    assert z.requires_grad and not z.is_leaf
    assert ad.is_grad_enabled()


def test_no_grad_as_a_decorator():
    @ad.no_grad()
    def double(t):
        return t * 2

    assert not double(leaf([1.0])).requires_grad


def test_grad_mode_is_thread_local():
    seen = {}
    inside = threading.Event()
    release = threading.Event()

    def worker():
        seen["worker"] = ad.is_grad_enabled()
        inside.set()
        release.wait(5)

    with ad.no_grad():
        thread = threading.Thread(target=worker)
        thread.start()
        inside.wait(5)
        seen["main"] = ad.is_grad_enabled()
        release.set()
        thread.join()
    assert seen == {"worker": True, "main": False}


# ----- higher order and custom ops -------------------------------------------------------------
def test_create_graph_gives_second_derivatives():
    x = leaf([0.3, -1.2])
    y = (x ** 3).sum()
    y.backward(create_graph=True)
    first = x.grad
    np.testing.assert_allclose(first.data, 3 * x.data ** 2)
    x.grad = None
    first.sum().backward()
    np.testing.assert_allclose(x.grad.data, 6 * x.data)


def test_nested_grad_of_tanh_to_third_order():
    third = ad.grad(ad.grad(ad.grad(lambda t: t.tanh())))
    t = np.tanh(0.7)
    expected = -2 * (1 - t ** 2) * (1 - 3 * t ** 2)
    np.testing.assert_allclose(third(Tensor(0.7, dtype=np.float64)).data, expected)


def test_grad_works_on_inputs_that_do_not_require_grad_and_leaves_grad_untouched():
    x = Tensor(np.array([1.0, 2.0]))
    g = ad.grad(lambda t: (t * t).sum())(x)
    np.testing.assert_allclose(g.data, [2.0, 4.0])
    assert x.grad is None and not x.requires_grad


def test_value_and_grad_with_several_argnums():
    f = lambda a, b: (a * b).sum()  # noqa: E731
    value, (ga, gb) = ad.value_and_grad(f, argnums=(0, 1))(Tensor([2.0]), Tensor([5.0]))
    assert value.item() == 10.0
    assert ga.item() == 5.0 and gb.item() == 2.0


class Cube(Function):
    def forward(self, x):
        return x ** 3

    def backward(self, grad):
        (x,) = self.inputs
        return (grad * 3 * x * x,)


def test_custom_function_first_and_second_order():
    x = leaf([0.5, -2.0])
    assert ad.gradcheck(lambda t: Cube.apply(t), [x])
    assert ad.gradgradcheck(lambda t: Cube.apply(t), [x])


class _WeightedSum(Function):
    def forward(self, x, w):
        return x * w

    def backward(self, grad):
        x, w = self.inputs
        return grad * w, grad * x


def test_apply_wraps_inputs_that_are_not_tensors():
    x = leaf([1.0, 2.0])
    for weight in (np.array([3.0, 4.0], dtype=np.float32), [3.0, 4.0], 3.5):
        x.grad = None
        out = _WeightedSum.apply(x, weight)
        assert isinstance(out, Tensor) and out.requires_grad
        out.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), np.broadcast_to(weight, (2,)))
    constant = _WeightedSum.apply(np.ones(2), 2.0)  # no Tensor at all: nothing to record
    assert not constant.requires_grad and constant._ctx is None
    np.testing.assert_array_equal(constant.numpy(), [2.0, 2.0])


def test_backward_records_nothing_without_create_graph():
    recorded = []

    class Spy(Function):
        def forward(self, x):
            return x * 2

        def backward(self, grad):
            out = grad * 2
            recorded.append(out.requires_grad)
            return (out,)

    Spy.apply(leaf([1.0])).sum().backward()
    assert recorded == [False]


def test_custom_function_with_a_wrong_number_of_gradients_is_named():
    class Bad(Function):
        def forward(self, a, b):
            return a + b

        def backward(self, grad):
            return (grad,)

    out = Bad.apply(leaf([1.0]), leaf([2.0]))
    with pytest.raises(RuntimeError, match="Bad.backward returned 1 gradients for 2 inputs"):
        out.sum().backward()


def test_custom_function_gradient_of_a_wrong_shape_is_named():
    class BadShape(Function):
        def forward(self, x):
            return x * 1

        def backward(self, grad):
            return (np.ones(7),)

    with pytest.raises(RuntimeError, match=r"BadShape.backward returned a gradient of shape \(7,\)"):
        BadShape.apply(leaf(np.ones(3))).sum().backward()


# ----- errors --------------------------------------------------------------------------------------
def test_backward_of_a_non_scalar_without_grad_says_what_to_pass():
    with pytest.raises(RuntimeError, match=r"shape \(2,\).*grad=ones_like"):
        (leaf([1.0, 2.0]) * 2).backward()


def test_backward_on_a_tensor_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).sum().backward()


def test_backward_grad_of_the_wrong_shape():
    with pytest.raises(RuntimeError, match=r"grad has shape \(3,\) but the tensor has shape \(2,\)"):
        (leaf([1.0, 2.0]) * 2).backward(np.ones(3))


# ----- grad-mode decorators on generator functions ----------------------------------------
def test_no_grad_decorated_generator_runs_its_body_without_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)

    @ad.no_grad()
    def doubled(n):
        for _ in range(n):
            yield ad.is_grad_enabled(), x * 2

    results = list(doubled(2))
    assert [mode for mode, _ in results] == [False, False]
    assert not any(y.requires_grad for _, y in results)
    assert ad.is_grad_enabled()


def test_grad_mode_is_restored_between_steps_of_the_generator():
    @ad.no_grad()
    def steps():
        yield ad.is_grad_enabled()
        yield ad.is_grad_enabled()

    gen = steps()
    assert next(gen) is False
    assert ad.is_grad_enabled()  # the caller's mode between steps
    assert next(gen) is False
    assert ad.is_grad_enabled()


def test_enable_grad_decorated_generator_inside_no_grad():
    @ad.enable_grad()
    def modes():
        yield ad.is_grad_enabled()

    with ad.no_grad():
        assert list(modes()) == [True]
        assert not ad.is_grad_enabled()


def test_decorated_generator_keeps_send_and_return_value():
    @ad.no_grad()
    def echo():
        received = yield "ready"
        yield received * 2
        return "done"

    gen = echo()
    assert next(gen) == "ready"
    assert gen.send(21) == 42
    try:
        next(gen)
    except StopIteration as stop:
        assert stop.value == "done"
    else:
        raise AssertionError("the generator should have finished")


# ----- custom Functions: what apply accepts (higher-order review, session 10) ----------------

def test_a_function_with_its_own_init_keeps_its_parameters_for_higher_derivatives():
    from autodiff.functional import hessian

    class Scaled(Function):
        def __init__(self, k):
            self.k = k

        def forward(self, x):
            return x * x * self.k

        def backward(self, grad):
            return (grad * self.result() * 2 / self.inputs[0],)

    h = hessian(lambda x: Scaled.apply(x, k=3.0).sum())(Tensor([1.0, 2.0]))
    np.testing.assert_allclose(h.data, np.diag([6.0, 6.0]))


@pytest.mark.parametrize("returned, message", [
    (None, "must return an ndarray of numbers, it returned NoneType"),
    ("abc", "must return an ndarray of numbers, it returned str"),
    ((1.0, 2.0), "returned a tuple: a Function has one output"),
])
def test_forward_that_returns_no_array_is_named(returned, message):
    class Odd(Function):
        def forward(self, x):
            return returned

    with pytest.raises(TypeError, match=message):
        Odd.apply(Tensor([1.0], requires_grad=True))


def test_integer_outputs_of_a_function_do_not_require_grad():
    class Floor(Function):
        def forward(self, x):
            return np.floor(x).astype(np.int64)

    out = Floor.apply(Tensor([1.5], requires_grad=True))
    assert not out.requires_grad and out.is_leaf
    assert Floor.apply(Tensor([2.5])).data.tolist() == [2]


def test_a_tensor_requiring_grad_passed_by_keyword_is_refused():
    class Scale(Function):
        def forward(self, x):
            return x * self.w.data

        def backward(self, grad):
            return (grad * self.w,)

    x, w = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    with pytest.raises(TypeError, match="given as w= requires grad.*pass it positionally"):
        Scale.apply(x, w=w)
    assert Scale.apply(x, w=Tensor([3.0])).item() == 3.0  # a constant is fine



# ----- cases the suite missed (mutation testing, session 10) -----------------------------
# G2: a retained interior gradient accumulates over backward calls (as PyTorch's .grad)
def test_retained_grad_accumulates_over_two_backwards():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3.0
    h.retain_grad()
    y = (h * h).sum()
    y.backward(retain_graph=True)
    first = h.grad.data.copy()
    y.backward()
    np.testing.assert_allclose(h.grad.data, 2 * first)


# G4: two leaves fed by one Add get .grad arrays that do not alias each other
def test_grads_from_one_add_do_not_alias():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    c = Tensor([5.0, 6.0])
    ((a + b) * c).sum().backward()   # Mul hands Add one fresh array, Add hands it to a and b
    assert not np.shares_memory(a.grad.data, b.grad.data)
    a.grad.data[...] = 100.0   # e.g. an in-place clip or a user's *= on one .grad
    np.testing.assert_array_equal(b.grad.data, [5.0, 6.0])


def test_grad_does_not_alias_the_seed_passed_to_backward():
    x = Tensor([1.0, 2.0], requires_grad=True)
    seed = Tensor([1.0, 1.0])
    (x + 0.0).backward(seed)
    x.grad.data[...] = 7.0
    np.testing.assert_array_equal(seed.data, [1.0, 1.0])


# ----- gradients of x[index] read many times: scattered into one buffer ----------------------

def _reads(x, steps):
    """A loop reading x[t] (each step weighted by t + 1), as recurrent code does."""
    return sum(((x[t] * float(t + 1)) ** 2).sum() for t in range(steps))


def _expected_reads_grad(data, steps):
    weights = np.arange(1, steps + 1, dtype=float).reshape(-1, *([1] * (data.ndim - 1)))
    return 2 * weights ** 2 * data


def test_slices_read_in_a_loop_scatter_into_one_buffer(monkeypatch):
    """Each read's gradient was an array of x's full size, summed one by one: backward took
    time quadratic in the number of reads (an LSTM over 1,600 steps: 12 s, now 0.5 s)."""
    from autodiff.ops.movement import ScatteredGrad
    made = []
    dense = ScatteredGrad.dense
    monkeypatch.setattr(ScatteredGrad, "dense", lambda self: made.append(1) or dense(self))
    data = np.random.default_rng(0).normal(size=(50, 3))
    leaf = Tensor(data, requires_grad=True)
    interior = leaf * 1.0
    _reads(leaf, 50).backward()
    _reads(interior, 50).backward()
    assert len(made) == 2  # one buffer per tensor read, not one array per read
    np.testing.assert_allclose(leaf.grad.numpy(), 2 * _expected_reads_grad(data, 50))
    made.clear()  # the same for autodiff.grad's inputs and for a leaf with a hook
    np.testing.assert_allclose(ad.grad(lambda t: _reads(t, 50))(Tensor(data)).numpy(),
                               _expected_reads_grad(data, 50))
    hooked = Tensor(data, requires_grad=True)
    hooked.register_hook(lambda g: g * 2)
    _reads(hooked, 50).backward()
    np.testing.assert_allclose(hooked.grad.numpy(), 2 * _expected_reads_grad(data, 50))
    assert len(made) == 2


def test_scattered_gradients_mix_with_dense_ones_and_earlier_grads():
    data = np.arange(12.0).reshape(4, 3)
    x = Tensor(data, requires_grad=True)
    earlier = Tensor(np.ones((4, 3)))
    x.grad = earlier
    h = x * 2.0
    loss = _reads(h, 4) + (h * h).sum() + _reads(h, 2) + x[np.array([1, 1, 3])].sum()
    loss.backward()
    repeated = np.zeros((4, 3))
    repeated[1] += 2
    repeated[3] += 1
    expected = (1 + 2 * (_expected_reads_grad(2 * data, 4) + 2 * 2 * data
                         + np.pad(_expected_reads_grad(2 * data[:2], 2), ((0, 2), (0, 0))))
                + repeated)
    np.testing.assert_allclose(x.grad.numpy(), expected)
    np.testing.assert_array_equal(earlier.numpy(), 1.0)  # the old .grad was not written into


def test_scattered_gradients_reach_hooks_retain_grad_inputs_and_anomaly_mode():
    data = np.arange(6.0).reshape(3, 2)
    expected = _expected_reads_grad(data, 3)
    x = Tensor(data, requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    _reads(x, 3).backward()
    np.testing.assert_allclose(seen[0], expected)
    np.testing.assert_allclose(ad.grad(lambda t: _reads(t, 3))(Tensor(data)).numpy(), expected)
    y = Tensor(data, requires_grad=True)
    h = y * 1.0
    h.retain_grad()
    with ad.detect_anomaly():
        _reads(h, 3).backward()
    np.testing.assert_allclose(h.grad.numpy(), expected)
    np.testing.assert_allclose(y.grad.numpy(), expected)


def test_scattered_buffers_are_freed_once_their_node_has_run():
    """The engine kept every tensor's scattered buffer until the pass ended."""
    x = Tensor(np.ones((1000, 100)), requires_grad=True)
    h = x
    for _ in range(10):
        h = ad.concatenate([h[:500], h[500:]]) * 1.0
    loss = h.sum()
    tracemalloc.start()
    try:
        loss.backward()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5 * x.data.nbytes  # 10 buffers of 0.8 MB each were alive at the end
    np.testing.assert_array_equal(x.grad.numpy(), 1.0)


def test_a_zero_d_tensor_read_twice_with_a_plain_use_between():
    x = Tensor(2.0, requires_grad=True)
    h = x * 1.0
    (h[None].sum() + h * 3 + h[None].sum()).backward()
    assert x.grad.item() == 5.0


def test_views_made_while_backward_records_are_tracked():
    """A forward re-run inside a custom backward (activation checkpointing) lost its in-place
    writes through views, and so did a custom backward under create_graph."""
    def f(a):
        h = a * 1.0
        v = h.reshape(3)
        h[:2].mul_(10.0)
        return (v * v).sum()

    class Checkpoint(Function):
        def forward(self, x):
            return np.asarray(0.0)

        def backward(self, grad):
            with ad.enable_grad():
                x = self.inputs[0].detach()
                x.requires_grad = True
                out = f(x)
                assert out.item() == 509.0
                out.backward(grad)
            return (x.grad,)

    b = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    Checkpoint.apply(b).backward()
    np.testing.assert_array_equal(b.grad.numpy(), [200.0, 400.0, 6.0])

    class MaskFirst(Function):
        def forward(self, x):
            y = x ** 2
            y[0] = 0
            return y

        def backward(self, grad):
            g = grad * 2 * self.inputs[0]
            g[:1].zero_()
            return (g,)

    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    MaskFirst.apply(x).sum().backward(create_graph=True)
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 4.0, 6.0])


def test_the_latest_change_never_moves_back():
    from autodiff import inplace
    t = Tensor(np.zeros(2))
    t.add_(1.0)
    latest = inplace.MODIFICATIONS.latest
    inplace.MODIFICATIONS.latest = latest - 10  # as if another thread stamped a newer change
    t.add_(1.0)  # its stamp is older than that one: the latest change stays
    assert inplace.MODIFICATIONS.latest == latest - 10


def _node_names(tensor):
    """Class names of the nodes of ``tensor``'s graph."""
    names, stack, seen = [], [tensor._ctx], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        names.append(type(node).__name__)
        stack.extend(c for c in node.children() if isinstance(c, Function))
    return names


def test_a_recorded_backward_gathers_the_reads_of_a_tensor_into_one_node():
    """Under create_graph each read made a recorded array of x's size: an LSTM over 400 steps
    peaked at 3.3 GB. The reads of one tensor are now one IndexAddMany."""
    data = np.random.default_rng(0).normal(size=(6, 2))
    x = Tensor(data, requires_grad=True)
    h = x * 1.0
    loss = _reads(h, 6) + (h * h).sum()
    (grad,) = ad.engine.run_backward((loss,), (Tensor(1.0, dtype=np.float64),),
                                     create_graph=True, inputs=[x])
    np.testing.assert_allclose(grad.numpy(), _expected_reads_grad(data, 6) + 2 * data)
    names = _node_names(grad)
    assert names.count("IndexAddMany") == 1 and "IndexAdd" not in names
    second = ad.grad(lambda t: ad.grad(lambda u: _reads(u * 1.0, 6))(t).sum())(Tensor(data))
    np.testing.assert_allclose(second.numpy(), _expected_reads_grad(np.ones_like(data), 6))


@pytest.mark.parametrize("how", ["backward", "inputs", "hooked"])
def test_a_recorded_backward_gathers_the_reads_of_a_leaf_into_one_node(how):
    """Reads of a leaf (not of a node) each made an IndexAdd of the leaf's size and an Add,
    kept by the graph of x.grad: 800 reads of a 1.6 MB input took 1.3 GB."""
    data = np.random.default_rng(0).normal(size=(6, 2))
    x = Tensor(data, requires_grad=True)
    if how == "hooked":
        x.register_hook(lambda g: g * 2.0)
    loss = _reads(x, 6) + (x * x).sum()
    if how == "inputs":
        (grad,) = ad.engine.run_backward((loss,), (Tensor(1.0, dtype=np.float64),),
                                         create_graph=True, inputs=[x])
    else:
        loss.backward(create_graph=True)
        grad = x.grad
    scale = 2.0 if how == "hooked" else 1.0
    np.testing.assert_allclose(grad.numpy(), scale * (_expected_reads_grad(data, 6) + 2 * data))
    names = _node_names(grad)
    assert names.count("IndexAddMany") == 1 and "IndexAdd" not in names
    x.grad = None
    grad.sum().backward()  # d/dx of sum(2 w^2 x + 2x); the hook doubles it once more
    np.testing.assert_allclose(
        x.grad.numpy(), scale ** 2 * (_expected_reads_grad(np.ones_like(data), 6) + 2.0))


def test_zero_d_reads_whose_gradients_are_numpy_scalars():
    """0-d products give NumPy scalars, which the recorded path took for Tensors."""
    x = Tensor([0.5, 1.0, 2.0], requires_grad=True)
    h = x * 2.0
    a = h[0]
    (a * a + a.exp()).backward()
    np.testing.assert_allclose(x.grad.numpy(), [2 * (2 * 1.0 + np.exp(1.0)), 0.0, 0.0])
    m = Tensor(np.arange(1.0, 7.0).reshape(2, 3))
    assert ad.gradgradcheck(lambda t: ((t * 1.0)[0, 1] ** 2 * (t * 1.0)[1]).sum(), [m])
