"""The sequence-task generators (tinygrad_rnn/tasks): layouts, seeding, and every baseline checked
twice — by its formula, and by running the trivial predictor on a large sample."""
import collections
import math
import pathlib
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_rnn as tg
from tinygrad_rnn.tasks import (IGNORE_INDEX, TASKS, AddingTask, AgreementTask, Batch, CopyTask, TextTask,
                                default_text, make_task)
from tinygrad_rnn.tasks import agreement as agreement_module

ALL_TASKS = ["adding", "copy", "agreement", "text"]


def mean_cross_entropy(probabilities, targets, mask):
    """-mean log p[target] over the masked (step, sample) pairs; probabilities (T, B, C)."""
    t, b = np.nonzero(mask)
    return float(-np.mean(np.log(probabilities[t, b, targets[t, b]])))


# --- common to every task ----------------------------------------------------------------

def test_registry_holds_the_four_tasks():
    assert set(TASKS) == set(ALL_TASKS)
    assert TASKS["adding"] is AddingTask and TASKS["copy"] is CopyTask
    assert TASKS["agreement"] is AgreementTask and TASKS["text"] is TextTask


def test_unknown_task_name_lists_the_valid_ones():
    with pytest.raises(ValueError) as info:
        make_task("addding", 10)
    for name in ALL_TASKS:
        assert name in str(info.value)
    assert "addding" in str(info.value)


@pytest.mark.parametrize("name", ALL_TASKS)
@pytest.mark.parametrize("seq_len", [23, 40])
def test_shapes_and_dtypes(name, seq_len):
    task = make_task(name, seq_len)
    assert task.name == name and task.seq_len == seq_len
    batch = task.batch(5, rng=0)
    assert isinstance(batch, Batch)
    inputs, targets, mask = batch                                 # unpacks as a tuple too
    assert inputs.shape == (seq_len, 5, task.input_size) and inputs.dtype == np.float32
    assert mask.shape == (seq_len, 5) and mask.dtype == np.bool_
    assert mask.any()
    if task.loss == "cross_entropy":
        assert targets.shape == (seq_len, 5) and targets.dtype == np.int64
        assert np.array_equal(mask, targets != IGNORE_INDEX)
        assert targets[mask].min() >= 0 and targets[mask].max() < task.output_size
    else:
        assert task.loss == "mse"
        assert targets.shape == (seq_len, 5, task.output_size) and targets.dtype == np.float32
        assert np.all(targets[~mask] == 0)
    assert task.metric in ("mse", "accuracy", "loss")


@pytest.mark.parametrize("name", ["copy", "agreement", "text"])
def test_symbol_inputs_are_one_hot(name):
    inputs = make_task(name, 30).batch(16, rng=1).inputs
    assert set(np.unique(inputs)) <= {0.0, 1.0}
    assert np.all(inputs.sum(axis=-1) == 1)


@pytest.mark.parametrize("name", ALL_TASKS)
def test_same_seed_same_batch_other_seed_other_batch(name):
    task = make_task(name, 30)
    first, again = task.batch(8, rng=7), task.batch(8, rng=7)
    for a, b in zip(first, again):
        assert np.array_equal(a, b)
    from_generator = task.batch(8, rng=np.random.default_rng(7))
    assert all(np.array_equal(a, b) for a, b in zip(first, from_generator))
    other = task.batch(8, rng=8)
    assert not np.array_equal(first.inputs, other.inputs)
    rng = np.random.default_rng(7)
    task.batch(8, rng)
    assert not np.array_equal(task.batch(8, rng).inputs, first.inputs)   # a Generator moves on


@pytest.mark.parametrize("name", ALL_TASKS)
def test_rng_none_follows_manual_seed(name):
    task = make_task(name, 30)
    tg.manual_seed(11)
    first = task.batch(4)
    tg.manual_seed(11)
    assert np.array_equal(task.batch(4).inputs, first.inputs)


def test_bad_rng_and_batch_size_are_rejected():
    task = make_task("adding", 10)
    with pytest.raises(TypeError, match="Generator"):
        task.batch(4, rng="seed")
    with pytest.raises(ValueError, match="batch_size"):
        task.batch(0, rng=0)


