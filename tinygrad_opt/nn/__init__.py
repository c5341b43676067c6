"""Neural-network building blocks on top of the autodiff core: modules, layers, normalization,
losses and initializers, with PyTorch's names, signatures and defaults.

module.py      Module, Parameter, Sequential, ModuleList, functional_call, state dicts
linear.py      Linear, Identity, Flatten           conv.py      Conv1d/2d, MaxPool1d/2d, AvgPool1d/2d
norm.py        BatchNorm, LayerNorm, InstanceNorm, GroupNorm, weight_norm
dropout.py     Dropout                             activation.py  ReLU, GELU, Softmax, ...
loss.py        mse/l1/huber/nll/cross-entropy/BCE-with-logits (+ module classes)
init.py        calculate_gain and the initializers  functional.py  the functional forms, as ``F``
regularization.py  entropy regularization, mixup, cutout, FGSM/PGD adversarial inputs
"""

from . import functional, init, regularization
from .activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Softplus, Tanh
from .conv import AvgPool1d, AvgPool2d, Conv1d, Conv2d, MaxPool1d, MaxPool2d
from .dropout import Dropout
from .linear import Flatten, Identity, Linear
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss
from .module import Module, ModuleList, Parameter, Sequential, StateDictError, functional_call
from .norm import (
    BatchNorm1d,
    BatchNorm2d,
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    LayerNorm,
    remove_weight_norm,
    weight_norm,
)
