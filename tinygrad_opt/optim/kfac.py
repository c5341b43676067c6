"""K-FAC: Kronecker-factored approximate curvature (Martens & Grosse 2015 for fully connected layers;
Grosse & Martens 2016, "KFC", for convolutions; seed 000 "二阶优化器" item 2 "近似二阶:KFAC (2015)").

A layer s = W ā (ā the input with a 1 appended for the bias, W = [weight | bias]) has the Fisher block
E[vec(∇W) vec(∇W)ᵀ] ≈ A ⊗ G with A = E[ā āᵀ] and G = E[g gᵀ], g = ∂ℓ/∂s per example, so the natural
gradient needs only the two small inverses::

    A ← stat_decay·A + (1 − stat_decay)·ĀB,   G likewise        every factor_update_freq steps (T_cov)
    π = √((tr A / dim A) / (tr G / dim G))                        (1 with pi_damping=False)
    A⁻¹ = (A + π√λ I)⁻¹,  G⁻¹ = (G + √λ/π I)⁻¹                   every inv_update_freq steps (T_inv)
    V = G⁻¹ [∇weight | ∇bias] A⁻¹                                  per layer
    ν = min(1, √(kl_clip / (lr² Σ_layers ⟨V, ∇W⟩)))                KL clipping (kl_clip=None: ν = 1)
    then SGD with momentum and L2 weight decay on ν·V (the raw gradient for other parameters)

λ = ``damping``; factored Tikhonov damping with the trace-norm π of Martens & Grosse §6.3 keeps both
factors' damping in proportion to their scale. Batch statistics: rows are examples for Linear (positions
too, for inputs with more than two dims) and examples × output positions for Conv2d (ā an im2col patch,
so A = E over rows), and ĜB = N·Σ_rows g gᵀ with g = the output's ``.grad`` for the batch-mean loss and N
the batch size, i.e. E over examples of (per-example gradient)(...)ᵀ; for a conv that sum over positions
is the |T|·E[g gᵀ] of KFC's spatially-uncorrelated-derivatives approximation. The first estimate of a
layer is taken as is, later ones are averaged. Inverses come from ``xp.linalg.eigh`` on the device
(eigenvalues clamped at 0 against rounding).

Which Fisher: the **empirical** one, from the gradients of the closure's own loss (the observed labels).
The true Fisher samples labels from the model's predictive distribution and needs a second backward
with them; a plain closure exposes neither the likelihood nor the labels, so KFAC uses what it gives.
The empirical Fisher matches the true one near a well-fitted optimum and is cruder far from it.

``KFAC(model, ...)`` takes the Module: it finds the ``nn.Linear`` and ``nn.Conv2d`` (groups=1) layers,
registers forward hooks that, while a step's closure runs, keep each layer's input and make its output
``retain_grad()``, and optimizes ``model.parameters()`` as its one param group. The closure is the
plain one (zero_grad, loss, backward, return loss) and must return the batch-mean loss; a layer called
several times in one closure contributes its last call. Factors and inverses live in the state of the
layer's weight (``kfac_A``, ``kfac_G``, ``kfac_A_inv``, ``kfac_G_inv``), the step count in the first
parameter's (``kfac_steps``).
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..autodiff import no_grad
from ..errors import ArgumentError, ArgumentTypeError, CurvatureError
from ..nn import conv as nn_conv
from ..nn.conv import Conv2d
from ..nn.linear import Linear
from ..nn.module import Module
from ..ops import conv as C
from ..tensor import Tensor, concatenate, ones, zeros_like
from .optimizer import Optimizer, check_grads, count, flag, optional, positive, unit_interval
from .sgd import SGD
from .vector import all_finite, call_closure


def supported(module) -> bool:
    """The layers K-FAC preconditions: Linear, and Conv2d without groups."""
    return isinstance(module, Linear) or (isinstance(module, Conv2d) and module.groups == 1)


def input_rows(module, a: Tensor) -> Tensor:
    """The rows ā of the layer's input (im2col patches for a conv), with the bias's ones column."""
    if isinstance(module, Conv2d):
        x, padding = nn_conv._padded(a, module.padding, module.kernel_size, module.dilation)
        x = C._pad_spatial(x, C.int_tuple(padding, 2, "padding", "KFAC", low=0))
        cols = C.unfold(x, module.kernel_size, module.stride, module.dilation)  # (N, C, kh, kw, oh, ow)
        rows = cols.permute(0, 4, 5, 1, 2, 3).reshape(-1, math.prod(cols.shape[1:4]))
    else:
        rows = a.reshape(-1, a.shape[-1])
    if module.bias is None:
        return rows
    return concatenate([rows, ones(rows.shape[0], 1, dtype=rows.dtype, device=rows.device)], axis=1)


def output_rows(module, g: Tensor) -> Tensor:
    """The rows of the gradient with respect to the layer's output (pre-activation), one per row of ā."""
    if isinstance(module, Conv2d):
        return g.permute(0, 2, 3, 1).reshape(-1, g.shape[1])
    return g.reshape(-1, g.shape[-1])


