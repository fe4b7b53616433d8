"""The bundled CJK font and matplotlib set-up (a re-export of :mod:`capacity.plotting`).

Kept so ``from capacity.report.fonts import style`` keeps working; new code
imports :mod:`capacity.plotting`.
"""

from __future__ import annotations

from capacity.plotting import FAMILY, FONT_PATH, LICENSE_PATH, RC, register, style

__all__ = ["FAMILY", "FONT_PATH", "LICENSE_PATH", "RC", "register", "style"]
