"""The Broadband China design as stored cells of the design study (SIMULATED national twins)."""

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from broadband_rows import broadband_rows
from scipy import stats

from helpers.book import broadband_study_sentences as bss
from helpers.studies import broadband_study as bb
from helpers.studies import design


def _cp(k, n):
    ci = stats.binomtest(int(k), int(n)).proportion_ci(0.95, method="exact")
    return ci.low, ci.high


# --------------------------------------------------------------------------- per-twin function
def test_worlds_share_the_twin_and_the_effect_shifts_the_estimate_by_its_truth():
    seed = design.twin_seed(bb.STUDY_SEED, design.Cell(bb.N_CITIES, bb.N_YEARS, "effect"), 0, paired=True)
    eff = bb.broadband_twin_row(bb.N_CITIES, bb.N_YEARS, "effect", seed, **bb.OPTIONS)
    nul = bb.broadband_twin_row(bb.N_CITIES, bb.N_YEARS, "null", seed, **bb.OPTIONS)
    rnd = bb.broadband_twin_row(bb.N_CITIES, bb.N_YEARS, "null_unconfounded", seed, **bb.OPTIONS)
    assert eff["designated"] == nul["designated"] == rnd["designated"] == sum(bb.OPTIONS["sizes"])
    for y in bb.OUTCOMES:
        assert nul[f"true_{y}"] == 0 == rnd[f"true_{y}"] and eff[f"true_{y}"] > 0
        assert eff[f"sd_{y}"] == nul[f"sd_{y}"] == rnd[f"sd_{y}"]           # one panel in every world
        assert eff[f"true_{y}"] == pytest.approx(bb.OPTIONS["effect_sd"] * eff[f"sd_{y}"])
        # the ATT is linear in the outcome: the effect world's estimate is the null's plus the truth
        assert eff[f"est_{y}"] - eff[f"true_{y}"] == pytest.approx(nul[f"est_{y}"], abs=1e-9)
        assert eff[f"se_{y}"] == pytest.approx(nul[f"se_{y}"], rel=1e-9)
        assert eff[f"pretrend_{y}"] == nul[f"pretrend_{y}"]          # the pre-periods are untouched
        assert rnd[f"est_{y}"] != pytest.approx(nul[f"est_{y}"])     # another designation
        # the verdict columns follow the estimate and its interval
        assert eff[f"sig_{y}"] <= eff[f"reject_{y}"]                  # above zero implies excludes zero


def test_random_designation_keeps_cohort_sizes_and_is_seeded():
    codes = [f"c{i}" for i in range(200)]
    a = bb.random_designation(codes, sizes=(39, 39, 39), cohorts=(2014, 2015, 2016), seed=3)
    b = bb.random_designation(codes, sizes=(39, 39, 39), cohorts=(2014, 2015, 2016), seed=3)
    c = bb.random_designation(codes, sizes=(39, 39, 39), cohorts=(2014, 2015, 2016), seed=4)
    assert a.value_counts().to_dict() == {0: 83, 2014: 39, 2015: 39, 2016: 39}
    pd.testing.assert_series_equal(a, b)
    assert not a.equals(c)
    with pytest.raises(ValueError, match="need 117 cities, have 100"):
        bb.random_designation(codes[:100], sizes=(39, 39, 39), cohorts=(2014, 2015, 2016), seed=3)


def test_bad_designs_are_refused_by_name():
    with pytest.raises(ValueError, match="national set's 336 cities .* got 21"):
        bb.broadband_twin_row(21, 9, "effect", 1, **bb.OPTIONS)
    with pytest.raises(ValueError, match="4 years from 2011"):
        bb.broadband_twin_row(336, 4, "effect", 1, **bb.OPTIONS)
    with pytest.raises(ValueError, match="world must be one of"):
        bb.broadband_twin_row(336, 9, "maybe", 1, **bb.OPTIONS)


# --------------------------------------------------------------------------- performance
def _rows(n=40, seed=0):
    return broadband_rows(n, seed, effect_shift=0.3, sd=lambda r: 0.5 if r % 2 else 0.25)


