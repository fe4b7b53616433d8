"""Demographic ensembles: many draws of the population, a plan judged against them.

``run_ensemble(scenario, city, EnsembleParams(draws=N), runner)`` draws N
fertility/migration paths, re-optimises each draw, evaluates the scenario's
own plan (and a robust plan fitted on K draws) on every draw, and returns
site frequencies, unserved pupils and regrets; runners put the solves on a
local Dask cluster or a Dask scheduler. Modules:

* :mod:`~capacity.ensemble.params` — :class:`EnsembleParams` and the default limit and gap;
* :mod:`~capacity.ensemble.demand` — the draws' unit demand;
* :mod:`~capacity.ensemble.evaluate` — a fixed plan on a draw (its closures and conversions kept), and the figures;
* :mod:`~capacity.ensemble.robust` — the two-stage robust plan (``robust_fit="stacked"``);
* :mod:`~capacity.ensemble.tasks` — the tasks the runners run;
* :mod:`~capacity.ensemble.runners` — serial, local cluster, scheduler address;
* :mod:`~capacity.ensemble.aggregate` — the tables;
* :mod:`~capacity.ensemble.outputs` — GeoPackage layer, fan chart, map;
* :mod:`~capacity.ensemble.run` — the orchestrator.
"""

from capacity.ensemble.params import EnsembleParams
from capacity.ensemble.run import EnsembleResult, run_ensemble, write_ensemble
from capacity.ensemble.runners import RUNNERS, make_runner

__all__ = ["EnsembleParams", "EnsembleResult", "RUNNERS", "make_runner", "run_ensemble", "write_ensemble"]
