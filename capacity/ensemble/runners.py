"""Where the draws run: serially, on a local Dask cluster, or on a Dask scheduler.

A runner maps a task function over items with one shared argument and
returns the results *in the items' order*, whatever order they finish in,
with a tqdm progress bar over tasks (silent when ``quiet``). Tasks are pure
functions of their inputs and the solver runs with one thread and HiGHS's
fixed random seed, so the same seed gives the same tables on every runner.

Registry :data:`RUNNERS` (``{name: factory}``): ``serial``; ``local``
(``distributed.LocalCluster`` with one single-threaded worker per core);
``address`` (``distributed.Client(address)`` of an existing scheduler, e.g.
``tcp://HOST:8786``). The Dask imports happen only when those are used.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Callable, Sequence


def _bar(total: int, desc: str, quiet: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="task", disable=quiet, file=sys.stderr, leave=False)


class SerialRunner:
    """Run every task in this process, one after another."""

    name = "serial"
    workers = 1

    def __init__(self, quiet: bool = False):
        self.quiet = quiet

    def map(self, fn: Callable, items: Sequence, shared, desc: str = "draws") -> list:
        out = []
        with _bar(len(items), desc, self.quiet) as bar:
            for item in items:
                out.append(fn(shared, item))
                bar.update(1)
        return out

    def close(self) -> None:
        pass


class DaskRunner:
    """Run tasks on a Dask ``distributed`` client; the shared argument is scattered once per map."""

    def __init__(self, client, name: str, cluster=None, quiet: bool = False):
        self.client, self.cluster, self.name, self.quiet = client, cluster, name, quiet

    @property
    def workers(self) -> int:
        return len(self.client.scheduler_info().get("workers", {})) or 1

    def map(self, fn: Callable, items: Sequence, shared, desc: str = "draws") -> list:
        from distributed import as_completed

        if not items:
            return []
        shared_f = self.client.scatter(shared, broadcast=True, hash=False)
        futures = [self.client.submit(fn, shared_f, item, pure=False) for item in items]
        with _bar(len(futures), desc, self.quiet) as bar:
            for _ in as_completed(futures):
                bar.update(1)
        results = self.client.gather(futures)
        for f in futures:
            f.release()
        return list(results)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def serial_runner(quiet: bool = False, **_) -> SerialRunner:
    return SerialRunner(quiet)


def local_runner(quiet: bool = False, workers: int | None = None, processes: bool = True, **_) -> DaskRunner:
    """A ``distributed.LocalCluster``: ``workers`` (default: the cores) single-threaded workers."""
    from distributed import Client, LocalCluster

    n = workers or os.cpu_count() or 1
    with contextlib.ExitStack() as stack:
        if quiet:
            stack.enter_context(contextlib.redirect_stderr(stack.enter_context(open(os.devnull, "w"))))
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=processes,
                               dashboard_address=None, host="127.0.0.1")
        client = Client(cluster)
    return DaskRunner(client, f"local cluster ({n} workers)", cluster, quiet)


def address_runner(quiet: bool = False, address: str | None = None, **_) -> DaskRunner:
    """A client of the Dask scheduler at ``address`` (e.g. ``tcp://HOST:8786``)."""
    from distributed import Client

    from capacity.errors import CapacityError

    try:
        client = Client(address, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise CapacityError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    return DaskRunner(client, f"scheduler {address}", None, quiet)


RUNNERS = {"serial": serial_runner, "local": local_runner, "address": address_runner}
"""Runner registry ``{name: factory(quiet=..., **options)}``."""


def make_runner(name: str, **options):
    """The runner ``name`` of :data:`RUNNERS`."""
    try:
        return RUNNERS[name](**options)
    except KeyError:
        raise ValueError(f"unknown runner {name!r}; known: {sorted(RUNNERS)}") from None
