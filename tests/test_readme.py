"""The README's Python examples run as written, and the commands it shows exist."""
import pathlib
import re
import shlex

from tinygrad_rnn.cli import build_parser

README = (pathlib.Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_python_blocks_run():
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert blocks
    namespace = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    # the first look backpropagates into W_hh
    assert namespace["W_hh"].grad.shape == (4, 4)


def test_every_tinygrad_rnn_command_shown_parses():
    parser = build_parser()
    lines = [shlex.split(line.split("  #")[0]) for block in re.findall(r"```sh\n(.*?)```", README, flags=re.S)
             for line in block.splitlines() if line.startswith("tinygrad-rnn ")]
    assert len(lines) >= 8
    for words in lines:
        parser.parse_args(words[1:])           # exits (fails the test) on an unknown option or value
