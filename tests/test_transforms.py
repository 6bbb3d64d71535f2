"""jacobian, hessian, hvp, jvp against closed forms and against nested grad."""
import numpy as np
import pytest

import autodiff as ad
from autodiff import Tensor
from autodiff.functional import grad, hessian, hvp, jacobian, jvp, value_and_grad

RNG = np.random.default_rng(7)
A = RNG.standard_normal((3, 3))
X = RNG.standard_normal(3)
V = RNG.standard_normal(3)


def quadratic_form(x):
    return (x * (Tensor(A) @ x)).sum()


def logsumexp(x):
    return x.logsumexp()


def test_jacobian_of_a_linear_map_is_its_matrix():
    M = RNG.standard_normal((2, 3))
    J = jacobian(lambda x: Tensor(M) @ x)(Tensor(X))
    assert J.shape == (2, 3)
    np.testing.assert_allclose(J.data, M, atol=1e-12)


def test_jacobian_shape_is_out_shape_plus_x_shape():
    x = Tensor(RNG.standard_normal((2, 3)))
    J = jacobian(lambda x: x.sum(axis=0).exp())(x)
    assert J.shape == (3, 2, 3)
    expected = np.zeros((3, 2, 3))
    for j in range(3):
        expected[j, :, j] = np.exp(x.data.sum(axis=0))[j]
    np.testing.assert_allclose(J.data, expected, rtol=1e-12)


def test_jacobian_of_elementwise_function_is_diagonal():
    J = jacobian(lambda x: x.tanh())(Tensor(X))
    np.testing.assert_allclose(J.data, np.diag(1 - np.tanh(X) ** 2), atol=1e-12)


def test_jacobian_with_several_argnums_and_unused_argument():
    a, b = Tensor(X), Tensor(V)
    Ja, Jb = jacobian(lambda a, b: a * 2.0, argnums=(0, 1))(a, b)
    np.testing.assert_allclose(Ja.data, 2 * np.eye(3))
    np.testing.assert_allclose(Jb.data, np.zeros((3, 3)))


def test_hessian_of_a_quadratic_form():
    H = hessian(quadratic_form)(Tensor(X))
    np.testing.assert_allclose(H.data, A + A.T, atol=1e-12)


def test_hessian_of_logsumexp():
    p = np.exp(X - np.log(np.exp(X).sum()))
    H = hessian(logsumexp)(Tensor(X))
    np.testing.assert_allclose(H.data, np.diag(p) - np.outer(p, p), atol=1e-12)


def test_hessian_equals_jacobian_of_grad():
    f = lambda x: (x.sin() * x.exp()).sum()
    np.testing.assert_allclose(hessian(f)(Tensor(X)).data, jacobian(grad(f))(Tensor(X)).data,
                               atol=1e-12)


def test_hessian_blocks_for_two_arguments():
    f = lambda a, b: (a * a * b).sum()
    (Haa, Hab), (Hba, Hbb) = hessian(f, argnums=(0, 1))(Tensor(X), Tensor(V))
    np.testing.assert_allclose(Haa.data, np.diag(2 * V), atol=1e-12)
    np.testing.assert_allclose(Hab.data, np.diag(2 * X), atol=1e-12)
    np.testing.assert_allclose(Hba.data, np.diag(2 * X), atol=1e-12)
    np.testing.assert_allclose(Hbb.data, np.zeros((3, 3)), atol=1e-12)


def test_hessian_shape_of_a_vector_function():
    H = hessian(lambda x: x * x * x)(Tensor(X))
    assert H.shape == (3, 3, 3)
    expected = np.zeros((3, 3, 3))
    for i in range(3):
        expected[i, i, i] = 6 * X[i]
    np.testing.assert_allclose(H.data, expected, atol=1e-12)


def test_hvp_matches_hessian_times_vector():
    np.testing.assert_allclose(hvp(quadratic_form, Tensor(X), Tensor(V)).data, (A + A.T) @ V,
                               atol=1e-12)
    p = np.exp(X) / np.exp(X).sum()
    np.testing.assert_allclose(hvp(logsumexp, Tensor(X), Tensor(V)).data,
                               p * V - p * (p @ V), atol=1e-12)


