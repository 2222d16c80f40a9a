"""helpers.measure against hand-computed examples, closed forms and properties."""

import math
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from helpers import measure

PROP = settings(max_examples=50, deadline=None)


def _plogp_entropy(col):
    """Shannon entropy (base m) of a column of non-negative numbers, by plain math."""
    tot = sum(col)
    return -sum((v / tot) * math.log(v / tot) for v in col if v > 0) / math.log(len(col))


# --------------------------------------------------------------------------- matrices
# a strategy for indicator matrices whose columns all vary
def _varying_matrix(min_rows=3, max_rows=12, min_cols=2, max_cols=5):
    return (
        st.tuples(st.integers(min_rows, max_rows), st.integers(min_cols, max_cols))
        .flatmap(lambda s: arrays(np.float64, s, elements=st.floats(-1e3, 1e3, allow_nan=False)))
        .filter(lambda a: np.all(np.ptp(a, axis=0) > 1e-6 * (1 + np.abs(a).max())))
    )


# ---------------------------------------------------------------------- entropy weights
def test_entropy_weights_hand_example_shift_zero():
    # a (positive): z = 0, 1/3, 1 -> p = 0, 1/4, 3/4
    # b (negative): z = (30-x)/20 = 1, 0, 1/2 -> p = 2/3, 0, 1/3
    X = pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [10.0, 30.0, 20.0]}, index=["x", "y", "z"])
    e_a = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75)) / math.log(3)
    e_b = -(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3)) / math.log(3)
    w_a = (1 - e_a) / ((1 - e_a) + (1 - e_b))
    w = measure.entropy_weights(X, positive={"b": False}, shift=0)
    assert list(w.index) == ["a", "b"]
    assert w["a"] == pytest.approx(w_a, rel=1e-12)
    assert w["b"] == pytest.approx(1 - w_a, rel=1e-12)
    assert w["a"] == pytest.approx(0.53712, abs=1e-3)


def test_entropy_weights_hand_example_default_shift():
    X = pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [10.0, 30.0, 20.0]})
    za = [0.002 + 0.998 * z for z in (0, 1 / 3, 1)]
    zb = [0.002 + 0.998 * z for z in (1, 0, 0.5)]
    da, db = 1 - _plogp_entropy(za), 1 - _plogp_entropy(zb)
    w = measure.entropy_weights(X, positive={"b": False})
    np.testing.assert_allclose(w.to_numpy(), [da / (da + db), db / (da + db)], rtol=1e-12)
    z = measure.normalize_indicators(X, positive={"b": False})
    np.testing.assert_allclose(z["a"], za, rtol=1e-14)
    np.testing.assert_allclose(z["b"], zb, rtol=1e-14)


def test_entropy_index_and_topsis_hand_example():
    # shift 0, equal weights: z rows (0, 1), (1/3, 0), (1, 1/2)
    X = pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [10.0, 30.0, 20.0]}, index=["x", "y", "z"])
    idx = measure.entropy_index(X, positive={"b": False}, shift=0, weights={"a": 0.5, "b": 0.5})
    np.testing.assert_allclose(idx, [0.5, 1 / 6, 0.75], rtol=1e-14)
    assert list(idx.index) == ["x", "y", "z"]
    # v = z / 2; best (0.5, 0.5), worst (0, 0)
    v = [(0, 0.5), (1 / 6, 0), (0.5, 0.25)]
    dp = [math.hypot(a - 0.5, b - 0.5) for a, b in v]
    dm = [math.hypot(a, b) for a, b in v]
    t = measure.topsis(X, [0.5, 0.5], positive={"b": False}, shift=0)
    np.testing.assert_allclose(t, [m / (p + m) for p, m in zip(dp, dm)], rtol=1e-13)
    # x: D+ = D- = 1/2; y: D+ = sqrt(13)/6, D- = 1/6
    assert t["x"] == pytest.approx(0.5) and t["y"] == pytest.approx(1 / (1 + math.sqrt(13)))


