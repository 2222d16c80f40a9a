"""The national prefecture registry: counts, sources and the city sets of the design study."""

import numpy as np
import pandas as pd
import pytest

from helpers import data
from helpers.data import cities


def test_registry_counts_and_keys():
    reg = cities.prefecture_table()
    assert len(reg) == 337                      # the 2020 division's prefecture-level units
    assert reg["code"].is_unique
    assert (reg["code"] % 100 == 0).all()       # no county-level units administered by a province
    assert reg[["lon", "lat"]].notna().all().all()
    assert reg["lon"].between(73, 135).all() and reg["lat"].between(16, 54).all()  # mainland and the South China Sea (Sansha, 16.8 N)
    # only Sansha (founded 2012) lacks a 2010 census count
    assert reg.loc[reg["pop_2010"].isna(), "name_zh"].tolist() == ["三沙市"]


def test_guangdong_rows_equal_the_book_registry():
    reg = cities.prefecture_table().set_index("code")
    gd = data.city_table().set_index("code")
    mine = reg.loc[gd.index]
    assert (mine["name_zh"] == gd["name_zh"]).all()
    np.testing.assert_array_equal(mine["pop_2020"].astype(int), gd["pop_2020"])
    np.testing.assert_array_equal(mine["pop_2010"].astype(int), gd["pop_2010"])
    np.testing.assert_allclose(mine[["lon", "lat"]].to_numpy(float), gd[["lon", "lat"]].to_numpy(float))


@pytest.mark.realdata
def test_registry_matches_the_census_file(realdata):
    path = realdata / "census_leiii" / "leiii_census_city_2010-2020_v1.csv"
    if not path.exists():
        pytest.skip(f"{path} absent")
    census = pd.read_csv(path, dtype={"city_code": str}, usecols=["city", "city_code", "popu_2010", "popu_2020"],
                         encoding="utf-8-sig").set_index("city_code")
    reg = cities.prefecture_table().set_index("code")
    for code in (110100, 310100, 440300, 510100, 650100, 540600):   # spot checks across the country
        row = census.loc[str(code)]
        assert reg.at[code, "name_zh"] == row["city"]
        assert reg.at[code, "pop_2020"] == row["popu_2020"]
    assert int(reg["pop_2020"].sum()) == int(census.loc[[str(c) for c in reg.index], "popu_2020"].sum())


def test_city_sets():
    assert cities.city_set("guangdong").equals(data.city_table())
    assert len(cities.city_set("gba")) == 9
    nat = cities.city_set("national")
    assert len(nat) == 336 and nat.index.is_unique
    s50 = cities.city_set("sample", n=50, seed=3)
    assert len(s50) == 50 and set(data.city_table()["code"]) <= set(s50["code"])
    assert s50.equals(cities.city_set("sample", n=50, seed=3))          # seeded
    assert not s50.equals(cities.city_set("sample", n=50, seed=4))
    with pytest.raises(ValueError, match="n=400"):
        cities.city_set("sample", n=400)
