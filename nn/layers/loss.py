"""Loss modules: ``MSELoss L1Loss BCELoss BCEWithLogitsLoss CrossEntropyLoss NLLLoss HingeLoss``.

Each is called as ``loss_fn(input, target)`` and forwards to its function in `nn.functional`
with ``reduction`` ("mean", "sum" or "none"). Class weights (``weight``, ``pos_weight``) are
buffers, as in PyTorch, so they follow ``double()`` and appear in the state dict.
"""
import numpy as np

from autodiff import Tensor

from .. import functional as F
from ..functional.losses import check_ignore_index, legacy_reduction
from ..module import Module
from ._common import reject_data

__all__ = ["MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
           "HingeLoss"]

REDUCTIONS = ("mean", "sum", "none")


def _check_class_weight(owner, weight):
    """Raise unless ``weight`` is None or 1-d (one weight per class), as PyTorch requires."""
    if weight is not None and np.ndim(weight.data if isinstance(weight, Tensor) else weight) != 1:
        raise ValueError(
            f"{owner}: weight must be 1-d, one weight per class, got shape "
            f"{tuple(np.shape(weight.data if isinstance(weight, Tensor) else weight))} (to "
            f"compute the loss, make it first and call it: nn.{owner}()(input, target))")


class _Loss(Module):
    """A loss with a ``reduction``; subclasses set ``function`` and may add keyword arguments.

    ``size_average`` and ``reduce`` are PyTorch's deprecated spellings of ``reduction``, kept in
    PyTorch's positional slots and translated as PyTorch does (`legacy_reduction`)."""

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        if isinstance(size_average, str):  # before the data check: ("sum", pos_weight) is no data
            legacy_reduction(type(self).__name__, size_average, reduce, reduction)
        reject_data(type(self).__name__, size_average=size_average, reduce=reduce,
                    reduction=reduction)
        reduction = legacy_reduction(type(self).__name__, size_average, reduce, reduction)
        if reduction not in REDUCTIONS:
            raise ValueError(
                f"{type(self).__name__}: reduction must be one of {REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction

    def _buffer(self, name, value):
        """Register an optional tensor argument (a class weight) as a buffer."""
        if value is not None and not isinstance(value, Tensor):
            value = Tensor(value)  # arrays keep their dtype, lists become float32
        self.register_buffer(name, value)

    def extra_repr(self):
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""


class MSELoss(_Loss):
    """Mean squared error ``(input - target) ** 2``."""

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error ``|input - target|``."""

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities (logs clamped at -100, as PyTorch)."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self._buffer("weight", weight)

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits, through log-sigmoid (finite for any logit).

    ``pos_weight`` multiplies the loss of positive targets (one value per class).
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean",
                 pos_weight=None):
        if isinstance(pos_weight, (bool, np.bool_)):
            raise TypeError(f"BCEWithLogitsLoss: pos_weight must be a tensor of weights (one "
                            f"per class), got {pos_weight!r}")
        super().__init__(size_average, reduce, reduction)
        self._buffer("weight", weight)
        self._buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(
            input, target, weight=self.weight, reduction=self.reduction,
            pos_weight=self.pos_weight)


class CrossEntropyLoss(_Loss):
    """Cross-entropy of logits ``(N, C)`` (or ``(N, C, d...)``) and integer class targets.

    ``weight`` rescales each class, targets equal to ``ignore_index`` are skipped, and
    ``label_smoothing`` mixes the target with the uniform distribution, all as PyTorch.
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        reject_data("CrossEntropyLoss", size_average=size_average, ignore_index=ignore_index)
        _check_class_weight("CrossEntropyLoss", weight)
        check_ignore_index("CrossEntropyLoss", ignore_index)
        super().__init__(size_average, reduce, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(
                f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing}")
        self._buffer("weight", weight)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)

    def extra_repr(self):
        parts = [super().extra_repr()]
        if self.ignore_index != -100:
            parts.append(f"ignore_index={self.ignore_index}")
        if self.label_smoothing:
            parts.append(f"label_smoothing={self.label_smoothing}")
        return ", ".join(p for p in parts if p)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities and integer class targets."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean"):
        reject_data("NLLLoss", size_average=size_average, ignore_index=ignore_index)
        _check_class_weight("NLLLoss", weight)
        check_ignore_index("NLLLoss", ignore_index)
        super().__init__(size_average, reduce, reduction)
        self._buffer("weight", weight)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class HingeLoss(_Loss):
    """micrograd's max-margin loss ``max(0, 1 - y * score)`` with labels y in {-1, +1}."""

    def __init__(self, reduction="mean"):  # (not PyTorch's: no deprecated slots to keep)
        super().__init__(reduction=reduction)

    def forward(self, input, target):
        return F.hinge_loss(input, target, reduction=self.reduction)
