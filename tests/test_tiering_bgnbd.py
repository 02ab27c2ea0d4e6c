"""BG/NBD: the paper's CDNOW table, P(alive) and expected purchases, churn from transactions."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sheetcrm.errors import InputError
from sheetcrm.tiering import expected_purchases, fit_bgnbd, p_alive
from sheetcrm.tiering.churn import churn_risk, purchase_summary


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
    assert (result.churn_risk[repeat] == (result.p_alive[repeat] < 0.5)).all()


def test_churn_falls_back_to_the_heuristic_without_enough_history() -> None:
    customers, tx = _transactions(5)
    result = churn_risk(customers, dt.date(2025, 12, 31), tx)
    assert result.fit is None and result.p_alive.isna().all()


def test_analytic_gradient_matches_finite_differences() -> None:
    """The fit's gradient (what makes it fast) agrees with central differences."""
    from sheetcrm.tiering.bgnbd import _log_likelihood_terms

    rng = np.random.default_rng(5)
    x = rng.integers(0, 6, 50).astype(float)
    age = rng.uniform(5, 40, 50)
    t_x = np.where(x > 0, age * rng.uniform(0.1, 1.0, 50), 0.0)
    params = np.array([0.4, 3.0, 0.8, 2.5])
    _, grad = _log_likelihood_terms(params, x, t_x, age, gradient=True)
    assert grad is not None
    for k in range(4):
        step = np.zeros(4)
        step[k] = 1e-6
        up, _ = _log_likelihood_terms(params + step, x, t_x, age)
        down, _ = _log_likelihood_terms(params - step, x, t_x, age)
        np.testing.assert_allclose(grad[k], (up - down) / 2e-6, rtol=1e-5, atol=1e-7)
