"""The tour (the README's main job) runs and prints the lecture's facts, checked independently here."""
import re

from tinygrad_rnn.cli import main


def test_tour_prints_the_lecture_facts(capsys):
    assert main(["tour", "--steps", "20"]) == 0
    out = capsys.readouterr().out
    assert "gradcheck): True" in out
    assert re.search(r"\[\[1, 1\], \[1, 1\]\]: eigenvalues \+2, \+0\s+->\s+explode", out)
    assert re.search(r"eigenvalues \+1, -1\s+->\s+stable", out)
    # the linear rows end at lambda^T exactly (T = 20)
    row = next(line for line in out.splitlines() if line.startswith("rnn linear, orthogonal x1.1"))
    assert float(row.split()[-1]) == float(f"{1.1 ** 20:.3g}")
    row = next(line for line in out.splitlines() if line.startswith("rnn linear, orthogonal x0.9"))
    assert float(row.split()[-1]) == float(f"{0.9 ** 20:.3g}")
    # PyTorch's clipping rule on the lecture's (80, 60): 80 * 10 / (100 + 1e-6)
    assert f"norm was 100, now ({80 * 10 / (100 + 1e-6):.8f}, {60 * 10 / (100 + 1e-6):.8f})" in out
    assert "clip_grad_value_((80, 60), 10): (10, 10)" in out
    accuracies = [float(a) for a in re.findall(r"held-out accuracy ([\d.]+)", out)]
    assert len(accuracies) == 2 and abs(accuracies[0] - 0.5) < 0.1 and accuracies[1] > 0.95
    diag = re.search(r"diagonal of dc_T/dc_0 = \[([^\]]+)\]", out).group(1)
    prod = re.search(r"elementwise\s+= \[([^\]]+)\]", out).group(1)
    assert diag.split() == prod.split()
