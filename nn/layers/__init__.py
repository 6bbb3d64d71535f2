"""Layers of `nn` by family, all with PyTorch's constructor arguments, names and layouts.

Every constructor that draws random weights takes ``rng=`` (a ``numpy.random.Generator`` or an
int seed); without it the global generator is used, so ``autodiff.manual_seed`` makes model
initialization reproducible. Every constructor that makes parameters also takes PyTorch's
``device`` (None or 'cpu': everything runs on the CPU) and ``dtype`` (None for float32, or
float64), before ``rng``.
"""
from .activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .conv import AdaptiveAvgPool2d, AvgPool2d, Conv2d, MaxPool2d
from .dropout import Dropout
from .embedding import Embedding
from .linear import MLP, Flatten, Identity, Layer, Linear, Neuron
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HingeLoss, L1Loss, MSELoss,
                   NLLLoss)
from .normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from .recurrent import GRU, LSTM, RNN

__all__ = [
    "Linear", "Identity", "Flatten", "Neuron", "Layer", "MLP",
    "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Softmax", "LogSoftmax",
    "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d",
    "BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm",
    "Dropout", "Embedding", "RNN", "LSTM", "GRU",
    "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
    "HingeLoss",
]
