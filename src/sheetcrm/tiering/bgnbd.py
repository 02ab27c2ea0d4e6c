"""The BG/NBD model of repeat buying (Fader, Hardie & Lee 2005), on numpy/scipy.

Each customer buys at a Poisson rate λ ~ Gamma(r, α) while alive and, after
every purchase, drops out with probability p ~ Beta(a, b). From a customer's
frequency ``x`` (repeat purchases), recency ``t_x`` (time of the last purchase
since the first) and age ``T`` (time since the first purchase), all in the same
time unit, the model gives the probability the customer is still alive and the
purchases to expect in the next ``t`` units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize
from scipy.special import digamma, gammaln, hyp2f1

from ..errors import InputError
from ..i18n import tr

__all__ = ["BGNBDFit", "expected_purchases", "fit_bgnbd", "p_alive"]

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]


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


def _log_likelihood_terms(
    params: FloatArray, x: FloatArray, t_x: FloatArray, age: FloatArray, *, gradient: bool = False
) -> tuple[FloatArray, FloatArray | None]:
    """Each customer's log-likelihood and, if asked, its gradient in (r, alpha, a, b)."""
    r, alpha, a, b = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + age)
    # The drop-out-after-last-purchase term exists only for repeat buyers (x > 0).
    repeat = x > 0
    b_x1 = np.where(repeat, b + x - 1, 1.0)
    a4 = np.where(repeat, np.log(a) - np.log(b_x1) - (r + x) * np.log(alpha + t_x), -np.inf)
    mix = np.logaddexp(a3, a4)
    terms = a1 + a2 + mix
    if not gradient:
        return terms, None
    # Shares of the two mixture terms (w3 + w4 = 1), for the chain rule through logaddexp.
    w3, w4 = np.exp(a3 - mix), np.exp(a4 - mix)
    psi_ab, psi_abx = digamma(a + b), digamma(a + b + x)
    d_r = (
        digamma(r + x)
        - digamma(r)
        + np.log(alpha)
        - w3 * np.log(alpha + age)
        - w4 * np.log(alpha + t_x)
    )
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + age) + w4 / (alpha + t_x))
    d_a = psi_ab - psi_abx + w4 / a
    d_b = psi_ab + digamma(b + x) - digamma(b) - psi_abx - w4 / b_x1
    return terms, np.stack([d_r, d_alpha, d_a, d_b])


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
    # Customers with the same history contribute the same term: fit on the distinct ones.
    keys, counts = np.unique(np.column_stack([x, t_x, age]), axis=0, return_counts=True)
    ux, ut, uage = keys[:, 0], keys[:, 1], keys[:, 2]
    weights = counts.astype(np.float64)
    total = weights.sum()

    def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
        params = np.exp(log_params)
        terms, grad = _log_likelihood_terms(params, ux, ut, uage, gradient=True)
        value = -float(weights @ terms) / total
        if not np.isfinite(value):
            return 1e300, np.zeros(4)
        # Fitted in log-parameters (keeps them positive): d/d(log p) = p · d/dp.
        return value, -(grad @ weights) * params / total  # type: ignore[operator]

    # Start from moment-like values: rate ≈ mean purchases per unit of time.
    rate = max(float(x.mean()) / max(float(age.mean()), 1e-9), 1e-6)
    start = np.log(np.array([1.0, 1.0 / rate, 1.0, 1.0]))
    result = minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(-12.0, 12.0)] * 4,
        options={"ftol": 1e-14, "gtol": 1e-9, "maxiter": 2000},
    )
    r, alpha, a, b = (float(v) for v in np.exp(result.x))
    return BGNBDFit(r, alpha, a, b, float(-result.fun * total), len(x))


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
