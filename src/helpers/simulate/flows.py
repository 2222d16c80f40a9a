r"""Observed city-pair factor flows of the simulated twin (the data a gravity model needs).

The twin's factor flows (:mod:`helpers.simulate`, equation 4) follow a modified gravity law
whose distance friction falls with the pair's joint platform participation,

.. math::
    F^k_{ijt} = k_{ij} K^k_{it} K^k_{jt} d_{ij}^{-b_{ijt}}, \quad
    b_{ijt} = b_0 (1 - \phi \sqrt{s_{it} s_{jt}}), \quad k_{ij} = K_i / (K_i + K_j).

:func:`simulate_flows` emits them as a yearbook-like long table with multiplicative noise of
mean one (so Poisson PML stays consistent) and a noisy survey of the platform share, from a
random stream of its own (flows are Poisson counts around the gravity law, with a
persistent pair effect and transient pair-year noise): the panel of :func:`helpers.simulate.simulate_panel` is unchanged
for the same seed. :func:`helpers.models.transaction_cost_phi` estimates phi from it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import simulate as _sim

FACTORS = ("talent", "capital", "technology")
#: Scale of each factor's expected flows, so that flows are counts with a median of about ten
#: per pair and year: movers (talent), cross-city investment links (capital), patent transfers
#: (technology).
_SCALE = {"talent": 7500.0, "capital": 1500.0, "technology": 500.0}


def simulate_flows(params=None, seed: int = _sim.DEFAULT_SEED, years=_sim.YEARS, pair_noise: float = 0.5,
                   flow_noise: float = 0.1, share_noise: float = 0.02,
                   counts: bool = True) -> tuple[pd.DataFrame, dict]:
    """Directed pair flows of talent, capital and technology in the twin, with noise.

    Parameters
    ----------
    params : dict or TwinParams, optional
    seed : int
        The twin's seed (the same latent states as ``simulate_panel(params, seed)``).
    years : sequence of int
    pair_noise : float
        SD of a persistent log-normal, mean-one pair effect (what gravity's pair effects absorb:
        ties, language, history).
    flow_noise : float
        SD of the transient log-normal, mean-one noise of each pair-year. Observed flows are
        Poisson counts around the expected flow times both noises.
    share_noise : float
        SD of the multiplicative noise of the observed platform shares and factor stocks.
    counts : bool
        Draw Poisson counts (default); ``False`` emits the noisy expected flows themselves
        (with all three noises at zero: the gravity law exactly).

    Returns
    -------
    flows : DataFrame
        ``origin``, ``destination``, ``year``, ``factor``, ``flow`` (>= 0), ``distance_km``,
        ``share_origin``, ``share_destination`` (observed platform shares), ``mass_origin``,
        ``mass_destination`` (the factor's stocks, observed with the survey noise). SIMULATED.
    truth : dict
        ``phi``, ``b0`` and the latent shares (T, N).
    """
    if isinstance(params, dict) or params is None:
        _, truth = _sim.simulate_panel(params=params, seed=seed, years=years)   # validates params
        p = truth.params
    else:
        p = params
    years = tuple(int(y) for y in years)
    st, va, _ = _sim._build_state(p, seed, years)
    rng = np.random.default_rng([seed, 0xF10])                         # own stream
    T, N = va.shape
    dist = np.exp(st.logd)
    share = np.clip(va * np.exp(share_noise * rng.standard_normal(va.shape)), 1e-6, 1.0)
    mass_obs = st.masses * np.exp(share_noise * rng.standard_normal(st.masses.shape))   # factor stocks
    joint = np.sqrt(va[:, :, None] * va[:, None, :])
    decay = np.exp(-p.b0 * (1.0 - p.phi * joint) * st.logd)
    off = ~np.eye(N, dtype=bool)
    cities = np.asarray(st.reg.index)
    t_idx, i_idx, j_idx = np.nonzero(np.broadcast_to(off, (T, N, N)))
    frames = []
    for k, name in enumerate(FACTORS):
        m = st.masses[k]
        mi, mj = m[:, :, None], m[:, None, :]
        f = _SCALE[name] * mi / (mi + mj) * mi * mj * decay / 1e4   # expected flow
        pair = np.exp(pair_noise * rng.standard_normal((1, N, N)) - pair_noise**2 / 2)
        noise = np.exp(flow_noise * rng.standard_normal(f.shape) - flow_noise**2 / 2)
        mean = f * pair * noise
        obs = (rng.poisson(mean) if counts else mean)[t_idx, i_idx, j_idx].astype(float)
        frames.append(pd.DataFrame({
            "origin": cities[i_idx], "destination": cities[j_idx], "year": np.asarray(years)[t_idx],
            "factor": name, "flow": obs, "distance_km": dist[i_idx, j_idx],
            "share_origin": share[t_idx, i_idx], "share_destination": share[t_idx, j_idx],
            "mass_origin": mass_obs[k][t_idx, i_idx], "mass_destination": mass_obs[k][t_idx, j_idx]}))
    out = pd.concat(frames, ignore_index=True)
    out.attrs["simulated"] = True
    return out, {"phi": float(p.phi), "b0": float(p.b0), "share": va}
