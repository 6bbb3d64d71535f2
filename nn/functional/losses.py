"""Loss functions, each with ``reduction="mean" | "sum" | "none"`` as in PyTorch.

Losses on logits are computed from logits: `cross_entropy` is one `CrossEntropy` node (log-softmax,
pick and reduction in forward; ``softmax - target`` in backward), `binary_cross_entropy_with_logits`
uses softplus, the stable log-sigmoid. Both stay finite for logits of 1e4.

Class-target losses share one representation: a matrix ``q`` (N, C) of target weights, such that
the loss of row i is ``-sum_c q[i, c] * log_probs[i, c]``. It holds the class weight of the target
class (zero for ``ignore_index``), plus ``label_smoothing / C`` times every class weight, and is
divided by the total target weight when ``reduction="mean"`` (PyTorch's weighted mean).
"""
import warnings
from typing import NamedTuple

import numpy as np

from autodiff.function import Function
from autodiff.grad_mode import is_grad_enabled
from autodiff.ops.registry import register
from autodiff.tensor import Tensor, as_tensor

REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(name, reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}"
        )


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _target(target, input):
    """``target`` as a Tensor; arrays and lists, and integer or boolean Tensors (constants, as
    a float32 loss should not turn float64 for an int target), take the input's floating
    dtype."""
    if isinstance(target, Tensor):
        if target.dtype.kind in "biu" and input.dtype.kind == "f":
            return Tensor(target.data, dtype=input.dtype)
        return target
    return Tensor(np.asarray(target), dtype=input.dtype)


def _check_same_shape(name, input, target):
    if input.shape != target.shape:
        raise ValueError(
            f"{name}: input of shape {input.shape} and target of shape {target.shape} differ; "
            f"they must have the same shape"
        )


def _check_weight(name, what, weight, input):
    """Raise unless ``weight`` (None, a Tensor or an array) broadcasts to the input's shape
    without enlarging it (PyTorch repeats a weight to match the input, never the other way)."""
    if weight is None:
        return
    shape = tuple(np.shape(weight.data if isinstance(weight, Tensor) else weight))
    try:
        broadcast = np.broadcast_shapes(shape, input.shape)
    except ValueError:
        broadcast = None
    if broadcast != tuple(input.shape):
        raise ValueError(
            f"{name}: {what} of shape {shape} does not broadcast to the input's shape "
            f"{tuple(input.shape)} (for one weight per sample of an (N, 1) input, give it "
            f"shape (N, 1))"
        )


def _prepare(name, input, target, reduction):
    """Checked (input, target) Tensors of one shape for an elementwise loss."""
    _check_reduction(name, reduction)
    input = as_tensor(input)
    target = _target(target, input)
    _check_same_shape(name, input, target)
    return input, target


def legacy_reduction(name, size_average, reduce, reduction):
    """``reduction``, or PyTorch's translation of its deprecated ``size_average``/``reduce``
    (either given: "mean" when both are true or None, "sum" for size_average=False, "none" for
    reduce=False), with PyTorch's warning. They keep their positional slots, as in PyTorch, so
    that ported calls such as ``NLLLoss(w, False)`` mean what they meant there."""
    if size_average is None and reduce is None:
        return reduction
    for what, value in (("size_average", size_average), ("reduce", reduce)):
        if value is not None and not isinstance(value, (bool, np.bool_)):
            hint = (f": pass reduction={value!r} by keyword" if isinstance(value, str) else "")
            raise TypeError(f"{name}: {what} (PyTorch's deprecated slot for reduction, as it "
                            f"keeps it) must be a bool or None, got {value!r}{hint}")
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    translated = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"{name}: size_average and reduce are deprecated, as in PyTorch: use "
                  f"reduction={translated!r} instead", UserWarning, stacklevel=3)
    return translated


def check_ignore_index(name, ignore_index):
    """Raise unless ``ignore_index`` is an int (a bool is refused, as PyTorch refuses it)."""
    if type(ignore_index) is int:  # the usual case, on every loss call
        return
    if isinstance(ignore_index, (bool, np.bool_)) or not isinstance(ignore_index,
                                                                    (int, np.integer)):
        raise TypeError(f"{name}: ignore_index must be an int, got {ignore_index!r}")


