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

    A draw of city-year noise, shape (..., T, N) (the window's T years, N cities), is made for
    the whole calendar, (..., len(CALENDAR), N), and the window's years are returned; one with
    T x N year-major rows (the missing-value mask, (T N, k)) likewise. Every other draw (per
    city, e.g. (N,)) passes through. So each draw takes the same numbers from the stream whatever
    the window, and a window's noise is the calendar's noise of its years. A dynamic filter of
    the noise (a random walk, an AR(1)) must run on the calendar and then be windowed:
    ``full(size)`` returns the calendar's draw (..., len(CALENDAR), N), taking the same numbers
    as ``standard_normal(size)``, and ``rows`` the window's rows of it. (With T == N, draw
    (N, N) pair noise through the generator itself, ``rng.generator``.)
    """

    def __init__(self, rng: np.random.Generator, rows: slice, n_cities: int):
        self.generator, self.rows, self._n = rng, rows, n_cities
        self._T = rows.stop - rows.start

    def _calendar_shape(self, shape):
        if len(shape) >= 2 and shape[-2:] == (self._T, self._n):
            return shape[:-2] + (len(CALENDAR), self._n)
        return None

    def _draw(self, method, size, *args, **kw):
        shape = (size,) if np.isscalar(size) else tuple(size) if size is not None else ()
        f = getattr(self.generator, method)
        full = self._calendar_shape(shape)
        if full is not None:
            return f(*args, size=full, **kw)[..., self.rows, :]
        if len(shape) >= 2 and shape[0] == self._T * self._n:
            return f(*args, size=(len(CALENDAR), self._n) + shape[1:], **kw)[self.rows].reshape(shape)
        return f(*args, size=size, **kw)

    def full(self, size):
        """Standard normal city-year noise of shape (..., T, N) drawn for the whole calendar."""
        full = self._calendar_shape(tuple(size))
        if full is None:
            raise ValueError(f"full() draws city-year noise of shape (..., {self._T}, {self._n}), got {tuple(size)}")
        return self.generator.standard_normal(full)

    def standard_normal(self, size=None):
        return self._draw("standard_normal", size)

    def random(self, size=None):
        return self._draw("random", size)

    def normal(self, loc=0.0, scale=1.0, size=None):
        return self._draw("normal", size, loc, scale)

    def uniform(self, low=0.0, high=1.0, size=None):
        return self._draw("uniform", size, low, high)

    def __getattr__(self, name):   # any other method: the generator's own (no window logic)
        return getattr(self.generator, name)
