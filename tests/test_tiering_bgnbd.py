"""BG/NBD: the paper's CDNOW table, P(alive) and expected purchases, churn from transactions."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize
from scipy.special import gammaln

from sheetcrm.errors import InputError
from sheetcrm.tiering import expected_purchases, fit_bgnbd, p_alive
from sheetcrm.tiering.bgnbd import _Histories
from sheetcrm.tiering.churn import BOTTOM_SHARE, churn_risk, purchase_summary


def _datasets() -> Path:
    spec = importlib.util.find_spec("lifetimes")
    assert spec and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "datasets"


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return pd.read_csv(_datasets() / "cdnow_customers_summary.csv")


def test_fit_reproduces_the_paper_on_cdnow(cdnow: pd.DataFrame) -> None:
    fit = fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    assert fit.customers == 2357
    assert (round(fit.r, 3), round(fit.alpha, 3), round(fit.a, 3), round(fit.b, 3)) == (
        0.243,
        4.414,
        0.793,
        2.426,
    )
    assert round(fit.log_likelihood, 1) == -9582.4


def test_p_alive_and_expected_purchases_match_the_closed_forms(cdnow: pd.DataFrame) -> None:
    r, alpha, a, b = 0.242593, 4.413532, 0.792886, 2.425752
    # A one-time buyer is alive by construction; a long-silent repeat buyer is unlikely to be.
    assert p_alive(0, 0, 30, r, alpha, a, b)[()] == 1.0
    assert p_alive(5, 2, 38, r, alpha, a, b)[()] < 0.05
    x, t_x, age = 2, 30.43, 38.86
    manual = 1 / (1 + a / (b + x - 1) * ((alpha + age) / (alpha + t_x)) ** (r + x))
    assert p_alive(x, t_x, age, r, alpha, a, b)[()] == pytest.approx(manual, rel=1e-12)
    # The paper: customer 1 (x=2, t_x=30.43, T=38.86) expects 1.226 purchases in the next 39 weeks.
    assert expected_purchases(39, x, t_x, age, r, alpha, a, b)[()] == pytest.approx(1.226, abs=5e-4)
    assert expected_purchases(0, x, t_x, age, r, alpha, a, b)[()] == pytest.approx(0.0)


def test_fit_refuses_impossible_histories() -> None:
    with pytest.raises(InputError, match="customer 2"):
        fit_bgnbd([1, 2], [3, 9], [5, 4])
    with pytest.raises(InputError):
        fit_bgnbd([0, 0], [0, 0], [5, 4])


def _transactions(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        start = dt.date(2025, 1, 1) + dt.timedelta(days=int(rng.integers(0, 100)))
        for k in range(int(rng.integers(1, 6))):
            rows.append((f"C{i}", start + dt.timedelta(days=int(k * rng.integers(5, 60))), 100.0))
    tx = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    tx["date"] = pd.to_datetime(tx["date"])
    customers = pd.DataFrame(
        {"id": [f"C{i}" for i in range(n)] + ["nobody"]}, index=range(2, n + 3)
    )
    return customers, tx


def test_churn_uses_bgnbd_when_there_are_transactions() -> None:
    customers, tx = _transactions(60)
    as_of = dt.date(2025, 12, 31)
    result = churn_risk(customers, as_of, tx)
    assert result.fit is not None
    summary = purchase_summary(tx, customers["id"], as_of)
    expected = result.fit.p_alive(summary["frequency"], summary["recency"], summary["T"])
    np.testing.assert_allclose(result.p_alive.to_numpy(), expected)
    assert np.isnan(result.p_alive.iloc[-1])  # no transactions for this customer
    repeat = summary["frequency"].fillna(0) > 0
    # The lowest P(alive) among repeat buyers is a warning (the silent ones too: test_believable).
    lowest = result.p_alive[repeat] <= result.p_alive[repeat].quantile(BOTTOM_SHARE)
    assert result.churn_risk[repeat][lowest & (result.p_alive[repeat] < 0.5)].all()
    assert not result.churn_risk[~repeat & result.p_alive.notna()].any()  # one-time buyers


def test_churn_falls_back_to_the_heuristic_without_enough_history() -> None:
    customers, tx = _transactions(5)
    result = churn_risk(customers, dt.date(2025, 12, 31), tx)
    assert result.fit is None and result.p_alive.isna().all()


def _reference_log_likelihood(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray
) -> float:
    """The paper's equation (6), customer by customer, written independently of the module."""
    r, alpha, a, b = params
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    beta = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    # log((α+T)^-(r+x) + [x > 0]·a/(b+x-1)·(α+t_x)^-(r+x)), each power kept in logs.
    stay = -(r + x) * np.log(alpha + age)
    with np.errstate(divide="ignore"):
        drop = np.where(
            x > 0, np.log(a / np.maximum(b + x - 1, 1e-9)) - (r + x) * np.log(alpha + t_x), -np.inf
        )
    return float(np.sum(head + beta + np.logaddexp(stay, drop)))