# ----- regression -------------------------------------------------------------------------------
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Squared error ``(input - target) ** 2``, reduced. ``size_average`` and ``reduce`` are
    PyTorch's deprecated spellings of ``reduction`` (`legacy_reduction`)."""
    reduction = legacy_reduction("mse_loss", size_average, reduce, reduction)
    input, target = _prepare("mse_loss", input, target, reduction)
    diff = input - target
    return _reduce(diff * diff, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Absolute error ``|input - target|``, reduced (``size_average``/``reduce``: see
    `mse_loss`)."""
    reduction = legacy_reduction("l1_loss", size_average, reduce, reduction)
    input, target = _prepare("l1_loss", input, target, reduction)
    return _reduce((input - target).abs(), reduction)


def hinge_loss(scores, y, reduction="mean"):
    """micrograd's binary max-margin loss ``max(0, 1 - y * scores)`` with labels y in {-1, +1}."""
    scores, y = _prepare("hinge_loss", scores, y, reduction)
    labels = y.data
    if not np.all((labels == 1) | (labels == -1)):
        bad = labels[(labels != 1) & (labels != -1)].flat[0]
        raise ValueError(f"hinge_loss: labels must be -1 or +1, got {bad}")
    return _reduce((1 - y * scores).relu(), reduction)


# ----- binary classification ------------------------------------------------------------------
_LOG_FLOOR = -100.0  # PyTorch clamps the logs of binary_cross_entropy here
_EPSILON = 1e-12  # and the denominator p * (1 - p) of its gradient here


class BinaryCrossEntropy(Function):
    """Elementwise ``-(t log p + (1 - t) log(1 - p))``, each log clamped to >= -100."""

    def forward(self, p, t):
        if p.size and not (p.min() >= 0 and p.max() <= 1):  # `not >=`: a nan fails too
            raise ValueError(
                f"binary_cross_entropy: input must hold probabilities in [0, 1], got values in "
                f"[{p.min()}, {p.max()}] (use binary_cross_entropy_with_logits for logits)"
            )
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), _LOG_FLOOR)
            log_q = np.maximum(np.log1p(-p), _LOG_FLOOR)
        return -(t * log_p + (1 - t) * log_q)

    def backward(self, grad):
        p, t = self.inputs
        grad_p = grad_t = None
        if self.needs_input_grad[0]:
            grad_p = grad * (p - t) / (p * (1 - p)).clip(_EPSILON, None)
        if self.needs_input_grad[1]:
            with np.errstate(divide="ignore"):
                grad_t = grad * ((1 - p).log().clip(_LOG_FLOOR, None)
                                 - p.log().clip(_LOG_FLOOR, None))
        return grad_p, grad_t


def _check_binary_target(name, target):
    """Raise unless every target lies in [0, 1] (labels 0/1 or probabilities): outside it the
    loss is not a cross-entropy (it goes negative and unbounded below), a silently wrong result
    where PyTorch checks nothing. One min and max over the targets. A target that requires grad
    is computed, not data (and finite differences step just outside [0, 1]): not checked."""
    t = target.data
    if not t.size or target.requires_grad:
        return
    low, high = t.min(), t.max()
    if low >= 0 and high <= 1:
        return
    hint = ""
    if low == -1 and high <= 1:
        hint = " (labels in {-1, +1}? use (y + 1) / 2, or hinge_loss)"
    elif high > 1 and low >= 0:
        hint = " (class indices? use cross_entropy; 0/255 masks? divide by 255)"
    raise ValueError(f"{name}: target must hold values in [0, 1], got values in "
                     f"[{low}, {high}]{hint}")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """Cross-entropy of probabilities ``input`` against targets in [0, 1] (PyTorch's BCELoss).

    ``weight`` (broadcastable to the input) rescales each element's loss; the mean is the plain
    mean over elements. Logs are clamped to >= -100, so probabilities of 0 and 1 stay finite.
    ``size_average``/``reduce``: see `mse_loss`.
    """
    reduction = legacy_reduction("binary_cross_entropy", size_average, reduce, reduction)
    input, target = _prepare("binary_cross_entropy", input, target, reduction)
    _check_binary_target("binary_cross_entropy", target)
    _check_weight("binary_cross_entropy", "weight", weight, input)
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction="mean", pos_weight=None):
    """Binary cross-entropy of ``sigmoid(input)``, computed from the logits without overflow.

    ``-(pos_weight * t * log sigmoid(x) + (1 - t) * log(1 - sigmoid(x)))`` rewritten as
    ``pos_weight * t * softplus(-x) + (1 - t) * softplus(x)``; ``pos_weight`` broadcasts
    along the last axis (one weight per class), ``weight`` rescales each element's loss.
    (PyTorch's ``(1 - t) * x + (1 + (pos_weight - 1) * t) * softplus(-x)`` is the same sum, but
    for t = 0 and x far below 0 it is x - x + a tiny rest: the loss and gradient were 0 from
    x = -17 on in float32.)
    """
    reduction = legacy_reduction("binary_cross_entropy_with_logits", size_average, reduce,
                                 reduction)
    if isinstance(pos_weight, (bool, np.bool_)):
        raise TypeError(f"binary_cross_entropy_with_logits: pos_weight must be a tensor of "
                        f"weights (one per class), got {pos_weight!r}")
    input, target = _prepare("binary_cross_entropy_with_logits", input, target, reduction)
    _check_binary_target("binary_cross_entropy_with_logits", target)
    _check_weight("binary_cross_entropy_with_logits", "weight", weight, input)
    _check_weight("binary_cross_entropy_with_logits", "pos_weight", pos_weight, input)
    if pos_weight is not None and not isinstance(pos_weight, (Tensor, np.ndarray)):
        # a list works as PyTorch's tensor would, in the input's dtype as a weight list does
        pos_weight = np.asarray(pos_weight, dtype=input.dtype)
    positive = target if pos_weight is None else pos_weight * target
    loss = positive * (-input).softplus() + (1 - target) * input.softplus()
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