@pytest.mark.parametrize("name", ALL_TASKS)
def test_windows_cover_the_batch_and_know_their_loss_steps(name):
    batch = make_task(name, 25).batch(3, rng=2)
    parts = list(batch.windows(10))
    assert [p.seq_len for p in parts] == [10, 10, 5]
    for field in range(3):
        assert np.array_equal(np.concatenate([p[field] for p in parts]), batch[field])
    steps_with_loss = [t for t in range(25) if batch.mask[t].any()]
    assert list(batch.loss_steps) == steps_with_loss
    assert [p.mask.any() for p in parts] == [any(0 <= t - s < 10 for t in steps_with_loss) for s in (0, 10, 20)]


def test_loss_steps_include_a_step_scored_for_some_samples_only():
    mask = np.array([[False, False], [True, False], [False, False], [True, True]])
    batch = Batch(np.zeros((4, 2, 1), np.float32), np.where(mask, 0, IGNORE_INDEX), mask)
    assert list(batch.loss_steps) == [1, 3]
    assert [w.mask.any() for w in batch.windows(2)] == [True, True]
    assert not batch.window(2, 3).mask.any()


@pytest.mark.parametrize("name", ALL_TASKS)
def test_compute_loss_and_step_losses_agree_with_numpy(name):
    task = make_task(name, 24)
    batch = task.batch(6, rng=3)
    outputs = np.random.default_rng(0).standard_normal((24, 6, task.output_size))
    t, b = np.nonzero(batch.mask)
    if task.loss == "cross_entropy":
        log_p = outputs - np.log(np.exp(outputs).sum(axis=-1, keepdims=True))
        expected = -np.mean(log_p[t, b, batch.targets[t, b]])
    else:
        expected = np.mean((outputs[t, b] - batch.targets[t, b]) ** 2)
    loss = task.compute_loss(tg.Tensor(outputs), batch)
    assert loss.item() == pytest.approx(expected, rel=1e-9)
    total = sum(task.step_loss(tg.Tensor(outputs[s]), batch, s).item() for s in batch.loss_steps)
    assert total == pytest.approx(expected, rel=1e-9)
    if task.metric != "accuracy":
        assert task.evaluate(outputs, batch) == pytest.approx(expected, rel=1e-9)


# --- 1. adding ---------------------------------------------------------------------------

@given(seq_len=st.integers(2, 40), batch_size=st.integers(1, 20), seed=st.integers(0, 2**32 - 1))
def test_adding_one_marker_per_half_and_target_is_their_sum(seq_len, batch_size, seed):
    inputs, targets, mask = AddingTask(seq_len).batch(batch_size, rng=seed)
    values, markers = inputs[..., 0], inputs[..., 1]
    assert np.all((0 <= values) & (values < 1))
    assert set(np.unique(markers)) <= {0.0, 1.0}
    half = seq_len // 2
    assert np.all(markers[:half].sum(axis=0) == 1)                     # exactly one in [0, T//2)
    assert np.all(markers[half:].sum(axis=0) == 1)                     # exactly one in [T//2, T)
    expected_mask = np.zeros((seq_len, batch_size), bool)
    expected_mask[seq_len - 1] = True
    assert np.array_equal(mask, expected_mask)
    np.testing.assert_allclose(targets[-1, :, 0], (values * markers).sum(axis=0), rtol=1e-6)


def test_adding_markers_reach_every_step_of_each_half():
    markers = AddingTask(6).batch(3000, rng=0).inputs[..., 1]
    assert np.all(markers.sum(axis=1) > 0)                             # no step is never marked


def test_adding_baseline_formula():
    # Var U[0,1] = E[U^2] - E[U]^2 = 1/3 - 1/4; the sum of two independent ones has twice that
    var_uniform = Fraction(1, 3) - Fraction(1, 2) ** 2
    assert AddingTask(50).baseline() == pytest.approx(float(2 * var_uniform), abs=1e-15)
    assert AddingTask(50).baseline() == pytest.approx(1 / 6, abs=1e-15)


