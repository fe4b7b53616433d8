"""Reading a run folder (moved to :mod:`capacity.io.run`; kept for old callers).

``read_run`` is :func:`capacity.io.read_run` and ``city_from_scenario_json`` is
:func:`capacity.io.run.city_of`.
"""

from __future__ import annotations

from capacity.io.run import RunFolder as RunTables
from capacity.io.run import city_of as city_from_scenario_json
from capacity.io.run import read_run

__all__ = ["RunTables", "city_from_scenario_json", "read_run"]
