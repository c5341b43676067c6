"""Second-order and line-search optimizers: cost per step against one SGD step, and function evaluations
on Rosenbrock beside scipy.optimize.minimize (SPEC §5, issue "second-order").

    python benchmarks/second_order.py            # about a minute on 2 cores
    python benchmarks/second_order.py --quick    # fewer repetitions

Writes results/second_order.json and results/second_order.md. Cost: a 64-32-10 tanh MLP on the full
bundled digits set (1,797 × 64, float64, 2,410 parameters), one ``step(closure)`` timed (median of
``--runs``) and divided by one SGD step (the same closure, then ``SGD.step``); closure evaluations and
HVPs per step are counted. Rosenbrock: from (-1.2, 1), steps until max|θ - (1, 1)| ≤ 1e-6.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import time

import numpy as np

import tinygrad_opt as tg
from tinygrad_opt import nn, optim
from tinygrad_opt.nn import functional as F
from tinygrad_opt.optim import vector

HERE = pathlib.Path(__file__).parent


def digits():
    from sklearn.datasets import load_digits

    data = load_digits()
    return tg.Tensor(data.data / 16.0), tg.Tensor(data.target.astype(np.int64))


def make_model():
    tg.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10)).double()


OPTIMIZERS = {
    "SGD": lambda m: optim.SGD(m.parameters(), lr=0.1),
    # one iteration per step; max_eval must be raised with it (the default max_iter·5//4 = 1 leaves the
    # line search no evaluations, as in PyTorch)
    "LBFGS (max_iter=1)": lambda m: optim.LBFGS(m.parameters(), max_iter=1, max_eval=25, line_search_fn="strong_wolfe"),
    "BFGS": lambda m: optim.BFGS(m.parameters()),
    "ConjugateGradient": lambda m: optim.ConjugateGradient(m.parameters(), beta="polak_ribiere"),
    "SteepestDescent (armijo)": lambda m: optim.SteepestDescent(m.parameters(), line_search_fn="armijo"),
    "SteepestDescent (exact)": lambda m: optim.SteepestDescent(m.parameters()),
    "NewtonCG (cg_max_iter=10)": lambda m: optim.NewtonCG(m.parameters(), cg_max_iter=10, damping=1e-3),
    "AdaHessian": lambda m: optim.AdaHessian(m.parameters()),
    "SophiaH (k=10)": lambda m: optim.SophiaH(m.parameters(), lr=0.02),
    "KFAC": lambda m: optim.KFAC(m, lr=0.05),
    "Newton (damping=1)": lambda m: optim.Newton(m.parameters(), damping=1.0),
}
SLOW = {"Newton (damping=1)"}  # n HVPs per step: timed once


class Counter:
    """Counts closure evaluations and HVPs during a step."""

    def __init__(self):
        self.evals = self.hvps = 0
        self._hvp = vector.Curvature.hvp_parts

    def __enter__(self):
        counter = self

        def counted(curvature, vs):
            counter.hvps += 1
            return counter._hvp(curvature, vs)

        vector.Curvature.hvp_parts = counted
        return self

    def __exit__(self, *exc):
        vector.Curvature.hvp_parts = self._hvp


def measure(make, x, y, runs):
    """(median seconds, closure evaluations, HVPs) of one optimizer step on the digits MLP."""
    model = make_model()
    opt = make(model)
    counter = Counter()

    def closure():
        counter.evals += 1
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        return loss

    def step():
        if type(opt) is optim.SGD:
            closure()
            opt.step()
        else:
            opt.step(closure)

    step()  # warm-up (state created, flat buffers packed)
    times = []
    for _ in range(runs):
        counter.evals = counter.hvps = 0
        with counter:
            start = time.perf_counter()
            step()
            times.append(time.perf_counter() - start)
    return statistics.median(times), counter.evals, counter.hvps


def cost_table(runs):
    x, y = digits()
    rows, sgd_time = [], None
    for name, make in OPTIMIZERS.items():
        t, evals, hvps = measure(make, x, y, 1 if name in SLOW else runs)
        sgd_time = sgd_time or t
        rows.append({"optimizer": name, "ms": t * 1e3, "x_sgd": t / sgd_time, "closure_evals": evals, "hvps": hvps})
    return rows


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


OURS_ROSENBROCK = {
    "BFGS": lambda p: optim.BFGS(p, tolerance_grad=1e-10),
    "L-BFGS (strong Wolfe)": lambda p: optim.LBFGS(
        p, max_iter=1, max_eval=25, line_search_fn="strong_wolfe", tolerance_grad=1e-10, tolerance_change=0
    ),
    "CG (Fletcher-Reeves)": lambda p: optim.ConjugateGradient(p, tolerance_grad=1e-10),
    "CG (Polak-Ribière)": lambda p: optim.ConjugateGradient(p, beta="polak_ribiere", tolerance_grad=1e-10),
    "NewtonCG": lambda p: optim.NewtonCG(p),
    "Newton": lambda p: optim.Newton(p),
}
SCIPY = {"BFGS": "BFGS", "L-BFGS (strong Wolfe)": "L-BFGS-B", "CG (Polak-Ribière)": "CG", "NewtonCG": "Newton-CG"}


def minimize_rosenbrock(make):
    """(steps, closure evaluations, max error) until max|θ - (1, 1)| ≤ 1e-6 (at most 5,000 steps)."""
    x = tg.Tensor(np.array([-1.2, 1.0]), requires_grad=True)
    opt = make([x])
    evals = 0

    def closure():
        nonlocal evals
        evals += 1
        opt.zero_grad()
        loss = rosenbrock(x)
        loss.backward()
        return loss

    steps = 0
    while np.abs(x.numpy() - 1).max() > 1e-6 and steps < 5000:
        opt.step(closure)
        steps += 1
    return steps, evals, float(np.abs(x.numpy() - 1).max())


def rosenbrock_table():
    from scipy import optimize

    rows = []
    for name, make in OURS_ROSENBROCK.items():
        steps, evals, error = minimize_rosenbrock(make)
        row = {"method": name, "iterations": steps, "evaluations": evals, "error": error}
        if name in SCIPY:
            kw = {"hess": optimize.rosen_hess} if SCIPY[name] == "Newton-CG" else {}
            res = optimize.minimize(optimize.rosen, [-1.2, 1.0], jac=optimize.rosen_der, method=SCIPY[name], **kw)
            row.update(
                scipy=SCIPY[name],
                scipy_iterations=int(res.nit),
                scipy_evaluations=int(res.nfev),
                scipy_error=float(np.abs(res.x - 1).max()),
            )
        rows.append(row)
    return rows


def markdown(cost, rosen):
    lines = [
        "| optimizer | ms / step | × SGD step | closure evaluations | HVPs |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['optimizer']} | {r['ms']:.2f} | {r['x_sgd']:.1f} | {r['closure_evals']} | {r['hvps']} |" for r in cost
    ]
    lines += [
        "",
        "| method | iterations | evaluations | max error | scipy method | scipy iterations | scipy evaluations "
        "| scipy max error |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rosen:
        scipy = (
            f"{r['scipy']} | {r['scipy_iterations']} | {r['scipy_evaluations']} | {r['scipy_error']:.1e}"
            if "scipy" in r
            else "— | — | — | —"
        )
        lines.append(f"| {r['method']} | {r['iterations']} | {r['evaluations']} | {r['error']:.1e} | {scipy} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 timed steps per optimizer instead of 15")
    parser.add_argument("--out", default=str(HERE / "results"), help="directory for second_order.{json,md}")
    args = parser.parse_args(argv)
    cost = cost_table(3 if args.quick else 15)
    rosen = rosenbrock_table()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "second_order.json").write_text(json.dumps({"cost": cost, "rosenbrock": rosen}, indent=2))
    table = markdown(cost, rosen)
    (out / "second_order.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