def test_adding_baseline_by_predicting_one_on_a_large_batch():
    task = AddingTask(8)
    batch = task.batch(200_000, rng=np.random.default_rng(5))
    sums = batch.targets[-1, :, 0].astype(np.float64)
    # (S - 1)^2 has variance E[(S-1)^4] - (1/6)^2 = 1/15 - 1/36 ≈ 0.039 (S - 1 is triangular on [-1, 1]),
    # so the mean over 200k samples has a standard error of ≈ 0.00044; 0.003 is ~7 of them.
    assert np.mean((sums - 1.0) ** 2) == pytest.approx(1 / 6, abs=0.003)
    assert np.mean(sums) == pytest.approx(1.0, abs=0.005)             # 1 is the best constant: E[S] = 1
    assert task.evaluate(np.ones((8, 200_000, 1)), batch) == pytest.approx(1 / 6, abs=0.003)


def test_adding_rejects_too_short_sequences():
    with pytest.raises(ValueError, match=">= 2"):
        AddingTask(1)


# --- 2. copy -----------------------------------------------------------------------------

@pytest.mark.parametrize("delay", [1, 5, 30])
def test_copy_layout(delay):
    task = CopyTask(delay)
    assert task.seq_len == delay + 20 and task.input_size == 10 and task.output_size == 9
    inputs, targets, mask = task.batch(50, rng=4)
    tokens = inputs.argmax(axis=-1)                                    # (T+20, B)
    blank, marker = 0, 9
    symbols = tokens[:10]
    assert np.all((1 <= symbols) & (symbols <= 8))
    assert np.all(tokens[10:10 + delay - 1] == blank)                  # T - 1 blanks
    assert np.all(tokens[10 + delay - 1] == marker)                    # the marker
    assert np.all(tokens[10 + delay:] == blank)                        # then 10 blanks
    assert np.all((tokens == marker).sum(axis=0) == 1)
    assert np.all(targets[:delay + 10] == blank)
    assert np.array_equal(targets[delay + 10:], symbols)               # the last 10 steps recall them
    assert mask.all()


def test_copy_uses_every_symbol():
    symbols = CopyTask(3).batch(500, rng=0).inputs.argmax(axis=-1)[:10]
    assert set(np.unique(symbols)) == set(range(1, 9))


def test_copy_from_seq_len_counts_all_steps():
    task = make_task("copy", 120)
    assert task.delay == 100 and task.batch(2, rng=0).inputs.shape[0] == 120
    assert make_task("copy", 30, n_symbols=4, copy_length=5).delay == 20
    with pytest.raises(ValueError, match="seq_len"):
        make_task("copy", 20)


@pytest.mark.parametrize("delay, n_symbols, copy_length", [(100, 8, 10), (1, 8, 10), (40, 3, 4)])
def test_copy_baseline_formula_matches_the_memoryless_predictor(delay, n_symbols, copy_length):
    task = CopyTask(delay, n_symbols, copy_length)
    formula = copy_length * math.log(n_symbols) / (delay + 2 * copy_length)
    assert task.baseline() == pytest.approx(formula, rel=1e-12)
    if (n_symbols, copy_length) == (8, 10):
        assert task.baseline() == pytest.approx(10 * math.log(8) / (delay + 20), rel=1e-12)

    batch = task.batch(2000, rng=6)
    T = delay + 2 * copy_length
    # the memoryless predictor: certain of blank for T + N steps, then uniform over the symbols
    probs = np.zeros((T, 2000, n_symbols + 1))
    probs[:delay + copy_length, :, 0] = 1.0
    probs[delay + copy_length:, :, 1:] = 1.0 / n_symbols
    explicit = mean_cross_entropy(probs, batch.targets, batch.mask)
    assert explicit == pytest.approx(formula, rel=1e-9)
    with np.errstate(divide="ignore"):
        assert task.evaluate(np.log(probs), batch) == pytest.approx(formula, rel=1e-9)


# --- 3. agreement ------------------------------------------------------------------------

def words_of(task, inputs):
    """(T, B, I) one-hot -> list of B word lists, read through the public vocab."""
    tokens = inputs.argmax(axis=-1)
    return [[task.vocab[i] for i in tokens[:, b]] for b in range(tokens.shape[1])]


