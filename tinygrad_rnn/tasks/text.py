r"""Character-level language modelling: read a text one character at a time, predict the next.

The vocabulary is the sorted list of the distinct characters of the text (V of them); the
character ``vocab[i]`` is class i. A batch is B windows of ``seq_len`` + 1 consecutive
characters, each starting at a position drawn uniformly from the text; the first ``seq_len``
characters are the inputs (one-hot), the last ``seq_len`` the targets — the same window
shifted by one, so the target at step t is the input at step t + 1.

Metric "loss": the mean cross-entropy per character in **nats** (natural log), exactly what
``F.cross_entropy`` reports during training. Divide by ln 2 for bits per character.

Baseline: the unigram entropy of the text. A predictor without memory can only guess the
same distribution q at every step; its cross-entropy on a text with character frequencies p
is ``-sum_c p_c ln q_c``, smallest at q = p (Gibbs' inequality), where it equals

    H(p) = -sum_c p_c ln p_c,      p_c = (count of c in the text) / (length of the text).

Sampled windows cover the positions of the text almost uniformly (the first and last
``seq_len`` characters slightly less often), so on random batches that predictor scores
H(p) up to that small edge effect (and sampling noise: ``trivial_metric(batch)`` is that
predictor's cross-entropy on one batch). A model that remembers anything at all (even the
previous character) should go below it.
"""
import collections
import importlib.resources
import os
import pathlib
import re

import numpy as np

from .base import Batch, Task, as_rng, check_positive_int, entropy, one_hot


def default_text() -> str:
    """The short text bundled with the package (``tasks/data/default.txt``), about RNN gradients."""
    return importlib.resources.files(__package__).joinpath("data/default.txt").read_text(encoding="utf-8")


class TextTask(Task):
    """``TextTask(text_or_path, seq_len)``: inputs (T, B, V) one-hot, targets (T, B) int64 next-character
    indices, mask all True.

    ``text_or_path``: the text itself (a str), a file to read, or None for the bundled
    ``default_text()``. A ``pathlib.Path`` is always a file; a str is read as a file name when
    it is a single token (no whitespace) that names an existing file, contains a ``/`` or
    ``\\``, or ends in a suffix such as ``.txt`` — so ``"book.txt"`` is a file (and
    FileNotFoundError if it is missing), while any text with a space or newline is the text.
    """

    name = "text"
    metric = "loss"
    loss = "cross_entropy"

    def __init__(self, text_or_path=None, seq_len: int = 64):
        self.seq_len = check_positive_int(seq_len, "TextTask: seq_len")
        self.text, self.source = _read_text(text_or_path)
        if not self.text:
            raise ValueError(f"TextTask: the text ({self.source}) is empty; give at least seq_len + 1 characters")
        if len(self.text) < self.seq_len + 1:
            raise ValueError(f"TextTask: the text ({self.source}) has {len(self.text)} characters, but a window of "
                             f"seq_len={self.seq_len} needs seq_len + 1 = {self.seq_len + 1} (the inputs, plus the "
                             f"character after the last one as its target). Use a longer text or a smaller seq_len.")
        self.vocab, self.index = vocabulary(self.text)
        self.input_size = self.output_size = len(self.vocab)
        self.data = self.encode(self.text)                               # (N,) int64

    @classmethod
    def from_seq_len(cls, seq_len: int, text=None) -> "TextTask":
        """``text`` as ``text_or_path`` (default: the bundled text)."""
        return cls(text, seq_len)

    def __repr__(self):
        return f"TextTask({self.source}, seq_len={self.seq_len}, vocab of {len(self.vocab)} chars)"

    def encode(self, text: str) -> np.ndarray:
        """str -> (len,) int64 class indices. Characters outside the vocabulary raise KeyError."""
        return encode(text, self.index)

    def decode(self, x):
        """Back to text: class indices (T,) -> str, (T, B) -> list of B strs; one-hot or logits
        (T, V) / (T, B, V) are turned into indices by argmax first."""
        x = np.asarray(x)
        if np.issubdtype(x.dtype, np.floating):
            x = x.argmax(axis=-1)
        if x.ndim == 1:
            return "".join(self.vocab[i] for i in x)
        if x.ndim == 2:
            return [self.decode(x[:, b]) for b in range(x.shape[1])]
        raise ValueError(f"decode: expected (T,) or (T, B) indices, or (T, V) / (T, B, V) one-hot, got {x.shape}")

    def batch(self, batch_size: int, rng=None) -> Batch:
        rng = as_rng(rng, f"{type(self).__name__}.batch")
        T, B = self.seq_len, check_positive_int(batch_size, f"{type(self).__name__}.batch: batch_size")
        starts = rng.integers(0, len(self.data) - T, size=B)            # (B,) so that start + T is in range
        positions = starts[None, :] + np.arange(T + 1)[:, None]          # (T+1, B)
        chars = self.data[positions]                                     # (T+1, B)
        return Batch(one_hot(chars[:-1], self.input_size), chars[1:].copy(), np.ones((T, B), dtype=bool))

    def frequencies(self) -> np.ndarray:
        """(V,) float64: how often each vocabulary character occurs in the text, summing to 1."""
        counts = collections.Counter(self.text)
        return np.array([counts[c] for c in self.vocab], dtype=np.float64) / len(self.text)

    def baseline(self) -> float:
        """The unigram entropy H(p) = -sum_c p_c ln p_c of the text, in nats per character."""
        return entropy(self.frequencies())

    def trivial_outputs(self, batch: Batch) -> np.ndarray:
        """The unigram predictor, as logits (T, B, V): ln p_c at every step, p = ``frequencies()``
        (no character has p_c = 0: the vocabulary is the text's own characters). Its cross-entropy
        on a batch is -mean ln p[target] over the batch's characters."""
        log_p = np.log(self.frequencies())                               # (V,)
        return np.broadcast_to(log_p, (batch.seq_len, batch.batch_size, self.output_size))


