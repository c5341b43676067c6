"""Regularizers that act on predictions and inputs (seed 000 "Regularization"; SPEC §7).

Penalties on the parameters (L1, L2) are ``optim.l1_penalty``/``l2_penalty``; label smoothing is
``cross_entropy(..., label_smoothing=ε)``; dropout is ``nn.Dropout``. Here:

- ``entropy_regularization(logits, weight)`` = −β · mean H(softmax(logits)), H(p) = −Σ p log p: added to
  the loss it rewards high-entropy (less confident) predictions — the confidence penalty of Pereyra et
  al. 2017, the same aim as label smoothing but on the model's own distribution.
- ``mixup(x, y, alpha)`` (Zhang et al. 2018): λ ~ Beta(α, α), a random pairing π of the batch, and
  x̃ = λ x + (1 − λ) x_π, ỹ = λ y + (1 − λ) y_π (one-hot targets), trained with the soft-target
  cross-entropy.
- ``cutout(x, size)`` (DeVries & Taylor 2017): one size×size square of each image set to zero, its centre
  uniform over the image (the square may stick out of the border, as in the paper).
- ``fgsm(loss_fn, x, y, eps)`` (Goodfellow et al. 2015): x + ε sign(∇ₓ L), and ``pgd(...)`` (Madry et al.
  2018): k steps x ← Π_{‖x − x₀‖∞ ≤ ε}(x + α sign(∇ₓ L)) from a random start in the ball. Adversarial
  training trains on these inputs (or on a mix with the clean ones).

Random draws use the inputs' device generator (``backend.default_generator``) unless a ``generator``
is given, so ``tinygrad_opt.manual_seed`` makes them reproducible and nothing is copied to the device.
"""

from __future__ import annotations

import numbers

from .. import backend
from ..autodiff import enable_grad
from ..autodiff import grad as autograd
from ..errors import ArgumentTypeError, DeviceError, HyperparameterError, ShapeError
from ..tensor import Tensor, one_hot
from ._checks import float_input, real_arg, tensor_arg


def _rng(x: Tensor, generator, where: str):
    if generator is not None and not isinstance(generator, backend.Generator):
        raise ArgumentTypeError(f"{where}: generator must be a tinygrad_opt Generator, got {type(generator).__name__}")
    gen = generator or backend.default_generator(x.device)
    if gen.device != x.device:
        raise DeviceError(f"{where}: generator draws on {gen.device!r} but the batch lives on {x.device!r}")
    return gen.rng


def entropy(logits: Tensor, axis: int = -1) -> Tensor:
    """Mean entropy H(p) = −Σ p log p of softmax(logits) over the batch (nats)."""
    logp = tensor_arg("entropy", "logits", logits).log_softmax(axis=axis)
    return -(logp.exp() * logp).sum(axis=axis).mean()


def entropy_regularization(logits: Tensor, weight: float) -> Tensor:
    """−weight · mean H(softmax(logits)): add it to the loss to penalize over-confident predictions."""
    real_arg("entropy_regularization", "weight", weight, low=0)
    tensor_arg("entropy_regularization", "logits", logits)
    return -weight * entropy(logits)


def mixup(x: Tensor, y: Tensor, alpha: float = 0.2, num_classes: int | None = None, generator=None):
    """(x̃, ỹ, λ): the batch mixed with a random pairing of itself; integer labels become one-hot rows
    (``num_classes`` needed then), float targets are mixed as they are. λ is a host number drawn from the
    CPU generator (no device sync); the pairing is drawn on the batch's device."""
    real_arg("mixup", "alpha", alpha, low=0, low_open=True)
    tensor_arg("mixup", "x", x)
    tensor_arg("mixup", "y", y)
    if x.ndim == 0 or y.ndim == 0 or x.shape[0] != y.shape[0]:
        raise ShapeError(f"mixup: x of shape {x.shape} and y of shape {y.shape} need one target per example")
    rng = _rng(x, generator, "mixup")
    lam = float(backend.default_generator("cpu").rng.beta(alpha, alpha))
    order = Tensor._make(rng.random(x.shape[0]).argsort(), False, None)
    if y.dtype.kind != "f":
        if num_classes is None:
            raise ShapeError("mixup: integer labels need num_classes to become one-hot targets")
        y = one_hot(y, num_classes).astype(x.dtype)
    return lam * x + (1 - lam) * x[order], lam * y + (1 - lam) * y[order], lam