def _histories(seed: int, n: int, *, days: bool = True) -> tuple[np.ndarray, ...]:
    """Random histories; whole days in weeks repeat, like a real book's."""
    rng = np.random.default_rng(seed)
    x = rng.poisson(rng.gamma(0.5, 2.0, n)).astype(float)
    age = rng.integers(1, 60, n).astype(float) if days else rng.uniform(0.2, 9.0, n)
    # A repeat purchase comes after the first (recency > 0): a recency of 0 with x > 0 would
    # make the likelihood unbounded as α → 0, which real books, counted in days, never show.
    t_x = np.where(x > 0, age * rng.uniform(0.01, 1, n), 0.0)
    if days:
        age, t_x = age / 7, np.where(x > 0, np.maximum(np.floor(t_x), 1), 0.0) / 7
    return x, t_x, age


def test_collapsed_likelihood_equals_the_customer_by_customer_sum() -> None:
    x, t_x, age = _histories(3, 3000)
    histories = _Histories.collapse(x, t_x, age)
    assert len(histories.x) < (x > 0).sum()  # the data really has repeated histories
    assert histories.weight.sum() + histories.once_weight.sum() == len(x)
    for params in ([0.24, 4.4, 0.79, 2.4], [3.0, 0.5, 5.0, 0.7], [0.01, 80.0, 0.05, 40.0]):
        value, _, _ = histories.log_likelihood(np.log(params))
        assert value == pytest.approx(
            _reference_log_likelihood(np.array(params), x, t_x, age), rel=1e-12
        )


def test_gradient_and_hessian_match_finite_differences() -> None:
    x, t_x, age = _histories(5, 400, days=False)
    histories = _Histories.collapse(x, t_x, age)
    log_params = np.log([0.4, 3.0, 0.8, 2.5])
    _, grad, hess = histories.log_likelihood(log_params)
    np.testing.assert_allclose(hess, hess.T)
    step = 1e-6
    for k in range(4):
        shift = np.eye(4)[k] * step
        up, grad_up, _ = histories.log_likelihood(log_params + shift)
        down, grad_down, _ = histories.log_likelihood(log_params - shift)
        assert grad[k] == pytest.approx((up - down) / (2 * step), rel=1e-6, abs=1e-6)
        np.testing.assert_allclose(
            hess[k], (grad_up - grad_down) / (2 * step), rtol=1e-5, atol=1e-5
        )


def _simulate(
    n: int, seed: int, params: tuple[float, float, float, float]
) -> tuple[np.ndarray, ...]:
    """Histories drawn from the BG/NBD model itself, observed for 20–40 weeks."""
    r, alpha, a, b = params
    rng = np.random.default_rng(seed)
    rate, drop = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    age = rng.uniform(20, 40, n)
    x, t_x = np.zeros(n), np.zeros(n)
    for i in range(n):
        t = rng.exponential(1 / rate[i])
        while t < age[i]:
            x[i], t_x[i] = x[i] + 1, t
            if rng.random() < drop[i]:
                break
            t += rng.exponential(1 / rate[i])
    return x, t_x, age


def test_fit_matches_lifetimes_and_recovers_the_simulated_parameters() -> None:
    from lifetimes import BetaGeoFitter

    truth = (0.5, 3.0, 1.2, 2.5)
    x, t_x, age = _simulate(3000, 11, truth)
    ours = fit_bgnbd(x, t_x, age)
    theirs = BetaGeoFitter().fit(x, t_x, age).params_
    fitted = [ours.r, ours.alpha, ours.a, ours.b]
    np.testing.assert_allclose(fitted, [theirs[k] for k in ("r", "alpha", "a", "b")], rtol=1e-3)
    np.testing.assert_allclose(fitted, truth, rtol=0.35)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(20, 300), st.booleans())