def test_entropy_index_default_weights_are_entropy_weights():
    X = pd.DataFrame({"a": [1.0, 2.0, 4.0, 3.0], "b": [10.0, 30.0, 20.0, 25.0]})
    w = measure.entropy_weights(X)
    z = measure.normalize_indicators(X)
    expected = [w["a"] * z.loc[i, "a"] + w["b"] * z.loc[i, "b"] for i in X.index]
    np.testing.assert_allclose(measure.entropy_index(X), expected, rtol=1e-14)


@PROP
@given(_varying_matrix())
def test_entropy_weights_are_a_distribution(a):
    w = measure.entropy_weights(pd.DataFrame(a))
    assert np.all(w >= 0)
    assert w.sum() == pytest.approx(1.0, abs=1e-12)


@PROP
@given(_varying_matrix(), st.floats(1e-3, 1e3), st.integers(0, 4))
def test_entropy_weights_invariant_to_rescaling(a, c, j):
    j = j % a.shape[1]
    b = a.copy()
    b[:, j] *= c
    w1 = measure.entropy_weights(pd.DataFrame(a)).to_numpy()
    w2 = measure.entropy_weights(pd.DataFrame(b)).to_numpy()
    np.testing.assert_allclose(w1, w2, rtol=1e-7, atol=1e-10)


@PROP
@given(_varying_matrix(), st.integers(0, 4))
def test_flipped_negative_indicator_gives_same_weights(a, j):
    j = j % a.shape[1]
    flipped = a.copy()
    flipped[:, j] = -flipped[:, j]
    w_neg = measure.entropy_weights(pd.DataFrame(a), positive={j: False})
    w_flip = measure.entropy_weights(pd.DataFrame(flipped), positive={j: True})
    np.testing.assert_allclose(w_neg, w_flip, rtol=1e-9, atol=1e-12)
    s_neg = measure.topsis(pd.DataFrame(a), w_neg, positive={j: False})
    s_flip = measure.topsis(pd.DataFrame(flipped), w_neg)
    np.testing.assert_allclose(s_neg, s_flip, rtol=1e-9, atol=1e-12)


@PROP
@given(_varying_matrix())
def test_topsis_and_index_ranges(a):
    X = pd.DataFrame(a)
    s = measure.topsis(X, measure.entropy_weights(X))
    assert np.all((s >= 0) & (s <= 1)) and not s.isna().any()
    i = measure.entropy_index(X)
    assert np.all((i >= 0.002 - 1e-12) & (i <= 1 + 1e-12))


def test_constant_indicator_raises_or_drops():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "flat": [5.0, 5.0, 5.0]})
    with pytest.raises(ValueError, match="constant indicator.*'flat'"):
        measure.entropy_weights(X)
    with pytest.warns(UserWarning, match="'flat'"):
        w = measure.entropy_weights(X, drop_constant=True)
    assert list(w.index) == ["a"] and w["a"] == pytest.approx(1.0)


def test_nan_names_column_and_row():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, np.nan, 3.0]}, index=["GZ", "SZ", "ZH"])
    with pytest.raises(ValueError, match="column 'b', row 'SZ'"):
        measure.entropy_weights(X)
    with pytest.raises(ValueError, match="column 'b', row 'SZ'"):
        measure.topsis(X, [0.5, 0.5])


def test_entropy_bad_arguments():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]})
    with pytest.raises(ValueError, match="unknown column.*'c'"):
        measure.entropy_weights(X, positive={"c": False})
    with pytest.raises(ValueError, match="shift"):
        measure.entropy_weights(X, shift=1.0)
    with pytest.raises(ValueError, match="sum to 1"):
        measure.entropy_index(X, weights=[0.5, 0.6])
    with pytest.raises(ValueError, match="no weight for column.*'b'"):
        measure.topsis(X, {"a": 1.0})
    with pytest.raises(ValueError, match="at least 2 rows"):
        measure.entropy_weights(X.iloc[:1])
    with pytest.raises(ValueError, match="column 'c' is not numeric"):
        measure.entropy_weights(X.assign(c=["x", "y", "z"]))