def batch_factors(module, a: Tensor, g: Tensor) -> tuple[Tensor, Tensor]:
    """(Ā, Ĝ) of one batch: Ā = mean of ā āᵀ over rows, Ĝ = N·Σ_rows g gᵀ (N examples)."""
    rows_a, rows_g = input_rows(module, a), output_rows(module, g)
    n = a.shape[0] if a.ndim > 1 else 1
    return rows_a.T @ rows_a / rows_a.shape[0], (rows_g.T @ rows_g) * n


def damped_inverse(s: Tensor, delta) -> Tensor:
    """(S + δ I)⁻¹ for a symmetric positive semi-definite S, by eigh on S's device."""
    xp = backend.xp_of(s.data)
    try:
        w, q = xp.linalg.eigh(s.data)
    except np.linalg.LinAlgError as exc:  # NaN or Inf in the factor (CuPy raises NumPy's error too)
        raise CurvatureError(
            f"KFAC.step: a {s.shape} Kronecker factor is not finite (eigh: {exc}); the parameters and the optimizer "
            f"state are unchanged — lower lr, raise damping or check the model and the data"
        ) from exc
    return Tensor._make((q / (xp.maximum(w, 0) + delta)) @ q.T, False, None)


def damped_inverses(a: Tensor, g: Tensor, damping: float, pi_damping: bool) -> tuple[Tensor, Tensor]:
    """(A + π√λ I)⁻¹ and (G + √λ/π I)⁻¹; π = 1 without pi_damping or when a trace is 0."""
    xp, root = backend.xp_of(a.data), math.sqrt(damping)
    if not pi_damping:
        return damped_inverse(a, root), damped_inverse(g, root)
    mean_a, mean_g = xp.trace(a.data) / a.shape[0], xp.trace(g.data) / g.shape[0]
    ok = (mean_a > 0) & (mean_g > 0)
    pi = xp.where(ok, xp.sqrt(xp.where(ok, mean_a, 1) / xp.where(ok, mean_g, 1)), 1)
    return damped_inverse(a, pi * root), damped_inverse(g, root / pi)


