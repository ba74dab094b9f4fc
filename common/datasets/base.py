"""Finding a dataset file: data folder -> cache -> canonical download -> clear error.

Every loader in `common.datasets` resolves its files with `find_file`, and
unpacks archives with `extract`, which writes only into the cache folder
(tarfile's `data` filter and zip member checks guard against path traversal;
an extraction is made in a temporary folder and renamed when complete).
"""

from __future__ import annotations

import os
import shutil
import tarfile
import uuid
import zipfile
from pathlib import Path

from common import paths
from common.errors import DatasetNotFoundError, InputError


def find_file(
    relative_path: str,
    url: str | None,
    data_dir: str | os.PathLike | None = None,
    file_hash: str | None = None,
    description: str = "",
    verify_local: bool = False,
) -> Path:
    """Locate one dataset file.

    Looks, in order, in the data folder (`data_dir`, else
    `$ASSIGNMENTS_DATA_DIR`) at `relative_path`, then in the cache at the same
    relative path, then downloads `url` into the cache with
    `keras.utils.get_file` (checked against `file_hash`, a sha256, when given).

    Args:
        relative_path: the file's place in the data folder, e.g. "mnist/mnist.npz".
        url: the canonical public source, or None when there is none.
        data_dir: the data folder; None means `$ASSIGNMENTS_DATA_DIR`.
        file_hash: sha256 of the canonical download.
        description: the dataset's name, for the error message.
        verify_local: check `file_hash` on a copy found in the data folder or
            the cache too (for files with no inner structure to check, such
            as text and CSV, where a truncated copy still parses; only where
            the data folder's copy is the canonical file itself).

    Returns:
        The path of the file.

    Raises:
        InputError: `data_dir` is given but is not a folder.
        DatasetNotFoundError: the file is nowhere and the download failed
            (the message names the folder searched, the file and the URL).
    """
    folder = paths.data_dir(data_dir)
    if folder is not None and not folder.is_dir():
        raise InputError(
            f"the data folder {folder} does not exist; pass --data-dir or set "
            f"${paths.DATA_ENV} to a folder that holds {relative_path}"
        )
    for local in ([folder / relative_path] if folder is not None else []) + [
        paths.cache_dir() / relative_path
    ]:
        if local.is_file():
            if verify_local and file_hash:
                check_sha256(local, file_hash, url)
            return local
    problem = "no URL is known"
    if url:
        import keras

        try:
            downloaded = keras.utils.get_file(
                fname=Path(relative_path).name,
                origin=url,
                file_hash=file_hash,
                cache_dir=str(paths.cache_dir()),
                cache_subdir=str(Path(relative_path).parent),
            )
            return Path(downloaded)
        except Exception as error:  # network errors come in many types
            problem = (
                f"the download failed ({type(error).__name__}: {str(error).splitlines()[0][:120]})"
            )
    searched = (
        f"the data folder {folder}"
        if folder
        else f"no data folder (--data-dir / ${paths.DATA_ENV} unset)"
    )
    raise DatasetNotFoundError(
        f"{description or relative_path} not found. Searched {searched} and the cache "
        f"{paths.cache_dir()} for {relative_path}; {problem}. "
        f"Download it from {url or 'its source'} "
        f"and put it at <data folder>/{relative_path}, then pass --data-dir <data folder> "
        f"or set ${paths.DATA_ENV}."
    )


def check_sha256(path: Path, expected: str, url: str | None = None) -> None:
    """Raise InputError when the file's sha256 is not `expected` (a truncated or other file)."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected:
        raise InputError(
            f"{path} is corrupt or not the expected file (sha256 {digest.hexdigest()[:12]}..., "
            f"expected {expected[:12]}...); replace it with a fresh copy"
            + (f" from {url}" if url else "")
        )


def source_key(path: str | os.PathLike) -> str:
    """A short key of a source file's identity: `<size>-<mtime in ns>`.

    Derived caches (extracted folders, decoded arrays) carry it in their
    name, so a replaced source is never shadowed by the cache of the old one.
    """
    stat = Path(path).stat()
    return f"{stat.st_size}-{stat.st_mtime_ns}"


def _remove_abandoned_staging(folder: Path, name: str) -> None:
    """Delete staging folders of `name` left by extractions whose process is gone."""
    for staging in folder.glob(f".{name}.*.staging"):
        pid = staging.name.split(".")[-2]
        if pid.isdigit() and not _process_alive(int(pid)):
            shutil.rmtree(staging, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def extract(archive: str | os.PathLike, name: str) -> Path:
    """Unpack a .tar(.gz/.xz) or .zip archive once into the cache, return the folder.

    The result is `<cache>/extracted/<name>-<source_key(archive)>/`: tied to
    the archive, so a replaced archive is extracted afresh. A complete
    extraction is reused; each extraction is staged in its own folder and
    renamed into place, so two runs extracting at once both succeed, and the
    staging folder of a killed run is removed by the next one. Members are
    checked: tar archives use the `data` filter (no absolute paths, no `..`,
    no links outside, no devices) and zip members must stay inside the folder.

    Raises:
        InputError: the archive is corrupt or holds an unsafe member, or the
            cache cannot be written.
    """
    archive = Path(archive)
    folder = paths.cache_dir("extracted")
    target = folder / f"{name}-{source_key(archive)}"
    if target.is_dir():
        return target
    _remove_abandoned_staging(folder, name)
    staging = folder / f".{name}.{uuid.uuid4().hex[:8]}.{os.getpid()}.staging"
    try:
        staging.mkdir()
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as bundle:
                root = staging.resolve()
                for member in bundle.namelist():
                    destination = (staging / member).resolve()
                    if root not in destination.parents and destination != root:
                        raise InputError(
                            f"{archive}: unsafe member {member!r} (outside the folder)"
                        )
                bundle.extractall(staging)
        else:
            with tarfile.open(archive) as bundle:
                bundle.extractall(staging, filter="data")
        try:
            os.replace(staging, target)
        except OSError:
            if not target.is_dir():  # not a concurrent run that finished first
                raise
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        if isinstance(error, InputError):
            raise
        raise InputError(
            f"{archive} could not be unpacked ({type(error).__name__}: {error}); "
            "it is corrupt or incomplete: replace it with a fresh copy"
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
