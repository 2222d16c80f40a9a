"""Analysis constructs built from a raw panel: properties that hold whatever the data."""

import numpy as np
import pandas as pd
import pytest

from helpers import data
from helpers.measure import constructs


@pytest.fixture(scope="module")
def panel():
    return data.load_panel()


@pytest.fixture(scope="module")
def built(panel):
    return constructs.build_constructs(panel)


def test_va_index_uses_pooled_entropy_weights(built, panel):
    w = pd.Series(built.attrs["va_weights"])
    assert w.sum() == pytest.approx(1.0) and (w > 0).all()
    # index = sum_j w_j z'_j with z' = 0.002 + 0.998 (x - min)/(max - min), pooled over all rows
    X = panel[list(constructs.VA_INDICATORS)]
    z = 0.002 + 0.998 * (X - X.min()) / (X.max() - X.min())
    np.testing.assert_allclose(built["va_index"], (z * w).sum(axis=1), rtol=1e-12)
    assert built["va_topsis"].between(0, 1).all()


def test_employment_weighted_mean_lq_is_one_each_year(built, panel):
    # sum_i e_i LQ_ij = E for every sector j when the benchmark is the province
    for year, g in built.groupby("year"):
        e = panel.loc[g.index, "employment"]
        assert (e * g["lq_manufacturing"]).sum() / e.sum() == pytest.approx(1.0, rel=1e-12), year


def test_coagglomeration_parts_are_consistent(built):
    np.testing.assert_allclose(built["coagg_full"], built["coagg_quality"] + built["coagg_scale"])
    np.testing.assert_allclose(built["coagg_scale"], built["lq_manufacturing"] + built["lq_services"])
    assert built["synergy"].between(0, 1).all()


def test_flow_positions_invariant_to_the_unit_of_mass(panel):
    # F_ij scales by k^2 when every mass is multiplied by k (k_ij unchanged), so the standardised
    # network position must not move, and each log strength shifts by exactly 2 ln k
    a = constructs.flow_positions(panel)
    scaled = {k: (lambda p, f=f: 1000.0 * f(p)) for k, f in constructs.FLOW_MASSES.items()}
    b = constructs.flow_positions(panel, masses=scaled)
    np.testing.assert_allclose(b["flow_network"], a["flow_network"], atol=1e-10)
    np.testing.assert_allclose(b["flow_talent"] - a["flow_talent"], 2 * np.log(1000.0), rtol=1e-10)


def test_closer_cities_have_higher_flow_positions_for_equal_masses(panel):
    equal = {"talent": lambda p: pd.Series(1.0, index=p.index)}
    pos = constructs.flow_positions(panel[panel.year == 2020], masses=equal).set_index("city")["flow_talent"]
    # with equal masses the position is ln sum_j d_ij^-b (k_ij = 1/2 both ways): closed form
    d = data.distance_matrix().to_numpy()
    with np.errstate(divide="ignore"):
        expected = np.log((np.where(d > 0, d ** -2.0, 0.0)).sum(axis=1))
    np.testing.assert_allclose(pos.loc[data.city_table().index], expected, rtol=1e-10)


def test_instrument_is_centred_within_each_year(built):
    assert built.groupby("year")["instrument"].mean().abs().max() < 1e-12


def test_sector_employment_above_total_is_named(panel):
    bad = panel.copy()
    bad.loc[7, "emp_manufacturing"] = bad.loc[7, "employment"] * 2
    with pytest.raises(ValueError, match="city Guangzhou, year 2018: sector employment exceeds total"):
        constructs.build_constructs(bad)


def test_standardize_rejects_constant_columns(built):
    with pytest.raises(ValueError, match="'flat' is constant"):
        constructs.standardize(built.assign(flat=1.0), ["flat"])


@pytest.mark.realdata
def test_virtual_agglomeration_index_from_the_real_pku_index(realdata, panel):
    # the real Peking University index (2011-2023) in place of the twin's simulated column
    real = data.read_pku_dfiic(realdata / "pku_dfiic_city" / "PKU_DFIIC_city.dta", years=range(2011, 2024))
    mixed = data.replace_column(panel, real, "digital_finance_index", "index_aggregate")
    assert mixed.attrs["real_columns"] == ["digital_finance_index"]
    assert panel["digital_finance_index"].ne(mixed["digital_finance_index"]).any()  # the input is untouched
    data.validate_panel(mixed, source="twin + real PKU index")
    gz11 = mixed.loc[(mixed.city == "Guangzhou") & (mixed.year == 2011), "digital_finance_index"].item()
    assert gz11 == pytest.approx(82.11)  # published value
    built = constructs.build_constructs(mixed)
    w = pd.Series(built.attrs["va_weights"])
    X = mixed[list(constructs.VA_INDICATORS)]
    z = 0.002 + 0.998 * (X - X.min()) / (X.max() - X.min())
    np.testing.assert_allclose(built["va_index"], (z * w).sum(axis=1), rtol=1e-12)
    assert w.sum() == pytest.approx(1.0) and w["digital_finance_index"] != pytest.approx(
        constructs.build_constructs(panel).attrs["va_weights"]["digital_finance_index"])
    # the real index grows every year on average (digital finance spread over 2011-2023)
    assert (mixed.groupby("year")["digital_finance_index"].mean().diff().dropna() > 0).all()