def test_hvp_with_tuples():
    f = lambda a, b: (a * a * b).sum()
    ha, hb = hvp(f, (Tensor(X), Tensor(V)), (Tensor(np.ones(3)), Tensor(np.zeros(3))))
    np.testing.assert_allclose(ha.data, 2 * V, atol=1e-12)
    np.testing.assert_allclose(hb.data, 2 * X, atol=1e-12)


def test_jvp_matches_jacobian_times_tangent():
    f = lambda x: (Tensor(A) @ x).tanh()
    out, tangent = jvp(f, (Tensor(X),), (Tensor(V),))
    J = jacobian(f)(Tensor(X))
    np.testing.assert_allclose(out.data, np.tanh(A @ X), atol=1e-12)
    np.testing.assert_allclose(tangent.data, J.data @ V, atol=1e-12)
    assert not out.requires_grad and not tangent.requires_grad


def test_jvp_with_two_primals_and_identity():
    out, tangent = jvp(lambda a, b: a * b, (Tensor(X), Tensor(V)), (Tensor(np.ones(3)),
                                                                     Tensor(2 * np.ones(3))))
    np.testing.assert_allclose(tangent.data, V + 2 * X, atol=1e-12)
    _, same = jvp(lambda x: x, (Tensor(X),), (Tensor(V),))
    np.testing.assert_allclose(same.data, V)


def test_jvp_of_a_constant_function_is_zero():
    _, tangent = jvp(lambda x: Tensor(np.ones(2)), (Tensor(X),), (Tensor(V),))
    np.testing.assert_array_equal(tangent.data, np.zeros(2))


def test_jvp_checks_its_arguments():
    with pytest.raises(TypeError, match="tuple"):
        jvp(lambda x: x, Tensor(X), (Tensor(V),))
    with pytest.raises(ValueError, match=r"tangent 0 has shape \(2,\) but its primal has shape \(3,\)"):
        jvp(lambda x: x, (Tensor(X),), (Tensor(np.ones(2)),))


def test_triple_grad_of_tanh():
    x = Tensor(np.array(0.4))
    t = np.tanh(0.4)
    f = lambda x: x.tanh()
    np.testing.assert_allclose(grad(f)(x).item(), 1 - t * t, rtol=1e-12)
    np.testing.assert_allclose(grad(grad(f))(x).item(), -2 * t * (1 - t * t), rtol=1e-12)
    np.testing.assert_allclose(grad(grad(grad(f)))(x).item(),
                               -2 * (1 - t * t) * (1 - 3 * t * t), rtol=1e-12)


def test_fourth_derivative_of_exp_and_sin():
    x = Tensor(np.array(0.3))
    d4 = grad(grad(grad(grad(lambda x: x.exp() * 2 + x.sin()))))
    np.testing.assert_allclose(d4(x).item(), 2 * np.exp(0.3) + np.sin(0.3), rtol=1e-12)


def test_grad_of_jvp_and_of_hvp_nest():
    # d/dx <grad f(x), v> with f = sum(x^3) is 6 x v; the jvp of grad f is the same thing.
    f = lambda x: (x ** 3).sum()
    x, v = Tensor(X), Tensor(V)
    via_grad = grad(lambda x: jvp(f, (x,), (v,))[1])(x)
    np.testing.assert_allclose(via_grad.data, 6 * X * V, atol=1e-12)
    _, via_jvp = jvp(grad(f), (x,), (v,))
    np.testing.assert_allclose(via_jvp.data, 6 * X * V, atol=1e-12)
    # grad of <hvp, 1> = third derivative contracted: d/dx sum(6 x v) = 6 v
    np.testing.assert_allclose(grad(lambda x: hvp(f, x, v).sum())(x).data, 6 * V, atol=1e-12)