# ----- classification with integer class targets ----------------------------------------------
def _rows(name, input, target):
    """Input as (rows, C), target as a flat integer array, and the per-sample output shape.

    Accepts logits (C,) with a scalar target, (N, C) with target (N,), and (N, C, d1, ...) with
    target (N, d1, ...), as PyTorch.
    """
    input = as_tensor(input)
    labels = np.asarray(target.data if isinstance(target, Tensor) else target)
    if labels.dtype.kind not in "iu":
        hint = "convert labels with .astype(int); a one-hot target with .argmax(-1)"
        if labels.dtype == np.float32:
            hint += (", and note that Tensor([0, 1, 2]) is float32, as every list given to "
                     "Tensor: build labels with Tensor(np.array(labels))")
        raise TypeError(
            f"{name}: target must hold integer class indices, got dtype {labels.dtype}; "
            f"class probabilities are not supported ({hint})"
        )
    shape = input.data.shape  # of the array: Tensor.shape and .ndim are calls, on a hot path
    ndim = len(shape)
    if ndim == 0:
        raise ValueError(f"{name}: input must have a class axis, got a 0-d tensor")
    expected = () if ndim == 1 else (shape[0],) + shape[2:]
    if labels.shape != expected:
        one_hot = " (a one-hot target? take its .argmax(1))" if labels.shape == shape else ""
        raise ValueError(
            f"{name}: for input of shape {shape}, the target of class indices must have "
            f"shape {expected}, got {labels.shape}{one_hot}"
        )
    classes = shape[0] if ndim == 1 else shape[1]
    if ndim == 1:
        rows = input.reshape(1, classes)
    elif ndim == 2:
        rows = input
    else:  # classes last, then one row per position
        rows = input.transpose((0,) + tuple(range(2, ndim)) + (1,)).reshape(-1, classes)
    return rows, labels.reshape(-1), expected


def _target_weights(name, classes, labels, weight, ignore_index, smoothing, reduction, dtype):
    """The `ClassTargets` of integer ``labels`` (N,) for scores with ``classes`` columns."""
    count = labels.size
    low, high = (np.minimum.reduce(labels), np.maximum.reduce(labels)) if count else (0, -1)
    if low >= 0 and high < classes and not low <= ignore_index <= high:
        valid, all_valid = None, True  # the common case, known from two reductions
    else:
        valid = labels != ignore_index
        all_valid = bool(valid.all())
        out_of_range = valid & ((labels < 0) | (labels >= classes))
        if out_of_range.any():
            raise IndexError(
                f"{name}: target {labels[out_of_range][0]} is out of bounds for {classes} "
                f"classes (valid targets are 0..{classes - 1}, or ignore_index={ignore_index})"
            )
    safe = labels if all_valid else np.where(valid, labels, 0)
    if weight is not None:
        weight = np.asarray(weight.data if isinstance(weight, Tensor) else weight, dtype=dtype)
        if weight.shape != (classes,):
            raise ValueError(f"{name}: weight of shape {weight.shape} must have shape ({classes},)")
    uniform = weight is None and all_valid  # every row has the same weight and row sum
    if not uniform and valid is None:
        valid = np.ones(count, bool)
    picked = None if uniform else (valid.astype(dtype) if weight is None else weight[safe] * valid)
    scale = 1.0
    if reduction == "mean" and uniform and count:
        scale = 1.0 / count
    elif reduction == "mean":
        total = float(count if uniform else picked.sum())
        # nothing counted (every target ignored, or weighted 0): the loss is nan (0 / 0, as
        # PyTorch's, added in _class_loss) but the gradient 0, as PyTorch's: no 0 * inf here
        scale = 1.0 / total if total else 0.0
    flat = np.arange(0, count * classes, classes) + safe
    on_target = (1.0 - smoothing) * scale
    if not uniform:
        on_target = picked * on_target
    targets = ClassTargets((count, classes), np.dtype(dtype), scale, flat, on_target, None)
    if smoothing:
        spread = smoothing / classes * scale
        q = targets.q
        spread = spread if all_valid else valid[:, None] * spread
        q += spread * (1.0 if weight is None else weight)
        targets = targets._replace(dense_q=q)
    if not uniform:
        q_sum = targets.q.sum(axis=1, keepdims=True) if smoothing else on_target.reshape(-1, 1)
        targets = targets._replace(q_sum=q_sum)
    return targets


