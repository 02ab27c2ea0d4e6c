"""The BG/NBD model of repeat buying (Fader, Hardie & Lee 2005), on numpy/scipy.

Each customer buys at a Poisson rate λ ~ Gamma(r, α) while alive and, after
every purchase, drops out with probability p ~ Beta(a, b). From a customer's
frequency ``x`` (repeat purchases), recency ``t_x`` (time of the last purchase
since the first) and age ``T`` (time since the first purchase), all in the same
time unit, the model gives the probability the customer is still alive and the
purchases to expect in the next ``t`` units.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import digamma, expit, gammaln, hyp2f1, polygamma

from ..errors import InputError
from ..i18n import tr

__all__ = ["BGNBDFit", "expected_purchases", "fit_bgnbd", "p_alive"]

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]

# The fit works in log-parameters (keeps r, α, a, b positive); ±12 spans e^±12 ≈ 6e-6…2e5.
_BOUND = 12.0
_LONGEST_STEP = 2.0  # at most a factor e² per parameter per step, so no step overshoots wildly
_MAX_STEPS = 200


@dataclass(frozen=True)
class BGNBDFit:
    """Fitted BG/NBD parameters and the log-likelihood they reach."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: int

    def p_alive(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> FloatArray:  # noqa: N803 - the model's notation
        """P(alive) of customers under these parameters."""
        return p_alive(frequency, recency, T, self.r, self.alpha, self.a, self.b)

    def expected_purchases(
        self,
        t: float,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803 - the model's notation
    ) -> FloatArray:
        """Expected purchases in the next ``t`` time units under these parameters."""
        return expected_purchases(t, frequency, recency, T, self.r, self.alpha, self.a, self.b)


def _arrays(frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> tuple[FloatArray, ...]:  # noqa: N803 - the model's notation
    x, t_x, age = (np.asarray(v, dtype=np.float64) for v in (frequency, recency, T))
    return tuple(np.broadcast_arrays(x, t_x, age))


def _validate(x: FloatArray, t_x: FloatArray, age: FloatArray) -> None:
    bad = ~((x >= 0) & (t_x >= 0) & (age >= t_x) & (np.floor(x) == x))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            tr(
                f"第 {i + 1} 位客户的购买记录不合理（次数 {x.flat[i]}，最近 {t_x.flat[i]}，"
                f"客龄 {age.flat[i]}）：复购次数须为非负整数，0 ≤ 最近 ≤ 客龄",
                f"customer {i + 1} has an impossible history (frequency {x.flat[i]}, recency "
                f"{t_x.flat[i]}, T {age.flat[i]}): frequency must be a whole number ≥ 0 and "
                "0 ≤ recency ≤ T",
            )
        )


@dataclass(frozen=True)
class _Histories:
    """Customers' histories collapsed to the distinct ones, each with how many customers share it.

    The likelihood splits into a part that depends on the frequency alone (few distinct
    values), the one-time buyers' part that depends on their age alone, and the repeat
    buyers' part over distinct (frequency, recency, age) triples; CDNOW's 23,570 customers
    shrink to 37, 84 and 8,601 values; books with dates in whole days repeat far more.
    """

    freq: FloatArray  # distinct frequencies
    freq_weight: FloatArray
    once_age: FloatArray  # distinct ages of one-time buyers (x = 0)
    once_weight: FloatArray
    x: FloatArray  # repeat buyers' distinct histories
    t_x: FloatArray
    age: FloatArray
    weight: FloatArray
    customers: int

    @classmethod
    def collapse(cls, x: FloatArray, t_x: FloatArray, age: FloatArray) -> _Histories:
        """Group validated, flat histories into distinct values with their customer counts."""
        freq, freq_weight = _distinct(x)
        once = x == 0
        once_age, once_weight = _distinct(age[once])
        repeat = ~once
        rx, rt, rage = x[repeat], t_x[repeat], age[repeat]
        # One integer code per distinct triple, built pairwise so it stays below n² (no overflow).
        pair = _codes(rx) * len(rt) + _codes(rt)
        triple = _codes(pair) * len(rage) + _codes(rage)
        codes, uniques = pd.factorize(triple)
        first = np.empty(len(uniques), dtype=np.intp)
        first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
        weight = np.bincount(codes, minlength=len(uniques)).astype(np.float64)
        return cls(
            freq,
            freq_weight,
            once_age,
            once_weight,
            rx[first],
            rt[first],
            rage[first],
            weight,
            len(x),
        )

    def log_likelihood(self, log_params: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        """Total log-likelihood at (r, α, a, b) = exp(log_params), its gradient and Hessian."""
        params = np.exp(log_params)
        r, alpha, a, b = params
        n, fw, x = self.customers, self.freq_weight, self.freq
        grad, hess = np.zeros(4), np.zeros((4, 4))
        # Terms of the frequency alone: Γ(r+x)α^r/Γ(r) · B(a, b+x)/B(a, b).
        value = fw @ (
            gammaln(r + x)
            - gammaln(r)
            + gammaln(a + b)
            + gammaln(b + x)
            - gammaln(b)
            - gammaln(a + b + x)
        ) + n * r * np.log(alpha)
        psi_ab = digamma(a + b) - digamma(a + b + x)
        tri_ab = fw @ (polygamma(1, a + b) - polygamma(1, a + b + x))
        grad += [
            fw @ (digamma(r + x) - digamma(r)) + n * np.log(alpha),
            n * r / alpha,
            fw @ psi_ab,
            fw @ (psi_ab + digamma(b + x) - digamma(b)),
        ]
        hess[0, 0] = fw @ (polygamma(1, r + x) - polygamma(1, r))
        hess[0, 1] = n / alpha
        hess[1, 1] = -n * r / alpha**2
        hess[2, 2] = hess[2, 3] = tri_ab
        hess[3, 3] = tri_ab + fw @ (polygamma(1, b + x) - polygamma(1, b))
        # One-time buyers: (α+T)^-r.
        ow, inv = self.once_weight, 1.0 / (alpha + self.once_age)
        log_age = np.log(alpha + self.once_age)
        value -= r * (ow @ log_age)
        grad[:2] -= [ow @ log_age, r * (ow @ inv)]
        hess[0, 1] -= ow @ inv
        hess[1, 1] += r * (ow @ inv**2)
        # Repeat buyers: (α+T)^-(r+x) + a/(b+x-1)·(α+t_x)^-(r+x), summed in log space as
        # -(r+x)·log(α+T) + log(1 + e^D) so neither power under- or overflows.
        w, rx, c = self.weight, r + self.x, 1.0 / (b + self.x - 1)
        inv_age, inv_rec = 1.0 / (alpha + self.age), 1.0 / (alpha + self.t_x)
        log_age = np.log(alpha + self.age)
        gap = log_age - np.log(alpha + self.t_x)
        drop = np.log(a * c) + rx * gap
        value += w @ (np.logaddexp(0.0, drop) - rx * log_age)
        share = expit(drop)  # d log(1 + e^D) / dD
        ws = w * share
        # D's gradient in (r, α, a, b); log(1 + e^D) adds σ(D)·∇²D + σ'(D)·∇D∇Dᵀ.
        d_drop = np.stack([gap, rx * (inv_age - inv_rec), np.full_like(gap, 1.0 / a), -c])
        # einsum, not BLAS: on a busy machine BLAS threads on such thin products only wait.
        grad += np.einsum("in,n->i", d_drop, ws)
        grad[:2] -= [w @ log_age, w @ (rx * inv_age)]
        hess[0, 1] += ws @ (inv_age - inv_rec) - w @ inv_age
        hess[1, 1] += w @ (rx * inv_age**2) - ws @ (rx * (inv_age**2 - inv_rec**2))
        hess[2, 2] -= ws.sum() / a**2
        hess[3, 3] += ws @ c**2
        hess = np.triu(hess) + np.triu(hess, 1).T
        hess += np.einsum("in,jn,n->ij", d_drop, d_drop, ws * (1.0 - share))
        # Chain rule to log-parameters u = log θ: ∂/∂u = θ·∂/∂θ, ∂²/∂u² adds θ·∂/∂θ on the diagonal.
        grad_u = params * grad
        return float(value), grad_u, np.outer(params, params) * hess + np.diag(grad_u)


def _codes(values: ArrayLike) -> npt.NDArray[np.int64]:
    codes: npt.NDArray[np.int64] = pd.factorize(values)[0].astype(np.int64)
    return codes


def _distinct(values: FloatArray) -> tuple[FloatArray, FloatArray]:
    uniques, counts = np.unique(values, return_counts=True)
    return uniques, counts.astype(np.float64)


_Objective = Callable[[FloatArray], tuple[float, FloatArray, FloatArray]]


def _newton(objective: _Objective, start: FloatArray) -> tuple[FloatArray, float]:
    """Minimise a smooth function within ±_BOUND from its value, gradient and Hessian."""
    u = start
    value, grad, hess = objective(u)
    for _ in range(_MAX_STEPS):
        step = _bounded_step(u, grad, hess)
        # Done once the decrease the step promises is below what the value's rounding can show.
        if -float(grad @ step) < 1e-15 * max(1.0, abs(value)):
            break
        length = 1.0
        while True:  # halve the step until the function decreases enough (Armijo)
            trial = np.clip(u + length * step, -_BOUND, _BOUND)
            t_value, t_grad, t_hess = objective(trial)
            if t_value <= value + 1e-4 * float(grad @ (trial - u)):
                break
            length /= 2
            if length < 1e-12:
                return u, value
        moved = float(np.abs(trial - u).max())
        u, value, grad, hess = trial, t_value, t_grad, t_hess
        if moved < 1e-10:  # steps this short are decided by rounding noise, not the function
            break
    return u, value


def _bounded_step(u: FloatArray, grad: FloatArray, hess: FloatArray) -> FloatArray:
    """Newton's step from u, held at the bounds it would cross and cut short at the others."""
    # Parameters at (or within a hair of) a bound the function or the step wants to cross stay
    # put: data with no visible drop-out have no interior optimum, only a flat ridge to a bound.
    low, high = u <= -(_BOUND - 1e-3), u >= _BOUND - 1e-3
    held = (low & (grad > 0)) | (high & (grad < 0))
    while True:
        free = ~held
        # Newton's step on |Hessian| with eigenvalues floored goes downhill even where the
        # function is not convex, far from the optimum.
        eigval, eigvec = np.linalg.eigh(hess[np.ix_(free, free)])
        step = np.zeros_like(u)
        step[free] = -eigvec @ ((eigvec.T @ grad[free]) / np.maximum(np.abs(eigval), 1e-8))
        outward = free & ((low & (step < 0)) | (high & (step > 0)))
        if not outward.any():
            break
        held |= outward
    # Keep the direction (so it still goes downhill) but stop at the first bound it meets.
    room = np.where(step > 0, _BOUND - u, -_BOUND - u)
    moving = step != 0
    reach = float(np.min(room[moving] / step[moving], initial=np.inf))
    longest = float(np.abs(step).max(initial=0.0))
    return step * min(1.0, reach, _LONGEST_STEP / longest if longest else 1.0)


def fit_bgnbd(frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> BGNBDFit:  # noqa: N803 - the model's notation
    """Maximum-likelihood BG/NBD parameters for customers' frequency, recency and age."""
    x, t_x, age = (v.ravel() for v in _arrays(frequency, recency, T))
    _validate(x, t_x, age)
    if len(x) == 0 or not (x > 0).any():
        raise InputError(
            tr(
                "至少需要一位复购客户才能拟合流失模型",
                "fitting the churn model needs at least one repeat buyer",
            )
        )
    histories = _Histories.collapse(x, t_x, age)
    scale = 1.0 / len(x)  # a per-customer objective keeps the tolerances independent of size

    def objective(log_params: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            value, grad, hess = histories.log_likelihood(log_params)
        if not (np.isfinite(value) and np.isfinite(grad).all() and np.isfinite(hess).all()):
            return np.inf, grad, hess
        return -value * scale, -grad * scale, -hess * scale

    # Start from moment-like values: rate ≈ mean purchases per unit of time.
    rate = max(float(x.mean()) / max(float(age.mean()), 1e-9), 1e-6)
    best, value = _newton(objective, np.log(np.array([1.0, 1.0 / rate, 1.0, 1.0])))
    r, alpha, a, b = (float(v) for v in np.exp(best))
    return BGNBDFit(r, alpha, a, b, -value / scale, len(x))


def p_alive(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,  # noqa: N803 - the model's notation
    r: float,
    alpha: float,
    a: float,
    b: float,
) -> FloatArray:
    """Probability each customer is still alive (buying) at the end of their observed age."""
    x, t_x, age = _arrays(frequency, recency, T)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_odds = (
            np.log(a)
            - np.log(np.maximum(b + x - 1, 1e-300))
            + (r + x) * (np.log(alpha + age) - np.log(alpha + t_x))
        )
        result = np.where(x > 0, 1.0 / (1.0 + np.exp(log_odds)), 1.0)
    return np.where(np.isnan(x + t_x + age), np.nan, result)


def expected_purchases(
    t: float,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,  # noqa: N803 - the model's notation
    r: float,
    alpha: float,
    a: float,
    b: float,
) -> FloatArray:
    """Expected number of purchases each customer makes in the next ``t`` time units."""
    x, t_x, age = _arrays(frequency, recency, T)
    z = t / (alpha + age + t)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        head = (a + b + x - 1) / (a - 1)
        tail = 1.0 - np.exp((r + x) * np.log((alpha + age) / (alpha + age + t))) * hyp2f1(
            r + x, b + x, a + b + x - 1, z
        )
    return np.asarray(head * tail * p_alive(x, t_x, age, r, alpha, a, b), dtype=np.float64)