def test_shift_zero_handles_zero_probabilities_without_nan():
    X = pd.DataFrame({"a": [0.0, 0.0, 1.0], "b": [0.0, 1.0, 2.0]})
    w = measure.entropy_weights(X, shift=0)
    assert not w.isna().any()
    # a: p = (0, 0, 1): entropy 0, so 1 - e_a = 1; b: p = (0, 1/3, 2/3)
    d_b = 1 - _plogp_entropy([0, 1, 2])
    assert w["a"] == pytest.approx(1 / (1 + d_b), rel=1e-12)


# ------------------------------------------------------------------- location quotient
def test_location_quotient_hand_example():
    emp = pd.DataFrame({"man": [10.0, 20.0], "svc": [30.0, 40.0]}, index=["A", "B"])
    lq = measure.location_quotient(emp)
    # E = 100, E_man = 30, E_svc = 70; e_A = 40, e_B = 60
    expected = [[(10 / 40) / 0.3, (30 / 40) / 0.7], [(20 / 60) / 0.3, (40 / 60) / 0.7]]
    np.testing.assert_allclose(lq.to_numpy(), expected, rtol=1e-14)
    assert list(lq.index) == ["A", "B"] and list(lq.columns) == ["man", "svc"]


def test_location_quotient_external_benchmark_and_city_total():
    emp = pd.DataFrame({"man": [10.0, 20.0], "svc": [30.0, 40.0]}, index=["A", "B"])
    nation = pd.Series({"man": 200.0, "svc": 300.0, "agri": 500.0})
    lq = measure.location_quotient(emp, benchmark=nation)
    assert lq.loc["A", "man"] == pytest.approx((10 / 40) / (200 / 1000))
    lq2 = measure.location_quotient(emp[["man"]], benchmark=nation,
                                    city_total=pd.Series({"A": 40.0, "B": 60.0}))
    assert lq2.loc["B", "man"] == pytest.approx((20 / 60) / 0.2)
    lq3 = measure.location_quotient(emp, benchmark=nation[["man", "svc"]], benchmark_total=1000.0)
    np.testing.assert_allclose(lq3, lq)


@PROP
@given(arrays(np.float64, st.tuples(st.integers(2, 8), st.integers(2, 5)),
              elements=st.floats(1.0, 1e6)))
def test_location_quotient_of_benchmark_row_is_one(e):
    emp = pd.DataFrame(e, index=[f"city{i}" for i in range(e.shape[0])],
                       columns=[f"s{j}" for j in range(e.shape[1])])
    bench = emp.sum()
    with_prov = pd.concat([emp, bench.to_frame("Province").T])
    lq = measure.location_quotient(with_prov, benchmark=bench)
    np.testing.assert_allclose(lq.loc["Province"], 1.0, rtol=1e-12)
    # province benchmark: employment-weighted mean LQ of every sector is 1
    lq0 = measure.location_quotient(emp)
    share = emp.sum(axis=1) / emp.to_numpy().sum()
    np.testing.assert_allclose((lq0.mul(share, axis=0)).sum(), 1.0, rtol=1e-12)


def test_location_quotient_bad_inputs():
    emp = pd.DataFrame({"man": [10.0, -1.0], "svc": [30.0, 40.0]}, index=["A", "B"])
    with pytest.raises(ValueError, match="negative employment for city 'B', sector 'man'"):
        measure.location_quotient(emp)
    with pytest.raises(ValueError, match="column 'svc', row 'A'"):
        measure.location_quotient(pd.DataFrame({"man": [1.0, 2.0], "svc": [np.nan, 1.0]}, index=["A", "B"]))
    with pytest.raises(ValueError, match="city 'B' has zero total"):
        measure.location_quotient(pd.DataFrame({"man": [1.0, 0.0], "svc": [1.0, 0.0]}, index=["A", "B"]))
    with pytest.raises(ValueError, match="sector.*'svc'"):
        measure.location_quotient(emp.abs(), benchmark=pd.Series({"man": 5.0}))


