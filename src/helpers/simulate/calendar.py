"""The twin's long calendar: the years every draw covers, the windows designs take of it, the
national internet path in calendar years, and the observation noise seen through a window.

See :mod:`helpers.simulate` ("One long calendar") and :class:`helpers.simulate.TwinParams`.
"""

from __future__ import annotations

import numpy as np

#: One long calendar (generator 2.0.0). Every time-varying shock and path is drawn for these years,
#: in a fixed order, and a design's years are a window of it: the same seed gives the same world
#: whatever the window, so a window's states are the calendar's rows for its years.
CALENDAR = tuple(range(2000, 2041))
#: Origin of the calendar's trend clock: tau = year - TAU_ORIGIN (the diffusion midpoints, the
#: factor masses' growth and the linear trends count years from it).
TAU_ORIGIN = 2011
#: Anchor years of the national internet path: ``national_start`` is its value in the first,
#: ``national_end`` in the second (CNNIC: 38.3% of the population online in 2011, 77.5% in 2023).
NATIONAL_ANCHORS = (2011, 2023)


def logistic(x):
    """The logistic function Lambda(x) = 1 / (1 + exp(-x))."""
    return 1.0 / (1.0 + np.exp(-x))


def national_path(p, years) -> np.ndarray:
    r"""National internet penetration n_t of the calendar years ``years``, a logistic in calendar time.

    .. math:: n_t = n_{2011} + (n_{2023} - n_{2011})
       \frac{\Lambda(0.45 (t - 2017)) - \Lambda(0.45 (2011 - 2017))}
       {\Lambda(0.45 (2023 - 2017)) - \Lambda(0.45 (2011 - 2017))},

    with :math:`n_{2011}` = ``p.national_start`` (``p`` a :class:`helpers.simulate.TwinParams`) and :math:`n_{2023}` = ``national_end`` (the anchor
    years :data:`NATIONAL_ANCHORS`; CNNIC reports 38.3% and 77.5%). The path is fixed in calendar
    time, so any design's years read the same values; it flattens towards 0.35 before 2011 and
    0.81 after 2023 (stylised: real penetration was about 2% in 2000).
    """
    y0, y1 = NATIONAL_ANCHORS
    mid = 0.5 * (y0 + y1)
    lo, hi = logistic(0.45 * (y0 - mid)), logistic(0.45 * (y1 - mid))
    t = np.asarray(years, dtype=float)
    return p.national_start + (p.national_end - p.national_start) * (logistic(0.45 * (t - mid)) - lo) / (hi - lo)


def calendar_window(years) -> slice:
    """The rows of :data:`CALENDAR` that ``years`` occupy; ``years`` must be consecutive calendar years."""
    years = tuple(int(y) for y in years)
    if not years:
        raise ValueError("the twin needs at least one year, got none")
    for y in years:
        if y not in CALENDAR:
            raise ValueError(f"year {y} is outside the twin's calendar {CALENDAR[0]}-{CALENDAR[-1]}")
    for a, b in zip(years, years[1:]):
        if b != a + 1:
            raise ValueError(f"the twin's years must be consecutive and increasing: year {b} follows {a}")
    start = CALENDAR.index(years[0])
    return slice(start, start + len(years))


class _CalendarRng:
    """The generator the observation layer draws from, seen through a window of the calendar.

    A draw whose first axis is the window's years, shape (T, ...), is made for the whole calendar,
    (len(CALENDAR), ...), and the window's rows are returned; one with T x N year-major rows (the
    missing-value mask) likewise. Every other draw (per city, e.g. shape (N,)) passes through. So
    each observation draw takes the same numbers from the stream whatever the window, and a
    window's noise is the calendar's noise of its years.
    """

    def __init__(self, rng: np.random.Generator, rows: slice, n_cities: int):
        self._rng, self._rows, self._n = rng, rows, n_cities
        self._T = rows.stop - rows.start

    def _draw(self, method, size, *args, **kw):
        shape = (size,) if np.isscalar(size) else tuple(size) if size is not None else ()
        f = getattr(self._rng, method)
        if len(shape) >= 2 and shape[0] == self._T:
            return f(*args, size=(len(CALENDAR),) + shape[1:], **kw)[self._rows]
        if len(shape) >= 2 and shape[0] == self._T * self._n:
            full = f(*args, size=(len(CALENDAR), self._n) + shape[1:], **kw)[self._rows]
            return full.reshape(shape)
        return f(*args, size=size, **kw)

    def standard_normal(self, size=None):
        return self._draw("standard_normal", size)

    def random(self, size=None):
        return self._draw("random", size)

    def normal(self, loc=0.0, scale=1.0, size=None):
        return self._draw("normal", size, loc, scale)

    def uniform(self, low=0.0, high=1.0, size=None):
        return self._draw("uniform", size, low, high)

    def __getattr__(self, name):   # any other method: the generator's own (no window logic)
        return getattr(self._rng, name)
