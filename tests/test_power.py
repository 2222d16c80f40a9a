"""The book's design study: grid, per-cell twins, CLI, stored-result readers and generated sentences."""

import json

import numpy as np
import pandas as pd
import pytest

from helpers import simulate
from helpers.analysis import report
from helpers.book import study_sentences
from helpers.data import cities
from helpers.measure import constructs
from helpers.studies import design, power


def _rows():
    # two designs x two worlds; H1 supported in 3/4 and 4/4 twins of the effect world
    r = []
    for n, hits in ((21, [1, 1, 1, 0]), (50, [1, 1, 1, 1])):
        for k, h in enumerate(hits):
            r.append({"world": "effect", "n_cities": n, "n_years": 8, "rep": k, "H1": bool(h), "H10": False,
                      "sig_total": bool(h), "sig_alpha_E": k % 2 == 0,
                      "covers_total": 1.0, "covers_prd": np.nan if n == 21 else float(k > 0)})
            r.append({"world": "null", "n_cities": n, "n_years": 8, "rep": k, "H1": k == 0, "H10": False,
                      "sig_total": False, "sig_alpha_E": False, "covers_total": 1.0, "covers_prd": np.nan})
    return pd.DataFrame(r)


def test_columns_are_picked_by_name_whatever_the_twin_reports():
    rows = _rows()
    assert power.outcome_columns(rows, "hypothesis") == ["H1", "H10"]      # H10 after H1, not before H2
    assert power.outcome_columns(rows, "estimate") == ["sig_total", "sig_alpha_E"]
    assert power.outcome_columns(rows, "coverage") == ["covers_total", "covers_prd"]
    with pytest.raises(ValueError, match="kind must be one of"):
        power.outcome_columns(rows, "power")


def test_power_long_shares_and_monte_carlo_errors():
    long = power.power_long(_rows(), ["H1", "covers_prd"]).set_index(["world", "n_cities", "measure"])
    assert long.at[("effect", 21, "H1"), "share"] == 0.75
    assert long.at[("effect", 21, "H1"), "mc_se"] == pytest.approx(np.sqrt(0.75 * 0.25 / 4))
    assert long.at[("null", 50, "H1"), "share"] == 0.25
    # a truth missing in a twin (no PRD city) is left out of the count, not counted as a miss
    assert np.isnan(long.at[("effect", 21, "covers_prd"), "share"])
    assert long.at[("effect", 21, "covers_prd"), "twins"] == 0
    assert long.at[("effect", 50, "covers_prd"), "share"] == 0.75
    with pytest.raises(ValueError, match="no column 'H7'"):
        power.power_long(_rows(), ["H7"])


def test_minimum_designs_and_their_sentences():
    rows = _rows()
    m = power.minimum_designs(rows, ["H1", "sig_alpha_E", "H10"], target=0.8)
    assert m.at["H1", "n_cities"] == 50 and m.at["H1", "city_years"] == 400 and m.at["H1", "share"] == 1.0
    assert m.at["H1", "min_N_T8"] == 50
    assert np.isnan(m.at["sig_alpha_E", "n_cities"]) and m.at["sig_alpha_E", "best_share"] == 0.5
    s = study_sentences.design_sentence("H1", m.loc["H1"], 0.8)
    assert "first reached with 50 cities over 8 years (400 city-years; power 1.00" in s
    s = study_sentences.design_sentence("alpha_E", m.loc["sig_alpha_E"], 0.8)
    assert "not reached in the grid; the highest is 0.50 with 21 cities x 8 years" in s
    # a lower target is reached by the smaller design
    assert power.minimum_designs(rows, ["H1"], target=0.7).at["H1", "n_cities"] == 21


def test_minimum_designs_hold_the_size_of_the_test():
    rows = _rows()
    # at 21 cities the no-effect world declares H1 in 1 of 4 twins; make it 4 of 4 at 50 cities
    rows.loc[(rows["world"] == "null") & (rows["n_cities"] == 50), "H1"] = True
    m = power.minimum_designs(rows, ["H1", "sig_alpha_E"], target=0.7)
    # first reached at 21 cities, where the no-effect rate is 0.25 (SE 0.217): 0.25 - 0.43 < 0.05, controlled
    assert m.at["H1", "n_cities"] == 21 and m.at["H1", "false_positive"] == 0.25
    assert m.at["H1", "sized_n_cities"] == 21
    m = power.minimum_designs(rows, ["H1"], target=0.8)    # only 50 cities reach 0.8; there fp = 1.0
    assert m.at["H1", "n_cities"] == 50 and m.at["H1", "false_positive"] == 1.0
    assert np.isnan(m.at["H1", "sized_n_cities"])
    s = study_sentences.design_sentence("H1", m.loc["H1"], 0.8)
    assert "declares it in 100% of twins" in s and "no design of the grid reaches it" in s
    # sig_alpha_E is 0 in the null world of _rows but its truth column is absent: counted as zero-truth
    assert power.minimum_designs(rows, ["sig_alpha_E"], target=0.5).at["sig_alpha_E", "false_positive"] == 0.0