def test_agreement_labels_follow_the_subject_number():
    task = AgreementTask(distractor=12)
    inputs, targets, mask = task.batch(400, rng=0)
    assert inputs.shape[0] == 14 and task.seq_len == 14
    assert np.all(mask[-1]) and not mask[:-1].any()
    assert np.all(targets[:-1] == -1)
    for words, label in zip(words_of(task, inputs), targets[-1]):
        subject = words[0]
        assert subject in ("boy", "girl", "dog", "boys", "girls", "dogs")
        assert label == (1 if subject.endswith("s") else 0)
        assert task.verbs[label] == ("are" if subject.endswith("s") else "is")
        assert words[-1] == "<verb>" and "<verb>" not in words[:-1] and "<pad>" not in words


def test_agreement_classes_are_balanced_and_chance_is_the_baseline():
    task = AgreementTask(distractor=(0, 6))
    batch = task.batch(40_000, rng=np.random.default_rng(9))
    labels = batch.targets[-1]
    always_is = np.mean(labels == 0)
    always_are = np.mean(labels == 1)
    assert always_is + always_are == 1.0                               # every label is one of the two
    # a fair coin per sample: standard error 0.5 / sqrt(40000) = 0.0025; 0.0125 is 5 of them
    assert always_is == pytest.approx(0.5, abs=0.0125)
    assert task.baseline() == 0.5
    constant = np.zeros((task.seq_len, 40_000, 2))
    constant[..., 0] = 1.0                                             # logits favouring "is"
    assert task.evaluate(constant, batch) == pytest.approx(always_is)
    assert task.evaluate(constant, batch) == pytest.approx(task.baseline(), abs=0.0125)


def test_agreement_distractor_carries_no_information_about_the_label():
    task = AgreementTask(distractor=10, attractors=True)
    batch = task.batch(20_000, rng=1)
    singular_nouns, plural_nouns = set(agreement_module.SINGULAR_NOUNS), set(agreement_module.PLURAL_NOUNS)
    guesses, labels, saw_attractor = [], [], 0
    for words, label in zip(words_of(task, batch.inputs), batch.targets[-1]):
        nouns = [w for w in words[1:-1] if w in singular_nouns | plural_nouns]
        if not nouns:
            continue
        guesses.append(1 if nouns[-1] in plural_nouns else 0)        # "agree with the latest noun"
        labels.append(label)
        saw_attractor += (nouns[-1] in plural_nouns) != bool(label)
    accuracy = np.mean(np.array(guesses) == np.array(labels))
    assert len(guesses) > 15_000
    assert accuracy == pytest.approx(0.5, abs=0.02)                    # the shortcut is at chance
    assert saw_attractor > 0.4 * len(guesses)


def test_agreement_without_attractors_has_no_nouns_in_the_distractor():
    task = AgreementTask(distractor=8, attractors=False)
    nouns = set(agreement_module.SINGULAR_NOUNS) | set(agreement_module.PLURAL_NOUNS)
    for words in words_of(task, task.batch(300, rng=2).inputs):
        assert not nouns & set(words[1:-1])
        assert set(words[1:-1]) <= set(agreement_module.FILLER_WORDS)


def test_agreement_distractor_range_is_left_padded():
    task = AgreementTask(distractor=(3, 9))
    assert task.seq_len == 11
    inputs, targets, mask = task.batch(2000, rng=3)
    lengths = []
    for words in words_of(task, inputs):
        pads = 0
        while words[pads] == "<pad>":
            pads += 1
        assert words[pads] in ("boy", "girl", "dog", "boys", "girls", "dogs")
        assert "<pad>" not in words[pads:] and words[-1] == "<verb>"
        lengths.append(len(words) - pads - 2)
    assert min(lengths) == 3 and max(lengths) == 9
    assert set(lengths) == set(range(3, 10))
    assert np.all(mask[-1]) and not mask[:-1].any()                    # read at the last step for all


def test_agreement_from_seq_len():
    assert make_task("agreement", 7).batch(3, rng=0).inputs.shape[0] == 7
    ranged = make_task("agreement", 12, min_distractor=2)
    assert (ranged.min_distractor, ranged.max_distractor, ranged.seq_len) == (2, 10, 12)
    with pytest.raises(ValueError):
        AgreementTask(distractor=(5, 3))
    with pytest.raises(ValueError):
        AgreementTask(distractor=-1)
    with pytest.raises(ValueError, match="seq_len"):
        make_task("agreement", 1)


