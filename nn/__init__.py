"""nn: neural networks on autodiff.Tensor, with PyTorch's names, layouts and defaults."""
from . import scalar
from .data import DataLoader
from .module import Module, ModuleList, Parameter, Sequential
from .serialization import load, save