# --------------------------------------------------------------------- co-agglomeration
def test_coagglomeration_hand_example():
    m = pd.Series([1.2, 0.5, 1.0], index=["A", "B", "C"])
    s = pd.Series([0.8, 1.5, 1.0], index=["A", "B", "C"])
    q = measure.coagglomeration(m, s, part="quality")
    np.testing.assert_allclose(q, [1 - 0.4 / 2.0, 1 - 1.0 / 2.0, 1.0], rtol=1e-14)
    np.testing.assert_allclose(measure.coagglomeration(m, s, part="scale"), [2.0, 2.0, 2.0])
    full = measure.coagglomeration(m, s)
    np.testing.assert_allclose(full, [2.8, 2.5, 3.0], rtol=1e-14)
    assert list(full.index) == ["A", "B", "C"] and full.name == "coagg_full"
    # reordered labels align by label
    np.testing.assert_allclose(measure.coagglomeration(m, s.iloc[::-1], part="quality"), q)
    assert measure.coagglomeration(2.0, 2.0, part="quality") == 1.0


def test_coagglomeration_bad_inputs():
    m = pd.Series([1.2, 0.5], index=["A", "B"])
    with pytest.raises(ValueError, match="part"):
        measure.coagglomeration(m, m, part="both")
    with pytest.raises(ValueError, match="different index labels"):
        measure.coagglomeration(m, pd.Series([1.0, 1.0], index=["A", "C"]))
    with pytest.raises(ValueError, match="different shapes"):
        measure.coagglomeration(np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="lq_s.*'B'"):
        measure.coagglomeration(m, pd.Series([1.0, np.nan], index=["A", "B"]))
    with pytest.raises(ValueError, match="lq_m.*'A'.*>= 0"):
        measure.coagglomeration(pd.Series([-1.0, 1.0], index=["A", "B"]), m)
    with pytest.raises(ValueError, match="both zero for 'B'"):
        measure.coagglomeration(pd.Series([1.0, 0.0], index=["A", "B"]), pd.Series([1.0, 0.0], index=["A", "B"]))


# ---------------------------------------------------------------- coupling coordination
def test_coupling_two_systems_hand_example():
    U = pd.DataFrame({"digital": [0.4], "industry": [0.9]}, index=["Guangzhou"])
    r = measure.coupling_coordination(U)
    assert r.loc["Guangzhou", "C"] == pytest.approx(1.2 / 1.3, rel=1e-14)  # 2 sqrt(.36) / 1.3
    assert r.loc["Guangzhou", "T"] == pytest.approx(0.65, rel=1e-14)
    assert r.loc["Guangzhou", "D"] == pytest.approx(math.sqrt(0.6), rel=1e-14)
    assert r.loc["Guangzhou", "band"] == "intermediate coordination"
    assert list(r.columns) == ["C", "T", "D", "band"]


def test_coupling_three_systems_is_not_the_two_system_formula():
    U = pd.DataFrame({"a": [0.2], "b": [0.4], "c": [0.8]})
    C = measure.coupling_coordination(U)["C"].iloc[0]
    # n (prod)^(1/n) / sum = 3 * 0.064^(1/3) / 1.4 = 3 * 0.4 / 1.4
    assert C == pytest.approx(6 / 7, rel=1e-12)
    naive_two_system = 2 * math.sqrt(0.2 * 0.4 * 0.8) / 1.4
    no_factor_n = 0.4 / 1.4
    assert abs(C - naive_two_system) > 0.4 and abs(C - no_factor_n) > 0.5
    # with equal scores the right C is 1 and the naive one is not
    E = measure.coupling_coordination(pd.DataFrame({"a": [0.5], "b": [0.5], "c": [0.5]}))
    assert E["C"].iloc[0] == pytest.approx(1.0, abs=1e-15)
    assert 2 * math.sqrt(0.5 ** 3) / 1.5 != pytest.approx(1.0)


