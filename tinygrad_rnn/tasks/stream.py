r"""One long text read as a stream: B parallel tracks, window after window, the state carried on.

    stream = TextStream(batch_size=32)               # the corpus: pydoc_data.topics, ~465 KB of English
    batch = stream.window(0, 50)                     # steps 0..49 of every track: inputs (50, 32, V)
    stream.held_out_windows(256)                     # the held-out slice, window by window
    stream.baseline_bits()                           # its unigram entropy, bits per character

This is how truncated BPTT is used on language. The training part of the corpus (all but the
last ``held_out`` share, 5% by default) is cut into B contiguous **tracks** of equal length L, one
per batch column: track b is characters ``b*L ... (b+1)*L`` (the last one the target of the
step before). Step t of the stream is character t of every track, so consecutive windows
``window(p, p + k)``, ``window(p + k, p + 2k)`` ... continue each track where the last one
stopped, and the state h_t (and c_t) at the end of one window is the right state to start the
next from. ``train.StreamTBPTT`` carries it (detached), and resets it only at a track's start.

The held-out slice is cut the same way into ``eval_tracks`` tracks, read window by window with
the state carried, without a graph (``train.loop.StreamHeldOut``), so its memory is that of one
window whatever the corpus length.

Metric: cross-entropy per character in nats, as ``TextTask``; bits per character = nats / ln 2.
Baseline: the unigram entropy of the held-out slice, H(p) = -sum_c p_c log p_c with p its own
character frequencies: the best a predictor without memory can score there (``tasks/text.py``).

The corpus (``corpus``): by default CPython's ``pydoc_data.topics`` (the language reference's
help topics), its ``topics`` values joined in sorted-key order, read from the standard library at
run time. A Python build without it falls back to the bundled ``default_text()``, and
``Corpus.note`` says so.
"""
import dataclasses
import math

import numpy as np

from .base import Batch, Task, check_positive_int, entropy, one_hot
from .text import _read_text, default_text, encode, vocabulary

DEFAULT_CORPUS = "pydoc_data.topics"


@dataclasses.dataclass(frozen=True)
class Corpus:
    """A text, where it came from, and a note for the user (None, or why it is not what was asked for)."""
    text: str
    source: str
    note: str | None = None


def pydoc_topics():
    """The text of ``pydoc_data.topics`` (the values of its ``topics`` dict, in sorted-key order), or None
    when this Python build does not ship it."""
    try:
        from pydoc_data.topics import topics
    except ImportError:
        return None
    return "".join(topics[key] for key in sorted(topics))


def corpus(text_or_path=None) -> Corpus:
    """The long text to stream: ``None`` for the default corpus (``pydoc_data.topics``, or the bundled
    text with a note if it is missing); otherwise a file or a string, as ``TextTask`` reads them."""
    if text_or_path is not None:
        text, source = _read_text(text_or_path, "TextStream")
        return Corpus(text, source)
    text = pydoc_topics()
    if text is None:
        return Corpus(default_text(), "the bundled default text",
                      f"this Python has no {DEFAULT_CORPUS} (some builds leave it out), so the stream reads the "
                      f"bundled default text ({len(default_text())} characters) instead; give a long text with "
                      f"--text FILE for a real corpus")
    return Corpus(text, DEFAULT_CORPUS)


