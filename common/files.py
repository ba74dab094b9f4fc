"""Atomic file writes: a file appears complete under its final name, or not at all.

Every output and cache file of the suite goes through `atomic_path`: the
writer fills a temporary sibling (a hidden name in the same folder, so the
final rename never crosses file systems), which is renamed onto the target
only when the writer finished without an exception. An interrupted run
leaves no partial file behind.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path


def temporary_sibling(target: str | os.PathLike, suffix: str = "") -> Path:
    """A unique hidden path next to `target`: `.<name>.tmp-<pid>-<random><suffix>`."""
    target = Path(target)
    return target.with_name(f".{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}{suffix}")


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, suffix: str = ""):
    """Yield a temporary file path next to `target`; on success move it onto `target` (mode 0644).

    Args:
        target: the final file path; its folder is created.
        suffix: ending of the temporary name, for writers that choose the
            format by extension (".png" for matplotlib, ".npz" for numpy,
            ".keras" / ".weights.h5" for Keras).

    Raises:
        FileNotFoundError: the writer did not create the temporary file.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_sibling(target, suffix)
    try:
        yield temporary
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def atomic_write(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write `data` (bytes, or str as UTF-8) to `path` atomically; return the path."""
    path = Path(path)
    with atomic_path(path) as temporary:
        if isinstance(data, bytes):
            temporary.write_bytes(data)
        else:
            temporary.write_text(data, encoding="utf-8")
    return path
