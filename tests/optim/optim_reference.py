"""Independent NumPy implementations of every optimizer's update rule, written from the seeds, the
papers and PyTorch's documented pseudo-code (never by calling tinygrad_opt.optim).

Each ``ref_<name>(theta, g, s, hp)`` takes one parameter's array ``theta``, its gradient ``g``, a dict
``s`` of the reference's own state (mutated) and the group's hyper-parameters, and returns the new theta.
``s['t']`` is the 1-based step number, set by the caller.
"""

from __future__ import annotations

import math

import numpy as np


def _decay(theta, g, hp, decoupled=False):
    """maximize, then coupled L2 (g + lambda theta) or decoupled shrink (1 - lr lambda) theta."""
    g = -g if hp.get("maximize") else g
    wd = hp.get("weight_decay", 0.0)
    if wd and decoupled:
        theta = theta * (1 - hp["lr"] * wd)
    elif wd:
        g = g + wd * theta
    return theta, g


def ref_sgd(theta, g, s, hp):
    theta, g = _decay(theta, g, hp)
    mu = hp.get("momentum", 0.0)
    if mu:
        s["b"] = g.copy() if s["t"] == 1 else mu * s["b"] + (1 - hp.get("dampening", 0.0)) * g
        g = g + mu * s["b"] if hp.get("nesterov") else s["b"]
    return theta - hp["lr"] * g


def ref_adagrad(theta, g, s, hp):
    theta, g = _decay(theta, g, hp)
    s.setdefault("r", np.full_like(theta, hp.get("initial_accumulator_value", 0.0)))
    s["r"] = s["r"] + g * g
    rate = hp["lr"] / (1 + (s["t"] - 1) * hp.get("lr_decay", 0.0))
    return theta - rate * g / (hp.get("eps", 1e-10) + np.sqrt(s["r"]))


def ref_rmsprop(theta, g, s, hp):
    theta, g = _decay(theta, g, hp)
    rho, eps, mu = hp.get("alpha", 0.99), hp.get("eps", 1e-8), hp.get("momentum", 0.0)
    s["r"] = rho * s.get("r", 0.0) + (1 - rho) * g * g
    if hp.get("centered"):
        s["m"] = rho * s.get("m", 0.0) + (1 - rho) * g
        denom = np.sqrt(s["r"] - s["m"] ** 2) + eps
    else:
        denom = np.sqrt(s["r"]) + eps
    if mu:
        s["v"] = mu * s.get("v", 0.0) + g / denom
        return theta - hp["lr"] * s["v"]
    return theta - hp["lr"] * g / denom


def ref_adadelta(theta, g, s, hp):
    theta, g = _decay(theta, g, hp)
    rho, eps = hp.get("rho", 0.9), hp.get("eps", 1e-6)
    s["r"] = rho * s.get("r", 0.0) + (1 - rho) * g * g
    delta = np.sqrt(s.get("d", 0.0) + eps) / np.sqrt(s["r"] + eps) * g
    s["d"] = rho * s.get("d", 0.0) + (1 - rho) * delta * delta
    return theta - hp.get("lr", 1.0) * delta


def ref_adam(theta, g, s, hp, decoupled=False):
    theta, g = _decay(theta, g, hp, decoupled or hp.get("decoupled_weight_decay", False))
    (b1, b2), t = hp.get("betas", (0.9, 0.999)), s["t"]
    s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
    v = s["v"]
    if hp.get("amsgrad"):
        s["vmax"] = np.maximum(s.get("vmax", 0.0), s["v"])
        v = s["vmax"]
    m_hat = s["m"] / (1 - b1**t)
    v_hat = v / (1 - b2**t)
    return theta - hp["lr"] * m_hat / (np.sqrt(v_hat) + hp.get("eps", 1e-8))


def ref_adamw(theta, g, s, hp):
    return ref_adam(theta, g, s, hp, decoupled=True)


def ref_nadam(theta, g, s, hp):
    theta, g = _decay(theta, g, hp, hp.get("decoupled_weight_decay", False))
    (b1, b2), t, psi = hp.get("betas", (0.9, 0.999)), s["t"], hp.get("momentum_decay", 4e-3)

    def mu(k):
        return b1 * (1 - 0.5 * 0.96 ** (k * psi))

    s["prod"] = s.get("prod", 1.0) * mu(t)
    s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
    denom = np.sqrt(s["v"] / (1 - b2**t)) + hp.get("eps", 1e-8)
    lookahead = mu(t + 1) * s["m"] / (1 - s["prod"] * mu(t + 1)) + (1 - mu(t)) * g / (1 - s["prod"])
    return theta - hp["lr"] * lookahead / denom


