"""capacity — school-place capacity planning.

Population projection per zone → seats needed per level and year → a
site-and-timing MILP → phasing schedules, maps, GIS layers and a report.
"""

__version__ = "0.1.0"

LEVELS = ("kindergarten", "primary", "middle", "high")
"""School levels planned by the optimiser, youngest first."""
