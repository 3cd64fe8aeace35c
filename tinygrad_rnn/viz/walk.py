"""Walking a graph for a drawing: every tensor and op a root depends on, each once, inputs first.

It is the backward pass's ``topological_order`` with other edges: it also visits tensors that
do not require grad (inputs, constants), and it steps over cuts: a tensor made by ``h.detach()``
remembers (weakly, in ``_cut_from``) the tensor it was cut from, and while that tensor is alive
the walk continues into its history, so a drawing shows both sides of a truncation.

It only reads ``_ctx``, ``_ctx.parents`` and ``_cut_from``; it never changes them.
"""
import dataclasses

from ..core.backward import topological_order


def cut_origin(tensor):
    """The tensor that ``tensor`` was ``detach()``-ed from, if it is still alive, else ``None``."""
    ref = getattr(tensor, "_cut_from", None)
    return ref() if ref is not None else None


def is_detached(tensor) -> bool:
    """True for a tensor made by ``detach()`` (whether or not its origin is still alive)."""
    return getattr(tensor, "_cut_from", None) is not None


@dataclasses.dataclass
class Walk:
    """What a root depends on. ``tensors`` are in topological order (each after its inputs)."""
    roots: list
    tensors: list             # every tensor, each once, inputs first
    ops: list                 # every Function node, each once, in the order of their outputs
    outputs_of: dict          # id(op) -> every tensor it made that the walk reached (chunk makes several)
    consumers: dict           # id(tensor) -> [(op, slot)]: the ops that read it, and in which input slot
    cuts: list                # (origin, detached) pairs, origin alive
    beyond_cut: set           # ids of tensors that the roots reach only across a cut

    def op_step(self, op):
        """An op belongs to the time step of the tensor it made."""
        return self.output_of(op).step

    def output_of(self, op):
        """The tensor ``op`` made (the first the walk reached, for an op with several outputs)."""
        return self.outputs_of[id(op)][0]


def _inputs(tensor, follow_cuts: bool) -> list:
    """The tensors ``tensor`` was computed from: its op's parents, in order, or the tensor it was cut from."""
    if tensor._ctx is not None:
        return list(tensor._ctx.parents)
    origin = cut_origin(tensor) if follow_cuts else None
    return [origin] if origin is not None else []


def _post_order(roots, follow_cuts: bool) -> list:
    """Every tensor behind ``roots`` (constants and, if asked, cut-off history too), each after its inputs."""
    # inputs reversed: the walk pops the last one pushed first, so the first input is visited
    # first and the drawing keeps the ops' argument order
    return topological_order(list(roots), inputs_of=lambda tensor: _inputs(tensor, follow_cuts)[::-1])


def walk(roots, follow_cuts: bool = True) -> Walk:
    """Walk back from ``roots`` (a list of tensors), through cuts too unless ``follow_cuts=False``."""
    roots = list(roots)
    tensors = _post_order(roots, follow_cuts)
    reachable_without_cuts = {id(t) for t in _post_order(roots, follow_cuts=False)}
    ops, outputs_of, consumers, cuts = [], {}, {}, []
    for tensor in tensors:
        fn = tensor._ctx
        if fn is not None:
            if id(fn) not in outputs_of:           # first output of this op: record the op once
                ops.append(fn)
                outputs_of[id(fn)] = []
                for slot, parent in enumerate(fn.parents):
                    consumers.setdefault(id(parent), []).append((fn, slot))
            outputs_of[id(fn)].append(tensor)
        elif follow_cuts and cut_origin(tensor) is not None:
            cuts.append((cut_origin(tensor), tensor))
    beyond = {id(t) for t in tensors} - reachable_without_cuts
    return Walk(roots, tensors, ops, outputs_of, consumers, cuts, beyond)
