"""Sentences on the calibration check (:mod:`helpers.studies.moments`), generated from its table."""

from __future__ import annotations

import pandas as pd


def _names(rows: pd.DataFrame) -> str:
    return "; ".join(f"{lab} ({gap:+.1f} SE)" for lab, gap in zip(rows["label"], rows["gap (SEs)"], strict=True)) \
        if len(rows) else "none"


def calibration_sentences(check) -> list[str]:
    """How many moments lie more than 2 SE from the real value, targeted and held back, named.

    ``check``: a :class:`helpers.studies.moments.CalibrationCheck`. Moments without a sampling SE
    (the real index against itself) are counted apart, with the twin's value said in words.
    """
    t = check.table
    with_se = t[t["gap (SEs)"].notna()]
    off = with_se[with_se["gap (SEs)"].abs() > 2]
    tgt, held = with_se[with_se["targeted"]], with_se[~with_se["targeted"]]
    off_t, off_h = off[off["targeted"]], off[~off["targeted"]]
    seeds = len(check.twin_seeds)
    out = [
        (f"Of {len(with_se)} moments with a sampling SE (cluster bootstrap over cities, {check.n_boot} draws), "
        f"{len(off)} lie more than 2 SE from the real value in the twin (SIMULATED; mean over {seeds} "
        f"seed{'s' if seeds != 1 else ''}): {len(off_t)} of {len(tgt)} moments marked for targeting and "
        f"{len(off_h)} of {len(held)} held back."),
        f"More than 2 SE off: {_names(off)}.",
    ]
    if len(off_t):
        out.append("The twin is not yet calibrated to these moments: its power and coverage transfer to the "
                   "real data only as far as its within-city variation matches the real one.")
    else:
        out.append("Every moment marked for targeting lies within 2 SE of the real value.")
    if len(held):
        out.append("Held back from the fit, as out-of-sample validation: "
                   + "; ".join(f"{lab} at {gap:+.1f} SE" for lab, gap in zip(held["label"], held["gap (SEs)"],
                                                                          strict=True))
                   + (f", {int((held['gap (SEs)'].abs() <= 2).sum())} of {len(held)} within 2 SE."))
    no_se = t[t["gap (SEs)"].isna()]
    for lab, tw, re in zip(no_se["label"], no_se["twin (SIMULATED)"], no_se["real"], strict=True):
        out.append(f"{lab[0].upper() + lab[1:]}: {tw:.2f} in the twin against {re:.2f} for the real data "
                   "(no sampling SE: the real value holds by definition).")
    return out


def fit_sentences(record: dict) -> list[str]:
    """How the twin was calibrated, from the provenance record of
    :func:`helpers.studies.calibrate.write_fit` (``data/twin_calibration.json``)."""
    par = ", ".join(f"{k} = {v:.3g}" for k, v in record["params"].items())
    n_t = sum(1 for v in record["moments"].values() if v["targeted"])
    moved = record.get("fitted_in_this_run") or list(record["params"])
    out = [
        (f"The twin's {len(record['params'])} calibration parameters were fitted by simulated moments on "
         f"{record['date'][:10]} (generator {record['generator_version']}): the sum of squared gaps in SEs over "
         f"the {n_t} targeted moments of {record['real_source']} ({record['n_boot']} bootstrap draws), the "
         f"twin's moments averaged over {len(record['seeds'])} seeds with common random numbers, is "
         f"{record['objective']:.2f}."),
        f"Fitted values (the defaults of helpers.simulate.TwinParams): {par}.",
    ]
    from ..studies.calibrate import FIT_PARAMS

    edge = [f"{k} = {v:.3g} ({'floor' if v <= FIT_PARAMS[k][0] else 'ceiling'})"
            for k, v in record["params"].items() if k in FIT_PARAMS and not FIT_PARAMS[k][0] < v < FIT_PARAMS[k][1]]
    if edge:
        out.append("At the edge of the search range, so set by the range rather than the data: " + "; ".join(edge)
                   + "." + (" A floor on gdp_loading keeps part of the model's productivity variation in observed GDP "
                            "(left free, the fit takes it towards zero), so the twin's GDP carries its mechanism "
                            "only weakly." if any(e.startswith("gdp_loading") for e in edge) else ""))
    if len(moved) < len(record["params"]):
        out.append(f"The last run moved {', '.join(moved)} only ({record['n_evals']} evaluations); "
                   f"{record.get('note', '')}".rstrip() + ("" if record.get("note", "").endswith(".") else "."))
    return out