def test_coupling_modified_hand_examples():
    U = pd.DataFrame({"a": [0.4, 0.2], "b": [0.9, 0.4], "c": [None, 0.8]})
    r2 = measure.coupling_coordination(U.iloc[:1, :2], modified=True)
    # [1 - 0.5 / 1] * (0.4 / 0.9) ^ 1 = 2/9
    assert r2["C"].iloc[0] == pytest.approx(math.sqrt(2 / 9), rel=1e-14)
    r3 = measure.coupling_coordination(U.iloc[1:], modified=True)
    # pairs |.2-.4| + |.2-.8| + |.4-.8| = 1.2 over 3 -> 0.6; (0.25 * 0.5 * 1)^(1/2)
    assert r3["C"].iloc[0] == pytest.approx(math.sqrt(0.6 * math.sqrt(0.125)), rel=1e-14)
    assert r3["T"].iloc[0] == pytest.approx(1.4 / 3, rel=1e-14)


def test_coupling_weights_and_zero_row():
    U = pd.DataFrame({"a": [0.4, 0.0], "b": [0.9, 0.0]}, index=["x", "y"])
    r = measure.coupling_coordination(U, weights={"a": 0.25, "b": 0.75})
    assert r.loc["x", "T"] == pytest.approx(0.25 * 0.4 + 0.75 * 0.9)
    for modified in (False, True):
        z = measure.coupling_coordination(U, modified=modified).loc["y"]
        assert (z["C"], z["T"], z["D"], z["band"]) == (0.0, 0.0, 0.0, "extreme disorder")
    with pytest.raises(ValueError, match="sum to 1"):
        measure.coupling_coordination(U, weights=[0.5, 0.6])
    with pytest.raises(ValueError, match="weight of column 'a'"):
        measure.coupling_coordination(U, weights=[-0.5, 1.5])


_unit = st.floats(0.0, 1.0, allow_nan=False)


@PROP
@given(st.integers(2, 6).flatmap(lambda n: arrays(np.float64, (7, n), elements=_unit)), st.booleans())
def test_coupling_ranges(u, modified):
    r = measure.coupling_coordination(pd.DataFrame(u), modified=modified)
    assert not r[["C", "T", "D"]].isna().any().any()
    for col in ("C", "T", "D"):
        assert r[col].between(0, 1).all()


@PROP
@given(st.integers(2, 7), st.floats(1e-6, 1.0), st.booleans())
def test_coupling_equal_scores_give_c_one(n, u, modified):
    r = measure.coupling_coordination(pd.DataFrame([[u] * n]), modified=modified)
    assert r["C"].iloc[0] == pytest.approx(1.0, abs=1e-12)
    assert r["D"].iloc[0] == pytest.approx(math.sqrt(u), rel=1e-12)


@PROP
@given(_unit, _unit)
def test_coupling_two_system_closed_form(u1, u2):
    r = measure.coupling_coordination(pd.DataFrame({"u1": [u1], "u2": [u2]}))
    expected = 0.0 if u1 + u2 == 0 else 2 * math.sqrt(u1 * u2) / (u1 + u2)
    assert r["C"].iloc[0] == pytest.approx(min(expected, 1.0), rel=1e-12, abs=1e-300)


def test_coupling_bad_inputs():
    with pytest.raises(ValueError, match="column 'b', row 'SZ' is 1.2"):
        measure.coupling_coordination(pd.DataFrame({"a": [0.1, 0.2], "b": [0.3, 1.2]}, index=["GZ", "SZ"]))
    with pytest.raises(ValueError, match="column 'a', row 'GZ'"):
        measure.coupling_coordination(pd.DataFrame({"a": [-0.1, 0.2], "b": [0.3, 0.2]}, index=["GZ", "SZ"]))
    with pytest.raises(ValueError, match="missing.*column 'b', row 'SZ'"):
        measure.coupling_coordination(pd.DataFrame({"a": [0.1, 0.2], "b": [0.3, np.nan]}, index=["GZ", "SZ"]))
    with pytest.raises(ValueError, match="at least 2 subsystem"):
        measure.coupling_coordination(pd.DataFrame({"a": [0.1]}))


