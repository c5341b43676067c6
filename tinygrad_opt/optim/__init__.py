"""Optimizers (seed 003 §4-8), gradient clipping, parameter averaging and penalties."""

from . import lr_scheduler, schedules
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adahessian import AdaHessian
from .adam import Adam, AdamW
from .adamax import Adamax
from .averaging import ASGD, EMA, AveragedModel
from .bfgs import BFGS
from .cg import ConjugateGradient
from .clip import clip_grad_norm_, clip_grad_value_
from .coordinate_descent import CoordinateDescent
from .delta_bar_delta import DeltaBarDelta
from .gd import GD
from .kfac import KFAC
from .lbfgs import LBFGS
from .lookahead import Lookahead
from .nadam import NAdam
from .newton import Newton
from .newton_cg import NewtonCG
from .optimizer import Optimizer
from .radam import RAdam
from .regularization import l1_penalty, l2_penalty
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD
from .sophia import SophiaH
from .steepest_descent import SteepestDescent
from .switching import SWATS
