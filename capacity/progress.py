"""The one progress reporter of long commands: stage messages with elapsed times on stderr.

``Progress(quiet)`` is called with a message per stage; ``solver_gap`` shows
the solver's live gap on one self-overwriting line (on a terminal only), the
next stage message replaces it. With ``quiet`` nothing is printed.
"""

from __future__ import annotations

import sys
import time


class Progress:
    """Stage messages ``[  12.3 s] message`` on stderr (silent when ``quiet``).

    Parameters
    ----------
    quiet : bool
        Print nothing.
    """

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.t0 = time.perf_counter()
        self.live = sys.stderr.isatty()
        self._open_line = False

    def __call__(self, message: str) -> None:
        if not self.quiet:
            end = "\r\033[K" if self._open_line else ""
            self._open_line = False
            print(f"{end}[{time.perf_counter() - self.t0:7.1f} s] {message}", file=sys.stderr, flush=True)

    def solver_gap(self, seconds, objective, bound, gap) -> None:
        """The solver's live state: elapsed [s], incumbent and bound [objective units], relative gap."""
        if self.quiet or not self.live:
            return
        best = "no incumbent yet" if not (abs(objective) < 1e300) else f"best {objective:,.0f}"
        shown = f"{gap:.2%}" if gap < 1e300 else "—"
        print(f"\r\033[K          solving: {seconds:6.0f} s, gap {shown}, {best}, bound {bound:,.0f}",
              end="", file=sys.stderr, flush=True)
        self._open_line = True


def silent(message: str) -> None:
    """A progress callback that says nothing."""
