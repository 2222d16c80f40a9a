r"""Policy levers: the scenarios, the uncertain parameters and their ranges, the GBA nodes.

See :mod:`helpers.scenarios` for what each lever does in the structural model.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

HORIZON = 2030
VARIABLES = ("VA", "FN", "AG", "SY", "P", "X")

#: Network size from infrastructure in the twin (simulate._build_state): q = 8 + 52 D + 1.5 e.
#: Repeated here to continue q past 2023 and to move it with the roll-out lever;
#: tests/test_scenarios.py checks it against the twin's q.
_Q_INTERCEPT, _Q_SLOPE, _Q_NOISE = 8.0, 52.0, 1.5

#: Hong Kong and Macao as nodes of the factor-flow network: seat coordinates from cpca 0.5.5
#: adcodes.csv (810000000000, 820000000000; MIT) and resident population 2010 and 2020 as listed
#: for the two SARs in the leiii/census compilation (MIT) that also gives the 21 cities'.
#: tests/test_scenarios.py checks these against the files when ../shared/realdata is present.
GBA_NODES = pd.DataFrame(
    [("Hong Kong", 810000, "香港特别行政区", 114.171203, 22.277468, 7_097_600, 7_509_200),
     ("Macao", 820000, "澳门特别行政区", 113.543028, 22.186835, 552_503, 682_300)],
    columns=["city", "code", "name_zh", "lon", "lat", "pop_2010", "pop_2020"],
).set_index("city")
GBA_NODES.attrs["sources"] = {
    "code/name_zh/lon/lat": "cpca 0.5.5 adcodes.csv (MIT licence)",
    "pop_2010/pop_2020": "leiii/census city file, rows 810000 and 820000 (MIT licence)",
}

#: Structural parameters that are not known, with the range they are drawn from (uniform).
#: The twin's defaults sit inside every range; the ranges are judgement (about +-40% around
#: the default, narrower where a parameter must stay in a band), not estimates.
PARAM_RANGES = pd.DataFrame(
    [
        ("alpha_D", 2.0, 4.0, "(3) infrastructure -> participation"),
        ("alpha_N", 0.6, 1.4, "(3) province-wide network externality (tipping when large)"),
        ("phi", 0.4, 0.75, "(4) friction cut by joint participation"),
        ("b0", 1.5, 2.5, "(4) distance decay of flows"),
        ("a_FN", 0.2, 0.5, "(5) flows -> agglomeration"),
        ("a_VA", 0.25, 0.55, "(5) VA -> agglomeration"),
        ("b_FN", 0.1, 0.4, "(6) flows -> synergy"),
        ("b_AG", 0.3, 0.7, "(6) agglomeration -> synergy"),
        ("c_low", 0.2, 0.5, "(6) direct VA slope below the threshold"),
        ("c_high", 0.5, 0.8, "(6) direct VA slope above the threshold"),
        ("theta", 0.15, 0.45, "(6) spillover of neighbours' VA"),
        ("rho", 0.1, 0.4, "(6) spatial dependence of synergy"),
        ("pi_S", 0.06, 0.18, "(7) synergy -> productivity"),
        ("pi_A", 0.04, 0.12, "(7) agglomeration -> productivity"),
        ("border_sq", 2.0, 5.0, "GBA: status-quo effective-distance factor across the boundary"),
        ("gba_dev", 0.9, 1.5, "GBA: development level of Hong Kong and Macao (PRD regions: 0.9)"),
    ],
    columns=["parameter", "low", "high", "role"],
).set_index("parameter")

#: Central values of the scenario-only parameters (the TwinParams defaults cover the rest).
#: ``persistence``: partial adjustment of participation after the twin's years
#: (:mod:`helpers.scenarios.dynamics`); 0 is the static twin. A stylised option, not drawn.
EXTRA_DEFAULTS = {"border_sq": 3.0, "gba_dev": 1.2, "persistence": 0.0}


# ----------------------------------------------------------------------------- scenarios
@dataclass(frozen=True)
class Scenario:
    """A named set of lever changes from a start year (see the module docstring).

    ``cities`` selects the targets of the roll-out and talent levers: ``"rest"`` (the 12
    cities outside the Delta), ``"all"``, ``"PRD"`` or a tuple of city names. ``subsidy`` maps
    city names to boosts of the participation index (logit points), or is a float for every
    targeted city.
    """

    name: str
    start: int = 2025
    ramp: int = 3
    cities: object = "rest"
    rollout_speed: float | None = None
    rollout_advance: float = 0.0
    phi_gain: float = 0.0
    subsidy: object = None
    subsidy_years: int = 3
    talent: float = 0.0
    rd: float = 0.0
    gba_border: float | None = None

    @property
    def levers(self) -> list[str]:
        out = []
        if self.rollout_speed is not None or self.rollout_advance:
            out.append("rollout")
        if self.phi_gain:
            out.append("platform")
        if self.subsidy is not None:
            out.append("subsidy")
        if self.talent or self.rd:
            out.append("talent")
        if self.gba_border is not None:
            out.append("gba")
        return out


def default_scenarios(start: int = 2025, horizon: int = HORIZON) -> dict[str, Scenario]:
    """The book's scenarios: one per recommendation and all together.

    The subsidy runs from ``start`` to ``horizon``; :func:`tipping` asks whether a temporary
    one outlasts itself.
    """
    lever = dict(
        rollout=dict(rollout_speed=0.8, rollout_advance=2.0),
        platform=dict(phi_gain=0.2),
        subsidy=dict(subsidy=1.0, subsidy_years=horizon - start + 1),
        talent=dict(talent=0.3, rd=0.3),
        gba=dict(gba_border=1.2),
    )
    out = {"baseline": Scenario("baseline", start=start)}
    for k, v in lever.items():
        out[k] = Scenario(k, start=start, **v)
    # the same subsidy for three years only: does it outlast itself (tipping)?
    out["subsidy_3y"] = Scenario("subsidy_3y", start=start, subsidy=1.0, subsidy_years=3)
    combined = {}
    for v in lever.values():
        combined.update(v)
    out["combined"] = Scenario("combined", start=start, **combined)
    return out


#: What each lever stands for: a paraphrase of the seed papers' text, with the reference key.
LEVER_MEANING = {
    "rollout": ("uneven digitalisation held back by technological, financial and talent constraints; more "
                "investment in the research and application of virtual-agglomeration technologies",
                "wang_xiong_virtual"),
    "platform": ("lower transaction costs as the core motive for joining virtual clusters; barriers to factor "
                 "mobility", "wang_xiong_virtual,wang_peng_mechanism"),
    "subsidy": ("policy measures that guide firms into virtual agglomeration; participation barriers of small "
                "firms (named as a direction for research)", "wang_xiong_virtual"),
    "subsidy_3y": ("as subsidy, paid for three years only (does support outlast itself?)", "wang_xiong_virtual"),
    "talent": ("targeted talent policies and more R&D; flows of talent, capital and technology as a pathway",
               "wang_xiong_virtual,wang_peng_mechanism"),
    "gba": ("networked integration of industrial resources in the Guangdong-Hong Kong-Macao Greater Bay Area "
            "(named as a direction for research, not a recommendation)", "wang_xiong_virtual"),
    "combined": ("all levers together", ""),
    "baseline": ("no policy change", ""),
}


def lever_table(scenarios: dict) -> pd.DataFrame:
    """One row per scenario: its levers and settings, and the seed text it stands for."""
    rows = []
    for name, s in scenarios.items():
        settings = {k: v for k, v in vars(s).items()
                    if k not in ("name", "ramp", "cities") and v not in (None, 0.0, 0)}
        if "subsidy" not in s.levers:
            settings.pop("subsidy_years", None)
        meaning, cite = LEVER_MEANING.get(name, ("", ""))
        rows.append({"scenario": name, "levers": ", ".join(s.levers) or "none",
                     "settings": ", ".join(f"{k}={v}" for k, v in settings.items()),
                     "targets": s.cities if s.levers and set(s.levers) & {"rollout", "subsidy", "talent"} else "",
                     "stands for (paraphrase)": meaning, "source": cite})
    return pd.DataFrame(rows).set_index("scenario")


#: Which levers map to real Guangdong (and Greater Bay Area) instruments and which are stylised.
#: Documents are named as what they are (issuer, year, title); no number is taken from them: the
#: size of every lever is the model's, in its own units.
REAL_INSTRUMENTS = pd.DataFrame(
    [
        ("rollout", "partly",
         "regional coordination strategy 'one core, one belt, one zone' (Pearl River Delta core; coastal "
         "economic belt of the East and West wings; northern ecological development zone)",
         "CPC Guangdong Provincial Committee and Guangdong Provincial Government (2019), Opinions on building a "
         "new regional development pattern of 'one core, one belt, one zone' (关于构建\u201c一核一带一区\u201d"
         "区域发展新格局促进全省区域协调发展的意见)",
         "the targets match: the lever's 12 cities are the belt and the zone (the twin's East, West and North); "
         "faster diffusion of digital infrastructure is a stylised stand-in for the strategy's instruments"),
        ("subsidy", "yes, in kind",
         "subsidies for enterprises moving onto the cloud and onto industrial-internet platforms ('上云上平台')",
         "Guangdong Provincial Government (2018), policies supporting enterprises' cloud and platform adoption "
         "to develop the industrial internet (支持企业\u201c上云上平台\u201d加快发展工业互联网的若干扶持政策)",
         "a subsidy to platform adoption, as the lever; its size (logit points of the participation index) "
         "is not converted from the policy's yuan amounts"),
        ("talent", "stylised",
         "the 20 strategic industrial clusters (10 strategic pillar and 10 strategic emerging clusters)",
         "Guangdong Provincial Government (2020), Opinions on cultivating and developing strategic pillar "
         "industry clusters and strategic emerging industry clusters (关于培育发展战略性支柱产业集群和"
         "战略性新兴产业集群的意见)",
         "the twin has no industries; the nearest lever raises the talent and technology masses behind the "
         "factor flows"),
        ("platform", "stylised", "none specific: lower transaction costs of joint platform participation",
         "", "phi is a parameter of the friction law, not an instrument"),
        ("gba", "stylised", "Guangdong-Hong Kong-Macao Greater Bay Area integration",
         "CPC Central Committee and State Council (2019), Outline Development Plan for the Guangdong-Hong "
         "Kong-Macao Greater Bay Area (粤港澳大湾区发展规划纲要)",
         "an effective-distance factor across the boundary; no instrument of the plan is modelled"),
    ],
    columns=["lever", "maps to a real instrument", "real instrument", "official document", "how the lever relates"],
).set_index("lever")
