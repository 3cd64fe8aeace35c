"""The words on a drawing: recurrent-edge labels and the legend's notes. Text only, no layout."""
from .style import format_number as fmt

NOTE_SHAPES = ("box = op · rounded record = tensor (name | shape | ‖∂L/∂x‖) · gold square record = parameter "
               "· grey = no gradient (inputs, constants)")
NOTE_EDGES = ("edge colour and width: the norm of the gradient that flows back along it (into an op: that op's "
              "share of ∂L/∂x for its input x); grey = none flows")
NOTE_EDGES_FREED = ("edge colour and width: ‖∂L/∂y‖ of the op's output y (the graph's saved values were freed, so "
                    "what each input gets is not known: draw before backward())")
NOTE_EDGES_UNKNOWN = ("edge colour and width: the gradient that flows back along it, known only when drawn with "
                      "grads=analysis.all_gradients(loss); grey = not known here")
NOTE_EDGES_CELLS = ("edge colour and width: the norm of the gradient that flows back along it, from the node it "
                    "points to through the ops in between (not drawn); grey = none flows")
NOTE_JACOBIAN = ("recurrent edge h_(t-1) → h_t: σ₁ = largest singular value of the step Jacobian ∂h_t/∂h_(t-1), "
                 "the most one step back can stretch a gradient; ‖∂h_T/∂h_(t-1)‖ = measured, at most the "
                 "product of the σ₁ from the last step back")
NOTE_JACOBIAN_LSTM = ("recurrent edge h_(t-1) → h_t (LSTM): σ₁ = largest singular value of the whole state's step "
                      "Jacobian ∂(h_t,c_t)/∂(h_(t-1),c_(t-1)), 2H×2H, the most one step back can stretch a "
                      "gradient; ‖∂h_T/∂h_(t-1)‖ = measured (through h and c), at most the product of the σ₁ "
                      "from the last step back. σ₁ of ∂h_t/∂h_(t-1) alone is no bound: it holds c_(t-1) fixed")
NOTE_JACOBIAN_IN_NODES = ("σ₁(∂h_t/∂h_(t-1)) in node h_t: the largest singular value of the step Jacobian of the "
                          "recurrent edge into it (the most one step back can stretch a gradient); ‖∂h_T/∂h_(t-1)‖ "
                          "= measured, at most the product of the σ₁ from the last step back")
NOTE_JACOBIAN_IN_NODES_LSTM = ("σ₁(∂(h_t,c_t)/∂(h_(t-1),c_(t-1))) in node h_t: the largest singular value of the "
                               "LSTM's whole step Jacobian, 2H×2H (the most one step back can stretch a gradient); "
                               "‖∂h_T/∂h_(t-1)‖ = measured (through h and c), at most the product of the σ₁ from "
                               "the last step back")
NOTE_FREED = ("Jacobian labels need the graph's saved values: draw before backward(), or call "
              "backward(retain_graph=True)")
NOTE_ADDITIVE = ("double line = the LSTM cell path c_(t-1) → c_t: additive, c_t = f_t ⊙ c_(t-1) + i_t ⊙ g_t, so "
                 "∂c_t/∂c_(t-1) = diag(f_t) with h_(t-1) held fixed: no weight matrix on the way "
                 "(‖∂c_T/∂c_(t-1)‖: measured, through h and c)")
NOTE_ADDITIVE_GRU = ("double line = the GRU's additive path h_(t-1) → h_t: h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_(t-1), "
                     "so this term passes the gradient back times z_t (no weight matrix on the way); σ₁ on the "
                     "other edge is of the whole ∂h_t/∂h_(t-1)")
NOTE_CUT = "red dashed ⊣ = truncation: the state was detach()-ed there, no gradient crosses; the faded part gets none"
NOTE_DOTS = "dot = an unnamed tensor between two ops, in its gradient's colour (its shape and ‖∂L/∂x‖: hover)"
NOTE_SHARED = ("each parameter is drawn once, in the gold box \"parameters, shared by all steps\", with an edge "
               "to every op that reads it; its ‖∂L/∂x‖ adds up all steps")
