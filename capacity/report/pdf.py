"""``report.pdf``: the HTML report printed by headless Chromium (``capacity report RUN --pdf``).

The page's print stylesheet (:mod:`capacity.report.html`) lays it out on A4;
Chromium prints it with its background colours, the embedded font and the
interactive map as drawn at load time. Chromium is an optional system tool:
when none is found a :class:`~capacity.errors.UsageError` says how to
install it (exit status 1); nothing is written. The PDF is written to a
temporary file and renamed, so a failed print leaves no partial file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from capacity.errors import UsageError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
"""Executables tried, in order, when no ``CAPACITY_CHROMIUM`` is set."""


def find_chromium() -> str | None:
    """The Chromium executable: ``$CAPACITY_CHROMIUM`` if set, else the first of :data:`BROWSERS` on PATH."""
    env = os.environ.get("CAPACITY_CHROMIUM")
    if env:
        return shutil.which(env) or (env if Path(env).is_file() else None)
    return next((p for p in map(shutil.which, BROWSERS) if p), None)


def require_chromium() -> str:
    """:func:`find_chromium`, or a :class:`~capacity.errors.UsageError` saying how to install it."""
    exe = find_chromium()
    if not exe:
        raise UsageError("--pdf needs headless Chromium, and none was found (tried "
                         + ", ".join(BROWSERS) + " and $CAPACITY_CHROMIUM). Install it, e.g. "
                         "'apt-get install chromium', or open report.html in a browser and print it.")
    return exe


def write_pdf(html_path, pdf_path=None, *, chromium: str | None = None, timeout_s: float = 180.0) -> Path:
    """Print ``html_path`` to ``pdf_path`` (default: beside it, ``.pdf``) with headless Chromium.

    Parameters
    ----------
    html_path : Path
        The report page.
    pdf_path : Path, optional
    chromium : str, optional
        The browser executable (default: :func:`find_chromium`).
    timeout_s : float
        Give up after this long [s].

    Raises
    ------
    UsageError
        No Chromium is installed, or it failed to print.
    """
    html_path = Path(html_path).resolve()
    pdf_path = Path(pdf_path) if pdf_path is not None else html_path.with_suffix(".pdf")
    exe = chromium or require_chromium()
    fd, tmp = tempfile.mkstemp(prefix=".report.", suffix=".pdf", dir=pdf_path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        with tempfile.TemporaryDirectory(prefix="capacity-chromium-") as profile:
            cmd = [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                   "--no-first-run", "--disable-background-networking", "--disable-component-update",
                   "--disable-sync", f"--user-data-dir={profile}", "--no-pdf-header-footer",
                   "--virtual-time-budget=15000", "--run-all-compositor-stages-before-draw",
                   f"--print-to-pdf={tmp}", html_path.as_uri()]
            try:
                out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
            except subprocess.TimeoutExpired:
                raise UsageError(f"Chromium ({exe}) did not print {html_path} within {timeout_s:.0f} s") from None
        if out.returncode != 0 or tmp.stat().st_size == 0 or tmp.read_bytes()[:5] != b"%PDF-":
            tail = (out.stderr or "").strip().splitlines()[-3:]
            raise UsageError(f"Chromium ({exe}) could not print {html_path} to PDF (exit {out.returncode}): "
                             + " | ".join(tail))
        from capacity.io.atomic import current_umask

        os.chmod(tmp, 0o666 & ~current_umask())  # as if the user had written it (mkstemp makes 0600)
        os.replace(tmp, pdf_path)
    finally:
        tmp.unlink(missing_ok=True)
    return pdf_path
