"""Melody features from MIDI files (pretty_midi), for models that condition text on music.

Two views of one song:

- **song level** (`SONG_FEATURES`, 59 numbers): tempo, key (24-way one-hot,
  estimated from the notes), chroma (the share of sounding time of each
  pitch class), instrument histogram (the share of notes of each of the 16
  General MIDI families, plus drums), mean pitch, pitch spread, mean
  velocity, notes per second and duration;
- **time aligned** (`aligned_features(summary, steps)`, `ALIGNED_FEATURES`,
  19 numbers per step): the song's sung span is cut into `steps` equal
  parts, one per word, and each part gets the notes sounding in it: mean
  pitch and velocity, polyphony, note onsets and drum hits per second, the
  pitch of the vocal track (where one is marked) and a 12-bin chroma.

`summarize_midi(pretty_midi.PrettyMIDI)` computes a `MidiSummary`: the
song-level vector and a frame grid (`FRAME_SECONDS` per frame) of summed
note statistics, from which the aligned features of any number of steps
follow in microseconds. `load_summaries(paths, folder)` parses files once
and caches each summary as a small `.npz` in `folder` (atomic writes); a
file that pretty_midi cannot read is cached as its error message.

Sung span: MIDI lyric events where a file has at least `MIN_LYRIC_EVENTS`
(from the first to the last); else the notes of a track whose name marks
the voice ("vocal", "voice", "vox", "sing", "melody"; the one with most
notes); else from the first note to the end of the song.

Key estimation: Krumhansl-Schmuckler (Krumhansl & Kessler 1982 key
profiles, correlated with the duration-weighted chroma): the key signature
events of these files are mostly absent or a default C major.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from common.files import atomic_path

__all__ = [
    "ALIGNED_FEATURES",
    "FRAME_SECONDS",
    "MidiSummary",
    "SONG_FEATURES",
    "aligned_features",
    "estimate_key",
    "load_summaries",
    "summarize_midi",
]

FRAME_SECONDS = 0.25
MAX_SECONDS = 1200.0  # notes after 20 minutes are ignored (a malformed file can claim hours)
MIN_LYRIC_EVENTS = 20
FORMAT_VERSION = 1  # bump when a summary changes, so old caches are not reused
PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
KEYS = tuple(f"{p} major" for p in PITCH_CLASSES) + tuple(f"{p} minor" for p in PITCH_CLASSES)
FAMILIES = (
    "piano", "chromatic percussion", "organ", "guitar", "bass", "strings", "ensemble", "brass",
    "reed", "pipe", "synth lead", "synth pad", "synth effects", "ethnic", "percussive",
    "sound effects",
)  # fmt: skip
SONG_FEATURES = (
    ("tempo / 200 bpm",)
    + tuple(f"key {k}" for k in KEYS)
    + tuple(f"chroma {p}" for p in PITCH_CLASSES)
    + tuple(f"instrument {f}" for f in FAMILIES)
    + ("instrument drums", "mean pitch / 127", "pitch std / 127", "mean velocity / 127")
    + ("notes per second / 20", "duration / 300 s")
)
# Frame grid columns: sums over the notes sounding in each frame.
_SOUNDING, _PITCH, _VELOCITY, _ONSETS, _DRUMS, _VOCAL, _VOCAL_PITCH = range(7)
_CHROMA = slice(7, 19)
FRAME_COLUMNS = 19
ALIGNED_FEATURES = (
    "polyphony / 10",
    "mean pitch / 127",
    "mean velocity / 127",
    "note onsets per second / 10",
    "drum hits per second / 10",
    "vocal pitch / 127",
    "vocal sounding share",
) + tuple(f"chroma {p}" for p in PITCH_CLASSES)
_VOICE = re.compile(r"vocal|voice|vox|sing|melody", re.IGNORECASE)
# Krumhansl & Kessler (1982) probe-tone profiles, tonic first.
_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


@dataclasses.dataclass
class MidiSummary:
    """What the models need of one MIDI file.

    Attributes:
        song: float32 `(len(SONG_FEATURES),)`, the song-level features.
        frames: float32 `(n_frames, 19)`: per `FRAME_SECONDS` frame, sums over
            the non-drum notes sounding in it (count, pitch, velocity), note
            onsets, drum onsets, vocal-track notes sounding and their pitch
            sum, and the count of sounding notes of each pitch class.
        span: (start, end) seconds over which the words are spread.
        vocal: where the span comes from: "lyric events", "track <name>" or "notes".
    """

    song: np.ndarray
    frames: np.ndarray
    span: tuple[float, float]
    vocal: str


def estimate_key(chroma: np.ndarray) -> int:
    """The Krumhansl-Schmuckler key of a 12-bin chroma: 0-11 C..B major, 12-23 C..B minor.

    Args:
        chroma: (12,) non-negative weights of the pitch classes C..B.

    Returns:
        The index into `KEYS` of the best-correlated rotated profile (0 for a flat chroma).
    """
    chroma = np.asarray(chroma, dtype=np.float64)
    if chroma.std() == 0:
        return 0
    scores = [np.corrcoef(chroma, np.roll(profile, tonic))[0, 1]
              for profile in (_MAJOR, _MINOR) for tonic in range(12)]  # fmt: skip
    return int(np.argmax(scores))


def _voice_track(instruments) -> object | None:
    candidates = [i for i in instruments if not i.is_drum and i.notes and _VOICE.search(i.name)]
    return max(candidates, key=lambda i: len(i.notes), default=None)


def _note_array(instruments) -> np.ndarray:
    """(n, 4) float64 [start, end, pitch, velocity] of the notes of `instruments`."""
    rows = [(n.start, n.end, n.pitch, n.velocity) for i in instruments for n in i.notes]
    return np.array(rows, dtype=np.float64).reshape(-1, 4)


def _frame_ranges(notes: np.ndarray, n_frames: int) -> tuple[np.ndarray, np.ndarray]:
    first = np.clip((notes[:, 0] / FRAME_SECONDS).astype(np.int64), 0, n_frames - 1)
    last = np.clip(((notes[:, 1] - 1e-6) / FRAME_SECONDS).astype(np.int64), first, n_frames - 1)
    return first, last


def _add_sounding(frames: np.ndarray, notes: np.ndarray, columns: dict) -> None:
    """Add each note's values to every frame it sounds in (a difference array per column)."""
    if not len(notes):
        return
    first, last = _frame_ranges(notes, len(frames))
    difference = np.zeros((len(frames) + 1, frames.shape[1]))
    for column, values in columns.items():
        np.add.at(difference, (first, column), values)
        np.add.at(difference, (last + 1, column), -values)
    frames += np.cumsum(difference, axis=0)[:-1]


