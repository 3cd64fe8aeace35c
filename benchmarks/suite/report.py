"""The printed tables and the headline targets (met / not met), from the measured results."""
from .measure import ratio_spread
from .targets import LOSSES
from .training import RATIOS, VARIANTS, ratio_key

#: ratio columns of the training table: header -> ratio key
RATIO_COLUMNS = {f"{VARIANTS[a][1]}/{VARIANTS[b][1]}": ratio_key(a, b) for a, b in RATIOS[:4]}
HEADLINE_CONFIG = {"cell": "lstm", "H": 128, "T": 100, "B": 32}


def _cell(value, width: int, digits: int = 2) -> str:
    return f"{'-' if value is None else f'{value:.{digits}f}':>{width}}"


def _widths(variants) -> list:
    return [max(len(VARIANTS[v]), 9) for v in variants]


def training_header(variants, repeats: int) -> str:
    line = f"{'config':<22}" + "".join(f" {VARIANTS[v]:>{w}}" for v, w in zip(variants, _widths(variants)))
    line += " |" + "".join(f" {name:>5}" for name in RATIO_COLUMNS)
    return (f"Training step (forward + backward + SGD), median ms of {repeats} interleaved repeats; ratios of "
            f"medians ((a)/(c) = engine cells / NumPy ...)\n{line}\n{'-' * len(line)}")


def training_row(row: dict, variants) -> str:
    label = f"{row['cell']} H={row['H']} T={row['T']} B={row['B']}"
    times = [_cell(row["median_ms"].get(v), w) for v, w in zip(variants, _widths(variants))]
    line = f"{label:<22}" + "".join(f" {t}" for t in times)
    line += " |" + "".join(f" {_cell(row['ratios'].get(key), 5)}" for key in RATIO_COLUMNS.values())
    return line + ("" if row["losses_agree"] else "   (first-step losses DISAGREE: " + repr(row["first_loss"]) + ")")


def overhead_table(result: dict) -> str:
    us, ratios = result["us_per_op"], result["ratios"]
    return "\n".join([
        f"Per-op overhead: chain of {result['n_ops']} tiny ops (tanh, *) on a (4,) tensor, forward + backward, "
        f"µs per op (median)",
        f"  engine {us['engine']:.2f}   minimal autograd {us['mini']:.2f}   raw NumPy {us['numpy']:.2f}",
        f"  engine / minimal autograd {ratios['engine/mini']:.2f}   engine / raw NumPy {ratios['engine/numpy']:.2f}"
        f"   minimal autograd / raw NumPy {ratios['mini/numpy']:.2f}",
        f"  time above raw NumPy, engine / minimal autograd {_cell(ratios['engine-numpy/mini-numpy'], 0)}"
        + ("" if result["gradients_agree"] else "   (gradients DISAGREE)")])


def scaling_table(result: dict) -> str:
    lines = ["Backward time against graph size (chain of tanh and *), median",
             f"  {'ops':>8} {'engine ms':>10} {'µs/node':>8} {'mini ms':>10} {'µs/node':>8}"]
    for row in result["rows"]:
        ms, us = row["backward_ms"], row["us_per_node"]
        lines.append(f"  {row['n_ops']:>8} {ms['engine']:>10.2f} {us['engine']:>8.2f} {ms['mini']:>10.2f} "
                     f"{us['mini']:>8.2f}")
    if result["exponent"] is not None:
        lines.append(f"  engine: time ~ size^{result['exponent']:.2f} (1.00 = linear); µs/node largest / smallest "
                     f"= {result['largest_over_smallest_us_per_node']:.2f}")
    return "\n".join(lines)


def memory_table(result: dict) -> str:
    k = result["k"]
    lines = [f"Peak memory (tracemalloc) of one pass, TBPTT(k={k}) against full BPTT: {result['cell']} "
             f"H={result['H']} B={result['B']}",
             f"  {'T':>6} {f'k={k} MiB':>10} {'full MiB':>10} {'full/k':>7} {f'k={k} s':>8} {'full s':>8} "
             f"{'full/k':>7}"]
    for row in result["rows"]:
        peak, seconds = row["peak_mib"], row["seconds"]
        lines.append(f"  {row['T']:>6} {peak[f'tbptt_k{k}']:>10.1f} {peak['full']:>10.1f} {row['memory_ratio']:>7.1f}"
                     f" {seconds[f'tbptt_k{k}']:>8.2f} {seconds['full']:>8.2f} {row['time_ratio']:>7.2f}")
    return "\n".join(lines)