class ClassTargets(NamedTuple):
    """Class targets of (N, C) scores, in the forms the losses and their gradients use.

    The (N, C) matrix ``q`` of target weights (see the module docstring) is built only when a
    gradient asks for it, unless label smoothing spreads weight off the target class.
    """

    shape: tuple  # (N, C)
    dtype: np.dtype
    q_sum: object  # row sums of q: (N, 1), or one float when every row has the same
    flat: np.ndarray  # flat index of each row's target class into an (N, C) array
    on_target: object  # q at those indices: (N,), or one float
    dense_q: object  # q when it has entries off the target class (label smoothing), else None

    @property
    def q(self):
        """The (N, C) target weights."""
        if self.dense_q is not None:
            return self.dense_q
        q = np.zeros(self.shape, self.dtype)
        q.reshape(-1)[self.flat] = self.on_target
        return q

    def subtract_from(self, out):
        """``out -= q`` in place for an (N, C) array of any memory layout, touching only the
        target entries if it can."""
        if self.dense_q is not None:
            out -= self.dense_q
        elif out.flags.c_contiguous:
            out.reshape(-1)[self.flat] -= self.on_target
        else:  # reshape(-1) would be a copy: index rows and columns instead
            rows, columns = np.divmod(self.flat, self.shape[1])
            out[rows, columns] -= self.on_target
        return out


def _row_losses(targets, log_probs):
    """``-sum_c q * log_probs`` per row; a pick of the target class when q is not dense.

    Only nonzero weights multiply a log-probability, so a log-probability of -inf where the
    weight is 0 (a masked class, an ignored row) contributes 0 rather than nan.
    """
    if targets.dense_q is not None:
        q = targets.dense_q
        return -np.where(q != 0, q * log_probs, 0).sum(axis=1)
    picked = log_probs.reshape(-1)[targets.flat]
    if isinstance(targets.on_target, float):
        return picked * -targets.on_target
    return -np.where(targets.on_target != 0, targets.on_target * picked, 0)


class CrossEntropy(Function):
    """Loss ``-sum_c q[i, c] * log_softmax(x)[i, c]`` of each row of x (N, C), or their sum.

    Params: ``targets`` (`ClassTargets`) and ``reduce`` (sum the rows' losses). The gradient
    of row i is ``softmax(x)[i] * q_sum[i] - q[i]``.
    """

    def forward(self, x):
        shifted = x - np.maximum.reduce(x, axis=1, keepdims=True)
        probs = np.exp(shifted)
        sums = np.add.reduce(probs, axis=1, keepdims=True)
        probs /= sums
        self.probs = probs
        shifted -= np.log(sums)  # now the log-probabilities
        losses = _row_losses(self.targets, shifted)
        return np.add.reduce(losses) if self.reduce else losses

    def backward(self, grad):
        probs = self.inputs[0].softmax(axis=1)
        grad = grad if self.reduce else grad.reshape(-1, 1)
        return ((probs * self.targets.q_sum - self.targets.q) * grad,)

    def _backward_arrays(self, grad, private):
        # First order, on the hot path of every classifier: the same formula on arrays, which
        # saves three op dispatches per step and the dense q (self.probs is left intact for
        # retain_graph).
        out = self.targets.subtract_from(self.probs * self.targets.q_sum)
        out *= grad if self.reduce else grad[:, None]
        return (out,)