def test_fit_is_a_maximum(seed: int, n: int, days: bool) -> None:
    x, t_x, age = _histories(seed, n, days=days)
    if not (x > 0).any():
        return
    fit = fit_bgnbd(x, t_x, age)
    params = np.array([fit.r, fit.alpha, fit.a, fit.b])
    assert np.isfinite(params).all() and (params > 0).all()
    assert fit.log_likelihood == pytest.approx(
        _reference_log_likelihood(params, x, t_x, age), rel=1e-9
    )
    # No nearby parameters (within the fit's ±12 log-bounds) do better.
    nudges = np.random.default_rng(seed).normal(0, 0.01, (20, 4))
    for nudge in np.vstack([np.eye(4) * 0.01, np.eye(4) * -0.01, nudges]):
        near = np.exp(np.clip(np.log(params) + nudge, -12, 12))
        assert _reference_log_likelihood(near, x, t_x, age) <= fit.log_likelihood + 1e-9 * n


@pytest.mark.parametrize(("seed", "n", "days"), [(1, 200, True), (2, 300, False), (3, 60, True)])
def test_fit_is_no_worse_than_a_generic_optimiser(seed: int, n: int, days: bool) -> None:
    x, t_x, age = _histories(seed, n, days=days)
    fit = fit_bgnbd(x, t_x, age)
    generic = minimize(
        lambda u: -_reference_log_likelihood(np.exp(u), x, t_x, age),
        np.zeros(4),
        method="L-BFGS-B",
        bounds=[(-12, 12)] * 4,
    )
    assert fit.log_likelihood >= -generic.fun - 1e-6 * n


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 4))
def test_fit_depends_on_the_histories_not_their_order_or_count(seed: int, copies: int) -> None:
    x, t_x, age = _histories(seed, 120)
    if not (x > 0).any():
        return
    once = fit_bgnbd(x, t_x, age)
    order = np.random.default_rng(seed).permutation(len(x) * copies)
    many = fit_bgnbd(*(np.tile(v, copies)[order] for v in (x, t_x, age)))
    assert many.customers == copies * once.customers
    assert many.log_likelihood == pytest.approx(copies * once.log_likelihood, rel=1e-9)
    # a and b themselves are not identified when both run large (seed 597: a ≈ 2,900, b ≈ 9,000,
    # the likelihood flat along a ridge): their ratio, the chance to drop out, is.
    np.testing.assert_allclose(
        [many.r, many.alpha, many.a / (many.a + many.b)],
        [once.r, once.alpha, once.a / (once.a + once.b)],
        rtol=1e-3,
    )


def test_fit_stays_finite_when_nobody_seems_to_drop_out() -> None:
    # Every repeat buyer bought at the very end: the likelihood keeps rising as a → 0.
    fit = fit_bgnbd([0, 1, 2, 3, 5], [0, 4, 6, 8, 9], [3, 4, 6, 8, 9])
    params = np.array([fit.r, fit.alpha, fit.a, fit.b])
    assert np.isfinite(params).all() and np.isfinite(fit.log_likelihood)
    assert fit.a < 1e-3 or fit.b > 1e3


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 30),
    st.floats(0.0, 50.0),
    st.floats(0.0, 50.0),
    st.tuples(*(st.floats(0.05, 20.0) for _ in range(4))),
)
def test_p_alive_and_expected_purchases_behave(
    x: int, recency: float, extra: float, params: tuple[float, float, float, float]
) -> None:
    t_x = recency if x > 0 else 0.0
    age = t_x + extra
    alive = p_alive(x, t_x, age, *params)[()]
    assert 0.0 <= alive <= 1.0
    assert alive == 1.0 if x == 0 else p_alive(x, t_x, age + 5, *params)[()] <= alive
    if abs(params[2] - 1) > 0.05:  # the closed form divides by a − 1
        near, far = (expected_purchases(t, x, t_x, age, *params)[()] for t in (5.0, 10.0))
        assert 0.0 <= near <= far + 1e-12
