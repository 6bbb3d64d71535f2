"""Temporaries: tensors passed from one layer to the next that nothing else can see, so the next
layer may write its result into their memory.

Hand-written NumPy applies ReLU in place (``np.maximum(h, 0, out=h)``) to the output of the
layer before it. An engine with PyTorch's semantics cannot do that to any tensor: the user may
hold it, a view may share its memory, or the op that made it may read it in backward.
`nn.Sequential` knows more than an op does: the tensor it hands from one layer to the next is a
temporary when its loop holds the only reference (``sys.getrefcount``; NumPy elides the
temporaries of ``a + b + c`` by the same test). `overwritable` checks the rest, and an
activation that can compute in place (``nn.ReLU``, ``nn.LeakyReLU``) then does, as
``inplace=True`` would, with nothing the user can observe changed: values, gradients and the
graph's ops are the same.

Writing into memory that is already in cache instead of fresh memory, and keeping one array
fewer alive per layer, makes the CNN step of ``benchmarks/bench_cnn.py`` about 4% faster and the
MLP step of ``benchmarks/bench_mlp.py`` about 2% (see ``benchmarks/README.md``).
"""
from sys import getrefcount
from weakref import getweakrefcount

import numpy as np
from numpy import ndarray

from .tensor import Tensor


def _refcount_held_once():
    """What ``getrefcount`` reports for an array that one object and one local variable refer
    to (3 on CPython 3.11: the object, the variable and getrefcount's own argument)."""
    holder = [np.empty(0)]
    array = holder[0]
    return getrefcount(array)


def _refcount_of_a_local():
    """What ``getrefcount`` reports for an object that one local variable alone refers to (the
    test `nn.Sequential` applies to the tensor it hands on; the engine calibrates the same for
    its private gradients)."""
    local = object()
    return getrefcount(local)


_HELD_ONCE = _refcount_held_once()
LOCAL_ONLY = _refcount_of_a_local()


def overwritable(tensor):
    """Whether an op may write its result into ``tensor``'s memory, for a caller that holds the
    only reference to ``tensor`` itself.

    True for a floating, writeable tensor made by an op whose backward does not read its output
    (`Function.reads_output`, `Function.reads_values`), or by no op and requiring no grad,
    whose array is referred to only by the tensor and its node, and, if that array is a view,
    whose memory's owner only by that view. Anything else is left alone: a leaf that requires
    grad, a view of a tensor someone holds, an array the user passed in, an output an op saved,
    a tensor someone holds a weak reference to (a retained gradient's, for one).
    """
    if type(tensor) is not Tensor or getweakrefcount(tensor):  # weakly held: still visible
        return False
    data = tensor.data
    if type(data) is not ndarray or data.dtype.kind != "f" or not data.flags.writeable:
        return False
    node = tensor._ctx
    if node is None:
        if tensor.requires_grad:
            return False
        holders = _HELD_ONCE  # the tensor
    elif node.reads_values and node.reads_output or node.out is not data:
        return False
    else:
        holders = _HELD_ONCE + 1  # the tensor and its node
    if getrefcount(data) != holders:
        return False
    # a view: the array that owns its memory must be held by the view alone (NumPy points a
    # view of a view at the owner directly)
    owner = data.base
    return owner is None or (type(owner) is ndarray and owner.base is None
                             and getrefcount(owner) == _HELD_ONCE)
