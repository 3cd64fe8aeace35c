r"""Long-range subject-verb agreement, after the lecture's sentence

    "The boy who is in France, a country ..., is a student."

To choose between "is" and "are" at the end, the network must remember whether the subject,
seen at the start, was singular or plural — across a distractor clause of L words.

One sample, left-padded so that every sample of a batch ends at the last step::

    <pad> ... <pad>   subject   w_1 ... w_L   <verb>
    (max_L - L pads)  boy/boys  distractor    "choose the verb now"

- The subject is one of ``SINGULAR_SUBJECTS`` ("boy", "girl", "dog") or ``PLURAL_SUBJECTS``
  ("boys", "girls", "dogs"); singular and plural with probability 1/2 each (a fair coin per
  sample), so the classes are balanced.
- The distractor words are drawn uniformly and independently from ``FILLER_WORDS`` (words
  with no number: "who", "went", "to", ...) and, with ``attractors=True``, also from
  ``SINGULAR_NOUNS`` ("france", "country", ...) and ``PLURAL_NOUNS`` ("friends", "rivers", ...).
  About half of the nouns in a distractor disagree with the subject: they are *attractors*,
  which defeat the shortcut "agree with the latest noun". The distractor is drawn
  independently of the subject, so nothing in it predicts the verb: only the first word does.
- L is fixed, or drawn per sample uniformly from ``min..max`` (both included).

Target: class 0 = "is" (singular subject), 1 = "are" (plural), read at the last step only
(targets (T, B) are -1 elsewhere). Metric: accuracy.

Baseline 0.5. A predictor that has forgotten the subject sees inputs whose distribution
is the same for both classes, so whatever it answers is right with probability P(class)
= 1/2 per sample: expected accuracy 0.5 (chance).

On one batch, ``trivial_metric(batch)`` scores the constant answer "is": the fraction of
singular subjects in that batch, 0.5 up to noise of standard deviation 0.5 / sqrt(B). Any fixed
answer chosen without looking at the labels has that expectation; the better of the two
constant answers *on this batch* would have peeked at its labels (its accuracy, max(p, 1 - p),
is above 0.5 on almost every batch), so it is not a fair yardstick.
"""
import numpy as np

from .base import IGNORE_INDEX, Batch, Task, as_rng, check_positive_int, one_hot

PAD, QUERY = "<pad>", "<verb>"
SINGULAR_SUBJECTS = ("boy", "girl", "dog")
PLURAL_SUBJECTS = ("boys", "girls", "dogs")
FILLER_WORDS = ("who", "went", "to", "saw", "a", "the", "with", "near", "and", "old", "small", "big", "of", "in")
SINGULAR_NOUNS = ("france", "country", "teacher", "river")
PLURAL_NOUNS = ("friends", "countries", "teachers", "rivers")
VERBS = ("is", "are")             # output class 0 = singular, 1 = plural
VOCAB = (PAD, *SINGULAR_SUBJECTS, *PLURAL_SUBJECTS, *FILLER_WORDS, *SINGULAR_NOUNS, *PLURAL_NOUNS, QUERY)


