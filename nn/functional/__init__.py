"""Functional forms of the layers, activations and losses of ``nn`` (PyTorch's ``F``).

    import nn.functional as F
    loss = F.cross_entropy(F.linear(x, w, b), labels)
"""
from .activations import gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, softplus, tanh
from .conv import conv2d
from .layers import dropout, embedding, linear, one_hot
from .losses import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,
                     hinge_loss, l1_loss, mse_loss, nll_loss)
from .normalization import batch_norm, group_norm, layer_norm
from .padding import pad
from .pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d

__all__ = [
    "relu", "leaky_relu", "sigmoid", "tanh", "gelu", "softplus", "softmax", "log_softmax",
    "linear", "dropout", "embedding", "one_hot", "conv2d", "max_pool2d", "avg_pool2d",
    "adaptive_avg_pool2d", "pad",
    "batch_norm", "layer_norm", "group_norm",
    "mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "cross_entropy", "nll_loss", "hinge_loss",
]