class TextStream(Task):
    """``TextStream(text_or_path=None, batch_size=32, held_out=0.05, eval_tracks=16)``.

    ``window(start, stop)``: a ``Batch`` of steps ``[start, stop)`` of every training track: inputs
    (k, B, V) one-hot float32, targets (k, B) int64 (the next character), mask all True.
    ``track_length``: L, the steps in each track. Attributes as ``TextTask`` (``vocab``, ``input_size``
    = ``output_size`` = V, ``metric`` "loss"); ``note``: the corpus's note (None, or the fallback).
    """

    name = "text"
    metric = "loss"
    loss = "cross_entropy"

    def __init__(self, text_or_path=None, batch_size: int = 32, held_out: float = 0.05, eval_tracks: int = 16):
        owner = "TextStream"
        self.batch_size = check_positive_int(batch_size, f"{owner}: batch_size")
        self.eval_tracks = check_positive_int(eval_tracks, f"{owner}: eval_tracks")
        if isinstance(held_out, bool) or not isinstance(held_out, (int, float)) or not 0 < held_out < 1:
            raise ValueError(f"{owner}: held_out is the share of the corpus kept for evaluation, a number in "
                             f"(0, 1), got {held_out!r}. Fix: held_out=0.05 (the last 5%)")
        found = corpus(text_or_path)
        self.text, self.source, self.note = found.text, found.source, found.note
        self.vocab, self.index = vocabulary(self.text)                  # the characters, class i = vocab[i]
        self.input_size = self.output_size = len(self.vocab)
        n = len(self.text)
        n_held = int(round(n * held_out))
        n_train = n - n_held
        self.track_length = (n_train - 1) // self.batch_size             # L: the last step's target is in range
        self.held_length = (n_held - 1) // self.eval_tracks
        if self.track_length < 1 or self.held_length < 1:
            raise ValueError(f"{owner}: the text ({self.source}) has {n} characters: too few for "
                             f"{self.batch_size} training tracks and {self.eval_tracks} held-out tracks (each "
                             f"needs 2 characters at least; the held-out part is {held_out:g} of the text). Fix: "
                             f"a longer text, or a smaller batch_size / eval_tracks")
        data = encode(self.text, self.index, np.int16 if len(self.vocab) < 2**15 else np.int32)   # (n,)
        self.train_data, self.held_data = data[:n_train], data[n_train:]
        self.seq_len = self.track_length
        self._train_starts = np.arange(self.batch_size) * self.track_length    # (B,) where each track begins
        self._held_starts = np.arange(self.eval_tracks) * self.held_length

    def __repr__(self):
        return (f"TextStream({self.source}, {len(self.text)} chars, vocab of {len(self.vocab)}, "
                f"{self.batch_size} tracks of {self.track_length}, held out {len(self.held_data)})")

    @property
    def chars_per_step(self) -> int:
        """Characters read by one step of the stream (one per track): B."""
        return self.batch_size

    def window(self, start: int, stop: int) -> Batch:
        """Steps ``[start, stop)`` of every training track (0 <= start < stop <= track_length)."""
        return self._window(self.train_data, self._train_starts, self.track_length, start, stop, "window")

    def held_out_windows(self, length: int):
        """The held-out slice as consecutive windows of ``length`` steps of its ``eval_tracks`` tracks (the
        last may be shorter): each a ``Batch`` (k, eval_tracks, ...), made when it is asked for."""
        length = check_positive_int(length, "TextStream.held_out_windows: length")
        for start in range(0, self.held_length, length):
            yield self._window(self.held_data, self._held_starts, self.held_length, start,
                               min(start + length, self.held_length), "held_out_windows")

    def _window(self, data, starts, length, start, stop, fn) -> Batch:
        if not (isinstance(start, (int, np.integer)) and isinstance(stop, (int, np.integer))
                and 0 <= start < stop <= length):
            raise ValueError(f"TextStream.{fn}: steps [{start}, {stop}) are not inside a track of {length} steps. "
                             f"Fix: 0 <= start < stop <= {length}")
        positions = starts[None, :] + np.arange(start, stop + 1)[:, None]      # (k + 1, tracks)
        chars = data[positions].astype(np.int64)
        return Batch(one_hot(chars[:-1], self.input_size), chars[1:], np.ones(chars[1:].shape, dtype=bool))

    def batch(self, batch_size: int, rng=None) -> Batch:
        raise TypeError("TextStream.batch: a stream is read in order, not drawn at random. Fix: "
                        "stream.window(start, stop) for steps of every track, or TextTask for random windows")

    def frequencies(self) -> np.ndarray:
        """(V,) float64: how often each vocabulary character occurs in the held-out slice (the part scored)."""
        scored = self.held_data[1:self.eval_tracks * self.held_length + 1]   # the held-out targets
        return np.bincount(scored, minlength=self.input_size).astype(np.float64) / len(scored)

    def baseline(self) -> float:
        """The unigram entropy of the held-out slice's scored characters, nats per character."""
        return entropy(self.frequencies())

    def baseline_bits(self) -> float:
        """The same in bits per character."""
        return self.baseline() / math.log(2)

    def trivial_outputs(self, batch: Batch) -> np.ndarray:
        """The unigram predictor of the held-out slice, as logits (T, B, V): ln p_c (a large negative
        number for characters that do not occur there)."""
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(self.frequencies()), -1e4)
        return np.broadcast_to(log_p, (batch.seq_len, batch.batch_size, self.output_size))
