"""One long calendar (issue 21, item 3): a design's years are a window of one simulated world,
so windows agree on the years they share; the effect and no-effect worlds share every shock."""

import numpy as np
import pandas as pd
import pytest

from helpers import simulate
from helpers.simulate import estimands, observe
from helpers.studies import nulls

#: Observed columns whose value in a year depends on that year's states and noise alone. The
#: rest legitimately depend on the window: gdp, industrial_value_added and loans carry the
#: model's two-way within variation over the window's years (and industrial value added is
#: rescaled to the 2020 total when 2020 is in the window); emp_manufacturing,
#: emp_producer_services and avg_wage centre latent states on their window means.
WINDOW_FREE = ("population", "employment", "rd_personnel", "patents_granted", "rd_expenditure", "exports",
               "broadband_per100", "telecom_per_capita", "ict_emp_share", "digital_finance_index",
               "post_offices_1984", "national_internet_share")
LATENT = ("D", "Z", "q", "VA", "FN", "AG", "SY", "P", "X", "eps")


def _rows(panel, years):
    return panel[panel["year"].isin(years)].reset_index(drop=True)


@pytest.mark.parametrize(("short", "long"), [(range(2011, 2019), range(2011, 2024)),
                                             (range(2015, 2031), simulate.CALENDAR)])
def test_a_window_is_a_slice_of_the_long_world(short, long):
    ps, ts = simulate.simulate_panel(seed=5, years=short)
    pl, tl = simulate.simulate_panel(seed=5, years=long)
    years = list(short)
    sub = tl.latent.loc[(slice(None), years), :]
    assert len(sub) == len(ts.latent) == 21 * len(years)
    for c in LATENT:
        np.testing.assert_array_equal(ts.latent[c].to_numpy(), sub[c].to_numpy(), err_msg=c)
    a, b = _rows(pl, years), ps
    pd.testing.assert_frame_equal(a[["city", "year"]], b[["city", "year"]])
    for c in WINDOW_FREE:
        pd.testing.assert_series_equal(a[c], b[c], check_names=False, obj=c)
    # the window-dependent columns do move with the window (the list above is not too short)
    moved = [c for c in ("gdp", "loans", "avg_wage") if not np.allclose(a[c].astype(float), b[c].astype(float))]
    assert moved, "expected the within-calibrated columns to depend on the window"


def test_a_window_of_another_city_set_is_a_slice_too():
    from helpers.data import cities as _cities

    cs = _cities.city_set("sample", n=25, seed=3)
    _, ts = simulate.simulate_panel(seed=9, years=range(2020, 2026), cities=cs)
    _, tl = simulate.simulate_panel(seed=9, years=range(2016, 2031), cities=cs)
    sub = tl.latent.loc[(slice(None), list(range(2020, 2026))), :]
    for c in LATENT:
        np.testing.assert_array_equal(ts.latent[c].to_numpy(), sub[c].to_numpy(), err_msg=c)


def test_the_national_path_is_fixed_in_calendar_years():
    p = simulate.TwinParams()
    n = simulate.national_path(p, simulate.CALENDAR)
    cal = list(simulate.CALENDAR)
    assert n[cal.index(2011)] == pytest.approx(p.national_start) and n[cal.index(2023)] == pytest.approx(p.national_end)
    assert np.all(np.diff(n) > 0)
    # 2018 reads the same in an 8-year and a 13-year design (it was 0.78 and 0.64 up to 1.2.0)
    p8, _ = simulate.simulate_panel(seed=1, years=range(2011, 2019))
    p13, _ = simulate.simulate_panel(seed=1, years=range(2011, 2024))
    v8 = p8.loc[p8.year == 2018, "national_internet_share"].unique()
    v13 = p13.loc[p13.year == 2018, "national_internet_share"].unique()
    assert len(v8) == 1 and v8[0] == v13[0] == round(n[cal.index(2018)], 4)


def test_windows_outside_the_calendar_or_with_gaps_are_refused():
    with pytest.raises(ValueError, match="year 2041 is outside"):
        simulate.simulate_panel(years=range(2035, 2042))
    with pytest.raises(ValueError, match="year 2013 follows 2011"):
        simulate.simulate_panel(years=(2011, 2013, 2014))
    with pytest.raises(ValueError, match="at least one year"):
        simulate.simulate_panel(years=())


def test_calibration_targets_do_not_depend_on_the_window():
    short = observe._calibration_logs(tuple(range(2015, 2019)))
    long = observe._calibration_logs(tuple(simulate.CALENDAR))
    rows = slice(simulate.CALENDAR.index(2015), simulate.CALENDAR.index(2018) + 1)
    for col in observe.CALIBRATED:
        np.testing.assert_allclose(short[col], long[col][rows], rtol=0, atol=1e-12, err_msg=col)
    # and the default design's targets are the two-way fit on its own years, as before 2.0.0
    from helpers.data import city_table, load_accounts

    acc = load_accounts()
    wide = acc.pivot(index="year", columns="city", values="gdp")[city_table().index].loc[list(simulate.YEARS)]
    a = np.log(wide.to_numpy()).mean(axis=0)          # the cities' mean log levels, 2011-2023
    lv = observe._calibration_logs(simulate.YEARS)["gdp"]
    np.testing.assert_allclose(lv - lv.mean(axis=1, keepdims=True), np.broadcast_to(a - a.mean(), lv.shape),
                               atol=1e-12)