def test_agreement_decode():
    task = AgreementTask(distractor=(2, 6))
    sentence = ["<pad>", "<pad>", "boys", "who", "went", "to", "france", "<verb>"]
    assert len(sentence) == task.seq_len
    one_hot = np.zeros((len(sentence), len(task.vocab)), np.float32)
    one_hot[np.arange(len(sentence)), [task.vocab.index(w) for w in sentence]] = 1
    assert task.decode(one_hot) == "boys who went to france ___"
    targets = np.full(len(sentence), -1)
    targets[-1] = 1
    assert task.decode(one_hot, targets) == "boys who went to france are"
    targets[-1] = 0
    assert task.decode(one_hot, targets) == "boys who went to france is"

    inputs, targets, _ = task.batch(4, rng=5)
    decoded = task.decode(inputs, targets)
    assert isinstance(decoded, list) and len(decoded) == 4
    for text, words, label in zip(decoded, words_of(task, inputs), targets[-1]):
        shown = text.split()
        assert shown[0] in ("boy", "girl", "dog", "boys", "girls", "dogs")
        assert shown[-1] == ("are" if label == 1 else "is")
        assert shown[:-1] == [w for w in words[:-1] if w != "<pad>"]


# --- 4. text -----------------------------------------------------------------------------

def test_text_vocab_and_targets_shift_by_one():
    text = "the cat sat on the mat, and the rat ran."
    task = TextTask(text, seq_len=6)
    assert task.vocab == sorted(set(text))
    assert task.input_size == task.output_size == len(set(text))
    inputs, targets, mask = task.batch(200, rng=0)
    assert mask.all()
    seen = task.decode(inputs)
    following = task.decode(targets)
    for b in range(200):
        window = seen[b] + following[b][-1]                            # 7 consecutive characters
        assert window in text and len(window) == 7
        assert following[b] == window[1:]
        assert np.array_equal(targets[:-1, b], inputs[1:, b].argmax(axis=-1))


def test_text_windows_start_anywhere_a_full_window_fits():
    text = "abcdefghijklmnopqrstuvwxyz0123456789"                     # every window is unique
    task = TextTask(text, seq_len=6)
    batch = task.batch(2000, rng=1)
    starts = {text.index(window) for window in task.decode(batch.inputs)}
    assert starts == set(range(len(text) - 6))                         # 0 .. len - 7: room for the target


def test_text_exactly_seq_len_plus_one_characters_is_enough():
    inputs, targets, _ = TextTask("abcd", seq_len=3).batch(2, rng=0)
    assert np.array_equal(inputs.argmax(axis=-1)[:, 0], [0, 1, 2])
    assert np.array_equal(targets[:, 0], [1, 2, 3])


def test_text_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        TextTask(str(tmp_path / "missing.txt"), 10)
    with pytest.raises(FileNotFoundError):
        TextTask(tmp_path / "missing", 10)
    with pytest.raises(ValueError, match="empty"):
        TextTask("", 10)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(ValueError, match="empty"):
        TextTask(empty, 10)
    with pytest.raises(ValueError, match="11"):                       # seq_len + 1 characters needed
        TextTask("too short", 10)
    with pytest.raises(ValueError, match="seq_len"):
        TextTask("some text", 0)