def truncation_table(result: dict) -> str:
    T = result["T"]
    lines = [f"Truncated BPTT, one pass over T={T} ({result['cell']} H={result['H']} B={result['B']}, text task, a loss "
             f"at every step), median CPU ms of {result['repeats']} interleaved repeats; ratios to full BPTT",
             f"  {'window':>7} {'updates':>7} {'nodes':>6} {'nodes/upd':>9} {'ms/seq':>8} {'/full':>6} "
             f"{'ms/upd':>8} {'/full':>6} {'µs/node':>7}"]
    for row in result["rows"]:
        name = "full" if row["window"] >= T else str(row["window"])
        lines.append(f"  {name:>7} {row['updates']:>7} {row['backward_nodes']:>6} {row['update_nodes']:>9} "
                     f"{row['seconds'] * 1e3:>8.1f} {row['ratio']:>6.3f} {row['seconds_per_update'] * 1e3:>8.2f} "
                     f"{row['ratio_per_update']:>6.3f} {row['us_per_node']:>7.1f}")
    if result["us_per_extra_window"] is not None:
        lines.append(f"  each extra window (backward call) costs {result['us_per_extra_window']:.0f} µs, "
                     f"{result['extra_window_in_steps']:.2f} of a step's time (window {result['rows'][0]['window']} "
                     f"against full BPTT)")
    return "\n".join(lines)


# --- headline ----------------------------------------------------------------------------------------

def _target(name: str, value, target: float, **extra) -> dict:
    return {"name": name, "value": value, "target": target,
            "met": None if value is None else bool(value <= target), **extra}


def headline(training: list, overhead: dict | None) -> list:
    """The issue's targets, each ``{name, value, target, met}`` (value None when not measured)."""
    main = next((r for r in training if all(r[k] == v for k, v in HEADLINE_CONFIG.items())), None)
    ratio = lambda a, b: None if main is None else main["ratios"].get(ratio_key(a, b))  # noqa: E731
    small = {f"H={r['H']} T={r['T']} B={r['B']}": r["ratios"][ratio_key("engine_cells", "torch_cells")]
             for r in training if r["cell"] == "lstm" and r["H"] <= 128
             and ratio_key("engine_cells", "torch_cells") in r["ratios"]}
    return [
        _target("cell loop / NumPy", ratio("engine_cells", "numpy"), 1.3),
        _target("cell loop / torch cell loop", ratio("engine_cells", "torch_cells"), 1.0),
        _target("cell loop / torch cell loop, worst LSTM H<=128", max(small.values(), default=None), 1.0,
                per_config=small),
        _target("nn.LSTM / NumPy", ratio("engine_layer", "numpy"), 1.0),
        _target("nn.LSTM / torch fused", ratio("engine_layer", "torch_fused"), 1.5),
        _target("per-op overhead / minimal-autograd floor",
                None if overhead is None else overhead["ratios"]["engine/mini"], 2.0),
    ]


def headline_table(targets: list) -> str:
    config = " ".join(f"{k}={v}" for k, v in HEADLINE_CONFIG.items() if k != "cell")
    lines = [f"Headline targets (LSTM {config}; ratios of medians in this run)"]
    for t in targets:
        verdict = "not measured" if t["met"] is None else ("met" if t["met"] else "NOT met")
        lines.append(f"  {t['name']:<47} {_cell(t['value'], 6)}   target <= {t['target']:<4}  {verdict}")
        if t.get("per_config"):
            lines.append("      " + ", ".join(f"{label}: {r:.2f}" for label, r in t["per_config"].items()))
    return "\n".join(lines)


# --- the targets section ---------------------------------------------------------------------

#: the targets section's rows: key -> (what is measured, target ratio)
TARGETS = {"sequence_model": ("SequenceModel LSTM step / NumPy", 1.15),
           "tbptt": ("TBPTT.run as train calls it / NumPy", {"cross_entropy": 1.2, "last_mse": 1.3}),
           "cells": ("LSTMCell loop, every op a node / NumPy", 1.5),
           "layer": ("nn.LSTM / NumPy", 1.0),
           "overhead": ("per-op overhead / minimal-autograd floor", 1.25)}


def _sizes(row: dict) -> str:
    return f"H={row['H']} T={row['T']} B={row['B']}"


