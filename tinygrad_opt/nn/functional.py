"""The functional forms in one namespace (``import tinygrad_opt.nn.functional as F``), as in PyTorch.

Each formula has one implementation: the layers' functional forms live next to their module class
and are re-exported; the activations here check their arguments and call the Tensor method.
"""

from ..tensor import Tensor
from ._checks import dim_arg, real_arg, tensor_arg
from .activation import check_approximate, check_softplus
from .conv import avg_pool1d, avg_pool2d, conv1d, conv2d, max_pool1d, max_pool2d
from .dropout import dropout
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
    if not isinstance(x, Tensor):
        tensor_arg("F.relu", "input", x)
    return x.relu()


def leaky_relu(x, negative_slope=0.01):
    real_arg("F.leaky_relu", "negative_slope", negative_slope)
    return tensor_arg("F.leaky_relu", "input", x).leaky_relu(negative_slope)


def elu(x, alpha=1.0):
    real_arg("F.elu", "alpha", alpha)
    return tensor_arg("F.elu", "input", x).elu(alpha)


def gelu(x, approximate="none"):
    check_approximate("F.gelu", approximate)
    return tensor_arg("F.gelu", "input", x).gelu(approximate)


def sigmoid(x):
    return tensor_arg("F.sigmoid", "input", x).sigmoid()


def tanh(x):
    return tensor_arg("F.tanh", "input", x).tanh()


def silu(x):
    return tensor_arg("F.silu", "input", x).silu()


def softplus(x, beta=1.0, threshold=20.0):
    check_softplus("F.softplus", beta, threshold)
    return tensor_arg("F.softplus", "input", x).softplus(beta, threshold)


def softmax(x, dim=-1):
    return tensor_arg("F.softmax", "input", x).softmax(axis=dim_arg("F.softmax", "dim", dim, x.ndim))


def log_softmax(x, dim=-1):
    return tensor_arg("F.log_softmax", "input", x).log_softmax(axis=dim_arg("F.log_softmax", "dim", dim, x.ndim))


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