def test_false_positive_and_coverage_sentences_read_the_numbers():
    rows = _rows()
    s = study_sentences.false_positive_sentence(rows, ["H1", "sig_total"])
    assert "largest false-positive rate over 4 cells and measures is 0.250 (H1, 21 cities x 8 years" in s
    assert "mean is 0.125" in s
    # 4 twins per cell: no coverage is a claim, and none is quoted (no grid average either)
    s = study_sentences.coverage_sentence(rows, ["covers_total", "covers_prd"])
    assert s.startswith("No coverage of the stored grid is stated as a number: with at most 4 twins per cell")
    assert "0.75" not in s and "1.00" not in s and "none of its 3 coverages" in s
    assert study_sentences.coverage_sentence(rows, ["covers_total"], where="Table X").endswith("claim (Table X).")


def _coverage_rows():
    # 21 x 13 with 500 twins (coverage claims possible), 50 x 13 with 200 (none)
    r = []
    for n, reps in ((21, 500), (50, 200)):
        for k in range(reps):
            r.append({"world": "effect", "n_cities": n, "n_years": 13, "rep": k,
                      "covers_total": float(k < 0.95 * reps + (n == 50)),   # 475 of 500; 191 of 200
                      "covers_prd": float(k < 0.9 * reps),                  # 450 of 500: SE 0.013
                      "covers_a_flows": 0.0})                               # never covers
    return pd.DataFrame(r)


def test_coverage_sentence_quotes_only_coverages_with_a_claim():
    from helpers.studies.performance import coverage_mcse_for_claim

    cols = ["covers_total", "covers_prd", "covers_a_flows"]
    s = study_sentences.coverage_sentence(_coverage_rows(), cols)
    assert coverage_mcse_for_claim(0.9, 500) > 0.01 >= coverage_mcse_for_claim(0.95, 500)
    assert "2 of the grid's 6 coverages (estimates x designs), at 21 x 13." in s
    assert f"{power.label('covers_total')} at 21 x 13: 0.950 (MC SE 0.010, 500 twins)" in s
    assert f"{power.label('covers_a_flows')} at 21 x 13: 0.000 (MC SE 0.000, 500 twins)" in s
    assert f"1 of them falls short of 95% by more than two Monte Carlo SEs: {power.label('covers_a_flows')}." in s
    assert "The other 4 have a larger Monte Carlo SE" in s
    for unclaimed in ("0.900", "0.955", "0.90 ", "0.96"):   # 21 x 13 PRD, 50 x 13 total: never quoted
        assert unclaimed not in s
    brief = study_sentences.coverage_sentence(_coverage_rows(), cols, where="Table X")
    assert brief.startswith("Coverage claims (Monte Carlo SE at most 0.01): 2 of 6 coverages, at 21 x 13; 1 of them")
    assert brief.endswith(f"({power.label('covers_a_flows')} at 21 x 13: 0.000) (Table X).") and "0.950" not in brief


def test_a_channel_present_in_both_worlds_is_no_false_positive():
    rows = _rows()
    rows["true_alpha_E"] = 1.0                       # the exposure channel exists in the null world too
    rows["true_total"] = np.where(rows["world"] == "null", 0.0, 0.3)
    zero, other = power.null_columns(rows, ["H1", "sig_total", "sig_alpha_E"])
    assert zero == ["H1", "sig_total"] and other == ["sig_alpha_E"]
    s = study_sentences.false_positive_sentence(rows, ["H1", "sig_total", "sig_alpha_E"])
    assert "over 4 cells and measures" in s and "Not counted, because their truth is not zero" in s


def test_labels():
    assert power.label("H2").startswith("H2: part of the effect runs through factor-flow")
    assert power.label("H2", short=True) == "H2"
    assert power.label("sig_via_flows") == power.label("covers_via_flows") == "indirect via flows (a1 b1)"
    assert power.label("sig_new_channel") == "new channel"


