"""The functional forms in one namespace (``import tinygrad_opt.nn.functional as F``), as in PyTorch.

Nothing is defined here: each function lives next to its module class (or in the core) and is
re-exported, so there is one implementation of each formula.
"""

from ..ops.conv import avg_pool1d, avg_pool2d, conv1d, conv2d, max_pool1d, max_pool2d
from .linear import linear
from .loss import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    mse_loss,
    nll_loss,
)
from .norm import batch_norm, group_norm, instance_norm, layer_norm


def relu(x):
    return x.relu()


def leaky_relu(x, negative_slope=0.01):
    return x.leaky_relu(negative_slope)


def elu(x, alpha=1.0):
    return x.elu(alpha)


def gelu(x, approximate="none"):
    return x.gelu(approximate)


def sigmoid(x):
    return x.sigmoid()


def tanh(x):
    return x.tanh()


def silu(x):
    return x.silu()


def softplus(x, beta=1.0, threshold=20.0):
    return x.softplus(beta, threshold)


def softmax(x, dim=-1):
    return x.softmax(axis=dim)


def log_softmax(x, dim=-1):
    return x.log_softmax(axis=dim)


def dropout(x, p=0.5, training=True, generator=None):
    return x.dropout(p, training, generator)


__all__ = [
    "avg_pool1d",
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy_with_logits",
    "conv1d",
    "conv2d",
    "cross_entropy",
    "dropout",
    "elu",
    "gelu",
    "group_norm",
    "huber_loss",
    "instance_norm",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "max_pool1d",
    "max_pool2d",
    "mse_loss",
    "nll_loss",
    "relu",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "tanh",
]
