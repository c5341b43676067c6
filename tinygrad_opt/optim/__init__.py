"""Optimizers (seed 003 §4-5, §8), gradient clipping, parameter averaging and penalties."""

from . import lr_scheduler, schedules
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .averaging import ASGD, EMA, AveragedModel
from .clip import clip_grad_norm_, clip_grad_value_
from .delta_bar_delta import DeltaBarDelta
from .gd import GD
from .lookahead import Lookahead
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .regularization import l1_penalty, l2_penalty
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD
from .switching import SWATS
