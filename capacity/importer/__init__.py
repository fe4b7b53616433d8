"""``capacity import``: a bureau's own files (Excel registers, shapefiles in GBK, population
rasters; WGS84, CGCS2000, Gauss–Krüger, GCJ-02, BD-09) mapped onto the data contract.

* :mod:`capacity.importer.spec` — the ``import.toml`` keys, checked.
* :mod:`capacity.importer.read` — Excel, CSV and vector readers keeping row numbers.
* :mod:`capacity.importer.build`, :mod:`capacity.importer.layers` — the mapping rules.
* :mod:`capacity.importer.run` — the edge that writes the folder atomically and validates it.
"""

from capacity.importer.run import ImportResult, import_folder
from capacity.importer.spec import ImportSpec, read_spec

__all__ = ["import_folder", "ImportResult", "read_spec", "ImportSpec"]
