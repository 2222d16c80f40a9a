"""Build ``data/china_prefectures.csv``: every prefecture-level unit of mainland China.

Usage::

    python tools/build_prefecture_registry.py            # reads ../shared/realdata, writes data/
    python tools/build_prefecture_registry.py --realdata DIR --out FILE

Sources (both MIT-licensed, both already used by the book):

- census counts 2010 and 2020 by prefecture: ``census_leiii/leiii_census_city_2010-2020_v1.csv``
  (public repository leiii/census, compiled from the Sixth and Seventh National Population
  Censuses);
- administrative codes and city-seat coordinates: ``cpca_0.5.5/adcodes.csv`` (PyPI package cpca).

Prefecture level = a census unit whose 6-digit code ends in ``00`` (the 4 municipalities,
prefecture-level cities, prefectures, autonomous prefectures and leagues); county-level units
administered directly by a province (codes ``xx90xx``, e.g. Jiyuan, Xiantao, Shihezi) and Hong
Kong and Macao are excluded. Nagqu (540600) became a prefecture-level city in 2018; cpca 0.5.5
still lists its seat under the former prefecture code 542400, which is used for the coordinates.

The script refuses to write a file that fails its checks (337 units, unique codes, every unit
with a seat, Guangdong's 21 rows equal to the book's registry, the 2020 total equal to the
census file's own sum of these rows).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
#: Seat coordinates listed under a former code in cpca 0.5.5: new code -> old code.
FORMER_CODES = {"540600": "542400"}
N_PREFECTURES = 337  # 2020 division: 293 cities + 7 prefectures + 30 autonomous prefectures + 3 leagues + 4 municipalities


class RegistryError(RuntimeError):
    pass


def build(realdata: Path) -> pd.DataFrame:
    census_path = realdata / "census_leiii" / "leiii_census_city_2010-2020_v1.csv"
    cpca_path = realdata / "cpca_0.5.5" / "adcodes.csv"
    for p in (census_path, cpca_path):
        if not p.exists():
            raise RegistryError(f"source file not found: {p}")
    census = pd.read_csv(census_path, dtype={"city_code": str, "province_code": str},
                         usecols=["city", "city_code", "province", "province_code", "popu_2010", "popu_2020"],
                         encoding="utf-8-sig")
    cpca = pd.read_csv(cpca_path, dtype={"adcode": str})
    seats = cpca.assign(code=cpca["adcode"].str[:6]).set_index("code")[["longitude", "latitude"]]

    special = census["province_code"].isin(["810000", "820000"])
    pref = census[~special & census["city_code"].str.endswith("00")].copy()
    seat_code = pref["city_code"].replace(FORMER_CODES)
    pref["lon"] = seat_code.map(seats["longitude"]).to_numpy()
    pref["lat"] = seat_code.map(seats["latitude"]).to_numpy()
    out = pd.DataFrame({
        "code": pref["city_code"].astype(int),
        "name_zh": pref["city"],
        "province_code": pref["province_code"].astype(int),
        "province_zh": pref["province"],
        "lon": pref["lon"].round(6),
        "lat": pref["lat"].round(6),
        "pop_2010": pref["popu_2010"].astype("Int64"),
        "pop_2020": pref["popu_2020"].astype("Int64"),
    }).sort_values("code").reset_index(drop=True)
    check(out, census)
    return out


def check(out: pd.DataFrame, census: pd.DataFrame) -> None:
    problems = []
    if len(out) != N_PREFECTURES:
        problems.append(f"{len(out)} prefecture-level units, expected {N_PREFECTURES}")
    if out["code"].duplicated().any():
        problems.append(f"duplicate codes {out.loc[out['code'].duplicated(), 'code'].tolist()}")
    noseat = out.loc[out["lon"].isna() | out["lat"].isna(), "name_zh"].tolist()
    if noseat:
        problems.append(f"no seat coordinates for {noseat}")
    if out["pop_2020"].isna().any():
        problems.append(f"no 2020 population for {out.loc[out['pop_2020'].isna(), 'name_zh'].tolist()}")
    sys.path.insert(0, str(ROOT / "src"))
    from helpers.data import city_table  # the 21-city registry the book already ships

    gd = city_table().set_index("code")
    mine = out.set_index("code").loc[gd.index]
    for col in ("name_zh", "pop_2010", "pop_2020", "lon", "lat"):
        bad = mine.index[(mine[col].astype(str) if col == "name_zh" else mine[col].astype(float))
                         != (gd[col].astype(str) if col == "name_zh" else gd[col].astype(float))]
        if len(bad):
            problems.append(f"Guangdong {col} differs from helpers.data.city_table() for codes {list(bad)}")
    if problems:
        raise RegistryError("refusing to write the registry:\n- " + "\n- ".join(problems))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--realdata", type=Path, default=ROOT.parent / "shared" / "realdata")
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "china_prefectures.csv")
    args = ap.parse_args(argv)
    try:
        table = build(args.realdata)
    except RegistryError as e:
        print(e, file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False, lineterminator="\n")
    print(f"wrote {args.out}: {len(table)} prefecture-level units, 2020 population "
          f"{int(table['pop_2020'].sum()):,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
