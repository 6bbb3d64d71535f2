"""The registry of ops: every differentiable op registers here with the inputs it accepts.

One property test (``tests/test_op_gradients.py``) reads this registry and checks every entry
with `gradcheck` (and `gradgradcheck` when ``twice`` is True) over hypothesis-generated inputs.
An op that is not registered is not tested, so every op registers where it is defined.

An entry says how to draw the op's inputs:

* ``kind``: the shape family, interpreted by ``autodiff.testing.op_cases``: ``"elementwise"``
  (``arity`` broadcastable inputs), ``"reduction"`` (one input plus ``axis``/``keepdims``), or
  an op-specific family (``"matmul"``, ``"reshape"``, ``"getitem"``, ...);
* ``domain``: the interval that input elements are drawn from (where log and sqrt are defined);
* ``kinks``: points where the op is not differentiable; drawn elements keep away from them;
* ``distinct``: elements must be pairwise distinct (max/min: no ties);
* ``twice``: the op is twice differentiable on its domain, so its gradient is checked too.
"""
from dataclasses import dataclass, field
from typing import Callable, Tuple

OPS = {}


@dataclass(frozen=True)
class OpSpec:
    """How to test one op: see the module docstring."""

    name: str
    fn: Callable
    arity: int = 1
    kind: str = "elementwise"
    domain: Tuple[float, float] = (-2.0, 2.0)
    kinks: Tuple[float, ...] = ()
    distinct: bool = False
    twice: bool = True
    params: dict = field(default_factory=dict)


def register(name, fn, **options):
    """Add an op to the registry (``name`` must be new) and return ``fn``."""
    if name in OPS:
        raise ValueError(f"op {name!r} is registered twice")
    OPS[name] = OpSpec(name, fn, **options)
    return fn
