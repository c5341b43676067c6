"""Full-batch gradient descent (seed 003 §4.1.1 with m = the whole training set; seed 001 §1):

    theta <- theta - epsilon * grad J(theta)

The gradient is exact, so a fixed learning rate converges on a smooth problem when
epsilon < 2 / L (L the largest Hessian eigenvalue). This is SGD without momentum; it exists as its
own name so examples and the claims gallery read like the seed.
"""

from __future__ import annotations

from .sgd import SGD


class GD(SGD):
    def __init__(self, params, lr=1e-3, weight_decay=0.0, maximize=False):
        super().__init__(params, lr=lr, weight_decay=weight_decay, maximize=maximize)
