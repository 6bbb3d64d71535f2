"""nn: neural networks on autodiff.Tensor, with PyTorch's names, layouts and defaults.

Modules (`Module`, `Parameter`, containers, layers, losses), `nn.functional`, `nn.init`,
`nn.optim` (optimizers and schedulers), `DataLoader`, checkpoints (`save`, `load`) and the
micrograd-style scalar models of `nn.scalar`.
"""
from . import functional, init, optim, scalar, utils
from .data import DataLoader
from .layers import *  # noqa: F401,F403 - every layer class is public; layers.__all__ lists them
from .layers import __all__ as _LAYER_NAMES
from .module import Module, ModuleDict, ModuleList, Parameter, Sequential
from .optim import clip_grad_norm_
from .serialization import load, save

__all__ = [
    "Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "DataLoader", "save", "load",
    "functional", "init", "optim", "scalar", "utils", "clip_grad_norm_", *_LAYER_NAMES,
]
