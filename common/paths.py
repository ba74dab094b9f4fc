"""Where the suite reads data and keeps its cache.

- data folder: `--data-dir`, else `$ASSIGNMENTS_DATA_DIR` (read-only to us);
- cache folder: `$ASSIGNMENTS_CACHE_DIR`, default `~/.cache/keras-assignments`
  (extracted archives, downloads, converted pretrained weights).
"""

from __future__ import annotations

import os
from pathlib import Path

from common.errors import InputError

DATA_ENV = "ASSIGNMENTS_DATA_DIR"
CACHE_ENV = "ASSIGNMENTS_CACHE_DIR"


def data_dir(override: str | os.PathLike | None = None) -> Path | None:
    """The data folder: `override`, else `$ASSIGNMENTS_DATA_DIR`, else None."""
    value = override if override not in (None, "") else os.environ.get(DATA_ENV)
    return Path(value).expanduser() if value else None


def cache_root() -> Path:
    """The root of the cache (not created): $ASSIGNMENTS_CACHE_DIR or ~/.cache/keras-assignments."""
    root = os.environ.get(CACHE_ENV) or os.path.join("~", ".cache", "keras-assignments")
    return Path(root).expanduser()


def cache_dir(*parts: str) -> Path:
    """A folder under the cache (created), e.g. `cache_dir("pretrained")`.

    The root is `$ASSIGNMENTS_CACHE_DIR`, default `~/.cache/keras-assignments`.

    Raises:
        InputError: the folder cannot be created (a path through a file, no
            permission, a read-only file system).
    """
    path = cache_root().joinpath(*parts)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(
            f"the cache folder {path} cannot be created ({error.strerror or error}); "
            f"set ${CACHE_ENV} to a writable folder"
        ) from None
    return path