def test_text_reads_a_file(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text("héllo wörld, hello world\n", encoding="utf-8")
    for source in (path, str(path)):
        task = TextTask(source, 5)
        assert task.vocab == sorted(set("héllo wörld, hello world\n"))
        assert task.decode(task.batch(3, rng=0).inputs)[0] in path.read_text(encoding="utf-8")


def test_default_text_is_bundled():
    text = default_text()
    assert 2000 <= len(text.encode("utf-8")) <= 4096
    assert "gradient" in text
    shipped = pathlib.Path(__import__("tinygrad_rnn").tasks.__file__).parent / "data" / "default.txt"
    assert shipped.read_text(encoding="utf-8") == text
    task = make_task("text", 50)
    assert task.text == text and task.batch(2, rng=0).inputs.shape == (50, 2, len(set(text)))
    assert make_task("text", 5, text="abcabcabc").vocab == ["a", "b", "c"]


def unigram_entropy(text):
    counts = collections.Counter(text)
    return -sum(n / len(text) * math.log(n / len(text)) for n in counts.values())


def test_text_baseline_formula():
    assert TextTask("abababab", 3).baseline() == pytest.approx(math.log(2), rel=1e-12)
    assert TextTask("aab" * 5, 3).baseline() == pytest.approx(-(2 / 3) * math.log(2 / 3) - (1 / 3) * math.log(1 / 3),
                                                               rel=1e-12)
    assert TextTask("aaaa", 3).baseline() == 0.0
    text = default_text()
    assert TextTask(text, 20).baseline() == pytest.approx(unigram_entropy(text), rel=1e-12)


def unigram_predictor(task, batch):
    """(T, B, V) probabilities: the text's character frequencies at every step."""
    counts = collections.Counter(task.text)
    frequencies = np.array([counts[c] / len(task.text) for c in task.vocab])
    return np.broadcast_to(frequencies, batch.targets.shape + (len(task.vocab),))


def test_text_baseline_is_exact_on_a_periodic_text():
    # with period 3 and windows of 6, every window's targets hold exactly four a's and two b's
    task = TextTask("aab" * 50, seq_len=6)
    batch = task.batch(500, rng=1)
    explicit = mean_cross_entropy(unigram_predictor(task, batch), batch.targets, batch.mask)
    assert explicit == pytest.approx(unigram_entropy("aab"), rel=1e-9)
    assert task.baseline() == pytest.approx(explicit, rel=1e-9)


def test_text_baseline_by_the_unigram_predictor_on_a_large_sample():
    task = TextTask(None, seq_len=32)
    batch = task.batch(4000, rng=np.random.default_rng(2))
    probs = unigram_predictor(task, batch)
    explicit = mean_cross_entropy(probs, batch.targets, batch.mask)
    # sampled windows cover the text almost uniformly (only its first and last 32 characters less
    # often), so this is H(p) up to sampling noise and that edge effect, both far below 0.05 nats
    assert explicit == pytest.approx(unigram_entropy(task.text), abs=0.05)
    assert task.evaluate(np.log(probs), batch) == pytest.approx(explicit, rel=1e-9)
    # ... and over every next-character pair of the text, it is H(p) except for the first character
    everything = -np.mean(np.log(probs[0, 0, task.encode(task.text[1:])]))
    n = len(task.text)
    first = collections.Counter(task.text)[task.text[0]] / n
    assert everything == pytest.approx((n * unigram_entropy(task.text) + math.log(first)) / (n - 1), rel=1e-9)


# --- the trivial predictor on one batch (trivial_metric) -----------------------------------------
# baseline() is the trivial predictor's expected metric; trivial_metric(batch) is what it scores on
# one batch, through evaluate. On a large batch the two agree up to sampling noise; on a small one
# trivial_metric equals the metric worked out by hand from the batch's inputs.

def test_adding_trivial_metric_is_predicting_one():
    task = AddingTask(4)
    batch = task.batch(3, rng=0)
    values, markers = batch.inputs[..., 0], batch.inputs[..., 1]            # (4, 3) each
    errors = []
    for b in range(3):                                                    # the two marked values, by hand
        total = sum(float(values[t, b]) for t in range(4) if markers[t, b] == 1.0)
        errors.append((total - 1.0) ** 2)
    assert task.trivial_metric(batch) == pytest.approx(sum(errors) / 3, rel=1e-6)


def test_adding_trivial_metric_on_a_large_batch_is_one_sixth():
    # (S - 1)^2 has standard deviation sqrt(1/15 - 1/36) ≈ 0.198: over 200k samples the standard
    # error is ≈ 0.00044, and 0.003 is ~7 of them
    batch = AddingTask(8).batch(200_000, rng=np.random.default_rng(11))
    assert AddingTask(8).trivial_metric(batch) == pytest.approx(1 / 6, abs=0.003)


@pytest.mark.parametrize("delay, n_symbols, copy_length", [(2, 3, 2), (30, 8, 10), (1, 2, 1)])
def test_copy_trivial_metric_is_the_baseline_on_every_batch(delay, n_symbols, copy_length):
    task = CopyTask(delay, n_symbols, copy_length)
    # by hand: per sample, the first T + N steps cost -ln 1 = 0, the last N cost ln(n_symbols) each
    by_hand = copy_length * math.log(n_symbols) / (delay + 2 * copy_length)
    for seed in range(3):
        batch = task.batch(2 if seed else 500, rng=seed)
        assert task.trivial_metric(batch) == pytest.approx(by_hand, rel=1e-12)
    assert task.baseline() == pytest.approx(by_hand, rel=1e-12)


def test_agreement_trivial_metric_is_the_share_of_singular_subjects():
    task = AgreementTask(distractor=(0, 3))
    batch = task.batch(7, rng=3)
    subjects = [next(w for w in words if w != "<pad>") for words in words_of(task, batch.inputs)]
    singular = sum(s in ("boy", "girl", "dog") for s in subjects)         # read from the inputs, by hand
    assert task.trivial_metric(batch) == pytest.approx(singular / 7)


def test_agreement_trivial_metric_on_a_large_batch_is_chance():
    # a fair coin per sample: standard error 0.5 / sqrt(40000) = 0.0025; 0.0125 is 5 of them
    task = AgreementTask(distractor=6)
    assert task.trivial_metric(task.batch(40_000, rng=np.random.default_rng(4))) == pytest.approx(0.5, abs=0.0125)


def test_agreement_trivial_predictor_does_not_peek_at_the_labels():
    """A batch with only plural subjects: the constant guess "is" is wrong on all of them (the best
    constant in hindsight would score 1.0)."""
    task = AgreementTask(distractor=2)
    batch = task.batch(400, rng=0)
    plural = batch.targets[-1] == 1
    only_plural = Batch(batch.inputs[:, plural], batch.targets[:, plural], batch.mask[:, plural])
    assert task.trivial_metric(only_plural) == 0.0


def test_text_trivial_metric_is_the_unigram_cross_entropy():
    task = TextTask("aab" * 5, seq_len=3)                                 # p(a) = 2/3, p(b) = 1/3
    batch = task.batch(4, rng=2)
    characters = [task.vocab[i] for i in batch.targets.ravel()]
    by_hand = -sum(math.log(2 / 3 if c == "a" else 1 / 3) for c in characters) / len(characters)
    assert task.trivial_metric(batch) == pytest.approx(by_hand, rel=1e-12)


def test_text_trivial_metric_on_a_large_batch_is_the_unigram_entropy():
    task = TextTask(None, seq_len=32)                 # the edge effect and the noise: far below 0.05 nats
    assert task.trivial_metric(task.batch(4000, rng=np.random.default_rng(8))) == \
        pytest.approx(unigram_entropy(task.text), abs=0.05)


@pytest.mark.parametrize("name", ALL_TASKS)
def test_trivial_metric_is_evaluate_of_the_trivial_outputs(name):
    task = make_task(name, 24 if name == "copy" else 10)
    batch = task.batch(5, rng=1)
    outputs = task.trivial_outputs(batch)
    assert outputs.shape == (task.seq_len, 5, task.output_size)
    assert task.trivial_metric(batch) == task.evaluate(outputs, batch)
    scrambled = Batch(batch.inputs, np.zeros_like(batch.targets), batch.mask)   # the predictor ignores targets
    assert np.array_equal(task.trivial_outputs(scrambled), outputs)


def test_trivial_metric_refuses_a_window_or_a_tuple():
    task = AddingTask(5)
    batch = task.batch(2, rng=0)
    with pytest.raises(ValueError, match=r"AddingTask.trivial_metric: the batch has 4 steps.*seq_len=5.*whole batch"):
        task.trivial_metric(batch.window(1, 5))
    with pytest.raises(TypeError, match=r"AddingTask.trivial_metric: expected a Batch.*tuple"):
        task.trivial_metric(tuple(batch))


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=2, max_size=40))
def test_text_encode_maps_each_character_to_its_place_in_the_sorted_vocabulary(text):
    task = TextTask(text + " ", seq_len=1)                   # with a space it is the text, never a file name
    assert task.encode(text).tolist() == [sorted(set(text + " ")).index(c) for c in text]
    assert task.decode(task.encode(text)) == text


def test_text_encode_refuses_a_character_outside_the_vocabulary():
    task = TextTask("banana split", seq_len=3)
    for outside in ("c", "A", "\u00e9", "\U0001F600"):      # below, inside and beyond the vocabulary's code points
        with pytest.raises(KeyError, match=f"{outside!r} is not in this text's vocabulary"):
            task.encode("ban" + outside)
