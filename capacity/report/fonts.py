"""The bundled CJK font and matplotlib set-up for every chart of the report.

``fonts/CapacitySansCJKSC-Regular.otf`` is a GB 2312 subset of Noto Sans CJK
SC (SIL Open Font License 1.1, see ``fonts/OFL.txt``; made by
``tools/make_cjk_font.py``). Importing this module registers it with
matplotlib's font manager, so Chinese place names render on any machine,
whatever fonts it has installed.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager  # noqa: E402

FONT_PATH = Path(__file__).with_name("fonts") / "CapacitySansCJKSC-Regular.otf"
LICENSE_PATH = FONT_PATH.with_name("OFL.txt")


def register() -> str:
    """Add the bundled font to matplotlib (once) and return its family name."""
    names = {f.fname for f in font_manager.fontManager.ttflist}
    if str(FONT_PATH) not in names:
        font_manager.fontManager.addfont(str(FONT_PATH))
    return font_manager.FontProperties(fname=str(FONT_PATH)).get_name()


FAMILY = register()

RC = {
    "font.family": "sans-serif",
    "font.sans-serif": [FAMILY, "DejaVu Sans"],
    "axes.unicode_minus": True,
    "savefig.dpi": 200,
    "figure.dpi": 100,
}


@contextlib.contextmanager
def style():
    """A matplotlib rc context with the CJK font first (use around every figure)."""
    import matplotlib.pyplot as plt

    with plt.rc_context(RC):
        yield
