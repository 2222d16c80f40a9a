"""The twin calibrated by simulated moments: real Guangdong moments vs the twin (issue 21, item 2)."""

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from helpers import simulate
from helpers.analysis import moments as m
from helpers.studies import calibrate as cal

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
CALIB_FILE = ROOT / "data" / "twin_calibration.json"


def test_the_defaults_are_the_fitted_values_of_the_calibration_file():
    rec = json.loads(CALIB_FILE.read_text())
    assert set(rec["params"]) == set(cal.FIT_PARAMS)
    assert cal.defaults() == pytest.approx(rec["params"], rel=1e-12, abs=0)
    assert rec["seeds"] == list(cal.CALIBRATION_SEEDS)
    # at least twelve targeted moments and at least one held back (out-of-sample validation)
    tgt = [k for k, v in rec["moments"].items() if v["targeted"]]
    assert len(tgt) >= 12 and len(rec["moments"]) > len(tgt)


def test_the_fast_path_reproduces_the_simulated_panel():
    # the fit re-runs only the outcomes and the observation layer: the moments it sees are the
    # moments of simulate_panel's own panel (which rounds to yearbook precision)
    ws = cal.worlds(seeds=(3,))
    fast = cal.twin_moments(simulate.TwinParams(), ws)["mean"]
    panel, _ = simulate.simulate_panel(seed=3)
    full = m.moment_values(cal.twin_frame(panel))
    pd.testing.assert_series_equal(fast, full.reindex(fast.index), rtol=2e-3, check_names=False)


def test_the_fast_theil_trend_is_the_moment_function():
    ws = cal.worlds(seeds=(4,))
    fr = cal.twin_frame(cal.world_panel(ws[0], replace(simulate.TwinParams(), convergence=0.03)))
    assert cal.theil_trend_fast(fr) == pytest.approx(m.theil_trend(fr), rel=1e-10)


def test_the_real_construct_on_the_twin_rises_with_synergy():
    # tertiary value added loads on synergy: with the normalisation held fixed, the coupling
    # coordination of secondary and tertiary value added per head rises exactly where synergy is
    # above its year's mean and falls where it is below, and secondary value added does not move
    from helpers import measure

    w = cal.worlds(seeds=(5,))[0]
    lo = cal.twin_frame(cal.world_panel(w, replace(simulate.TwinParams(), synergy_tertiary=0.0)))
    hi = cal.twin_frame(cal.world_panel(w, replace(simulate.TwinParams(), synergy_tertiary=0.3)))
    np.testing.assert_allclose(lo["va_secondary"], hi["va_secondary"], rtol=1e-12)

    def per_head(df):
        return pd.DataFrame({"s": df["va_secondary"] / df["population"], "t": df["va_tertiary"] / df["population"]})

    ref = per_head(lo)
    top = pd.concat([per_head(lo), per_head(hi)]).max()
    bottom = pd.concat([per_head(lo), per_head(hi)]).min()

    def d_of(df):
        u = (per_head(df) - bottom) / (top - bottom)
        return measure.coupling_coordination(u)["D"].to_numpy()

    sy = pd.Series((w.sy - w.sy.mean(axis=1, keepdims=True)).ravel(), index=pd.MultiIndex.from_product([w.st.years, w.st.reg.index]))
    sy_rows = sy.reindex(pd.MultiIndex.from_frame(lo[["year", "city"]])).to_numpy()
    diff = d_of(hi) - d_of(lo)
    inner = (ref["t"] > bottom["t"]).to_numpy() & (ref["s"] > bottom["s"]).to_numpy()
    assert (np.sign(diff[inner]) == np.sign(sy_rows[inner])).all()


def test_the_fit_recovers_known_parameters_twin_against_twin():
    # moments of a twin with known parameters as the "real" data (SE: 5 % of each moment's size):
    # the bisection-and-polish fit returns the parameters it was generated with
    seeds = (11, 12)
    ws = cal.worlds(seeds=seeds)
    truth = replace(simulate.TwinParams(), convergence=0.03, sigma_mfg=0.2, loans_loading=0.5)
    names = ["convergence", "sigma_mfg", "loans_loading"]
    tw = cal.twin_moments(truth, ws, ["theil_trend", "sd_mfg_lq_within", "sd_log_loans_within"])["mean"]
    tab = pd.DataFrame({"label": tw.index, "targeted": True, "value": tw, "se": 0.05 * tw.abs()})
    real = m.MomentTable(table=tab, source="twin", n_boot=0, seed=0)
    start = replace(simulate.TwinParams(), convergence=0.0, sigma_mfg=0.05, loans_loading=1.0)
    res = cal.fit(real, names=names, start=start, ws=ws, n_bisect=14, maxfev=60)
    assert {n: res.params[n] for n in names} == pytest.approx({n: getattr(truth, n) for n in names}, rel=0.02)
    assert res.fitted == tuple(names)
    assert res.objective < 1e-3


@pytest.mark.slow
def test_every_targeted_moment_of_the_calibrated_twin_lies_within_two_ses_of_guangdong(realdata):
    from helpers.analysis.realdata import pku_index
    from helpers.studies.moments import twin_moment_values

    rec = json.loads(CALIB_FILE.read_text())
    pku, _ = pku_index(None)
    real = m.moments(m.guangdong_frame(pku=pku), n_boot=rec["n_boot"], seed=rec["boot_seed"])
    twin = twin_moment_values(cal.CALIBRATION_SEEDS)["mean"]   # simulate_panel, the bundled file first
    t = real.table
    tgt = t[t["targeted"] & t["value"].notna() & (t["se"] > 0)]
    assert len(tgt) >= 11
    gap = (twin.reindex(tgt.index) - tgt["value"]) / tgt["se"]
    assert gap.notna().all()
    assert (gap.abs() <= 2).all(), gap[gap.abs() > 2].to_dict()


def test_fit_sentences_name_the_parameters_at_the_edge_of_their_range():
    from helpers.book.calibration_sentences import fit_sentences

    rec = json.loads(CALIB_FILE.read_text())
    rec = {**rec, "params": {**rec["params"], "gdp_loading": cal.FIT_PARAMS["gdp_loading"][0], "rho_P": 0.3}}
    s = " ".join(fit_sentences(rec))
    assert f"gdp_loading = {cal.FIT_PARAMS['gdp_loading'][0]:.3g} (floor)" in s and "rho_P = 0.3 (" not in s
    rec["params"]["gdp_loading"] = 0.5
    assert "gdp_loading = 0.5 (" not in " ".join(fit_sentences(rec))
