"""capacity — school-place capacity planning.

Population projection per zone → seats needed per level and year → a
site-and-timing MILP → phasing schedules, maps, GIS layers and a report.

In a notebook::

    import capacity
    scenario, city = capacity.load_inputs("scenarios/baseline.toml")
    result = capacity.plan(scenario, city)        # tables in memory, no folder
    result.plan, result.assignment, result.zone_balance, result.summary
    from capacity.report import report
    capacity.write_run(report(result, city, scenario), "outputs/mine")
"""

__version__ = "0.1.0"

LEVELS = ("kindergarten", "primary", "middle", "high")
"""School levels planned by the optimiser, youngest first (the default of every scenario)."""

ALL_LEVELS = LEVELS + ("special",)
"""Every level a scenario may plan: :data:`LEVELS` and ``special`` (special-education schools),
which a data folder may add in ``standards.toml``. Its pupils are a share of the same children
(see :mod:`capacity.demand.special`), so its age band may overlap the others'."""

_PUBLIC = {"load_inputs": "capacity.pipeline", "project": "capacity.pipeline", "plan": "capacity.pipeline",
           "write_run": "capacity.io.run", "read_run": "capacity.io.run"}

__all__ = ["LEVELS", "ALL_LEVELS", *_PUBLIC]


def __getattr__(name):  # lazy, so `import capacity` stays light
    if name in _PUBLIC:
        import importlib

        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'capacity' has no attribute {name!r}")
