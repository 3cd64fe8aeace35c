"""The text stream (``tasks.TextStream``) and truncated BPTT over it (``train.stream_update``): the state
really carries across windows, memory does not grow with the corpus, resume is bit-identical, the
corpus falls back when ``pydoc_data.topics`` is missing, a non-UTF-8 file is refused, and the CLI's
``--stream`` JSON."""
import json
import math
import sys
import tracemalloc

import numpy as np
import pytest

from tinygrad_rnn.cli import main
from tinygrad_rnn.nn import functional as F
from tinygrad_rnn.tasks import TextTask, default_text
from tinygrad_rnn.tasks.stream import TextStream, corpus
from tinygrad_rnn.train import TBPTT, SequenceModel, TrainConfig, train
from tinygrad_rnn.train.loop import StreamHeldOut
from tinygrad_rnn.train.truncation import StreamCursor, stream_update


def random_text(n, seed=0):
    """n characters of a 20-letter alphabet with spaces (no structure to learn; only the sizes matter)."""
    letters = np.array(list("abcdefghijklmnopqrst "))
    return "".join(letters[np.random.default_rng(seed).integers(0, len(letters), n)])


def lstm(stream, hidden=6, dtype=np.float64, seed=0):
    return SequenceModel("lstm", stream.input_size, hidden, stream.output_size, dtype=dtype,
                         generator=np.random.default_rng(seed))


def test_tracks_are_contiguous_pieces_and_windows_continue_them():
    text = random_text(2000)
    stream = TextStream(text, batch_size=4)
    L = stream.track_length
    assert L == (len(text) - round(len(text) * 0.05) - 1) // 4
    whole = stream.window(0, L)
    for b in range(4):                                  # track b is characters b*L ... (b+1)*L of the text
        assert TextTask(text, 1).decode(whole.inputs[:, b]) == text[b * L:(b + 1) * L]
        assert TextTask(text, 1).decode(whole.targets[:, b]) == text[b * L + 1:(b + 1) * L + 1]
    first, second = stream.window(0, 7), stream.window(7, 14)
    assert np.array_equal(np.concatenate([first.targets, second.targets]), whole.targets[:14])


def test_the_state_carries_across_windows():
    """Window 2's loss with h carried differs from its loss with h reset, and equals the loss of steps
    k..2k-1 of one unrolled forward over both windows (float64: to 1e-12)."""
    stream = TextStream(random_text(3000, seed=1), batch_size=3)
    model, k = lstm(stream), 12
    tbptt = TBPTT(k)
    _, after_first = stream_update(tbptt, model, stream, StreamCursor())
    assert after_first.step == k and after_first.state is not None
    carried, _ = stream_update(tbptt, model, stream, after_first)
    reset, _ = stream_update(tbptt, model, stream, StreamCursor(step=k, state=None))
    both = stream.window(0, 2 * k)
    outputs, _ = model(both.inputs)
    unrolled = F.cross_entropy(outputs[k:].reshape(k * 3, -1), both.targets[k:].reshape(-1))
    assert carried.item() == pytest.approx(unrolled.item(), rel=1e-12, abs=0)
    assert abs(carried.item() - reset.item()) > 1e-3          # the carried state matters


def test_k1_below_k2_recomputes_the_overlap_and_scores_only_the_new_steps():
    stream = TextStream(random_text(3000, seed=2), batch_size=2)
    model = lstm(stream)
    tbptt, cursor, losses = TBPTT(4, 10), StreamCursor(), []
    for _ in range(5):                                        # steps 0..19, updates of 4 new steps each
        loss, cursor = stream_update(tbptt, model, stream, cursor)
        losses.append(loss.item())
        assert cursor.step - 6 <= 0 or cursor.state is not None
    whole = stream.window(0, 20)
    outputs, _ = model(whole.inputs)                           # the values flow on: one forward
    for u, value in enumerate(losses):
        steps = slice(4 * u, 4 * u + 4)
        expected = F.cross_entropy(outputs[steps].reshape(8, -1), whole.targets[steps].reshape(-1)).item()
        assert value == pytest.approx(expected, rel=1e-12, abs=0)


def test_a_track_that_runs_out_starts_over_from_zeros():
    stream = TextStream(random_text(400), batch_size=4)       # tracks of 94 steps
    cursor = StreamCursor(step=stream.track_length - 5, state="not used")
    _, after = stream_update(TBPTT(10), lstm(stream), stream, cursor)
    assert after.step == 10 and after.read == 10
    with pytest.raises(ValueError, match="does not fit in a track of 94 steps"):
        stream_update(TBPTT(200), lstm(stream), stream, StreamCursor())


def _peak_bytes(run):
    """The most memory ``run()`` holds at once (tracemalloc), after an untraced warm-up run: CPython keeps
    freed tuples, floats and frames on free lists of bounded size, and tracemalloc counts what they
    hold; filled before tracing starts, they add nothing to the measured run."""
    run()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        run()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def _peaks(n_chars):
    stream = TextStream(random_text(n_chars, seed=3), batch_size=4, eval_tracks=4)
    model = lstm(stream, hidden=16, dtype=np.float32)
    held_out = StreamHeldOut(stream, window=64)

    def updates():
        cursor = StreamCursor()
        for _ in range(4):
            loss, cursor = stream_update(TBPTT(32), model, stream, cursor)
            del loss
            for p in model.parameters():
                p.grad = None
    return _peak_bytes(lambda: held_out.evaluate(model)), _peak_bytes(updates)