def test_grid_uses_every_national_unit():
    assert max(power.N_GRID) == len(cities.city_set("national"))
    assert {k for k in power.REPS if not isinstance(k, tuple)} == set(power.N_GRID)
    assert power.WORLDS == ("effect", "null", "null_unconfounded")
    cells = power.cells()
    assert len(cells) == len(power.N_GRID) * (len(power.T_GRID) + 2 * len(power.NULL_YEARS))
    for world in ("null", "null_unconfounded"):
        assert {(c.n_cities, c.n_years) for c in cells if c.world == world} == {
            (n, t) for n in power.N_GRID for t in power.NULL_YEARS}
    # an explicit grid without those years keeps the no-effect cells it asks for
    assert [c.name for c in power.cells([21], [8], ("null",))] == ["21x8-null"]
    assert [c.name for c in power.cells([21], [8, 13], ("effect", "null"))] == [
        "21x8-effect", "21x13-effect", "21x13-null"]


@pytest.mark.slow  # a Dask LocalCluster: about 30 s
def test_twins_per_cell_by_city_count_and_only_changed_cells_recompute(tmp_path):
    cells = design.grid([21, 50], [8], ["effect"])
    reps = {21: 6, 50: 3}
    s = design.run_study(cells, design.toy_twin, tmp_path, reps=reps, n_workers=1, progress=False)
    assert s.rows.groupby("n_cities").size().to_dict() == reps
    # more twins at 50 cities: only that cell is written, extended by its 4th twin; its first 3 are kept
    s2 = design.run_study(cells, design.toy_twin, tmp_path, reps={21: 6, 50: 4}, n_workers=1, progress=False)
    assert s2.computed == s2.extended == ["50x8-effect"] and s2.skipped == ["21x8-effect"]
    assert s2.twins_computed == 1
    pd.testing.assert_frame_equal(s2.rows[s2.rows.n_cities == 50].head(3).reset_index(drop=True),
                                  s.rows[s.rows.n_cities == 50].reset_index(drop=True))
    with pytest.raises(ValueError, match="no number of twins for 50 cities"):
        design.reps_of({21: 3}, cells[1])
    with pytest.raises(ValueError, match="positive whole number"):
        design.reps_of(0, cells[0])


@pytest.mark.slow  # a Dask LocalCluster and a real (small) twin: about 30 s
def test_command_line_runs_records_and_resumes(tmp_path, capsys):
    out = tmp_path / "power"
    args = ["run", "--out", str(out), "--cities", "21", "--years", "8", "--worlds", "null", "--reps", "2",
            "--workers", "1", "--no-progress"]
    assert power.main(args) == 0
    assert "1 cells computed, 0 reused, 2 twins" in capsys.readouterr().out
    log = json.loads((out / "study.json").read_text())
    assert log["generator"] == simulate.GENERATOR_VERSION and log["reps"] == {"21": 2}
    assert len(log["runs"]) == 1 and log["runs"][0]["cells_computed"] == ["21x8-null"]
    assert "| 1 | 2 |" in (out / "PROVENANCE.md").read_text()
    rows = power.load(out)
    assert len(rows) == 2 and {"H1", "H5"} <= set(rows.columns) and (rows["world"] == "null").all()
    assert power.load_performance(out).empty       # no effect world: a performance table without rows
    # a rerun skips the finished cell and records no new run
    assert power.main(args) == 0
    assert "0 cells computed, 1 reused" in capsys.readouterr().out
    assert len(json.loads((out / "study.json").read_text())["runs"]) == 1
    with pytest.raises(SystemExit):
        power.main(["run", "--scheduler", "tcp://127.0.0.1:1", "--workers", "2"])


def test_rest_label_names_the_cities_outside_the_delta():
    cs = cities.city_set("sample", n=25, seed=1)
    panel, truth = simulate.simulate_panel(seed=3, cities=cs, years=range(2011, 2019))
    panel = panel.astype({c: float for c in panel.columns if str(panel[c].dtype) == "Int64"})
    res = report.run_mechanism(constructs.build_constructs(panel), truth.W, n_boot=19, threshold_boot=9,
                               wild_boot=0)
    assert "Other" in res.settings["rest_regions"]
    assert report.estimates_table(res).at["rest", "quantity"] == "total effect, cities outside the Pearl River Delta"
    # Guangdong's own regions (and results stored before the label existed) keep the old label
    assert report.rest_label(None) == report.rest_label(["East", "West", "North"]) == "East, West and North cities"
