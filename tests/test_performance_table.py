"""The design study's performance table against hand computations, McNemar's exact test, paired
seeds across worlds, the stored table against its recomputation, and the provenance note."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers.simulate import simulate_panel
from helpers.studies import design, nulls, power
from helpers.studies.performance import (
    COVERAGE_CLAIM_MCSE,
    clopper_pearson,
    coverage_mcse_for_claim,
    mcnemar_exact,
    performance_table,
    size_adjusted_power,
)

STORE = Path(__file__).resolve().parents[1] / "data" / "power"


def _rows():
    # one design, three worlds of 40 twins; estimate b with truth 1 in the effect world, 0 in the nulls
    rng = np.random.default_rng(7)
    n = 40
    out = []
    for world, mu in (("effect", 1.3), ("null", 0.4), ("null_unconfounded", 0.0)):
        est = rng.normal(mu, 0.5, n)
        truth = 1.0 if world == "effect" else 0.0
        out.append(pd.DataFrame({
            "world": world, "n_cities": 21, "n_years": 13, "rep": np.arange(n), "seed": np.arange(n) + 100,
            "H1": est > 0.9, "est_b": est, "sig_b": est - 0.98 > 0, "true_b": truth,
            "covers_b": (np.abs(est - truth) < 0.98).astype(float),
            # a channel present in every world: its null-world verdicts are no false positives
            "est_e": est + 1, "sig_e": est + 1 > 0.98, "true_e": 1.0, "covers_e": 1.0,
            "est_lag": est, "sig_lag": est > 1, "true_lag": truth, "covers_lag": 1.0}))
    return pd.concat(out, ignore_index=True)


def test_performance_table_against_hand_computation():
    rows = _rows()
    t = performance_table(rows, unscored=("lag",)).set_index("key")
    e = rows[rows["world"] == "effect"]
    z = rows[rows["world"] == "null_unconfounded"]
    c = rows[rows["world"] == "null"]
    d = e["est_b"] - 1.0
    n = len(d)
    b = t.loc["b"]
    assert b["twins"] == n and b["kind"] == "estimate"
    assert b["bias"] == pytest.approx(d.mean()) and b["bias_mcse"] == pytest.approx(d.std(ddof=1) / np.sqrt(n))
    assert b["rmse"] == pytest.approx(np.sqrt(np.mean(d ** 2)))
    # Morris et al. Table 6: MCSE(MSE) = sqrt(sum((d^2 - MSE)^2) / (n (n - 1))); delta method for RMSE
    mse = np.mean(d ** 2)
    assert b["rmse_mcse"] == pytest.approx(np.sqrt(np.sum((d ** 2 - mse) ** 2) / (n * (n - 1))) / (2 * np.sqrt(mse)))
    assert b["emp_se_mcse"] == pytest.approx(e["est_b"].std(ddof=1) / np.sqrt(2 * (n - 1)))
    k = int(e["covers_b"].sum())
    assert b["coverage"] == k / n and b["coverage_mcse"] == pytest.approx(np.sqrt(k / n * (1 - k / n) / n))
    assert (b["coverage_low"], b["coverage_high"]) == pytest.approx(clopper_pearson(k, n))
    assert not b["coverage_claim"]            # 40 twins: MC SE far above 0.01 (even at a coverage of 1)
    kp = int(e["sig_b"].sum())
    ci = stats.binomtest(kp, n).proportion_ci(0.95, method="exact")
    assert b["power"] == kp / n and b["power_low"] == pytest.approx(ci.low) and b["power_high"] == pytest.approx(ci.high)
    assert b["null_rejections"] == int(z["sig_b"].sum()) and b["null_rate"] == z["sig_b"].mean()
    assert b["confounded_rate"] == c["sig_b"].mean() and b["confounded_twins"] == n
    q = np.sort(z["est_b"].to_numpy())[int(np.ceil(0.975 * (n - 1)))]      # the 97.5% quantile, "higher"
    assert b["size_adjusted_power"] == pytest.approx(np.mean(e["est_b"] > q))
    # a channel whose truth is not zero in the no-effect worlds has no false-positive rate there
    assert np.isnan(t.loc["e", "null_rate"]) and t.loc["e", "null_twins"] == 0
    assert np.isnan(t.loc["e", "size_adjusted_power"]) and t.loc["e", "coverage"] == 1.0
    # not scored: power only
    assert np.isnan(t.loc["lag", "bias"]) and np.isnan(t.loc["lag", "coverage"]) and t.loc["lag", "power"] == e["sig_lag"].mean()
    # hypotheses: rates only
    h = t.loc["H1"]
    assert h["kind"] == "hypothesis" and np.isnan(h["bias"])
    assert h["power"] == e["H1"].mean() and h["null_rate"] == z["H1"].mean()


def test_coverage_claim_needs_enough_twins():
    n = 1000
    rows = pd.DataFrame({"world": "effect", "n_cities": 21, "n_years": 13, "est_b": np.linspace(0, 1, n),
                         "sig_b": True, "true_b": 0.5, "covers_b": (np.arange(n) % 20 != 0).astype(float)})
    r = performance_table(rows).iloc[0]
    assert r["coverage"] == 0.95 and r["coverage_mcse"] == pytest.approx(np.sqrt(0.95 * 0.05 / n))
    assert r["coverage_claim"] and r["coverage_mcse"] <= COVERAGE_CLAIM_MCSE
    # a perfect coverage from 400 twins has an observed SE of 0 but is no claim: SE at 0.95 is 0.011
    few = rows.iloc[:400].assign(covers_b=1.0)
    assert not performance_table(few).iloc[0]["coverage_claim"]
    assert coverage_mcse_for_claim(1.0, 400) == pytest.approx(np.sqrt(0.95 * 0.05 / 400))
    assert np.isnan(r["null_rate"]) and r["null_twins"] == 0       # no null world: not computed
    with pytest.raises(ValueError, match="no twin of the 'effect' world"):
        performance_table(rows.assign(world="null"))


def test_size_adjusted_power_closed_form():
    # effect estimates N(d, 1), null N(0, 1): power above the null's 97.5% quantile -> 1 - Phi(1.96 - d)
    rng = np.random.default_rng(0)
    null, eff = rng.normal(0, 1, 200_000), rng.normal(1.0, 1, 200_000)
    assert size_adjusted_power(eff, null) == pytest.approx(1 - stats.norm.cdf(stats.norm.ppf(0.975) - 1.0), abs=0.005)
    assert np.isnan(size_adjusted_power(eff, null[:30]))        # too few null twins for the quantile


def test_mcnemar_exact_counts_and_p():
    a = np.array([1, 1, 1, 1, 1, 0, 0, 0, 1, 0], bool)
    b = np.array([0, 0, 0, 0, 1, 1, 0, 0, 1, 0], bool)
    m = mcnemar_exact(a, b)
    assert (m["a_only"], m["b_only"], m["both"], m["neither"], m["pairs"]) == (4, 1, 2, 3, 10)
    # exact two-sided p with 4 vs 1 discordant pairs: 2 * P(X <= 1 | 5, 1/2) = 2 * 6 / 32
    assert m["p"] == pytest.approx(0.375)
    assert mcnemar_exact(a, a)["p"] == 1.0
    with pytest.raises(ValueError, match="paired"):
        mcnemar_exact(a, b[:3])


def test_paired_seeds_across_worlds_and_verdict_pairs():
    cells = design.grid([21], [13], design.WORLDS)
    assert [c.world for c in cells] == ["effect", "null", "null_unconfounded"]
    for r in range(5):
        assert len({design.twin_seed(1, c, r, paired=True) for c in cells}) == 1
        assert len({design.twin_seed(1, c, r) for c in cells}) == 3
    # unpaired fingerprints are those the stored cells always had; pairing changes them
    c = cells[0]
    assert design.cell_fingerprint(c, design.toy_twin, 2, 1, {}, {}) != design.cell_fingerprint(
        c, design.toy_twin, 2, 1, {}, {}, paired=True)
    rows = _rows()
    rows.loc[rows["world"] == "null", "seed"] += 1          # unpaired worlds: no test
    assert power.paired_verdicts(rows, "H1", "effect", "null", 21, 13) is None
    m = power.paired_verdicts(rows, "H1", "effect", "null_unconfounded", 21, 13)
    e, z = rows[rows.world == "effect"]["H1"].to_numpy(), rows[rows.world == "null_unconfounded"]["H1"].to_numpy()
    assert m == mcnemar_exact(e, z)


def test_the_study_nulls_share_every_exogenous_state():
    # the stored grid's null and unconfounded-null twins of one replicate: one seed, and the
    # simulated latent states differ only through the confounder's loading
    seeds = {w: design.twin_seed(power.STUDY_SEED, design.Cell(21, 8, w), 3, paired=power.PAIRED)
             for w in ("null", "null_unconfounded")}
    assert seeds["null"] == seeds["null_unconfounded"]
    years = range(2011, 2019)
    _, a = simulate_panel(params=nulls.world_params("null"), seed=seeds["null"], years=years)
    _, b = simulate_panel(params=nulls.world_params("null_unconfounded"), seed=seeds["null"], years=years)
    for col in ("D", "Z", "q", "eps", "FN", "AG"):
        np.testing.assert_array_equal(a.latent[col].to_numpy(), b.latent[col].to_numpy())
    assert not np.allclose(a.latent["SY"], b.latent["SY"])
    pa, pb = a.params.__dict__, b.params.__dict__
    assert {k for k in pa if pa[k] != pb[k]} == {"confounding"}


def test_reps_overrides_and_record():
    grid = power.cells([21, 50], [8, 13])
    reps = {21: 200, 50: 150, (21, 13, "effect"): 1000}
    assert design.reps_of(reps, design.Cell(21, 13, "effect")) == 1000
    assert design.reps_of(reps, design.Cell(21, 13, "null")) == 200
    assert design.reps_of(reps, design.Cell(21, 8, "effect")) == 200
    base, extra = power.reps_record(reps, grid)
    assert base == {"21": 200, "50": 150}
    assert extra == {"21x13-effect": 1000}
    # an (N, T) key sets the design in every world; the per-N number stays the record's base even
    # where the overridden cells outnumber the others (3 of 4 cells at 21 cities here)
    reps = {21: 200, 50: 150, (21, 13): 500}
    assert [design.reps_of(reps, c) for c in grid if c.n_cities == 21] == [200, 500, 500, 500]
    base, extra = power.reps_record(reps, grid)
    assert base == {"21": 200, "50": 150}
    assert extra == {"21x13-effect": 500, "21x13-null": 500, "21x13-null_unconfounded": 500}


def test_the_books_coverage_design_has_enough_twins_for_a_claim():
    from helpers.studies.performance import COVERAGE_CLAIM_MCSE, coverage_mcse_for_claim

    for world in power.WORLDS:
        r = design.reps_of(power.REPS, design.Cell(21, 13, world))
        assert r >= 475 and coverage_mcse_for_claim(0.95, r) <= COVERAGE_CLAIM_MCSE
    assert design.reps_of(power.REPS, design.Cell(21, 8)) == power.REPS[21]


def test_stored_performance_table_equals_its_recomputation():
    stored = power.load_performance()
    if stored is None or not any(STORE.glob("*.parquet")):
        pytest.skip("no stored design study")
    again = power.performance(power.load())
    pd.testing.assert_frame_equal(stored, again, check_dtype=False, rtol=1e-9, atol=1e-12)


def test_provenance_is_generated_from_the_log(tmp_path):
    if (STORE / "study.json").exists():
        log = power.study_log(STORE)
        assert power.provenance_text(log) == (STORE / "PROVENANCE.md").read_text()
    log = {"runs": [], "generator": "9", "study_version": "2", "study_seed": 1, "options": {"n_boot": 9},
           "reps": {"21": 2}, "reps_cells": {"21x8-effect": 5}, "cells": ["21x8-effect"],
           "worlds": ["effect"], "paired_seeds": True}
    power.write_log(tmp_path, log)
    power.record_null_run(tmp_path, "nulls_21x13.csv", "- `nulls_21x13.csv`: one line")
    power.record_null_run(tmp_path, "nulls_21x13.csv", "- `nulls_21x13.csv`: replaced")
    text = (tmp_path / "PROVENANCE.md").read_text()
    assert "replaced" in text and "one line" not in text and "21x8-effect: 5" in text
    # a later design run rewrites the note from the log: the null line survives
    log = json.loads((tmp_path / "study.json").read_text())
    log["runs"].append({"finished_utc": "x", "cells_computed": ["21x8-effect"], "twins_computed": 5,
                        "wall_seconds": 60, "scheduler": "s", "machine": "m"})
    power.write_log(tmp_path, log)
    assert "`nulls_21x13.csv`: replaced" in (tmp_path / "PROVENANCE.md").read_text()


@pytest.mark.slow  # a Dask LocalCluster and six real (small) twins
def test_tiny_live_grid_writes_paired_worlds_and_its_performance_table(tmp_path):
    study = power.run(tmp_path, n_grid=[21], t_grid=[8], reps=2, n_workers=1, progress=False)
    assert sorted(study.computed) == ["21x8-effect", "21x8-null", "21x8-null_unconfounded"]
    rows = power.load(tmp_path)
    assert (rows.groupby("rep")["seed"].nunique() == 1).all()          # one seed per replicate
    stored = power.load_performance(tmp_path)
    pd.testing.assert_frame_equal(stored, power.performance(rows), check_dtype=False, rtol=1e-9, atol=1e-12)
    h1 = stored.set_index("key").loc["H1"]
    assert h1["null_twins"] == 2 and h1["confounded_twins"] == 2
    text = (tmp_path / "PROVENANCE.md").read_text()
    assert "Worlds: effect, null, null_unconfounded; seeds shared across worlds" in text


def test_coverage_table_quotes_claims_and_marks_the_rest():
    from helpers.book import study_design_sentences as sds

    perf = pd.DataFrame([
        {"n_cities": 21, "n_years": 13, "key": "total", "coverage": 0.95, "coverage_claim": True},
        {"n_cities": 21, "n_years": 13, "key": "spillover", "coverage": 0.635, "coverage_claim": False},
        {"n_cities": 50, "n_years": 13, "key": "total", "coverage": 0.92, "coverage_claim": False},
        {"n_cities": 50, "n_years": 13, "key": "spillover", "coverage": np.nan, "coverage_claim": False},
        {"n_cities": 21, "n_years": 13, "key": "H1", "coverage": np.nan, "coverage_claim": False}])
    t = sds.coverage_table(perf, ["total", "spillover", "H1"], [(21, 13), (50, 13)], {"total": "FE"})
    assert list(t.index) == ["FE", "spillover"] and list(t.columns) == ["21 x 13", "50 x 13"]   # H1: no coverage
    assert t.loc["FE"].tolist() == ["0.950", "0.920*"] and t.loc["spillover"].tolist() == ["0.635*", "–"]
    assert sds.no_claim_note() == "* MC SE above 0.01: no claim"


def test_coverage_twins_text_follows_the_claim_rule():
    from helpers.book import study_design_sentences as sds
    from helpers.studies.performance import coverage_mcse_for_claim

    assert sds.extra_twins_phrase({21: 200}) == ""
    assert sds.extra_twins_phrase({21: 200, (21, 13): 500, (50, 8, "null"): 1000}) == (
        "500 twins at 21 cities x 13 years in every world, 1,000 twins at 50 cities x 8 years in the null world")
    s = sds.coverage_twins_text({21: 200, (21, 13): 500}, 0.01)
    assert "at a coverage of 0.95 that takes 475 twins; at 0.90, 900" in s
    assert "a claim only from 0.947 up (or up to 0.053)" in s
    # the bound is where the claim rule switches
    assert coverage_mcse_for_claim(0.9473, 500) <= 0.01 < coverage_mcse_for_claim(0.9470, 500)
    assert "no coverage near 0.95 is a claim" in sds.coverage_twins_text({(21, 13): 400}, 0.01)
    assert "therefore" not in sds.coverage_twins_text({21: 200}, 0.01)