def targets_headline(result: dict) -> list:
    """The targets section's rows, each ``{name, value, spread: [lowest, highest], target, met}``; the
    ``SequenceModel`` row once per loss, on its default variant (the first one measured)."""
    rows = []
    for row in result["sequence_model"]:
        name, target = TARGETS["sequence_model"]
        default = next(iter(row["ratios"]))
        rows.append(_target(f"{name} ({_sizes(row)}), {LOSSES[row['loss']]}", row["ratios"][default], target,
                            spread=row["spreads"][default], variant=default.split("/")[0]))
    for row in result["sequence_model"]:
        if "tbptt/numpy" in row["ratios"]:
            name, target = TARGETS["tbptt"]
            rows.append(_target(f"{name} ({_sizes(row)}), {LOSSES[row['loss']]}", row["ratios"]["tbptt/numpy"],
                                target[row["loss"]], spread=row["spreads"]["tbptt/numpy"], variant="tbptt"))
    lstm = result["lstm"]
    for key, variant in (("cells", "engine_cells"), ("layer", "engine_layer")):
        name, target = TARGETS[key]
        rows.append(_target(f"{name} ({_sizes(lstm)})", lstm["ratios"][ratio_key(variant, "numpy")], target,
                            spread=ratio_spread(lstm["samples_ms"], variant, "numpy")))
    per_op = result["overhead"]
    name, target = TARGETS["overhead"]
    rows.append(_target(f"{name} ({per_op['n_ops']} ops)", per_op["ratios"]["engine/mini"], target,
                        spread=ratio_spread(per_op["samples_us"], "engine", "mini")))
    return rows


#: the SequenceModel variants' meaning, for the table's title
SEQUENCE_VARIANTS = {"fused": "fused = SequenceModel(fused=True), the default", "every_op": "every_op = fused=False",
                     "tbptt": "tbptt = TBPTT(T).run(..., window_loss=task.window_loss), what train runs",
                     "tbptt_steps": "tbptt_steps = TBPTT(T).run(..., step_loss=task.step_loss), one step at a time",
                     "default": "default = SequenceModel as it is (it takes no fused= yet)"}


def sequence_model_table(rows: list) -> str:
    variants = list(rows[0]["median_ms"])
    meaning = "; ".join(SEQUENCE_VARIANTS[v] for v in variants if v in SEQUENCE_VARIANTS)
    lines = [f"SequenceModel LSTM training step (forward + loss + backward + SGD) against hand-written NumPy BPTT, "
             f"{_sizes(rows[0])}, median ms of {len(rows[0]['samples_ms']['numpy'])} interleaved repeats ({meaning})",
             f"  {'loss':<38}" + "".join(f" {v:>11}" for v in variants)
             + " |" + "".join(f" {key:>17}" for key in rows[0]["ratios"])]
    for row in rows:
        lines.append(f"  {LOSSES[row['loss']]:<38}" + "".join(f" {row['median_ms'][v]:>11.2f}" for v in variants)
                     + " |" + "".join(f" {r:>17.2f}" for r in row["ratios"].values())
                     + ("" if row["losses_agree"] else f"   (first-step losses DISAGREE: {row['first_loss']!r})"))
    return "\n".join(lines)


def targets_tables(result: dict) -> str:
    """The section's measurements: the SequenceModel steps, the LSTM configuration, the per-op overhead."""
    variants = list(result["lstm"]["median_ms"])
    repeats = len(result["lstm"]["samples_ms"]["numpy"])
    return "\n\n".join([sequence_model_table(result["sequence_model"]),
                         training_header(variants, repeats) + "\n" + training_row(result["lstm"], variants),
                         overhead_table(result["overhead"])])


def targets_table(rows: list) -> str:
    width = max(len(t["name"]) for t in rows)
    lines = ["Targets (ratios of medians in this run; spread: the lowest and highest ratio over the "
             "interleaved rounds)",
             f"  {'what':<{width}} {'ratio':>6}  {'spread':<11}  target"]
    for t in rows:
        verdict = "met" if t["met"] else "NOT met"
        spread = f"{t['spread'][0]:.2f}-{t['spread'][1]:.2f}"
        lines.append(f"  {t['name']:<{width}} {_cell(t['value'], 6)}  {spread:<11}  <= {t['target']:<5} {verdict}")
    return "\n".join(lines)


# --- whole train processes ------------------------------------------------------------------------

def train_table(rows: list) -> str:
    lines = [f"Whole processes, tinygrad-rnn train against benchmarks/numpy_train.py (the same training by hand), "
             f"median s of {len(rows[0]['samples_s']['numpy'])} interleaved runs",
             f"  {'command':<60} {'engine s':>9} {'numpy s':>8} {'ratio':>6}  spread"]
    for row in rows:
        command = "tinygrad-rnn train " + row["commands"]["engine"].split(" train ", 1)[1]
        lines.append(f"  {command:<60} {row['median_s']['engine']:>9.2f} {row['median_s']['numpy']:>8.2f} "
                     f"{row['ratio']:>6.2f}  {row['spread'][0]:.2f}-{row['spread'][1]:.2f}")
    return "\n".join(lines)


def train_headline(rows: list) -> list:
    """The whole-process rows as targets ``{name, value, spread, target, met}``."""
    return [_target(f"tinygrad-rnn train {row['commands']['engine'].split(' train ', 1)[1]} / NumPy script",
                    row["ratio"], row["target"], spread=row["spread"]) for row in rows]