def test_jacobian_nests_inside_grad():
    f = lambda x: jacobian(lambda y: y * y)(x).sum()  # sum of diag(2x) = 2 sum(x)
    np.testing.assert_allclose(grad(f)(Tensor(X)).data, 2 * np.ones(3), atol=1e-12)


def test_value_and_grad_still_works():
    value, g = value_and_grad(lambda x: (x * x).sum())(Tensor(np.array([3.0])))
    assert value.item() == 9.0 and g.data.tolist() == [6.0]


def test_transforms_leave_inputs_untouched():
    x = Tensor(X.copy(), requires_grad=True)
    hessian(quadratic_form)(x)
    jvp(quadratic_form, (x,), (Tensor(V),))
    assert x.grad is None and x._ctx is None
    np.testing.assert_array_equal(x.data, X)


def test_grad_through_a_closure_over_the_outer_input():
    # d/db [d/da (a^2 b)] = 2a: the inner grad only sees b through the closure.
    a, b = Tensor(np.array(1.5)), Tensor(np.array(-0.5))
    outer = grad(lambda b: grad(lambda a: a * a * b)(a))(b)
    np.testing.assert_allclose(outer.item(), 3.0)


# ----- functions that close over tensors requiring grad (as torch.func does) -----------------

def test_a_gradient_penalty_reaches_the_weight_the_function_closes_over():
    w = Tensor(np.array(2.0), requires_grad=True)
    x = Tensor(np.array(3.0))
    penalty = grad(lambda x: (w * x ** 2).sum())(x) ** 2  # (2 w x) ** 2
    ((w * x).sum() + penalty).backward()
    assert w.grad.item() == pytest.approx(3.0 + 8 * 2.0 * 9.0)  # x + 8 w x**2


def test_every_transform_stays_connected_to_closed_over_weights():
    w = Tensor(np.array(2.0), requires_grad=True)
    x = Tensor([1.0, 2.0])
    value, g = value_and_grad(lambda x: (w * x ** 2).sum())(x)
    value.backward()
    assert w.grad.item() == pytest.approx(5.0)  # sum x**2
    for transform, expected in [
        (lambda: jacobian(lambda x: w * x ** 2)(x), 6.0),  # sum of 2 x
        (lambda: jvp(lambda x: w * x ** 2, (x,), (Tensor([1.0, 1.0]),))[1], 6.0),
        (lambda: hvp(lambda x: (w * x ** 3).sum(), x, Tensor([1.0, 1.0])), 18.0),  # sum 6 x
    ]:
        w.grad = None
        transform().sum().backward()
        assert w.grad.item() == pytest.approx(expected)


def test_without_outer_tensors_or_under_no_grad_results_stay_detached():
    w = Tensor(np.array(2.0), requires_grad=True)
    assert not grad(lambda x: (x ** 2).sum())(Tensor([1.0, 2.0])).requires_grad
    with ad.no_grad():
        assert not grad(lambda x: (w * x ** 2).sum())(Tensor([1.0, 2.0])).requires_grad


def test_transforms_under_no_grad_return_results_without_a_graph():
    w = Tensor([1.0, 2.0], requires_grad=True)
    x, v = Tensor([3.0, 4.0]), Tensor([1.0, 0.0])
    with ad.no_grad():
        g = grad(lambda x: (w * x).sum())(x)
        out, tangent = jvp(lambda x: w * x, (x,), (v,))
    assert not (g.requires_grad or out.requires_grad or tangent.requires_grad)


def test_a_closed_over_graph_freed_by_backward_is_not_needed_for_the_arguments_gradient():
    """As torch.autograd.grad runs only the nodes that lead to its inputs: d/dx sum(h * x) is
    h's value, which needs none of h's freed graph. A backward through that graph raises."""
    w = Tensor([1.0, 2.0], requires_grad=True)
    h = w * 2
    h.sum().backward()  # frees h's node
    with ad.no_grad():
        np.testing.assert_array_equal(grad(lambda x: (h * x).sum())(Tensor([1.0, 1.0])).numpy(),
                                      [2.0, 4.0])
    np.testing.assert_array_equal(jacobian(lambda x: h * x)(Tensor([1.0, 1.0])).numpy(),
                                  [[2.0, 0.0], [0.0, 4.0]])
    g = grad(lambda x: (h * x).sum())(Tensor([1.0, 1.0]))  # connected to h, as PyTorch's
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        g.sum().backward()
    def f(x):
        used = x * 1.0
        used.sum().backward()  # frees a node that the gradient needs
        return (used * used).sum()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        grad(f)(Tensor([1.0, 2.0]))