class KFAC(SGD):
    requires_closure = True  # the factors come from the closure's forward and backward
    rules = {
        **SGD.rules,
        "damping": positive,
        "stat_decay": unit_interval,
        "factor_update_freq": count,
        "inv_update_freq": count,
        "kl_clip": optional(positive),
        "pi_damping": flag,
    }

    def __init__(
        self,
        model,
        lr=1e-2,
        momentum=0.9,
        weight_decay=0.0,
        damping=1e-3,
        stat_decay=0.95,
        factor_update_freq=1,
        inv_update_freq=10,
        kl_clip=1e-3,
        pi_damping=True,
    ):
        if not isinstance(model, Module):
            raise ArgumentTypeError(
                f"KFAC: takes the model (an nn.Module, for its Linear/Conv2d layers), got {type(model).__name__}; "
                f"use KFAC(model, lr=...)"
            )
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=0.0,
            weight_decay=weight_decay,
            nesterov=False,
            damping=damping,
            stat_decay=stat_decay,
            factor_update_freq=factor_update_freq,
            inv_update_freq=inv_update_freq,
            kl_clip=kl_clip,
            pi_damping=pi_damping,
        )
        Optimizer.__init__(self, model.parameters(), defaults)  # SGD.__init__ knows no K-FAC options
        self.layers = [m for m in model.modules() if supported(m)]
        self._recording, self._records = False, {}
        for m in self.layers:
            m.register_forward_hook(self._record)

    def add_param_group(self, param_group: dict) -> None:
        if self.param_groups:
            raise ArgumentError(
                "KFAC.add_param_group: KFAC optimizes its model's parameters as one param group; it takes no "
                "other group"
            )
        super().add_param_group(param_group)

    def _state_shape(self, p, key):
        return None if key.startswith("kfac_") else p.shape

    def _state_spec(self, p, group):
        required, optional = super()._state_spec(p, group)
        factors = dict.fromkeys(("kfac_A", "kfac_G", "kfac_A_inv", "kfac_G_inv"), "tensor")
        return required, {**optional, **factors, "kfac_steps": "int"}

    def _record(self, module, args, output):
        if self._recording and isinstance(output, Tensor) and output.requires_grad:
            output.retain_grad()
            self._records[module] = (args[0].detach(), output)

    def step(self, closure=None):
        """One K-FAC iteration; returns the closure's loss. Nothing changes when the closure fails or the
        loss, a gradient, a factor or an inverse is not finite (CurvatureError)."""
        group = self.param_groups[0]
        first = group["params"][0]
        t = self.state.get(first, {}).get("kfac_steps", 0)
        self._records, self._recording = {}, t % group["factor_update_freq"] == 0
        try:
            loss = call_closure("KFAC", closure)
        finally:
            records, self._records, self._recording = self._records, {}, False
        check_grads("KFAC.step", group["params"])
        with no_grad():
            factors = self._factors(records, group)
            inverses = self._inverses(factors, group, t)
            natural = self._natural_gradients(inverses, group)
            self._check_finite(loss, factors, inverses, natural)
            for new in (factors, inverses):
                for m, values in new.items():
                    self._state(m.weight, group).update(values)
            raw = {p: p.grad for p in natural}
            for p, v in natural.items():
                p.grad = v
            try:
                super().step()
            finally:
                for p, g in raw.items():
                    p.grad = g
            self._state(first, group)["kfac_steps"] = t + 1
        return loss

    def _factors(self, records, group) -> dict:
        """Running averages of A and G for the layers recorded with an output gradient (not yet stored)."""
        decay, out = group["stat_decay"], {}
        for m, (a, y) in records.items():
            if y.grad is None:
                continue
            a_b, g_b = batch_factors(m, a, y.grad)
            old = self.state.get(m.weight, {})
            if "kfac_A" in old:
                a_b = old["kfac_A"] * decay + a_b * (1 - decay)
                g_b = old["kfac_G"] * decay + g_b * (1 - decay)
            out[m] = {"kfac_A": a_b, "kfac_G": g_b}
        return out

    def _inverses(self, factors, group, t) -> dict:
        """Damped inverses every inv_update_freq steps, and for layers that have factors but none yet."""
        out = {}
        for m in self.layers:
            state = {**self.state.get(m.weight, {}), **factors.get(m, {})}
            if "kfac_A" in state and (t % group["inv_update_freq"] == 0 or "kfac_A_inv" not in state):
                a_inv, g_inv = damped_inverses(state["kfac_A"], state["kfac_G"], group["damping"], group["pi_damping"])
                out[m] = {"kfac_A_inv": a_inv, "kfac_G_inv": g_inv}
        return out

    def _natural_gradients(self, inverses, group) -> dict:
        """ν·G⁻¹ ∇W A⁻¹ for each preconditioned layer's weight and bias (parameter -> new gradient)."""
        out, inner = {}, []
        for m in self.layers:
            state = {**self.state.get(m.weight, {}), **inverses.get(m, {})}
            if "kfac_A_inv" not in state or m.weight.grad is None:
                continue
            grad = m.weight.grad.reshape(m.weight.shape[0], -1)
            if m.bias is not None:
                bias = m.bias.grad if m.bias.grad is not None else zeros_like(m.bias)
                grad = concatenate([grad, bias.reshape(-1, 1)], axis=1)
            v = state["kfac_G_inv"] @ grad @ state["kfac_A_inv"]
            inner.append((v * grad).sum())
            width = math.prod(m.weight.shape[1:])
            out[m.weight] = v[:, :width].reshape(m.weight.shape)
            if m.bias is not None:
                out[m.bias] = v[:, width]
        if inner and group["kl_clip"] is not None and group["lr"] > 0:
            vg = (sum(inner) * group["lr"] ** 2).maximum(np.finfo(inner[0].dtype).tiny)
            nu = (group["kl_clip"] / vg).sqrt().clip(max=1.0)
            out = {p: v * nu for p, v in out.items()}
        return out

    def _check_finite(self, loss, factors, inverses, natural) -> None:
        new = [t for d in (*factors.values(), *inverses.values()) for t in d.values()] + list(natural.values())
        if not all_finite(loss, [p.grad for p in self.param_groups[0]["params"] if p.grad is not None] + new):
            raise CurvatureError(
                f"KFAC.step: the loss ({float(loss)}), a gradient or a curvature factor is not finite; the parameters "
                f"and the optimizer state are unchanged — lower lr, raise damping or check the model and the data"
            )
