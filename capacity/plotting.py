"""Plotting helpers shared by the report, the projection, ``compare`` and the ensemble.

Importing this module selects matplotlib's non-interactive ``Agg`` backend and
registers the bundled CJK font with matplotlib's font manager, so Chinese place
names render on any machine whatever fonts it has installed.

The font ``report/fonts/CapacitySansCJKSC-Regular.otf`` is a GB 2312 subset of
Noto Sans CJK SC (SIL Open Font License 1.1, see ``report/fonts/OFL.txt``; made
by ``tools/make_cjk_font.py``).

Map helpers work in a projected (metric) CRS: lengths are metres [m] and grid
north is up.

=====================  ==========================================================
name                   what
=====================  ==========================================================
:func:`style`          rc context with the CJK font first (use around every figure)
:func:`polygon_path`   a (multi)polygon as a matplotlib ``Path`` (holes kept)
:func:`fit_extent`     set an axis' limits to a frame's bounds plus a margin
:func:`add_scale_bar`  a round-length scale bar in the lower left [m or km]
:func:`add_north_arrow`  an "N" arrow in the upper right
:func:`nice_length`    a round scale-bar length (1, 2 or 5 × 10^k m)
=====================  ==========================================================
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")

from matplotlib import font_manager  # noqa: E402

FONT_PATH = Path(__file__).with_name("report") / "fonts" / "CapacitySansCJKSC-Regular.otf"
"""The bundled CJK font (OpenType)."""
LICENSE_PATH = FONT_PATH.with_name("OFL.txt")
"""Its licence (SIL Open Font License 1.1)."""


def register() -> str:
    """Add the bundled font to matplotlib (once) and return its family name."""
    names = {f.fname for f in font_manager.fontManager.ttflist}
    if str(FONT_PATH) not in names:
        font_manager.fontManager.addfont(str(FONT_PATH))
    return font_manager.FontProperties(fname=str(FONT_PATH)).get_name()


FAMILY = register()
"""The bundled font's family name (``Capacity Sans CJK SC``)."""

RC = {
    "font.family": "sans-serif",
    "font.sans-serif": [FAMILY, "DejaVu Sans"],
    "axes.unicode_minus": True,
    "savefig.dpi": 200,
    "figure.dpi": 100,
}
"""matplotlib rc settings of every chart: the CJK font first, PNG at 200 dpi."""


@contextlib.contextmanager
def style():
    """A matplotlib rc context with the CJK font first (use around every figure)."""
    import matplotlib.pyplot as plt

    with plt.rc_context(RC):
        yield


def nice_length(span_m: float) -> float:
    """A round scale-bar length near a quarter of ``span_m`` [m] (1, 2 or 5 × 10^k)."""
    target = max(span_m / 4.0, 1.0)
    k = 10 ** np.floor(np.log10(target))
    return float(max(m * k for m in (1, 2, 5) if m * k <= target))


def add_scale_bar(ax) -> None:
    """Draw a black scale bar of :func:`nice_length` in the lower left of ``ax`` (metric axes)."""
    from matplotlib.patches import Rectangle

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = nice_length(x1 - x0)
    bx, by = x0 + 0.05 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    h = 0.012 * (y1 - y0)
    ax.add_patch(Rectangle((bx, by), length, h, facecolor="black", edgecolor="black", zorder=6))
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(bx + length / 2, by + 2 * h, label, ha="center", va="bottom", fontsize=7, zorder=6)


def add_north_arrow(ax) -> None:
    """Draw an "N" arrow in the upper right of ``ax`` (grid north of the metric CRS is up)."""
    ax.annotate("N", xy=(0.94, 0.95), xytext=(0.94, 0.82), xycoords="axes fraction",
                ha="center", va="center", fontsize=9,
                arrowprops=dict(arrowstyle="-|>", facecolor="black", lw=1.2), zorder=7)


def polygon_path(geom):
    """A matplotlib ``Path`` of a shapely (multi)polygon, holes included."""
    from matplotlib.path import Path as MPath

    verts, codes = [], []
    polys = getattr(geom, "geoms", [geom])
    for poly in polys:
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)[:, :2]
            verts.append(xy)
            codes.append(np.r_[MPath.MOVETO, np.full(len(xy) - 2, MPath.LINETO), MPath.CLOSEPOLY])
    return MPath(np.concatenate(verts), np.concatenate(codes).astype(np.uint8))


def fit_extent(ax, frame, pad: float = 0.06, right: float = 0.0) -> None:
    """Fit ``frame`` (anything with ``total_bounds`` [m]) in ``ax`` with a margin.

    Parameters
    ----------
    ax : matplotlib Axes
    frame : GeoDataFrame or GeoSeries
    pad : float
        Margin on each side, a share of the frame's width and height.
    right : float
        Extra room on the right, a share of the width (for an inset).
    """
    x0, y0, x1, y1 = frame.total_bounds
    dx, dy = (x1 - x0) * pad + 1, (y1 - y0) * pad + 1
    ax.set_xlim(x0 - dx, x1 + dx + right * (x1 - x0))
    ax.set_ylim(y0 - dy, y1 + dy)


def png_bytes(fig, dpi: int = 200, **kwargs) -> bytes:
    """``fig`` saved as PNG into memory (no file), e.g. for the HTML report [bytes]."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, **kwargs)
    return buf.getvalue()
