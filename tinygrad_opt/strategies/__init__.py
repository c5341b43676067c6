"""Strategies and meta-algorithms (SPEC §5; seed 003 §8, seed 000 syllabus §11) built on nn/optim/train:
MAML, first-order MAML and Reptile; continuation over Gaussian-smoothed objectives; greedy layer-wise
supervised pretraining. Growing batch sizes live in ``data.growing_batch_size`` and coordinate descent
in ``optim.CoordinateDescent``."""

from .continuation import GaussianSmoothing, continuation
from .maml import adapt, maml_loss, maml_step, reptile_step
from .pretraining import greedy_layerwise_pretrain

__all__ = [
    "GaussianSmoothing",
    "adapt",
    "continuation",
    "greedy_layerwise_pretrain",
    "maml_loss",
    "maml_step",
    "reptile_step",
]