def test_per_city_year_truths_agree_between_windows():
    short = estimands.estimand_truths(seed=4, measured=False, years=range(2011, 2019))
    long = estimands.estimand_truths(seed=4, measured=False, years=range(2011, 2024))
    assert set(short.per_city_year) == set(long.per_city_year)
    for k, v in short.per_city_year.items():
        w = long.per_city_year[k]
        assert v.shape == (8, 21) and w.shape == (13, 21), k
        np.testing.assert_allclose(v, w[:8], rtol=1e-12, atol=1e-14, err_msg=k)


def _state(world, seed=3, years=range(2011, 2019)):
    p = simulate.TwinParams() if nulls.world_params(world) is None else simulate.TwinParams(
        **{**simulate.TwinParams().__dict__, **nulls.world_params(world)})
    st, va, _ = simulate._build_state(p, seed, tuple(years))
    return st, va


def test_effect_and_null_worlds_share_every_shock():
    # one seed (the design study's paired seeds give every world of a replicate the same one) ...
    seed = 20261207
    (se, ve), (sn, vn) = _state("effect", seed), _state("null", seed)
    for f in ("D", "Z", "q", "eps", "masses", "v_A", "w_S", "e_P", "e_X", "pop", "national", "hist", "dev"):
        np.testing.assert_array_equal(getattr(se, f), getattr(sn, f), err_msg=f)
    np.testing.assert_array_equal(ve, vn)   # the effect does not act on participation
    pe, te = simulate.simulate_panel(params=nulls.world_params("effect"), seed=seed, years=range(2011, 2019))
    pn, tn = simulate.simulate_panel(params=nulls.world_params("null"), seed=seed, years=range(2011, 2019))
    for c in ("D", "Z", "q", "VA", "eps"):
        np.testing.assert_array_equal(te.latent[c].to_numpy(), tn.latent[c].to_numpy(), err_msg=c)
    # the observed series built from the shared states and noise alone agree ...
    for c in ("population", "broadband_per100", "telecom_per_capita", "ict_emp_share", "digital_finance_index",
              "post_offices_1984", "national_internet_share"):
        pd.testing.assert_series_equal(pe[c], pn[c], obj=c)
    # ... and the states the effect acts on differ: flows (phi), agglomeration (a_VA), synergy
    for c in ("FN", "AG", "SY"):
        assert not np.allclose(te.latent[c], tn.latent[c]), c
    # the null's flows are the effect world's gravity law with phi = 0 on the same masses (the
    # effect's transaction-cost channel removed, nothing else)
    p = te.params
    fn0 = simulate._flow_position(ve, se.masses, se.logd, p.b0, 0.0)
    np.testing.assert_allclose(tn.latent["FN"].unstack("city")[se.reg.index].to_numpy(), fn0, atol=1e-12)


def test_the_unconfounded_null_shares_the_shocks_too():
    (sn, vn), (su, vu) = _state("null"), _state("null_unconfounded")
    for f in ("D", "Z", "q", "eps", "masses", "v_A", "w_S", "e_P", "e_X"):
        np.testing.assert_array_equal(getattr(sn, f), getattr(su, f), err_msg=f)
    assert not np.allclose(vn, vu)   # the confounder's loading moves participation, nothing else drawn


def test_observation_draws_are_windowed_whatever_their_leading_axes():
    from helpers.simulate.calendar import CALENDAR, _CalendarRng, calendar_window

    def rng(years):
        return _CalendarRng(np.random.default_rng(1), calendar_window(years), 4)

    a, b = rng(range(2011, 2019)), rng(range(2005, 2031))
    rows = slice(2011 - 2005, 2019 - 2005)
    np.testing.assert_array_equal(a.standard_normal((3, 8, 4)), b.standard_normal((3, 26, 4))[:, rows])
    np.testing.assert_array_equal(a.random((8, 4)), b.random((26, 4))[rows])
    np.testing.assert_array_equal(a.random(4), b.random(4))          # per-city draws pass through
    np.testing.assert_array_equal(a.random((8 * 4, 2)), b.random((26 * 4, 2))[4 * rows.start:4 * rows.stop])
    fa, fb = a.full((8, 4)), b.full((26, 4))
    assert fa.shape == fb.shape == (len(CALENDAR), 4)
    np.testing.assert_array_equal(np.cumsum(fa, axis=0)[a.rows], np.cumsum(fb, axis=0)[b.rows][rows])
    with pytest.raises(ValueError, match="city-year noise"):
        a.full((5, 4))