class AgreementTask(Task):
    """``AgreementTask(distractor=10, attractors=True)``; ``distractor`` is L, or ``(min, max)``.

    inputs (T, B, len(vocab)) one-hot with T = max L + 2; targets (T, B) int64, -1 except at
    the last step (0 = "is", 1 = "are"); mask True at the last step only.
    ``vocab`` lists the words by input index; ``decode`` renders samples as text.
    """

    name = "agreement"
    output_size = 2
    metric = "accuracy"
    loss = "cross_entropy"
    vocab = VOCAB
    verbs = VERBS

    def __init__(self, distractor=10, attractors: bool = True):
        low, high = _distractor_range(distractor)
        self.min_distractor, self.max_distractor = int(low), int(high)
        self.attractors = bool(attractors)
        self.seq_len = self.max_distractor + 2                           # subject, distractor, <verb>
        self.input_size = len(self.vocab)
        self.index = {word: i for i, word in enumerate(self.vocab)}
        fillers = FILLER_WORDS + (SINGULAR_NOUNS + PLURAL_NOUNS if self.attractors else ())
        self._filler_ids = np.array([self.index[w] for w in fillers])
        self._subject_ids = np.array([[self.index[w] for w in SINGULAR_SUBJECTS],
                                      [self.index[w] for w in PLURAL_SUBJECTS]])   # row = class

    @classmethod
    def from_seq_len(cls, seq_len: int, min_distractor: int | None = None,
                     attractors: bool = True) -> "AgreementTask":
        """Batches of ``seq_len`` steps: distractors of length seq_len - 2, or drawn from
        ``min_distractor .. seq_len - 2`` when ``min_distractor`` is given."""
        longest = seq_len - 2
        if longest < 0:
            raise ValueError(f"agreement task: seq_len must be >= 2 (subject and verb), got {seq_len}")
        return cls(longest if min_distractor is None else (min_distractor, longest), attractors)

    def __repr__(self):
        lengths = self.max_distractor if self.min_distractor == self.max_distractor \
            else (self.min_distractor, self.max_distractor)
        return f"AgreementTask(distractor={lengths!r}, attractors={self.attractors})"

    def batch(self, batch_size: int, rng=None) -> Batch:
        rng = as_rng(rng, f"{type(self).__name__}.batch")
        B = check_positive_int(batch_size, f"{type(self).__name__}.batch: batch_size")
        T, longest = self.seq_len, self.max_distractor
        labels = rng.integers(0, 2, size=B)                              # (B,) 0 singular, 1 plural
        subjects = self._subject_ids[labels, rng.integers(0, len(SINGULAR_SUBJECTS), size=B)]   # (B,)
        lengths = rng.integers(self.min_distractor, longest + 1, size=B)                         # (B,) L
        fillers = rng.choice(self._filler_ids, size=(T, B))              # (T, B), label-independent

        step = np.arange(T)[:, None]                                     # (T, 1)
        subject_step = longest - lengths                                 # (B,) after the pads
        tokens = np.where(step < subject_step, self.index[PAD], fillers)
        tokens = np.where(step == subject_step, subjects, tokens)
        tokens[-1] = self.index[QUERY]

        targets = np.full((T, B), IGNORE_INDEX, dtype=np.int64)
        targets[-1] = labels
        mask = np.zeros((T, B), dtype=bool)
        mask[-1] = True
        return Batch(one_hot(tokens, self.input_size), targets, mask)

    def baseline(self) -> float:
        """Accuracy of any predictor that ignores the subject: 1/2 (balanced classes)."""
        return 0.5

    def trivial_outputs(self, batch: Batch) -> np.ndarray:
        """The chance predictor, as logits (T, B, 2): always answer "is" (class 0), a fixed guess
        made without looking at the labels, whose expected accuracy is baseline() = 0.5."""
        logits = np.zeros((batch.seq_len, batch.batch_size, self.output_size))
        logits[..., self.verbs.index("is")] = 1.0
        return logits

    def decode(self, inputs, targets=None):
        """Words of a sample: inputs (T, I) -> str, or a batch (T, B, I) -> list of B strs.

        Pads are dropped and the final ``<verb>`` is shown as ``___``, or as the right verb
        when ``targets`` ((T,) or (T, B), as in the Batch) are given::

            task.decode(inputs[:, 0])                  # "boys who went to france near a river ___"
            task.decode(inputs[:, 0], targets[:, 0])   # "boys who went to france near a river are"
        """
        inputs = np.asarray(inputs)
        if inputs.ndim == 2:
            return self.decode(inputs[:, None], None if targets is None else np.asarray(targets)[:, None])[0]
        if inputs.ndim != 3 or inputs.shape[-1] != self.input_size:
            raise ValueError(f"decode: inputs must be (T, {self.input_size}) or (T, B, {self.input_size}) one-hot, "
                             f"got shape {inputs.shape}")
        tokens = inputs.argmax(axis=-1)                                  # (T, B)
        sentences = []
        for b in range(tokens.shape[1]):
            words = []
            for t, i in enumerate(tokens[:, b]):
                word = self.vocab[i]
                if word == PAD:
                    continue
                if word == QUERY:
                    label = -1 if targets is None else int(np.asarray(targets)[t, b])
                    word = self.verbs[label] if label in (0, 1) else "___"
                words.append(word)
            sentences.append(" ".join(words))
        return sentences


def _distractor_range(distractor) -> tuple[int, int]:
    """L or (min, max) -> (min, max), checked."""
    def is_int(x):
        return isinstance(x, (int, np.integer)) and not isinstance(x, bool)
    if is_int(distractor):
        distractor = (distractor, distractor)
    if not (isinstance(distractor, (tuple, list)) and len(distractor) == 2 and all(map(is_int, distractor))
            and 0 <= distractor[0] <= distractor[1]):
        raise ValueError(f"AgreementTask: distractor must be a length L >= 0 or a range (min, max) of ints with "
                         f"0 <= min <= max, got {distractor!r}")
    return int(distractor[0]), int(distractor[1])
