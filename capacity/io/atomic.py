"""Outputs written whole or not at all, with the permissions of any file the user writes.

:func:`output_folder` hands out a temporary folder next to the target; on
success it replaces the target in one rename, on any error it removes the
temporary folder (and any parent folders it had to create) and the previous
output (if any) stays as it was.

Temporary folders and files are private (``tempfile`` makes them 0700/0600);
an output is not: on success every folder gets ``0777 & ~umask`` and every
file ``0666 & ~umask``, as if the user had written them (group-readable under
the usual umask 022 or 002).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from capacity.errors import CapacityError, UsageError


class OutputExistsError(CapacityError):
    """The output folder exists and ``--force`` was not given."""


def current_umask() -> int:
    """The process's umask, read without changing it where the system allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # the portable way: set and restore at once
    os.umask(mask)
    return mask


def publish_modes(root) -> None:
    """Give ``root`` and everything below it the modes of files the user writes.

    Folders get ``0777 & ~umask``, files ``0666 & ~umask`` (executable bits
    are not added to files). Symbolic links are left alone.
    """
    mask = current_umask()
    root = Path(root)
    os.chmod(root, 0o777 & ~mask)
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                os.chmod(path, 0o777 & ~mask)
        for name in files:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                os.chmod(path, 0o666 & ~mask)


def check_output_target(target, force: bool = False, data_folder: bool = False) -> None:
    """Raise unless ``target`` can become an output folder; call it before long work.

    Parameters
    ----------
    target : str or Path
        The output folder.
    force : bool
        ``--force``: an existing folder may be replaced.
    data_folder : bool
        The output is itself a data folder (``import``, ``rollover``), so it
        may replace one; a run's outputs may not.

    Raises
    ------
    OutputExistsError
        ``target`` is a non-empty folder and ``force`` is false.
    UsageError
        ``target`` or a folder above it is a file; or ``force`` would replace a
        data folder (one holding ``city.toml``) with something else, or the
        current folder.
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise UsageError(f"--out {target} is an existing file, not a folder; choose a folder "
                         "name (an output folder is replaced whole, a file never)")
    for parent in target.parents:
        if parent.exists() and not parent.is_dir():
            raise UsageError(f"--out {target}: {parent} is a file, so no folder can be made inside it")
    if not target.exists() or not any(target.iterdir()):
        return
    if not force:
        raise OutputExistsError(
            f"output folder {target} already exists; pass --force to replace it, "
            "or choose another folder with --out")
    if (target / "city.toml").is_file() and not data_folder:
        raise UsageError(f"--out {target} is a data folder (it holds city.toml); "
                         "--force will not replace input data; choose another folder")
    here = Path.cwd().resolve()
    if target.resolve() == here or target.resolve() in here.parents:
        raise UsageError(f"--out {target} is the current folder or holds it; "
                         "--force will not replace it; choose another folder")


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
    UsageError
        ``target`` (or a folder above it) is a file, or ``force`` would
        replace a data folder or the current folder.
    """
    target = Path(target)
    check_output_target(target, force, data_folder=True)  # what is written is known at the end
    created = [p for p in reversed(target.parents) if not p.exists()]
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    except BaseException:
        _remove_created(created)
        raise
    try:
        yield tmp
        if (target / "city.toml").is_file() and not (tmp / "city.toml").is_file():
            check_output_target(target, force)  # raises: outputs never replace a data folder
        publish_modes(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_created(created)
        raise
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.old-{tmp.name[-8:]}"
        target.rename(old)
    tmp.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _remove_created(created) -> None:
    """Remove the (empty) parent folders this call made, deepest first."""
    for folder in reversed(created):
        try:
            folder.rmdir()
        except OSError:
            break
