"""Outputs written whole or not at all.

:func:`output_folder` hands out a temporary folder next to the target; on
success it replaces the target in one rename, on any error it removes the
temporary folder and the previous output (if any) stays as it was.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path

from capacity.errors import CapacityError


class OutputExistsError(CapacityError):
    """The output folder exists and ``--force`` was not given."""


@contextlib.contextmanager
def output_folder(target, force: bool = False):
    """Yield a fresh temporary folder that becomes ``target`` on success.

    Parameters
    ----------
    target : str or Path
        The final output folder.
    force : bool
        Replace ``target`` when it exists; otherwise raise.

    Raises
    ------
    OutputExistsError
        ``target`` exists and is not empty, and ``force`` is false.
    """
    target = Path(target)
    if target.exists() and any(target.iterdir()) and not force:
        raise OutputExistsError(
            f"output folder {target} already exists; pass --force to replace it, "
            "or choose another folder with --out")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.old-{tmp.name[-8:]}"
        target.rename(old)
    tmp.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
