"""``Embedding``: a lookup table of learned vectors indexed by integer ids."""
from .. import functional as F
from .. import init
from ..module import Module
from ._common import empty_parameter

__all__ = ["Embedding"]


class Embedding(Module):
    """``weight[indices]`` with ``weight`` of shape ``(num_embeddings, embedding_dim)``, N(0, 1).

    With ``padding_idx``, that row starts at zero and gets no gradient (as PyTorch's).

    >>> emb = Embedding(10, 3, rng=0)
    >>> import numpy as np
    >>> emb(np.array([[1, 2], [3, 4]])).shape
    (2, 2, 3)
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, rng=None):
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx {padding_idx} out of range for {num_embeddings} rows")
            padding_idx %= num_embeddings
        self.padding_idx = padding_idx
        self.weight = empty_parameter(num_embeddings, embedding_dim)
        self.reset_parameters(rng)

    def reset_parameters(self, rng=None):
        """N(0, 1) entries; the padding row (if any) zero."""
        init.normal_(self.weight, 0.0, 1.0, rng=rng)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    def forward(self, indices):
        return F.embedding(indices, self.weight, self.padding_idx)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        return text