def test_coordination_band_edges():
    band = measure.coordination_band
    assert band(0.1) == "serious disorder"
    assert band(0.0999) == "extreme disorder"
    assert band(0.0) == "extreme disorder"
    assert band(1.0) == "high-quality coordination"
    assert band(0.9) == "high-quality coordination"
    assert band(0.8999999) == "good coordination"
    # every decimal edge opens its band
    for k in range(10):
        assert band(k / 10) == measure.COORDINATION_BANDS[k]
        assert band(float(f"0.{k}")) == measure.COORDINATION_BANDS[k]
    assert band(0.3) == "mild disorder" and band(0.7) == "intermediate coordination"
    assert len(measure.COORDINATION_BANDS) == 10


def test_coordination_band_vector_types():
    cat = measure.coordination_band(np.array([0.05, 0.55, 1.0]))
    assert isinstance(cat, pd.Categorical) and cat.ordered
    assert list(cat) == ["extreme disorder", "barely coordinated", "high-quality coordination"]
    assert list(cat.codes) == [0, 5, 9]
    s = measure.coordination_band(pd.Series([0.45, 0.65], index=["GZ", "SZ"]))
    assert list(s.index) == ["GZ", "SZ"] and s["SZ"] == "primary coordination"
    assert list(s.cat.categories) == list(measure.COORDINATION_BANDS)
    with pytest.raises(ValueError, match="for 'SZ'"):
        measure.coordination_band(pd.Series([0.45, 1.01], index=["GZ", "SZ"]))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        measure.coordination_band(np.nan)


# ---------------------------------------------------------------------------- synergy
def test_order_degree_hand_example():
    X = pd.DataFrame({"e1": [5.0, 12.0], "e2": [1.0, 4.0]}, index=["2015", "2020"])
    u = measure.order_degree(X, lower={"e1": 0, "e2": 0}, upper={"e1": 10, "e2": 4},
                             positive={"e2": False})
    # 2015: e1 0.5, e2 (4-1)/4 = 0.75; 2020: e1 clipped to 1, e2 0
    np.testing.assert_allclose(u, [0.625, 0.5], rtol=1e-14)
    g = measure.order_degree(X, 0, [10, 4], positive=[True, False], geometric=True)
    np.testing.assert_allclose(g, [math.sqrt(0.375), 0.0], rtol=1e-14)
    w = measure.order_degree(X, 0, [10, 4], positive=[True, False], weights=[0.2, 0.8])
    assert w.iloc[0] == pytest.approx(0.2 * 0.5 + 0.8 * 0.75)
    with pytest.raises(ValueError, match="column 'e2' must exceed"):
        measure.order_degree(X, 0, {"e1": 10, "e2": 0})


def test_synergy_degree_hand_example():
    assert measure.synergy_degree([0.2, 0.5], [0.4, 0.6]) == pytest.approx(math.sqrt(0.02), rel=1e-14)
    # one subsystem fell: negative sign
    assert measure.synergy_degree([0.2, 0.5], [0.4, 0.45]) == pytest.approx(-0.1, rel=1e-12)
    # all fell: still negative (theta = +1 needs every subsystem to rise)
    assert measure.synergy_degree([0.4, 0.6], [0.2, 0.5]) == pytest.approx(-math.sqrt(0.02), rel=1e-14)
    # three subsystems: cube root
    assert measure.synergy_degree(pd.Series({"d": 0.1, "i": 0.2, "g": 0.3}),
                                  pd.Series({"g": 0.5, "i": 0.3, "d": 0.2})) == pytest.approx(
        (0.1 * 0.1 * 0.2) ** (1 / 3), rel=1e-12)
    assert measure.synergy_degree([0.2, 0.5], [0.2, 0.9]) == 0.0