def vocabulary(text: str) -> tuple:
    """(vocab, index): the sorted distinct characters of ``text`` (class i is ``vocab[i]``) and the
    map back, character -> class."""
    vocab = sorted(set(text))
    return vocab, {char: i for i, char in enumerate(vocab)}


def encode(text: str, index: dict, dtype=np.int64) -> np.ndarray:
    """``text`` as (len,) class indices of ``dtype``, by ``index`` (character -> class), through one
    lookup table over the code points; a character not in ``index`` raises KeyError."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    table = np.full(max(map(ord, index), default=0) + 1, -1, dtype=np.int64)    # code point -> class, or -1
    table[[ord(c) for c in index]] = list(index.values())
    inside = codes < len(table)
    found = np.where(inside, table[np.where(inside, codes, 0)], -1)
    unknown = found < 0
    if unknown.any():
        raise KeyError(f"encode: character {text[int(unknown.argmax())]!r} is not in this text's vocabulary")
    return found.astype(dtype)


def _looks_like_path(text: str) -> bool:
    """One token (no whitespace) that names a file, contains a / or \\, or ends like ``.txt``."""
    return (re.fullmatch(r"\S+", text) is not None
            and (os.path.isfile(text) or re.search(r"[\\/]|\.[A-Za-z]\w{0,7}$", text) is not None))


def _read_text(text_or_path, who: str = "TextTask") -> tuple[str, str]:
    """(text, a short description of where it came from); ``who`` names the caller in errors."""
    if text_or_path is None:
        return default_text(), "the bundled default text"
    if isinstance(text_or_path, os.PathLike) or (isinstance(text_or_path, str) and _looks_like_path(text_or_path)):
        path = pathlib.Path(text_or_path)
        if not path.is_file():
            raise FileNotFoundError(f"{who}: no file at {str(path)!r} (resolved: {path.resolve()}). "
                                    "Give an existing path, or the text itself as a string.")
        return _read_utf8(path, who), f"file {str(path)!r}"
    if isinstance(text_or_path, str):
        return text_or_path, "the given string"
    raise TypeError(f"{who}: text_or_path must be a str (the text, or a file name), a pathlib.Path or None, "
                    f"got {type(text_or_path).__name__}")


def _read_utf8(path: pathlib.Path, who: str = "TextTask") -> str:
    """The file's text, decoded as UTF-8 (a leading byte-order mark is dropped). A file that is not
    UTF-8 is refused, naming the first bad byte and how to convert the file, rather than guessed at."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ValueError(f"{who}: the file {str(path)!r} is not UTF-8 text: byte 0x{data[err.start]:02x} at "
                         f"offset {err.start} can't be decoded. Fix: convert it to UTF-8 first, e.g. "
                         f"iconv -f latin1 -t utf-8 {path.name} > {path.stem}-utf8{path.suffix} (name the "
                         f"encoding it is in), then pass the converted file") from None