class NLLLoss(Function):
    """Loss ``-sum_c q[i, c] * x[i, c]`` of each row of log-probabilities x (N, C), or their sum.

    Params as `CrossEntropy`; the gradient is ``-q``.
    """

    def forward(self, x):
        losses = _row_losses(self.targets, x)
        return losses.sum() if self.reduce else losses

    def backward(self, grad):
        grad = grad if self.reduce else grad.reshape(-1, 1)
        return (grad * -self.targets.q,)

    def _backward_arrays(self, grad, private):
        # First order: -q written into zeros at the target entries only, then scaled (the dense
        # q, its negation and the product were three arrays of the input's size)
        x = self.inputs[0].data
        out = self.targets.subtract_from(np.zeros(x.shape, dtype=np.result_type(x, grad)))
        out *= grad if self.reduce else grad[:, None]
        return (out,)


def _nothing_counted(targets, labels):
    """Whether no target counts towards a mean: none at all, or every one ignored or weighted
    0 (then `_target_weights` gave every target weight 0)."""
    if not labels.size:
        return True
    return isinstance(targets.q_sum, np.ndarray) and not targets.q_sum.any()


def _class_loss(op, name, input, target, weight, ignore_index, reduction, smoothing=0.0):
    _check_reduction(name, reduction)
    check_ignore_index(name, ignore_index)
    if isinstance(weight, Tensor) and weight.requires_grad and is_grad_enabled():
        # the class weights enter the loss as constants: refuse, as PyTorch does, rather than
        # leave weight.grad silently None
        raise RuntimeError(
            f"{name}: the derivative for 'weight' is not implemented (as in PyTorch); pass "
            f"weight.detach() or a weight that does not require grad")
    rows, labels, shape = _rows(name, input, target)
    scores = rows.data
    half = scores.dtype == np.float16
    if scores.dtype.kind != "f":
        raise TypeError(f"{name}: input must be floating point, got dtype {scores.dtype}")
    if half:  # summed in float32, as PyTorch's CPU kernels (see in_float32)
        rows = rows.astype(np.float32)
        scores = rows.data
    targets = _target_weights(name, scores.shape[1], labels, weight, ignore_index, smoothing,
                              reduction, scores.dtype)
    loss = op.apply(rows, targets=targets, reduce=reduction != "none")
    if half:
        loss = loss.astype(np.float16)
    if reduction == "mean" and _nothing_counted(targets, labels):
        loss = loss + float("nan")  # the mean of no targets is nan, as PyTorch's (0 / 0)
    return loss if reduction != "none" else loss.reshape(shape)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy of logits against integer class targets, as PyTorch.

    ``input`` is (C,), (N, C) or (N, C, d1, ...); ``target`` holds class indices of shape (),
    (N,) or (N, d1, ...). ``weight`` (C,) weighs each class and the mean divides by the total
    weight of the targets; targets equal to ``ignore_index`` contribute nothing;
    ``label_smoothing`` mixes the one-hot target with the uniform distribution.

    >>> import numpy as np
    >>> round(cross_entropy(Tensor(np.zeros((2, 4))), np.array([1, 3])).item(), 4)  # log(4)
    1.3863
    """
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    reduction = legacy_reduction("cross_entropy", size_average, reduce, reduction)
    return _class_loss(CrossEntropy, "cross_entropy", input, target, weight, ignore_index,
                       reduction, label_smoothing)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of log-probabilities ``input`` (e.g. from log_softmax).

    Shapes, ``weight`` and ``ignore_index`` as in `cross_entropy`.
    """
    reduction = legacy_reduction("nll_loss", size_average, reduce, reduction)
    return _class_loss(NLLLoss, "nll_loss", input, target, weight, ignore_index, reduction)


# ----- registry (see autodiff/ops/registry.py): inputs drawn by hypothesis -------------------
def _hypothesis():
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    return st, hnp