def test_memory_of_the_stream_does_not_grow_with_the_corpus():
    """The held-out evaluation and the updates hold one window, whatever the corpus length: 8 times
    the text (and of the held-out slice) leaves both peaks within 25% (+ 64 KB)."""
    short, long = _peaks(25_000), _peaks(200_000)
    for small, big in zip(short, long):
        assert big < 1.25 * small + 64 * 1024, (short, long)


def _stream_config(tmp_path, name, **changes):
    settings = dict(task="text", stream=True, text=random_text(4000, seed=4), cell="lstm", hidden=6, batch=4,
                    k1=5, k2=9, iters=12, log_every=4, seed=1, out=str(tmp_path / name))
    return TrainConfig(**{**settings, **changes})


def test_resume_of_a_stream_is_bit_identical(tmp_path):
    whole = train(_stream_config(tmp_path, "whole"))
    train(_stream_config(tmp_path, "parts", iters=6))          # stops between two log records
    resumed = train(_stream_config(tmp_path, "parts"), resume=tmp_path / "parts")
    for (name, a), (_, b) in zip(whole.model.state_dict().items(), resumed.model.state_dict().items()):
        assert np.array_equal(a, b), name
    drop = lambda history: [{k: v for k, v in r.items() if k != "seconds"} for r in history]   # noqa: E731
    assert drop(whole.history) == drop(resumed.history)
    assert whole.value == resumed.value and whole.chars_read == resumed.chars_read == 12 * 5 * 4


def test_a_damaged_stream_position_is_refused(tmp_path):
    train(_stream_config(tmp_path, "run", iters=4))
    path = tmp_path / "run" / "checkpoint" / "checkpoint.json"
    document = json.loads(path.read_text())
    document["extra"]["stream"]["state"][0]["shape"] = [4, 7]
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match=r"stream position .* 'state\[0\]' must be a float32 array of shape \(4, 6\)"):
        train(_stream_config(tmp_path, "run"), resume=tmp_path / "run")


def test_the_default_corpus_is_pydoc_topics_and_falls_back_to_the_bundled_text(monkeypatch):
    found = corpus()
    if found.source == "pydoc_data.topics":
        from pydoc_data.topics import topics
        assert found.text == "".join(topics[key] for key in sorted(topics)) and found.note is None
    monkeypatch.setitem(sys.modules, "pydoc_data.topics", None)     # as in a build without it
    fallback = corpus()
    assert fallback.text == default_text() and fallback.source == "the bundled default text"
    assert "no pydoc_data.topics" in fallback.note and "--text FILE" in fallback.note
    assert TextStream(batch_size=4).note == fallback.note


def test_a_missing_file_is_named_by_the_class_that_was_asked(tmp_path):
    for cls, make in (("TextStream", lambda p: TextStream(p, batch_size=2)), ("TextTask", lambda p: TextTask(p, 5))):
        with pytest.raises(FileNotFoundError, match=rf"^{cls}: no file at .*nope\.txt"):
            make(tmp_path / "nope.txt")


def test_a_file_that_is_not_utf8_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("caf\u00e9 au lait, ".encode("latin-1") * 50)
    for make in (lambda: TextStream(path, batch_size=2), lambda: TextTask(path, 5)):
        with pytest.raises(ValueError, match=r"is not UTF-8 text: byte 0xe9 at offset 3 .*iconv -f latin1"):
            make()
    bom = tmp_path / "bom.txt"
    bom.write_bytes(b"\xef\xbb\xbf" + "caf\u00e9 ".encode("utf-8") * 50)
    assert TextStream(bom, batch_size=2, eval_tracks=1).text == "caf\u00e9 " * 50    # the byte-order mark is dropped


def test_cli_stream_json_reports_bits_per_character_beside_the_held_out_unigram_entropy(tmp_path, capsys):
    text = random_text(6000, seed=5)
    (tmp_path / "t.txt").write_text(text)
    assert main(["train", "--task", "text", "--stream", "--text", str(tmp_path / "t.txt"), "--tbptt", "20",
                 "--iters", "6", "--batch", "8", "--hidden", "8", "--log-every", "3", "--json"]) == 0
    printed = capsys.readouterr()
    out = json.loads(printed.out)
    # the log lines speak the final line's unit: the last one's held-out figure is the result, in bits
    logged = [line for line in printed.err.splitlines() if line.lstrip("\r").startswith("iter")]
    assert len(logged) == 2 and all(line.count("bits/char") == 2 for line in logged), printed.err
    assert float(logged[-1].split("held-out ")[1].split()[0]) == pytest.approx(out["bits_per_char"], rel=1e-3)
    held = text[len(text) - round(len(text) * 0.05):]
    scored = held[1:16 * ((len(held) - 1) // 16) + 1]                # the 16 held-out tracks' targets
    p = np.array([scored.count(c) for c in sorted(set(scored))]) / len(scored)
    assert out["stream"] is True and out["corpus"] == f"file {str(tmp_path / 't.txt')!r}"
    assert out["baseline_bits_per_char"] == pytest.approx(-np.sum(p * np.log2(p)), rel=1e-12)
    assert out["bits_per_char"] == pytest.approx(out["value"] / math.log(2), rel=1e-12)
    assert out["chars_read"] == 6 * 8 * 20 and out["tracks"] == 8 and out["held_out_chars"] == len(held)


def test_the_done_when_command_beats_the_unigram_baseline(capsys):
    out = json.loads(_run(capsys, "--task", "text", "--stream", "--tbptt", "50", "--iters", "200"))
    assert out["corpus"] in ("pydoc_data.topics", "the bundled default text")
    assert out["bits_per_char"] < out["baseline_bits_per_char"] - 0.5, out


def _run(capsys, *argv):
    assert main(["train", *argv, "--json"]) == 0
    return capsys.readouterr().out
