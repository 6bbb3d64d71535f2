"""``Embedding``: a lookup table of learned vectors indexed by integer ids."""
import numpy as np

from .. import functional as F
from ..functional.layers import padding_row
from .. import init
from ..module import Module, Parameter
from ._common import check_sizes, empty_parameter, factory_dtype

__all__ = ["Embedding"]


class Embedding(Module):
    """``weight[indices]`` with ``weight`` of shape ``(num_embeddings, embedding_dim)``, N(0, 1).

    Arguments and their order are PyTorch's (see `nn.functional.embedding` for ``max_norm``,
    ``norm_type``, ``scale_grad_by_freq`` and ``sparse``; with ``sparse=True`` the gradient is
    still a dense array, with the values of PyTorch's sparse one). ``padding_idx`` (negative
    counts from the end): that row starts at zero and gets no gradient. ``_weight``: use this
    Tensor or ndarray (shared, not copied, and not re-initialized) as the weight; ``_freeze``:
    the weight does not require grad. ``device`` (None or 'cpu') and ``dtype`` (None for
    float32, or float64) are those of a weight made here; a ``_weight`` is used as given, as
    PyTorch does. ``rng`` (keyword only) seeds the initialization.

    >>> emb = Embedding(10, 3, rng=0)
    >>> import numpy as np
    >>> emb(np.array([[1, 2], [3, 4]])).shape
    (2, 2, 3)
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
                 norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None,
                 _freeze=False, device=None, dtype=None, *, rng=None):
        super().__init__()
        dtype = factory_dtype(device, dtype, type(self).__name__)
        check_sizes(type(self).__name__, num_embeddings=num_embeddings,
                    embedding_dim=embedding_dim)
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        if padding_idx is not None:
            padding_idx = padding_row(padding_idx, num_embeddings, "Embedding")
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            self.weight = empty_parameter(num_embeddings, embedding_dim, dtype=dtype)
            self.weight.requires_grad = not _freeze
            self.reset_parameters(rng)
        else:
            self.weight = Parameter(_weight, requires_grad=not _freeze)
            if self.weight.shape != (num_embeddings, embedding_dim):
                raise ValueError(
                    f"Embedding: _weight of shape {self.weight.shape} does not match "
                    f"(num_embeddings, embedding_dim) = {(num_embeddings, embedding_dim)}")

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None,
                        norm_type=2.0, scale_grad_by_freq=False, sparse=False):
        """An Embedding whose weight is ``embeddings`` (2-d; shared, not copied, as PyTorch's),
        not trained when ``freeze``; the other arguments are the constructor's.

        >>> import numpy as np
        >>> emb = Embedding.from_pretrained(np.array([[1.0, 2.0], [3.0, 4.0]]))
        >>> emb(np.array([1])).data, emb.weight.requires_grad
        (array([[3., 4.]]), False)
        """
        shape = np.shape(embeddings)
        if len(shape) != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-d "
                             f"(num_embeddings, embedding_dim), got shape {shape}")
        return cls(shape[0], shape[1], padding_idx, max_norm, norm_type, scale_grad_by_freq,
                   sparse, _weight=embeddings, _freeze=freeze)

    def reset_parameters(self, rng=None):
        """N(0, 1) entries; the padding row (if any) zero."""
        init.normal_(self.weight, 0.0, 1.0, rng=rng)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    def forward(self, indices):
        return F.embedding(indices, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            text += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse:
            text += ", sparse=True"
        return text
