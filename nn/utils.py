"""PyTorch's ``torch.nn.utils`` names, for code written against them: ``clip_grad_norm_`` (the
same function as ``nn.clip_grad_norm_``, defined in `nn.optim.clip`)."""
from .optim.clip import clip_grad_norm_

__all__ = ["clip_grad_norm_"]