def test_synergy_degree_panel():
    u0 = pd.DataFrame({"digital": [0.2, 0.4], "industry": [0.5, 0.6]}, index=["GZ", "SZ"])
    u1 = pd.DataFrame({"digital": [0.4, 0.2], "industry": [0.6, 0.5]}, index=["GZ", "SZ"])
    c = measure.synergy_degree(u0, u1)
    assert list(c.index) == ["GZ", "SZ"]
    np.testing.assert_allclose(c, [math.sqrt(0.02), -math.sqrt(0.02)], rtol=1e-14)
    with pytest.raises(ValueError, match="subsystem 'industry', row 'SZ'"):
        measure.synergy_degree(u0, u1.assign(industry=[0.6, 1.5]))
    with pytest.raises(ValueError, match="same index"):
        measure.synergy_degree(u0, u1.set_axis(["GZ", "ZH"]))
    with pytest.raises(ValueError, match="at least 2 subsystems"):
        measure.synergy_degree([0.2], [0.3])
    with pytest.raises(ValueError, match="different shapes"):
        measure.synergy_degree([0.2, 0.3], [0.3, 0.4, 0.5])


@PROP
@given(st.integers(2, 5).flatmap(lambda k: st.tuples(arrays(np.float64, k, elements=_unit),
                                                     arrays(np.float64, k, elements=_unit))))
def test_synergy_degree_properties(pair):
    u0, u1 = pair
    c = measure.synergy_degree(u0, u1)
    assert -1 <= c <= 1
    rose = bool(np.all(u1 > u0))
    assert c >= 0 if rose else c <= 0  # positive only if every subsystem rose
    if rose:  # then reversing the periods makes every subsystem fall: same size, negative
        assert measure.synergy_degree(u1, u0) == pytest.approx(-c)


# ------------------------------------------------------------------------------ Theil
def test_theil_hand_example_between_only_and_within_only():
    T = 0.5 * (2 / 3 * math.log(2 / 3) + 4 / 3 * math.log(4 / 3))  # (1,1,2,2), mean 1.5
    r = measure.theil([1.0, 1.0, 2.0, 2.0], ["a", "a", "b", "b"])
    assert r.total == pytest.approx(T, rel=1e-14)
    assert r.between == pytest.approx(T, rel=1e-14) and r.within == pytest.approx(0.0, abs=1e-15)
    r = measure.theil([1.0, 2.0, 1.0, 2.0], ["a", "a", "b", "b"])
    assert r.within == pytest.approx(T, rel=1e-14) and r.between == pytest.approx(0.0, abs=1e-15)
    assert r["by_group"].loc["a", "theil_within"] == pytest.approx(T, rel=1e-14)
    assert list(r.by_group.columns) == ["n", "pop_share", "share", "theil_within", "contribution",
                                        "between_term"]


def test_theil_weighted_equals_replicated_units():
    # population weights (2, 1, 3) = unweighted Theil on units repeated 2, 1, 3 times
    y = pd.Series([1.0, 4.0, 2.0], index=["A", "B", "C"])
    g = pd.Series(["x", "x", "y"], index=["A", "B", "C"])
    r = measure.theil(y, g, weights=pd.Series([2.0, 1.0, 3.0], index=["A", "B", "C"]))
    rep = measure.theil([1.0, 1.0, 4.0, 2.0, 2.0, 2.0], ["x", "x", "x", "y", "y", "y"])
    assert r.weighted and not rep.weighted
    for k in ("total", "between", "within"):
        assert r[k] == pytest.approx(rep[k], rel=1e-12, abs=1e-15)
    # direct formula sum s ln(s/p)
    s = np.array([2.0, 4.0, 6.0]) / 12
    p = np.array([2.0, 1.0, 3.0]) / 6
    assert r.total == pytest.approx(float(np.sum(s * np.log(s / p))), rel=1e-14)


