"""TikTak multi-start (Arnoud, Guvenen & Kleineberg 2019): many cheap evaluations, local runs from the best.

1. **Explore.** ``n_samples`` points of a scrambled Sobol sequence in the
   sampling box (natural units) are evaluated at once with
   :meth:`MomentProblem.evaluate_batch`: the batch is sharded over the
   devices (one GPU, or forced CPU devices) and each device solves its
   slice; points where the model cannot be solved are discarded (counted).
2. **Local runs.** The ``n_local`` best points, best first, start local runs
   (Levenberg-Marquardt by default). The i-th start is pulled towards the
   best point found so far, ``u_i = w_i u_best + (1 - w_i) u_sample_i`` with
   ``w_i = clip(sqrt(i / n_local), *mixing)``.
3. **Stop** when the best point has been found ``max_discoveries`` times (two
   local runs ending at the same point, as optimagic's default) or the starts
   run out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from jaxtrade.estimation.least_squares import LMResult
from jaxtrade.estimation.problem import MomentProblem
from jaxtrade.progress import progress_bar

__all__ = ["MultistartResult", "sobol_points", "tiktak"]


class MultistartResult(NamedTuple):
    """What a multi-start did: the explored points and losses, and every local run."""

    samples: np.ndarray
    """Explored points, natural units, (n_samples, k)."""
    losses: np.ndarray
    """F at each explored point (``inf`` where the model could not be solved)."""
    starts: np.ndarray
    """Starting points of the local runs, unconstrained, (runs, k)."""
    ends: np.ndarray
    """End points of the local runs, unconstrained, (runs, k)."""
    end_losses: np.ndarray
    best: int
    """Index of the best local run."""
    discoveries: int
    infeasible: int
    """Explored points where the model could not be solved."""
    seconds_explore: float


def sobol_points(lower, upper, n: int, seed: int = 0) -> np.ndarray:
    """``n`` scrambled Sobol points in the box ``[lower, upper]`` (finite bounds), (n, k)."""
    lower, upper = np.asarray(lower, float), np.asarray(upper, float)
    if not (np.all(np.isfinite(lower)) and np.all(np.isfinite(upper)) and np.all(lower < upper)):
        raise ValueError("the sampling box must have finite bounds with lower < upper for every parameter")
    from scipy.stats import qmc  # imported when needed: scipy.stats takes most of a second to import

    sampler = qmc.Sobol(d=lower.size, scramble=True, seed=seed)
    m = int(np.ceil(np.log2(max(n, 2))))
    return qmc.scale(sampler.random_base2(m)[:n], lower, upper)


def tiktak(
    problem: MomentProblem,
    fixed: dict,
    local: Callable[[np.ndarray, int], LMResult],
    *,
    box: tuple[np.ndarray, np.ndarray],
    n_samples: int = 64,
    n_local: int = 8,
    seed: int = 0,
    mixing: tuple[float, float] = (0.1, 0.995),
    max_discoveries: int = 2,
    same_point: float = 1e-6,
    devices=None,
    state: dict[str, Any] | None = None,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
    progress: bool | None = None,
) -> tuple[MultistartResult, list[LMResult]]:
    """TikTak multi-start (module docstring).

    Parameters
    ----------
    problem, fixed : the problem and the fixed inputs of its moment function for this search.
    local : callable
        ``local(u_start, run_index) -> LMResult`` (a local run; the caller checkpoints inside it).
    box : (lower, upper)
        Sampling box in natural units (finite, strictly inside the parameter bounds).
    n_samples, n_local, seed, mixing, max_discoveries :
        As in the module docstring. ``same_point``: two end points closer than
        this (max-abs, unconstrained) are the same discovery.
    state, on_progress :
        Resume from / report a dict ``{"losses", "ends", "end_losses", "starts"}`` after each phase and run.
    """
    space = problem.space
    lower, upper = (np.asarray(b, float) for b in box)
    if np.any(lower <= space.lower) or np.any(upper >= space.upper):
        raise ValueError("the sampling box must lie strictly inside the parameter bounds")
    samples = sobol_points(lower, upper, n_samples, seed)
    u_samples = np.asarray(space.to_unconstrained(samples))
    state = dict(state or {})
    if "losses" not in state:
        t0 = time.perf_counter()
        m, ok = problem.evaluate_batch(u_samples, fixed, devices=devices)
        r = m[:, problem.target_index] - problem.data_vector
        losses = np.where(ok, np.einsum("ni,ij,nj->n", r, problem.weights, r), np.inf)
        state.update(losses=losses, seconds_explore=time.perf_counter() - t0, starts=[], ends=[], end_losses=[])
        if on_progress is not None:
            on_progress(state)
    losses = np.asarray(state["losses"], float)
    order = [i for i in np.argsort(losses, kind="stable") if np.isfinite(losses[i])][:n_local]
    if not order:
        raise ValueError(f"the model could not be solved at any of the {n_samples} explored points")
    starts, ends, end_losses = list(state["starts"]), list(state["ends"]), list(state["end_losses"])
    results: list[LMResult] = []
    discoveries = 0
    with progress_bar(len(order), "multi-start", unit="run", progress=progress) as bar:
        bar.update(len(ends))
        for run, i in enumerate(order):
            best_u = np.asarray(ends[int(np.argmin(end_losses))]) if ends else u_samples[order[0]]
            if run < len(ends):
                continue  # done before an interruption
            w = float(np.clip(np.sqrt(run / len(order)), *mixing)) if run else 0.0
            start = w * best_u + (1.0 - w) * u_samples[i]
            res = local(start, run)
            results.append(res)
            starts.append(start)
            ends.append(res.u)
            end_losses.append(res.loss if np.isfinite(res.loss) else np.inf)
            state.update(starts=starts, ends=ends, end_losses=end_losses)
            if on_progress is not None:
                on_progress(state)
            bar.update()
            bar.set_postfix(best=f"{min(end_losses):.3e}")
            best = int(np.argmin(end_losses))
            discoveries = sum(
                1
                for e, loss in zip(ends, end_losses)
                if np.isfinite(loss)
                and np.max(np.abs(np.asarray(e) - np.asarray(ends[best])))
                <= same_point * (1 + np.max(np.abs(ends[best])))
            )
            if discoveries >= max_discoveries:
                break
    best = int(np.argmin(end_losses))
    out = MultistartResult(
        samples=samples,
        losses=losses,
        starts=np.asarray(starts),
        ends=np.asarray(ends),
        end_losses=np.asarray(end_losses),
        best=best,
        discoveries=discoveries,
        infeasible=int(np.sum(~np.isfinite(losses))),
        seconds_explore=float(state.get("seconds_explore", 0.0)),
    )
    return out, results
