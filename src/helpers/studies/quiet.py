"""Quiet, deterministic Dask clusters: no time-stamped log lines in a chapter's output.

A chapter's cell output is compared byte for byte with its stored copy (nbval), so anything a
Dask cluster prints depends on the machine's load and breaks the comparison. The classic case:
on a busy machine a worker takes longer than the nanny's default 4 s to stop, and the nanny
logs ``distributed.nanny - WARNING - Worker process still alive after 4.0 seconds, killing``
with a time stamp to the kernel's stderr.

Two traps make the naive fix (``logging.getLogger("distributed").setLevel(ERROR)``) fail:

- ``import distributed`` *re*-configures its loggers (level INFO and a stderr handler), so a
  level set before the first import is silently undone; :func:`quiet_distributed` imports it
  first and sets the levels afterwards.
- Worker processes are *spawned*: they configure logging from dask's configuration when they
  import ``distributed``, before any code of ours runs there. They read the environment
  variable ``DASK_DISTRIBUTED__LOGGING__DISTRIBUTED`` (:data:`QUIET_ENV`), set while the cluster
  starts.

:func:`close_local` stops a LocalCluster with a generous per-worker timeout (a busy machine
is slow, not broken) so worker processes end by themselves instead of being killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os

#: Environment of spawned Dask worker processes: their ``distributed`` loggers at ERROR.
QUIET_ENV = {"DASK_DISTRIBUTED__LOGGING__DISTRIBUTED": "error"}

#: Loggers that a LocalCluster writes to; those distributed configures with their own level too.
LOGGERS = ("distributed", "distributed.client", "distributed.gc", "distributed.nanny",
           "distributed.scheduler", "distributed.worker", "distributed.core", "bokeh", "tornado",
           "tornado.application")

#: Seconds a worker process may take to stop before its nanny kills it (distributed's default
#: is 5, i.e. a 4 s grace period, which a loaded 2-core machine exceeds).
CLOSE_TIMEOUT = 60.0


def worker_env(level: int = logging.ERROR) -> dict:
    """:data:`QUIET_ENV` at ``level`` or at the level already set in the environment, whichever is
    quieter (a nested :func:`quiet_distributed` never makes spawned workers louder).

    >>> worker_env(logging.CRITICAL)
    {'DASK_DISTRIBUTED__LOGGING__DISTRIBUTED': 'critical'}
    """
    out = {}
    for key in QUIET_ENV:
        current = logging.getLevelName(os.environ.get(key, "").upper())
        current = current if isinstance(current, int) else logging.NOTSET
        out[key] = logging.getLevelName(max(level, current)).lower()
    return out


@contextlib.contextmanager
def quiet_distributed(level: int = logging.ERROR):
    """Context in which ``distributed`` (this process and workers spawned in it) logs only ``level``+.

    Levels and the environment are restored on exit. Loggers already quieter than ``level``
    (tornado is CRITICAL by default) stay as they are, and so does a quieter level set by an
    enclosing call (:func:`worker_env`). ``logging.CRITICAL`` also silences ERROR records, such
    as a worker's "Failed to communicate with scheduler during heartbeat" traceback on a loaded
    machine: where a failure also raises in the client (a live run), the log adds nothing.
    """
    import distributed  # noqa: F401 -- its first import resets the levels: import, then quiet

    loggers = {name: logging.getLogger(name) for name in LOGGERS}
    saved = {name: lg.level for name, lg in loggers.items()}
    saved_env = {k: os.environ.get(k) for k in QUIET_ENV}
    os.environ.update(worker_env(level))
    try:
        for lg in loggers.values():
            lg.setLevel(max(level, lg.getEffectiveLevel()))
        yield
    finally:
        for name, lg in loggers.items():
            lg.setLevel(saved[name])
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


async def _close_nannies(nannies, timeout: float) -> None:
    await asyncio.gather(*(n.close(timeout=timeout, reason="study-finished") for n in nannies),
                         return_exceptions=True)


def close_local(client, cluster, timeout: float = CLOSE_TIMEOUT) -> None:
    """Close a client and its LocalCluster, letting each worker process stop by itself.

    Each nanny is closed with ``timeout`` (a worker is killed only after ``0.8 * timeout``
    seconds), then the cluster; both are closed even if one step fails.
    """
    try:
        client.close(timeout=timeout)
    finally:
        try:
            nannies = [w for w in getattr(cluster, "workers", {}).values() if hasattr(w, "close")]
            if nannies:
                cluster.sync(_close_nannies, nannies, timeout)
        finally:
            cluster.close(timeout=timeout)