def ref_radam(theta, g, s, hp):
    theta, g = _decay(theta, g, hp, hp.get("decoupled_weight_decay", False))
    (b1, b2), t = hp.get("betas", (0.9, 0.999)), s["t"]
    s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
    m_hat = s["m"] / (1 - b1**t)
    rho_inf = 2 / (1 - b2) - 1
    rho = rho_inf - 2 * t * b2**t / (1 - b2**t)
    if rho <= 5:
        return theta - hp["lr"] * m_hat
    r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
    return theta - hp["lr"] * r * m_hat * math.sqrt(1 - b2**t) / (np.sqrt(s["v"]) + hp.get("eps", 1e-8))


def ref_adamax(theta, g, s, hp):
    theta, g = _decay(theta, g, hp)
    (b1, b2), t = hp.get("betas", (0.9, 0.999)), s["t"]
    s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
    s["u"] = np.maximum(b2 * s.get("u", 0.0), np.abs(g) + hp.get("eps", 1e-8))
    return theta - hp["lr"] / (1 - b1**t) * s["m"] / s["u"]


def ref_rprop(theta, g, s, hp):
    g = -g if hp.get("maximize") else g
    (em, ep), (lo, hi) = hp.get("etas", (0.5, 1.2)), hp.get("step_sizes", (1e-6, 50.0))
    prev = s.get("prev", np.zeros_like(g))
    delta = s.get("delta", np.full_like(g, hp["lr"]))
    prod = g * prev
    delta = np.clip(np.where(prod > 0, delta * ep, np.where(prod < 0, delta * em, delta)), lo, hi)
    g = np.where(prod < 0, 0.0, g)
    s["prev"], s["delta"] = g, delta
    return theta - np.sign(g) * delta


def ref_delta_bar_delta(theta, g, s, hp):
    g = -g if hp.get("maximize") else g
    rate = s.get("rate", np.full_like(g, hp["lr"]))
    bar = s.get("bar", np.zeros_like(g))
    rate = np.where(bar * g > 0, rate + hp.get("kappa", 1e-3), rate)
    rate = np.where(bar * g < 0, rate * (1 - hp.get("phi", 0.5)), rate)
    theta_s = hp.get("theta", 0.7)
    s["bar"], s["rate"] = (1 - theta_s) * g + theta_s * bar, rate
    return theta - rate * g


def ref_asgd(theta, g, s, hp):
    theta, g = _decay(theta, g, hp)
    lr, lambd, alpha, t0, t = hp["lr"], hp.get("lambd", 1e-4), hp.get("alpha", 0.75), hp.get("t0", 1e6), s["t"]
    eta, mu = s.get("eta", lr), s.get("mu", 1.0)
    theta = theta * (1 - lambd * eta) - eta * g
    s["ax"] = theta.copy() if mu == 1 else s["ax"] + mu * (theta - s["ax"])
    s["eta"] = lr / (1 + lambd * lr * t) ** alpha
    s["mu"] = 1 / max(1, t - t0)
    return theta


def ref_swats_group(thetas, grads, s, hp):
    """SWATS (Keskar & Socher 2017, Algorithm 1) for one parameter group; s is the group's state."""
    (b1, b2), t = hp.get("betas", (0.9, 0.999)), s["t"]
    grads = [_decay(th, g, hp)[1] for th, g in zip(thetas, grads)]
    if s.get("sgd_lr") is not None:
        s["v"] = [b1 * v + g for v, g in zip(s["v"], grads)]
        return [th - (1 - b1) * s["sgd_lr"] * v for th, v in zip(thetas, s["v"])]
    s.setdefault("v", [np.zeros_like(th) for th in thetas])
    s["m"] = [b1 * m + (1 - b1) * g for m, g in zip(s.get("m", [0.0] * len(thetas)), grads)]
    s["a"] = [b2 * a + (1 - b2) * g * g for a, g in zip(s.get("a", [0.0] * len(thetas)), grads)]
    scale = -hp["lr"] * math.sqrt(1 - b2**t) / (1 - b1**t)
    steps = [scale * m / (np.sqrt(a) + hp.get("eps", 1e-8)) for m, a in zip(s["m"], s["a"])]
    pg = sum(float(np.sum(p * g)) for p, g in zip(steps, grads))
    if pg != 0:
        gamma = sum(float(np.sum(p * p)) for p in steps) / -pg
        s["lam"] = b2 * s.get("lam", 0.0) + (1 - b2) * gamma
        if t > 1 and abs(s["lam"] / (1 - b2**t) - gamma) < hp.get("switch_eps", 1e-9):
            s["sgd_lr"] = s["lam"] / (1 - b2**t)
    return [th + p for th, p in zip(thetas, steps)]