def test_performance_equals_a_recomputation_from_the_rows():
    rows = _rows()
    perf = bb.performance(rows).set_index("key")
    for y in ("a", "b"):
        e, z, u = (rows[rows["world"] == w] for w in ("effect", "null", "null_unconfounded"))
        r = perf.loc[y]
        assert r["bias"] == pytest.approx((e[f"est_{y}"] - e[f"true_{y}"]).mean())
        assert r["rmse"] == pytest.approx(np.sqrt(((e[f"est_{y}"] - e[f"true_{y}"]) ** 2).mean()))
        assert r["bias_mcse"] == pytest.approx(e[f"est_{y}"].std(ddof=1) / np.sqrt(len(e)))
        assert r["coverage"] == pytest.approx(e[f"covers_{y}"].mean())
        for col, frame, name in (("power", e, "sig"), ("null", u, "sig"), ("two_sided_null", u, "reject"),
                                 ("two_sided_confounded", z, "reject"), ("pretrend", e, "pretrend"),
                                 ("null_pretrend", u, "pretrend")):
            k, n = int(frame[f"{name}_{y}"].sum()), len(frame)
            rate = r["power"] if col == "power" else r[f"{col}_rate"]
            assert rate == pytest.approx(k / n), (y, col)
            lo, hi = _cp(k, n)
            assert r[f"{col}_low"] == pytest.approx(lo) and r[f"{col}_high"] == pytest.approx(hi), (y, col)
        assert r["confounded_rate"] == pytest.approx(z[f"sig_{y}"].mean())
        # normal-approximation MDE: (z_0.975 + z_0.8) x mean(se / sd) = 2.8016 x (0.2 + 0.4) / 2
        assert r["detectable_sd"] == pytest.approx((stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * 0.3)
    assert np.isnan(bb.detectable_effect(rows.drop(columns="sd_a"), "a"))


def test_verdicts_apply_the_chapter_rule():
    rows = _rows(n=200)
    v = bb.verdicts(bb.performance(rows), target=0.8)
    # "a": biased by +0.15 in the threshold null (sd 0.1): rejects in ~1/3 of twins -> not consistent
    assert v.loc["a", "size"] == "over" and not v.loc["a", "sufficient"]
    # "b": unbiased, effect 0.25 with sd 0.1 -> power ~0.70: consistent but under the target
    b = v.loc["b"]
    assert b["two_sided_confounded_low"] <= 0.05 <= b["two_sided_confounded_high"]
    assert b["consistent"] and (b["power_low"] >= 0.8) == b["powered"] and not b["sufficient"]
    assert b["short_of"] == ("" if b["powered"] else ("twins" if b["power"] >= 0.8 else "power"))
    assert v.loc["b", "short_of"] == "power"                             # power ~0.70 < 0.8
    low_target = bb.verdicts(bb.performance(rows), target=0.5).loc["b"]
    assert low_target["sufficient"] == (b["power_low"] >= 0.5)


def _verdict(size, power_low, **kw):
    rec = {"n_cities": 336, "n_years": 9, "twins": 400, "power": power_low + 0.04, "power_low": power_low,
           "power_high": power_low + 0.08, "bias": 0.01, "bias_mcse": 0.005, "two_sided_confounded_rate": 0.05,
           "two_sided_confounded_low": 0.03, "two_sided_confounded_high": 0.07, "two_sided_null_rate": 0.05,
           "two_sided_null_low": 0.03, "two_sided_null_high": 0.07, "detectable_sd": 0.31, "size": size}
    rec.update(consistent=size == "holds", powered=power_low >= 0.8, short_of="" if power_low >= 0.8 else "power")
    rec.update(kw)
    rec["sufficient"] = rec["consistent"] and rec["powered"]
    return pd.Series(rec)


def test_sentences_follow_the_verdicts():
    ok = bss.verdict_sentence("X", _verdict("holds", 0.85), effect_sd=0.2)
    assert "the design suffices" in ok and "0.89 (95% CP 0.85-0.93)" in ok
    weak = bss.verdict_sentence("X", _verdict("holds", 0.30), effect_sd=0.2)
    assert "does not suffice" in weak and "rule out an effect of 0.2 cross-section SDs" in weak
    assert "detects about 0.31 SDs" in weak
    few = bss.verdict_sentence("X", _verdict("holds", 0.7, power=0.9, short_of="twins"), effect_sd=0.2)
    assert "too few twins to vouch" in few and "0.90 (95% CP 0.70-0.78)" in few and "rule out" not in few
    over = bss.verdict_sentence("X", _verdict("over", 0.95, two_sided_confounded_rate=0.9,
                                              two_sided_confounded_low=0.87, two_sided_confounded_high=0.93),
                                effect_sd=0.2)
    assert "not consistent" in over and "0.90 (95% CP 0.87-0.93)" in over and "suffices" in over
    v = pd.DataFrame({"good": _verdict("holds", 0.85), "weak": _verdict("holds", 0.3), "bad": _verdict("over", 0.9)}).T
    s = bss.national_size_sentence(v, {"good": "G", "weak": "W", "bad": "B"}, effect_sd=0.2, sizes=(39, 39, 39),
                                   grid_n=(21, 336))
    assert "336 prefecture-level cities x 9 years (3,024 city-years), 117 of them" in s
    assert "suffices for G" in s and "For W it is consistent" in s and "For B no size helps" in s
    assert "with 80% power, in SDs: W 0.31)" in s
    assert "N = 336 row of the main grid" in s and "rejects less often" not in s
    v2 = v.copy()
    v2.loc["weak", ["power", "short_of"]] = [0.85, "twins"]
    s3 = bss.national_size_sentence(v2, {"weak": "W"}, effect_sd=0.2, sizes=(39,))
    assert "For W its power reaches the target but the stored twins are too few" in s3 and "consistent but" not in s3
    v.loc["weak", ["size", "consistent"]] = ["under", False]
    s2 = bss.national_size_sentence(v, {"good": "G", "weak": "W", "bad": "B"}, effect_sd=0.2, sizes=(39, 39, 39))
    assert "For W the test rejects less often than nominal" in s2 and "For B no size helps" in s2
    v.loc["good", ["size", "consistent", "sufficient"]] = ["over", False, False]
    assert "For G and B no size helps" in bss.national_size_sentence(v, {"good": "G", "weak": "W", "bad": "B"},
                                                                     effect_sd=0.2, sizes=(39,))
    assert "stops at N = 200" in bss.national_size_sentence(v, {}, effect_sd=0.2, sizes=(39,), grid_n=(21, 200))


def test_brief_groups_the_outcomes_by_verdict():
    v = pd.DataFrame({"good": _verdict("holds", 0.85), "weak": _verdict("holds", 0.3), "bad": _verdict("over", 0.9),
                      "worse": _verdict("under", 0.9)}).T
    b = bss.broadband_brief(v, {"good": "G"}, where="Table 8.9")
    assert b == ("The Broadband China design at the national size (336 cities x 9 years) is sufficient for G; "
                 "consistent but short of power for weak; not shown consistent for bad and worse (Table 8.9).")


def test_design_table_reads_the_largest_design():
    tab = bss.design_table(bb.performance(_rows()), {"a": "A"})
    assert list(tab.index) == ["A", "b"] and set(tab["design"]) == {"336 x 9"}
    assert tab.loc["A", "twins"] == 40


def test_absent_store_is_none_and_said(tmp_path):
    assert bb.load_if_present(tmp_path / "nothing") is None
    assert bb.load_if_present(tmp_path) is None
    assert "make power-broadband" in bss.absent_sentence(tmp_path)


# --------------------------------------------------------------------------- the stored cells
@pytest.mark.slow
def test_tiny_study_is_stored_reloaded_and_recomputed_on_a_changed_setting(tmp_path, monkeypatch):
    from helpers.studies.store import StoreError

    out = tmp_path / "broadband"
    monkeypatch.setattr(bb, "default_store", lambda: out)
    # the real command line (run as __main__, whose per-twin function must still get its module's digest)
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    r = subprocess.run([sys.executable, "-m", "helpers.studies.broadband_study", "run", "--out", str(out),
                        "--reps", "2", "--workers", "1", "--no-progress"], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    names = sorted(p.name for p in out.glob("*.parquet"))
    assert names == sorted(f"{c.name}.parquet" for c in bb.cells())
    expect = bb.expected_fingerprints(reps=2)
    for name in names:
        meta = pq.read_schema(out / name).metadata
        assert meta[b"design_fingerprint"].decode() == expect[name]
        assert meta[b"analysis_digest"]
    # a rerun reuses every cell and returns the same twins
    again = bb.run(out, reps=2, n_workers=1, progress=False)
    assert again.computed == [] and len(again.skipped) == 3
    rows = bb.load(out)
    pd.testing.assert_frame_equal(again.rows, rows)
    pd.testing.assert_frame_equal(bb.load(), rows)          # the store read against the current settings
    assert len(rows) == 6 and rows.groupby("rep")["seed"].nunique().eq(1).all()     # paired seeds
    # the stored performance table is the one its rows give
    stored = bb.load_performance(out)
    pd.testing.assert_frame_equal(stored, bb.performance(rows), check_dtype=False, atol=1e-9)
    assert bb.study_log(out)["options"]["effect_sd"] == bb.OPTIONS["effect_sd"]
    # a changed setting recomputes the cell it defines
    changed = bb.run(out, reps=2, worlds=("effect",), options={"effect_sd": 0.3}, n_workers=1, progress=False,
                     record=False)
    assert changed.computed == ["336x9-effect"]
    new_fp = pq.read_schema(out / "336x9-effect.parquet").metadata[b"design_fingerprint"].decode()
    assert new_fp != expect["336x9-effect.parquet"]
    assert new_fp == bb.expected_fingerprints(reps=2, options={"effect_sd": 0.3})["336x9-effect.parquet"]
    with pytest.raises(StoreError, match="336x9-effect.parquet"):   # never mixed with the book's settings
        bb.load()