def test_an_argument_being_differentiated_may_not_change_in_place():
    """For an argument that requires grad the gradient was taken with respect to the changed
    value: half of it here, silently; a plain tensor's leaf already raised."""
    f = lambda x: (x.mul_(2) ** 2).sum()  # noqa: E731
    for x in (Tensor([1.0, 2.0]), Tensor([1.0, 2.0], requires_grad=True)):
        with pytest.raises(RuntimeError, match="in-place|changed in place"):
            grad(f)(x)
    with pytest.raises(RuntimeError, match="transform .* differentiates is being changed"):
        grad(lambda y: grad(f)(y).sum())(Tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="a view of an argument"):
        grad(lambda x: (x[:1].mul_(2) ** 2).sum())(Tensor([1.0, 2.0], requires_grad=True))
    np.testing.assert_array_equal(
        grad(lambda x: (x.clone().mul_(2) ** 2).sum())(Tensor([1.0, 2.0], requires_grad=True))
        .numpy(), [8.0, 16.0])


def test_numpy_integer_argnums_function_checks_and_jvp_of_a_boolean_output():
    f = lambda x, y: (x * y).sum()  # noqa: E731
    np.testing.assert_array_equal(grad(f, np.int64(1))(Tensor([1.0, 2.0]), Tensor([3.0, 4.0]))
                                  .numpy(), [1.0, 2.0])
    with pytest.raises(TypeError, match="argnums must be an int or a sequence of ints"):
        grad(f, 1.0)
    loss = (Tensor([1.0, 2.0]) ** 2).sum()
    with pytest.raises(TypeError, match="hessian takes a function"):
        hessian(loss)
    with pytest.raises(TypeError, match=r"jvp takes a function .*jvp\(f, primals, tangents\)"):
        jvp(loss, (Tensor(1.0),), (Tensor(1.0),))
    with pytest.raises(ValueError, match="hvp: the function must return a one-element"):
        hvp(lambda x: x ** 3, Tensor([1.0, 2.0]), Tensor([1.0, 1.0]))
    out, tangent = jvp(lambda x: x > 0, (Tensor([0.5, -1.0]),), (Tensor([1.0, 1.0]),))
    np.testing.assert_array_equal(out.numpy(), [True, False])
    np.testing.assert_array_equal(tangent.numpy(), [0.0, 0.0])


def test_mixed_second_derivatives_of_plain_inputs_hold_no_graph():
    """The inner transform's own leaf for y stayed in the result's graph, and the outer one took
    it for a weight the function closes over: the result required grad and kept a graph."""
    f = lambda x, y: (x * y * y).sum()  # noqa: E731
    x, y = Tensor([1.0, 3.0]), Tensor([2.0, 5.0])
    mixed = grad(lambda x, y: grad(f, 1)(x, y).sum(), 0)(x, y)
    np.testing.assert_array_equal(mixed.numpy(), [4.0, 10.0])  # d/dx of 2xy summed: 2y
    assert not mixed.requires_grad and mixed.is_leaf
    blocks = hessian(f, argnums=(0, 1))(x, y)
    assert not any(block.requires_grad for row in blocks for block in row)
    np.testing.assert_array_equal(blocks[1][0].numpy(), np.diag([4.0, 10.0]))
    w = Tensor([2.0], requires_grad=True)  # a real closed-over weight still connects
    outer = grad(lambda x: grad(lambda y: (w * x * y * y).sum())(Tensor([1.0])).sum())(
        Tensor([3.0]))
    assert outer.requires_grad
    outer.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0])
