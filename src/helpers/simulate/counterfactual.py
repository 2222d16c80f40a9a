"""Counterfactual responses of the structural model: bumps of virtual agglomeration and the true
effects they imply, evaluated on one simulated state (:class:`helpers.simulate.model._State`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .model import TwinParams, _agglomeration, _flow_position, _outcomes, _State, _synergy

#: Elements of one (treated city, T, N) batch of the counterfactual changes; larger city sets
#: are solved in chunks of treated cities (same numbers: each treated city's run is separate).
_BATCH_ELEMENTS = 2e7


def _bump_responses(st: _State, p: TwinParams, va, d: float, ids) -> dict:
    r"""Exact first-round responses to raising the VA of one treated city by ``d`` in all years.

    For each treated city i in ``ids`` (B of them), returns (B, T) arrays:

    ``fn_own``
        Change of city i's own flow position FN_i.
    ``F_own``, ``F_tot``
        Change of city i's synergy, and of the sum of all cities' synergy, when the synergy
        equation's right-hand side moves by the flow change dFN (all cities) with weight one:
        :math:`e_i' S\, dFN_t` and :math:`1' S\, dFN_t`, :math:`S = (I - \rho W)^{-1}`.
    ``E_own``, ``E_tot``
        The same for a unit rise of the right-hand side in city i alone: :math:`S_{ii}`,
        :math:`\sum_k S_{ki}` (constant over years).
    ``W_own``, ``W_tot``
        The same for the spatial lag of a unit rise in city i (column i of W):
        :math:`(SW)_{ii}`, :math:`\sum_k (SW)_{ki}`.

    Why it is O(N^2 T), not O(N^3 T): raising city i changes only the gravity flows that
    involve i, so every other city's log-sum changes by
    :math:`\ln(1 + \Delta G_{ki} / S_k)` (:math:`G_{ki} = F_{ki} + F_{ik}`, :math:`S_k` its
    flow total) and city i's by :math:`\ln(1 + \sum_j \Delta G_{ij} / S_i)`; the synergy
    equation is linear, so its response is a dot product with one row (own) or the column
    sums (total) of S. The flow change is computed as
    :math:`F\,\mathrm{expm1}(b_0 \phi\, \Delta\sqrt{s_i s_j} \ln d)` and ``log1p``, which
    keeps it accurate for marginal bumps (no difference of two nearly equal sums).
    """
    ids = np.asarray(ids)
    T, N = va.shape
    B = len(ids)
    own = np.zeros((B, N), dtype=bool)
    own[np.arange(B), ids] = True
    va_i = va[:, ids]                                                   # (T, B)
    # change of sqrt(s_i s_j) when s_i rises by d, without cancellation: s_j d / (sqrt' + sqrt)
    root_new = np.sqrt((va_i + d)[:, :, None] * va[:, None, :])          # (T, B, N)
    root_old = np.sqrt(va_i[:, :, None] * va[:, None, :])
    den = root_new + root_old
    with np.errstate(invalid="ignore", divide="ignore"):
        droot = np.where(den > 0, va[:, None, :] * d / den, 0.0)
    decay = np.exp(-(p.b0 * (1.0 - p.phi * np.sqrt(va[:, :, None] * va[:, None, :]))) * st.logd)
    decay = decay * (1.0 - np.eye(N))
    logd_out, logd_in = st.logd[ids], st.logd[:, ids].T                 # (B, N): d_ij and d_ji
    dfn = 0.0
    for m in st.masses:                                                 # three factors
        mi, mj = m[:, :, None], m[:, None, :]
        f = (mi / (mi + mj)) * mi * mj * decay                          # F_ij, (T, N, N)
        total = f.sum(axis=-1) + f.sum(axis=-2)                         # S_k, (T, N)
        f_out, f_in = f[:, ids, :], np.swapaxes(f[:, :, ids], 1, 2)     # F_ij and F_ji, (T, B, N)
        dG = (f_out * np.expm1(p.b0 * p.phi * droot * logd_out[None])
              + f_in * np.expm1(p.b0 * p.phi * droot * logd_in[None]))
        dG[:, own] = 0.0                                                # no flow to itself
        dlog = np.log1p(dG / total[:, None, :])                         # other cities k
        dlog[:, own] = np.log1p(dG.sum(axis=-1) / total[:, ids])        # the treated city
        dfn = dfn + dlog
    dfn = np.swapaxes(dfn / len(st.masses), 0, 1)                       # (B, T, N)
    S = st.S_inv
    colsum = S.sum(axis=0)
    SW = S @ st.W
    return {
        "fn_own": dfn[np.arange(B), :, ids],
        "F_own": np.einsum("btk,bk->bt", dfn, S[ids]),
        "F_tot": dfn @ colsum,
        "E_own": np.broadcast_to(S[ids, ids][:, None], (B, T)),
        "E_tot": np.broadcast_to(colsum[ids][:, None], (B, T)),
        "W_own": np.broadcast_to(SW[ids, ids][:, None], (B, T)),
        "W_tot": np.broadcast_to((colsum @ st.W)[ids][:, None], (B, T)),
    }


def _va_bump_changes(st: _State, p: TwinParams, va, d: float, ids) -> dict:
    """Own-city changes (B, T) of the path-specific counterfactuals of a VA rise ``d`` in each
    treated city (see :func:`_true_effects`), and ``sy_others`` (sum over the other cities)."""
    r = _bump_responses(st, p, va, d, ids)
    slope = np.where(st.q <= p.gamma, p.c_low, p.c_high)[:, ids].T      # (B, T)
    out = {
        "fn": r["fn_own"],
        "sy_direct": slope * d * r["E_own"] + p.theta * d * r["W_own"],  # VA -> SY (+ spatial lag)
        "sy_via_fn": p.b_FN * r["F_own"],                                # VA -> FN -> SY
        "sy_via_ag": p.b_AG * p.a_VA * d * r["E_own"],                   # VA -> AG -> SY
        "sy_serial": p.b_AG * p.a_FN * r["F_own"],                       # VA -> FN -> AG -> SY
        "ag_total": p.a_FN * r["fn_own"] + p.a_VA * d,
        "ag_via_va": np.full_like(r["fn_own"], p.a_VA * d),
    }
    out["sy_total"] = out["sy_direct"] + out["sy_via_fn"] + out["sy_via_ag"] + out["sy_serial"]
    tot = (slope * d * r["E_tot"] + p.theta * d * r["W_tot"] + (p.b_FN + p.b_AG * p.a_FN) * r["F_tot"]
           + p.b_AG * p.a_VA * d * r["E_tot"])
    out["sy_others"] = tot - out["sy_total"]
    out["P"] = p.pi_S * out["sy_total"] + p.pi_A * out["ag_total"]
    out["X"] = p.kappa_S * out["sy_total"] + p.kappa_P * out["P"]
    out["E_own"] = r["E_own"]
    return out


def _true_effects(st: _State, p: TwinParams, va, base) -> pd.DataFrame:
    """Own-city path-specific effects of a one-SD rise in one city's VA, by counterfactual runs.

    Each treated city's counterfactual is solved exactly in O(N T) from the flows that involve
    it (:func:`_bump_responses`): O(N^2 T) for all cities, not O(N^3 T).
    """
    fn0, ag0, sy0, P0, X0 = base
    T, N = va.shape
    delta = va.std()
    prd = (st.reg["region"] == "PRD").to_numpy()
    # ``base`` may carry counterfactual bumps (simulate_panel(bump=...)) while the runs below
    # start from the unbumped paths: each effect's change is measured against ``base`` as
    # before, so add what the unbumped expression differs from it (exactly zero without bumps)
    fn_u = _flow_position(va, st.masses, st.logd, p.b0, p.phi)
    ag_u = _agglomeration(st, p, va, fn_u)
    sy_u = _synergy(st, p, va, fn_u, ag_u)
    P_u, X_u = _outcomes(st, p, sy_u, ag_u)
    offset = {"sy_total": sy_u - sy0, "sy_direct": _synergy(st, p, va, fn0, ag0) - sy0,
              "sy_via_fn": _synergy(st, p, va, fn_u, ag0) - sy0,
              "sy_via_ag": _synergy(st, p, va, fn0, _agglomeration(st, p, va, fn0)) - sy0,
              "sy_serial": _synergy(st, p, va, fn0, ag_u) - sy0, "fn": fn_u - fn0,
              "ag_total": ag_u - ag0, "P": P_u - P0, "X": X_u - X0}
    others_offset = (sy_u - sy0).sum(axis=1)[None, :] - (sy_u - sy0).T   # (N, T)
    chunk = max(1, min(N, int(_BATCH_ELEMENTS // (T * N))))
    own_d, other_d = {}, []
    for lo in range(0, N, chunk):
        ids = np.arange(lo, min(N, lo + chunk))
        ch = _va_bump_changes(st, p, va, delta, ids)
        for k in offset:
            own_d.setdefault(k, []).append(ch[k] + offset[k][:, ids].T)
        other_d.append(ch["sy_others"] + others_offset[ids])
    own_d = {k: np.concatenate(v) for k, v in own_d.items()}            # (N, T) each

    def own_mean(key, cities=slice(None)):
        # averaged over treated cities (all, or a region's) and years; NaN for a set without them
        d = own_d[key][cities]
        return float(d.mean()) if d.size else float("nan")

    sd = {"FN": fn0.std(), "AG": ag0.std(), "SY": sy0.std(), "P": P0.std(), "X": X0.std()}
    rows = {
        "total": (own_mean("sy_total"), "SY"),
        "total_prd": (own_mean("sy_total", prd), "SY"),
        "total_rest": (own_mean("sy_total", ~prd), "SY"),
        "direct": (own_mean("sy_direct"), "SY"),
        "via_flows": (own_mean("sy_via_fn"), "SY"),
        "via_agglomeration": (own_mean("sy_via_ag"), "SY"),
        "serial": (own_mean("sy_serial"), "SY"),
        "a_flows": (own_mean("fn"), "FN"),
        "a_agglomeration": (own_mean("ag_total"), "AG"),
        "spillover": (float(np.concatenate(other_d).mean()), "SY"),
        "productivity": (own_mean("P"), "P"),
        "competitiveness": (own_mean("X"), "X"),
    }
    eff = pd.DataFrame(
        [(k, v, target, v / sd[target]) for k, (v, target) in rows.items()],
        columns=["effect", "raw", "outcome", "std"],
    ).set_index("effect")
    eff.attrs["delta_VA"] = float(delta)
    eff.attrs["note"] = ("own-city effect of raising one city's virtual agglomeration by one "
                         "panel SD, averaged over cities and years; std = in outcome SDs (SIMULATED)")
    return eff


def _latent_wide(latent: pd.DataFrame, keys: list, cities: list) -> dict:
    """Each latent state as a years x ``cities`` array: ``latent[k].unstack("city")[cities]``,
    from one reshape of all states (C order, as each state's own gave it: the sums that follow
    run in the same order)."""
    wide = latent[keys].unstack("city")
    pos = wide.columns.get_indexer(pd.MultiIndex.from_product([keys, cities]))
    if (pos < 0).any():   # a city without latent states: the single-state lookup names it
        return {k: latent[k].unstack("city")[cities].to_numpy() for k in keys}
    arr = wide.to_numpy()[:, pos]
    return {k: np.ascontiguousarray(arr[:, i * len(cities):(i + 1) * len(cities)]) for i, k in enumerate(keys)}