NOTE_NO_GRADS = ("no gradients yet: call loss.backward() (parameters), retain_grad() on tensors, or pass "
                 "grads=analysis.all_gradients(loss) to see every gradient")
NOTE_CELLS = "one node per state and step; the weights, shared by every step, are not drawn"
NOTE_ROLLED = ("one step of the cell; the loop carries the state to the next step, T times; "
               "a weight's ‖∂L/∂x‖: its gradient, all T steps added up; a weight's edge: the gradient that flows "
               "along it, added up over the T steps; the cell's own edges are dark (their gradient differs from "
               "step to step), grey ones carry none")


def jacobian_label(tr) -> str:
    """``σ₁(∂h_3/∂h_2) = 0.93`` (the LSTM's: ``σ₁(∂(h_3,c_3)/∂(h_2,c_2))``) and ``‖∂h_5/∂h_2‖ = 0.41`` on
    two lines (what is known of them)."""
    lines = []
    if tr.sigma is not None:
        lines.append(f"σ₁({tr.jacobian or f'∂{tr.cur.name}/∂{tr.prev_name}'}) = {fmt(tr.sigma)}")
    if tr.to_last is not None and tr.last is not tr.cur:
        lines.append(f"‖∂{tr.last.name}/∂{tr.prev_name}‖ = {fmt(tr.to_last)}")
    return "\n".join(lines)


def gate_label(tr, stats) -> str:
    """``× f_3: mean 0.52`` / ``min 0.31, max 0.77`` (and the running norm back to c_(t-1) if known)."""
    if stats is None:
        return jacobian_label(tr)
    mean, low, high = stats
    name = tr.gate.name or "gate"
    lines = [f"× {name}: mean {fmt(mean)}", f"min {fmt(low)}, max {fmt(high)}"]
    if tr.to_last is not None and tr.last is not tr.cur:
        lines.append(f"‖∂{tr.last.name}/∂{tr.prev_name}‖ = {fmt(tr.to_last)}")
    return "\n".join(lines)


def gate_note(tr, stats, running: bool = True) -> list:
    """The lines a state node shows for the additive path into it: ``c_2 × f_3: mean 0.52``,
    ``min 0.31, max 0.77`` (and, if ``running``, the running norm back to the state before)."""
    if stats is None:
        return []
    mean, low, high = stats
    lines = [f"{tr.prev_name} × {tr.gate.name or 'gate'}: mean {fmt(mean)}", f"min {fmt(low)}, max {fmt(high)}"]
    if running and tr.to_last is not None and tr.last is not tr.cur:
        lines.append(f"‖∂{tr.last.name}/∂{tr.prev_name}‖ = {fmt(tr.to_last)}")
    return lines


def jacobian_note(transitions, in_nodes: bool = False) -> list:
    """The legend's note for the σ₁ labels: the LSTM's (joint state) or the RNN's and GRU's."""
    measured = [tr for tr in transitions if tr.sigma is not None]
    if not measured:
        return []
    joint = any(tr.jacobian.startswith("∂(") or "/∂(" in tr.jacobian for tr in measured)
    if in_nodes:
        return [NOTE_JACOBIAN_IN_NODES_LSTM if joint else NOTE_JACOBIAN_IN_NODES]
    return [NOTE_JACOBIAN_LSTM if joint else NOTE_JACOBIAN]


def cut_label(origin_name: str) -> str:
    return f"✂ {origin_name}.detach()\nno gradient crosses"


def range_text(values) -> str:
    """``0.41 … 0.93`` (or one number when they agree to 3 digits)."""
    values = [v for v in values if v is not None]
    if not values:
        return "?"
    low, high = fmt(min(values)), fmt(max(values))
    return low if low == high else f"{low} … {high}"


def additive_notes(transitions) -> list:
    """The legend's notes for the additive paths drawn: the LSTM's c, the GRU's h."""
    kinds = {tr.kind for tr in transitions if tr.gate is not None}
    return ([NOTE_ADDITIVE] if kinds - {"h"} else []) + ([NOTE_ADDITIVE_GRU] if "h" in kinds else [])