def summarize_midi(midi) -> MidiSummary:
    """The song-level features and the frame grid of one `pretty_midi.PrettyMIDI`.

    Args:
        midi: a `pretty_midi.PrettyMIDI` (or anything with its `instruments`,
            `lyrics`, `get_end_time()` and `get_tempo_changes()`).

    Returns:
        A `MidiSummary`. A file without notes gives zeros and a span of (0, 1).
    """
    end = float(min(max(midi.get_end_time(), FRAME_SECONDS), MAX_SECONDS))
    n_frames = int(np.ceil(end / FRAME_SECONDS))
    melodic = [i for i in midi.instruments if not i.is_drum]
    notes = _note_array(melodic)
    notes = notes[notes[:, 0] < end]
    drums = _note_array([i for i in midi.instruments if i.is_drum])
    drums = drums[drums[:, 0] < end]
    frames = np.zeros((n_frames, FRAME_COLUMNS))
    pitch_class = notes[:, 2].astype(np.int64) % 12
    columns = {_SOUNDING: 1.0, _PITCH: notes[:, 2], _VELOCITY: notes[:, 3]}
    for p in range(12):
        columns[_CHROMA.start + p] = (pitch_class == p).astype(np.float64)
    _add_sounding(frames, notes, columns)
    if len(notes):
        np.add.at(frames[:, _ONSETS], _frame_ranges(notes, n_frames)[0], 1.0)
    if len(drums):
        np.add.at(frames[:, _DRUMS], _frame_ranges(drums, n_frames)[0], 1.0)
    voice = _voice_track(melodic)
    if voice is not None:
        vocal_notes = _note_array([voice])
        vocal_notes = vocal_notes[vocal_notes[:, 0] < end]
        _add_sounding(frames, vocal_notes, {_VOCAL: 1.0, _VOCAL_PITCH: vocal_notes[:, 2]})

    lyric_times = sorted(event.time for event in getattr(midi, "lyrics", []) if event.time < end)
    if len(lyric_times) >= MIN_LYRIC_EVENTS:
        span, vocal = (lyric_times[0], lyric_times[-1] + FRAME_SECONDS), "lyric events"
    elif voice is not None and len(voice.notes) >= MIN_LYRIC_EVENTS:
        starts = [n.start for n in voice.notes]
        span, vocal = (min(starts), max(n.end for n in voice.notes)), f"track {voice.name.strip()}"
    else:
        span, vocal = (float(notes[:, 0].min()) if len(notes) else 0.0, end), "notes"
    span = (float(min(span[0], end - 1.0)), float(min(max(span[1], span[0] + 1.0), end)))
    if span[1] - span[0] < 1.0:
        span = (0.0, end)

    durations = np.clip(notes[:, 1] - notes[:, 0], 0, None)
    chroma = np.bincount(pitch_class, weights=durations, minlength=12)
    chroma = chroma / chroma.sum() if chroma.sum() > 0 else chroma
    programs = np.concatenate(
        [np.full(len(i.notes), 16 if i.is_drum else i.program // 8) for i in midi.instruments]
        or [np.zeros(0)]
    ).astype(np.int64)
    families = np.bincount(programs, minlength=17)[:17] / max(len(programs), 1)
    times, tempi = midi.get_tempo_changes()
    lengths = np.diff(np.append(np.asarray(times, dtype=np.float64), end)).clip(min=0)
    tempo = float(np.average(tempi, weights=lengths) if lengths.sum() > 0 else tempi[0])
    key = np.zeros(24)
    if len(notes):
        key[estimate_key(chroma)] = 1.0
    statistics = [
        notes[:, 2].mean() / 127 if len(notes) else 0.0,
        notes[:, 2].std() / 127 if len(notes) else 0.0,
        notes[:, 3].mean() / 127 if len(notes) else 0.0,
        (len(notes) + len(drums)) / end / 20,
        end / 300,
    ]
    song = np.concatenate([[tempo / 200], key, chroma, families, statistics]).astype(np.float32)
    return MidiSummary(song, frames.astype(np.float32), span, vocal)


def aligned_features(summary: MidiSummary, steps: int) -> np.ndarray:
    """Melody features for `steps` words spread evenly over the summary's sung span.

    Word i covers `[start + i * d, start + (i + 1) * d)` with
    `d = (end - start) / steps`, rounded out to whole frames (at least one).

    Args:
        summary: a `MidiSummary`.
        steps: number of words (>= 0).

    Returns:
        float32 `(steps, len(ALIGNED_FEATURES))`: per word, polyphony / 10,
        mean pitch / 127, mean velocity / 127, onsets and drum hits per
        second / 10, mean vocal pitch / 127, the share of frames with a vocal
        note, and the chroma of the sounding notes (summing to 1, or zeros).
        Means over no sounding note are 0.

    Raises:
        ValueError: `steps` is negative.
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    frames = summary.frames.astype(np.float64)
    total = np.vstack([np.zeros((1, frames.shape[1])), np.cumsum(frames, axis=0)])
    start, end = summary.span
    bounds = np.linspace(start, end, steps + 1) / FRAME_SECONDS
    first = np.clip(np.floor(bounds[:-1]).astype(np.int64), 0, len(frames) - 1)
    last = np.clip(np.ceil(bounds[1:]).astype(np.int64), first + 1, len(frames))
    sums = total[last] - total[first]
    count = (last - first).astype(np.float64)[:, None]
    seconds = count * FRAME_SECONDS
    sounding = sums[:, [_SOUNDING]]
    vocal = sums[:, [_VOCAL]]
    chroma = sums[:, _CHROMA]
    with np.errstate(invalid="ignore", divide="ignore"):
        features = np.hstack(
            [
                sounding / count / 10,
                np.where(sounding > 0, sums[:, [_PITCH]] / sounding / 127, 0),
                np.where(sounding > 0, sums[:, [_VELOCITY]] / sounding / 127, 0),
                sums[:, [_ONSETS]] / seconds / 10,
                sums[:, [_DRUMS]] / seconds / 10,
                np.where(vocal > 0, sums[:, [_VOCAL_PITCH]] / vocal / 127, 0),
                np.minimum(vocal, count) / count,
                np.where(
                    chroma.sum(1, keepdims=True) > 0, chroma / chroma.sum(1, keepdims=True), 0
                ),
            ]
        )
    return features.astype(np.float32)


def _cache_name(path: Path) -> str:
    return hashlib.sha256(f"{path.parent.name}/{path.name}".encode()).hexdigest()[:20] + ".npz"


def _save(target: Path, summary: MidiSummary | None, error: str = "") -> None:
    with atomic_path(target, suffix=".npz") as temporary:
        if summary is None:
            np.savez(temporary, error=np.array(error))
        else:
            np.savez(
                temporary,
                song=summary.song,
                frames=summary.frames,
                span=np.array(summary.span),
                vocal=np.array(summary.vocal),
                error=np.array(""),
            )


def _load(source: Path) -> MidiSummary | str | None:
    try:
        with np.load(source) as data:
            if str(data["error"]):
                return str(data["error"])
            span = tuple(float(x) for x in data["span"])
            return MidiSummary(data["song"], data["frames"], span, str(data["vocal"]))
    except Exception:  # a damaged cache entry is parsed again
        return None


def load_summaries(
    midi_paths: Iterable[str | Path],
    cache_folder: str | Path,
    progress: Callable[[str], None] | None = print,
) -> dict[Path, MidiSummary | str]:
    """Summaries of MIDI files, parsed once and cached.

    Args:
        midi_paths: `.mid` files. Two files with the same folder name and file
            name share a cache entry, so key `cache_folder` to their source
            (the archive's hash).
        cache_folder: where the `.npz` summaries live (created).
        progress: called with a one-line message every 50 parsed files (None: silent).

    Returns:
        {path: `MidiSummary`, or the one-line error message (str) of a file
        that pretty_midi cannot read}.
    """
    import pretty_midi

    folder = Path(cache_folder) / f"v{FORMAT_VERSION}"
    results, parsed = {}, 0
    for path in map(Path, midi_paths):
        target = folder / _cache_name(path)
        cached = _load(target) if target.is_file() else None
        if cached is not None:
            results[path] = cached
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                summary = summarize_midi(pretty_midi.PrettyMIDI(str(path)))
            _save(target, summary)
            results[path] = summary
        except Exception as error:  # mido and pretty_midi raise many kinds
            message = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
            _save(target, None, message)
            results[path] = message
        parsed += 1
        if progress and parsed % 50 == 0:
            progress(f"parsed {parsed} MIDI files")
    return results