def _pair_cases(kind):
    """Strategy of ((input, target), {"reduction": ...}) for the elementwise losses.

    ``kind`` "probs" keeps inputs in (0.1, 0.9); "kinked" keeps ``input - target`` (l1) or
    ``1 - y * s`` (hinge) away from 0, where those losses have a kink.
    """
    st, hnp = _hypothesis()

    @st.composite
    def cases(draw):
        shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
        low, high = (0.1, 0.9) if kind == "probs" else (-2.0, 2.0)
        x = draw(hnp.arrays(np.float64, shape, elements=st.floats(low, high)))
        if kind == "hinge":
            y = draw(hnp.arrays(np.float64, shape, elements=st.sampled_from((-1.0, 1.0))))
            offset = draw(hnp.arrays(np.float64, shape, elements=st.floats(0.2, 1.0)))
            sign = draw(hnp.arrays(np.float64, shape, elements=st.sampled_from((-1.0, 1.0))))
            return (y * (1 + sign * offset),), {"y": y, "reduction": draw(st.sampled_from(REDUCTIONS))}
        t = draw(hnp.arrays(np.float64, shape, elements=st.floats(0.0, 1.0)))
        if kind == "kinked":
            t = x + np.where(t > 0.5, 1, -1) * (0.2 + t)
        return (x, t), {"reduction": draw(st.sampled_from(REDUCTIONS))}

    return cases()


def _logits_cases(with_weights):
    """Strategy of ((x, target, weight, pos_weight), {...}) for BCE with logits."""
    st, hnp = _hypothesis()

    @st.composite
    def cases(draw):
        shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
        x = draw(hnp.arrays(np.float64, shape, elements=st.floats(-3.0, 3.0)))
        t = draw(hnp.arrays(np.float64, shape, elements=st.floats(0.0, 1.0)))
        kwargs = {"reduction": draw(st.sampled_from(REDUCTIONS))}
        if not with_weights:
            return (x, t), kwargs
        w = draw(hnp.arrays(np.float64, shape, elements=st.floats(0.1, 2.0)))
        pw = draw(hnp.arrays(np.float64, shape[-1:], elements=st.floats(0.1, 3.0)))
        return (x, t, w, pw), kwargs

    return cases()


def _class_cases(log_probs=False):
    """Strategy of ((input,), {"target": ints, ...}) for cross_entropy / nll_loss."""
    st, hnp = _hypothesis()

    @st.composite
    def cases(draw):
        n, classes = draw(st.integers(1, 4)), draw(st.integers(2, 4))
        extra = draw(st.sampled_from(((), (2,), (2, 3))))
        x = draw(hnp.arrays(np.float64, (n, classes) + extra, elements=st.floats(-3.0, 3.0)))
        target = draw(hnp.arrays(np.int64, (n,) + extra, elements=st.integers(-1, classes - 1)))
        if not (target >= 0).any():
            target.flat[0] = 0  # keep at least one target: the mean of nothing is nan
        kwargs = {"target": target, "ignore_index": -1,
                  "reduction": draw(st.sampled_from(REDUCTIONS))}
        if draw(st.booleans()):
            kwargs["weight"] = draw(hnp.arrays(np.float64, (classes,), elements=st.floats(0.1, 2.0)))
        if not log_probs:
            kwargs["label_smoothing"] = draw(st.sampled_from((0.0, 0.0, 0.1, 0.5)))
        return (x,), kwargs

    return cases()


register("mse_loss", lambda x, t, reduction: mse_loss(x, t, reduction=reduction), arity=2,
         kind="strategy", params={"strategy": lambda: _pair_cases("any")})
register("l1_loss", lambda x, t, reduction: l1_loss(x, t, reduction=reduction), arity=2,
         kind="strategy",
         params={"strategy": lambda: _pair_cases("kinked")})
register("hinge_loss", lambda s, y, reduction: hinge_loss(s, y, reduction), kind="strategy",
         params={"strategy": lambda: _pair_cases("hinge")})
register("binary_cross_entropy",
         lambda p, t, reduction: binary_cross_entropy(p, t, reduction=reduction), arity=2,
         kind="strategy", params={"strategy": lambda: _pair_cases("probs")})
register("binary_cross_entropy_with_logits",
         lambda x, t, reduction: binary_cross_entropy_with_logits(x, t, reduction=reduction),
         arity=2, kind="strategy", params={"strategy": lambda: _logits_cases(False)})
register("binary_cross_entropy_with_logits_weighted",
         lambda x, t, w, pw, reduction: binary_cross_entropy_with_logits(
             x, t, weight=w, pos_weight=pw, reduction=reduction),
         arity=4, kind="strategy", params={"strategy": lambda: _logits_cases(True)})
register("cross_entropy", lambda x, target, **kw: cross_entropy(x, target, **kw),
         kind="strategy", params={"strategy": _class_cases})
register("nll_loss", lambda x, target, **kw: nll_loss(x, target, **kw),
         kind="strategy", params={"strategy": lambda: _class_cases(log_probs=True)})
