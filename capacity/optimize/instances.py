"""Readers of the OR-Library benchmark formats (pmed, cap, cpmp).

Formats as described in ``benchmarks/orlib/SOURCES.md``:

* ``pmedN.txt`` — ``n edges p``, then ``i j cost`` edges of an undirected
  graph (1-based); costs are all-pairs shortest paths; a pair given twice
  takes the later line.
* ``capNN.txt`` — ``m n``; ``m`` lines ``capacity fixed_cost``; then per
  customer its demand and ``m`` allocation costs (whole demand), wrapped over
  lines. capa/capb/capc carry the literal word ``capacity`` instead of a
  number (the capacity is a parameter there): pass ``capacity=``.
* ``pmedcap1_K.txt`` — ``instance optimum``, ``n p Q``, then ``id x y demand``;
  distances are Euclidean truncated to integers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import shortest_path

from ..errors import DataError


@dataclass(frozen=True)
class PMedInstance:
    name: str
    p: int
    cost: np.ndarray  # (n, n) shortest-path distances


@dataclass(frozen=True)
class CapInstance:
    name: str
    capacity: np.ndarray  # (m,)
    fixed_cost: np.ndarray  # (m,)
    demand: np.ndarray  # (n,)
    allocation_cost: np.ndarray  # (n, m), for the customer's whole demand


@dataclass(frozen=True)
class CPMPInstance:
    name: str
    optimum: float
    p: int
    capacity: float
    xy: np.ndarray  # (n, 2)
    demand: np.ndarray  # (n,)

    @property
    def cost(self) -> np.ndarray:
        """Euclidean distances truncated to integers (floor)."""
        diff = self.xy[:, None, :] - self.xy[None, :, :]
        return np.floor(np.sqrt((diff ** 2).sum(axis=2)))


def read_pmed(path) -> PMedInstance:
    """Read an OR-Library ``pmedN.txt`` and compute all-pairs shortest paths."""
    path = Path(path)
    tok = np.array(path.read_text().split(), dtype=np.int64)
    n, m, p = (int(x) for x in tok[:3])
    e = tok[3:3 + 3 * m].reshape(-1, 3)
    if e.shape[0] != m:
        raise DataError(f"expected {m} edges, found {e.shape[0]}", path=path)
    i, j = np.minimum(e[:, 0], e[:, 1]) - 1, np.maximum(e[:, 0], e[:, 1]) - 1
    key = i * n + j
    # later duplicate wins: unique over the reversed list keeps the last occurrence
    _, first_rev = np.unique(key[::-1], return_index=True)
    last = m - 1 - first_rev
    i, j, w = i[last], j[last], e[last, 2].astype(float)
    g = coo_matrix((np.r_[w, w], (np.r_[i, j], np.r_[j, i])), shape=(n, n)).tocsr()
    return PMedInstance(path.stem, p, shortest_path(g, method="D", directed=False))


def read_cap(path, capacity: Optional[float] = None) -> CapInstance:
    """Read a Beasley ``capNN.txt`` (``capacity`` replaces a literal ``capacity`` token)."""
    path = Path(path)
    tok = path.read_text().split()
    m, n = int(tok[0]), int(tok[1])
    fac = tok[2:2 + 2 * m]
    caps = []
    for t in fac[0::2]:
        if t.lower() == "capacity":
            if capacity is None:
                raise DataError("capacity is given as the word 'capacity'; pass capacity=", path=path)
            caps.append(float(capacity))
        else:
            caps.append(float(t))
    fixed = np.array(fac[1::2], dtype=float)
    rest = np.array(tok[2 + 2 * m:], dtype=float)
    if rest.size != n * (m + 1):
        raise DataError(f"expected {n} customers × {m + 1} numbers, found {rest.size} numbers", path=path)
    rest = rest.reshape(n, m + 1)
    return CapInstance(path.stem, np.array(caps), fixed, rest[:, 0], rest[:, 1:])


def read_cpmp(path) -> CPMPInstance:
    """Read an Osman & Christofides ``pmedcap1_K.txt``."""
    path = Path(path)
    lines = path.read_text().split("\n")
    head = lines[0].split()
    n, p, q = (float(x) for x in lines[1].split()[:3])
    body = np.array(" ".join(lines[2:]).split(), dtype=float).reshape(-1, 4)[: int(n)]
    return CPMPInstance(path.stem, float(head[1]), int(p), q, body[:, 1:3], body[:, 3])


def read_pmed_optima(path) -> dict:
    """``{"pmed1": 5819, ...}`` from ``pmedopt.txt``."""
    out = {}
    for line in Path(path).read_text().splitlines():
        m = re.match(r"\s*(pmed\d+)\s+([\d.]+)", line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


def read_cap_optima(path) -> dict:
    """``{"cap71": 932615.75, ...}`` from ``capopt.txt`` (numbered instances only)."""
    out = {}
    for line in Path(path).read_text().splitlines():
        m = re.match(r"\s*(cap\d+)\s+([\d.]+)", line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


FORMATS = {"pmed": read_pmed, "cap": read_cap, "cpmp": read_cpmp}
"""Readers by format name."""


def guess_format(path) -> str:
    """Format from a file name: ``pmedcap*`` → cpmp, ``pmed*`` → pmed, ``cap*`` → cap."""
    name = Path(path).name.lower()
    for prefix, fmt in (("pmedcap", "cpmp"), ("pmed", "pmed"), ("cap", "cap")):
        if name.startswith(prefix):
            return fmt
    raise DataError("cannot tell the format from the file name; pass --format", path=path)