def cutout(x: Tensor, size: int, generator=None) -> Tensor:
    """Images (N, C, H, W) with one size×size square per image set to 0 (centre uniform on the image)."""
    if tensor_arg("cutout", "x", x).ndim != 4:
        raise ShapeError(f"cutout: expects images (N, C, H, W), got shape {x.shape}")
    if not (isinstance(size, numbers.Integral) and size >= 1):
        raise HyperparameterError(f"cutout: size must be an int >= 1, got {size!r}")
    n, _, h, w = x.shape
    rng = _rng(x, generator, "cutout")
    xp = backend.xp_of(x.data)
    cy, cx = rng.integers(0, h, n), rng.integers(0, w, n)
    rows, cols = xp.arange(h).reshape(1, h, 1), xp.arange(w).reshape(1, 1, w)
    half = size // 2
    inside = (
        (rows >= (cy - half).reshape(n, 1, 1))
        & (rows < (cy - half + size).reshape(n, 1, 1))
        & (cols >= (cx - half).reshape(n, 1, 1))
        & (cols < (cx - half + size).reshape(n, 1, 1))
    )
    keep = Tensor._make((~inside).astype(x.dtype).reshape(n, 1, h, w), False, None)
    return x * keep


def _check_attack(where, loss_fn, x):
    if not callable(loss_fn):
        raise ArgumentTypeError(f"{where}: loss_fn must be a function (inputs, targets) -> scalar loss")
    float_input(where, x, "x")


def _input_grad(where, loss_fn, x: Tensor, y) -> Tensor:
    probe = x.detach().requires_grad_()
    with enable_grad():
        loss = loss_fn(probe, y)
    if not isinstance(loss, Tensor):
        raise ArgumentTypeError(f"{where}: loss_fn(x, y) must return a scalar Tensor, got {type(loss).__name__}")
    if loss.numel() != 1:
        raise ShapeError(f"{where}: loss_fn(x, y) must return a scalar Tensor, got shape {loss.shape}")
    return autograd(loss, probe)


def fgsm(loss_fn, x: Tensor, y, eps: float, clip=None) -> Tensor:
    """x + eps·sign(∇ₓ loss_fn(x, y)) (detached), clipped to ``clip=(lo, hi)`` when given."""
    real_arg("fgsm", "eps", eps, low=0)
    _check_attack("fgsm", loss_fn, x)
    adv = x.detach() + eps * _input_grad("fgsm", loss_fn, x, y).sign()
    return adv.clip(*clip).detach() if clip is not None else adv.detach()


def pgd(loss_fn, x: Tensor, y, eps: float, alpha: float, steps: int = 10, random_start=True, clip=None, generator=None):
    """L∞ projected gradient ascent on the loss within ‖x̃ − x‖∞ ≤ eps (detached result)."""
    real_arg("pgd", "eps", eps, low=0)
    real_arg("pgd", "alpha", alpha, low=0, low_open=True)
    if not (isinstance(steps, numbers.Integral) and steps >= 1):
        raise HyperparameterError(f"pgd: steps must be an int >= 1, got {steps!r}")
    _check_attack("pgd", loss_fn, x)
    x0 = x.detach()
    adv = x0
    if random_start:
        rng = _rng(x, generator, "pgd")
        noise = rng.random(x.shape, dtype="float64").astype(x.dtype) * (2 * eps) - eps
        adv = x0 + Tensor._make(noise, False, None)
    for _ in range(steps):
        adv = adv + alpha * _input_grad("pgd", loss_fn, adv, y).sign()
        adv = x0 + (adv - x0).clip(-eps, eps)  # projection onto the ε-ball
        if clip is not None:
            adv = adv.clip(*clip)
        adv = adv.detach()
    return adv
