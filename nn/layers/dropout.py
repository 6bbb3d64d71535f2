"""``Dropout``: inverted dropout in training mode, the identity in eval mode."""
from autodiff.creation import get_generator

from .. import functional as F
from ..module import Module
from ._common import reject_data

__all__ = ["Dropout"]


class Dropout(Module):
    """Zeroes each element with probability ``p`` and scales the rest by ``1 / (1 - p)``.

    Masks are drawn from ``rng`` (a Generator or an int seed, fixed at construction) or, when it
    is None, from the global generator at each call, so ``autodiff.manual_seed`` reproduces them.
    With ``inplace=True`` the result is written into the input, as in PyTorch.
    """

    def __init__(self, p=0.5, inplace=False, rng=None):
        super().__init__()
        reject_data("Dropout", p=p, inplace=inplace)
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be between 0 and 1, got {p}")
        self.p = p
        self.inplace = inplace
        self.rng = None if rng is None else get_generator(rng)

    def forward(self, x):
        return F.dropout(x, self.p, self.training, self.inplace, rng=self.rng)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