@PROP
@given(arrays(np.float64, st.integers(2, 30), elements=st.floats(0.01, 1e4)),
       st.data())
def test_theil_decomposition_is_exact(y, data):
    n = y.size
    groups = data.draw(arrays(np.int64, n, elements=st.integers(0, 3)))
    w = data.draw(st.one_of(st.none(), arrays(np.float64, n, elements=st.floats(0.1, 1e3))))
    r = measure.theil(y, groups, weights=w)
    assert abs(r.total - (r.between + r.within)) <= 1e-12
    assert r.total >= -1e-15 and r.between >= -1e-15 and r.within >= -1e-15
    assert r.by_group["contribution"].sum() == pytest.approx(r.within, abs=1e-15)
    assert r.by_group["share"].sum() == pytest.approx(1.0)


@PROP
@given(st.floats(0.01, 1e6), st.integers(1, 20))
def test_theil_of_equal_values_is_zero(v, n):
    r = measure.theil(np.full(n, v), np.arange(n) % 3)
    assert abs(r.total) < 1e-12 and abs(r.between) < 1e-12 and abs(r.within) < 1e-12


def test_theil_keeps_categorical_order_and_names_units():
    y = pd.Series([3.0, 1.0, 2.0], index=["GZ", "MZ", "ST"])
    g = pd.Series(pd.Categorical(["PRD", "North", "East"], categories=["PRD", "East", "West", "North"]),
                  index=y.index)
    r = measure.theil(y, g)
    assert list(r.by_group.index) == ["PRD", "East", "North"]
    assert "between" in r.summary()
    with pytest.raises(ValueError, match="unit 'MZ'"):
        measure.theil(y.replace(1.0, 0.0), g)
    with pytest.raises(ValueError, match="weights must be positive: unit 'ST'"):
        measure.theil(y, g, weights=pd.Series([1.0, 2.0, -1.0], index=y.index))
    # positional groups (list, Categorical) with labelled values
    assert measure.theil(y, ["PRD", "North", "East"]).total == pytest.approx(r.total, rel=1e-14)
    r2 = measure.theil(y, pd.Categorical(["PRD", "North", "East"], categories=["PRD", "East", "North"]))
    assert list(r2.by_group.index) == ["PRD", "East", "North"]
    with pytest.raises(ValueError, match="groups and values have different index labels"):
        measure.theil(y, g.set_axis(["GZ", "MZ", "SZ"]))
    with pytest.raises(ValueError, match="groups: missing group for unit 'ST'"):
        measure.theil(y, ["PRD", "North", None])
    with pytest.raises(ValueError, match="groups has 2 entries"):
        measure.theil(y.to_numpy(), ["a", "b"])


# ---------------------------------------------------------------------------- contract
def test_public_names_and_no_simulate_import():
    for name in ("entropy_weights", "normalize_indicators", "entropy_index", "topsis",
                 "location_quotient", "coagglomeration", "coupling_coordination",
                 "coordination_band", "COORDINATION_BANDS", "order_degree", "synergy_degree",
                 "theil", "TheilResult"):
        assert hasattr(measure, name) and name in measure.__all__
    import ast
    import inspect

    for mod in (measure, sys.modules["helpers.measure.network"] if "helpers.measure.network" in sys.modules
                else __import__("helpers.measure.network", fromlist=["x"])):
        tree = ast.parse(inspect.getsource(mod))
        imported = {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
        imported |= {f"{node.module}" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert not any("simulate" in m for m in imported), mod.__name__


def test_no_warnings_on_clean_input():
    X = pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [10.0, 30.0, 20.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        measure.entropy_weights(X, shift=0)
        measure.coupling_coordination(pd.DataFrame({"a": [0.0, 0.3], "b": [0.0, 0.0]}), modified=True)
        measure.coupling_coordination(pd.DataFrame({"a": [0.0, 0.3], "b": [0.0, 0.0]}))
