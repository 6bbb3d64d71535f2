"""The op-registry property test: every registered op's gradients against finite differences.

Each entry of ``autodiff.ops.registry.OPS`` is drawn inputs by ``autodiff.testing.op_cases``
(by its ``kind``: broadcasting pairs, 0-d and size-1 axes, axis/keepdims variants, fancy
indices ...), inside its ``domain`` and away from its ``kinks``, and checked with
``assert_grad_matches``: first order always, second order when ``twice``. A second test makes
sure that every `Function` subclass of the library shows up in the graph (forward or backward)
of some registered op, so a new op cannot land unchecked.
"""
import functools
import importlib
import importlib.util
import inspect
import pkgutil

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import autodiff
from autodiff.engine import run_backward
from autodiff.function import Function
from autodiff.ops import registry
from autodiff.testing import assert_grad_matches, op_cases

# Packages whose modules define ops; all their modules are imported so that every op registers.
OP_PACKAGES = ("autodiff.ops", "nn.functional")

CHECKS = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _op_modules():
    """Every module of the op packages that exist, imported (which registers their ops)."""
    modules = []
    for package_name in OP_PACKAGES:
        try:
            found = importlib.util.find_spec(package_name)
        except ModuleNotFoundError:  # the parent package does not exist
            found = None
        if found is None:
            continue
        package = importlib.import_module(package_name)
        modules.append(package)
        for info in pkgutil.walk_packages(getattr(package, "__path__", []), package_name + "."):
            modules.append(importlib.import_module(info.name))
    return modules


MODULES = _op_modules()


def _tensors(args):
    return [autodiff.Tensor(a, requires_grad=True) for a in args]


def test_registry_is_populated():
    assert {"add", "sum", "getitem", "matmul"} <= set(registry.OPS)


@pytest.mark.parametrize("name", sorted(registry.OPS))
@CHECKS
@given(data=st.data())
def test_op_gradients_match_finite_differences(name, data):
    spec = registry.OPS[name]
    args, kwargs = data.draw(op_cases(spec), label=f"{name} inputs")
    before = [a.copy() for a in args]
    f = functools.partial(spec.fn, **kwargs)
    f(*_tensors(args))
    for original, after in zip(before, args):
        np.testing.assert_array_equal(original, after, err_msg=f"{name} mutated its input")
    assert_grad_matches(f, *args, order=2 if spec.twice else 1, kinks="raise")
    _assert_backward_forms_agree(f, args)


def _assert_backward_forms_agree(f, args):
    """The first-order gradients that finite differences just checked (array backwards where
    ops have them) equal those of the recorded Tensor backwards (``create_graph``), and those
    computed when the op may overwrite its incoming gradient (``f * 1``: Mul's backward hands
    the op a new array that only the engine holds); and in ``(f + z) * 2``, where Add hands one
    array to the op and to the leaf ``z``, an op that overwrote it would corrupt ``z.grad``."""
    inputs = [autodiff.Tensor(a, requires_grad=True) if np.asarray(a).dtype.kind == "f" else a
              for a in args]
    leaves = [x for x in inputs if isinstance(x, autodiff.Tensor)]
    out = f(*inputs)
    if not out.requires_grad:
        return
    seed = np.random.default_rng(0).standard_normal(out.shape).astype(out.dtype)

    def gradients(scaled, create_graph):
        root = f(*inputs) * 1.0 if scaled else f(*inputs)
        return run_backward((root,), (autodiff.Tensor(seed.copy()),),
                            create_graph=create_graph, inputs=leaves)

    reference = gradients(scaled=False, create_graph=False)
    for grads in (gradients(scaled=False, create_graph=True),
                  gradients(scaled=True, create_graph=False)):
        _assert_same(grads, reference)
    z = autodiff.Tensor(np.zeros(out.shape, out.dtype), requires_grad=True)
    *shared, z_grad = run_backward(((f(*inputs) + z) * 2.0,), (autodiff.Tensor(seed.copy()),),
                                   inputs=leaves + [z])
    _assert_same(shared, [None if g is None else g * 2.0 for g in reference])
    np.testing.assert_array_equal(z_grad.data, seed * 2, err_msg="z's gradient was overwritten")


def _assert_same(grads, reference):
    for expected, got in zip(reference, grads):
        assert (expected is None) == (got is None)
        if expected is not None:
            np.testing.assert_allclose(got.data, expected.data, rtol=1e-4, atol=1e-6)


def _function_classes():
    """Function subclasses defined in the op modules, by name; abstract bases (which cannot
    make a node) are left out."""
    found = {}
    for module in MODULES:
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, Function) and value is not Function
                    and value.__module__ == module.__name__ and not inspect.isabstract(value)):
                found[value.__name__] = value
    return found


def _graph_names(tensors):
    """Class names of every node reachable from ``tensors`` (iterative walk via ``children()``;
    the class, not ``node.name``, which a variant such as ReluInPlace shares with its op)."""
    names, seen = set(), set()
    stack = [t._ctx for t in tensors if t is not None and t._ctx is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        names.add(type(node).__name__)
        stack.extend(child for child in node.children() if isinstance(child, Function))
    return names


def _one_example(strategy):
    """The first (simplest) example of ``strategy``, deterministically."""
    found = []

    @settings(max_examples=1, database=None, derandomize=True, phases=[Phase.generate])
    @given(strategy)
    def capture(case):
        found.append(case)

    capture()
    return found[0]


def _names_in_forward_and_backward(spec):
    """Node names in the graph of one simple sample of ``spec``, of its gradient's graph and,
    when ``spec.twice``, of its second derivative's graph (the backward of the backward)."""
    args, kwargs = _one_example(op_cases(spec))
    leaves = _tensors(args)
    out = spec.fn(*leaves, **kwargs)
    # A seed that requires grad, so that ops applied to the incoming gradient alone (the
    # scatter of indexing, pooling's backward) are recorded too.
    seed = autodiff.Tensor(np.ones(out.shape), requires_grad=True)
    grads = [g for g in run_backward((out,), (seed,), create_graph=True, inputs=leaves)
             if g is not None]
    names = _graph_names([out]) | _graph_names(grads)
    if spec.twice and any(g.requires_grad for g in grads):
        total = sum((g * g).sum() for g in grads)
        names |= _graph_names(run_backward((total,), (autodiff.Tensor(1.0, dtype=total.dtype),),
                                           create_graph=True, inputs=leaves + [seed]))
    return names


def test_every_function_subclass_is_in_the_graph_of_a_registered_op():
    defined = _function_classes()
    seen = set()
    for spec in registry.OPS.values():
        seen |= _names_in_forward_and_backward(spec)
    missing = sorted(set(defined) - seen)
    assert not missing, (
        f"these Function subclasses appear in no registered op's graph, so no gradient test "
        f"covers them: {missing}; register an op using each (autodiff/ops/registry.py)"
    )
    assert {"Add", "Sum", "GetItem", "IndexAdd", "MatMul"} <= seen
