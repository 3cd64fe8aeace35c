"""Checks for exercise 09: ``eigenvalues_2x2`` and ``regime``."""
import contextlib

import numpy as np

from ...analysis.spectrum import regime as library_regime
from ..judging import Replayer
from ._helpers import assert_close, get, mode

S = 1 / np.sqrt(2)


def _rotation(theta, scale=1.0):
    return scale * np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])


# (label, matrix): the lecture's two examples, rotations (complex pairs), a repeated root,
# a negative real eigenvalue, a non-normal matrix
CASES = [
    ("[[1, 1], [1, 1]]", np.array([[1.0, 1.0], [1.0, 1.0]])),
    ("the lecture's Q = [[1/sqrt2, -1/sqrt2], [-1/sqrt2, -1/sqrt2]]", np.array([[S, -S], [-S, -S]])),
    ("a rotation by 0.7 rad", _rotation(0.7)),
    ("1.2 x a rotation by 2 rad", _rotation(2.0, 1.2)),
    ("0.5 x a rotation by 1 rad", _rotation(1.0, 0.5)),
    ("[[-1.5, 0.2], [0.1, 0.3]]", np.array([[-1.5, 0.2], [0.1, 0.3]])),
    ("[[0.9, 2], [0, 0.9]] (a repeated root)", np.array([[0.9, 2.0], [0.0, 0.9]])),
    ("[[0.2, -0.4], [0.3, 0.5]]", np.array([[0.2, -0.4], [0.3, 0.5]])),
]


@contextlib.contextmanager
def _numpy_eigensolvers_off(mod):
    """Make np.linalg.eig, eigvals, eigh and eigvalsh raise while the learner's code runs (also
    where the learner's file imported them by name: ``from numpy.linalg import eigvals``)."""
    if isinstance(mode(), Replayer):          # the grader, replaying: no learner code runs here
        yield
        return
    solvers = {name: getattr(np.linalg, name) for name in ("eig", "eigvals", "eigh", "eigvalsh")}
    places = [(np.linalg, name) for name in solvers]
    places += [(mod, name) for name, value in vars(mod).items()
               if any(value is fn for fn in solvers.values())]
    saved = [(owner, name, getattr(owner, name)) for owner, name in places]

    def refuse(*args, **kwargs):
        raise AssertionError("np.linalg's eigenvalue routines are switched off in this check: compute the "
                             "eigenvalues from the trace and the determinant (the characteristic polynomial)")

    try:
        for owner, name in places:
            setattr(owner, name, refuse)
        yield
    finally:
        for owner, name, fn in saved:
            setattr(owner, name, fn)


def _sorted(values) -> np.ndarray:
    values = np.asarray(values, dtype=complex).ravel()
    return values[np.lexsort((values.imag.round(9), values.real.round(9)))]


def _check_values(mod, eigenvalues_2x2, label, A):
    with _numpy_eigensolvers_off(mod):
        result = eigenvalues_2x2(A.copy())
    expected = _sorted(np.linalg.eigvals(A))      # after the learner's call: never in a frame it can read
    if result is None:
        raise AssertionError(f"eigenvalues_2x2({label}) returned None. Did you forget a `return`?")
    values = np.asarray(result, dtype=complex).ravel()
    if values.shape != (2,):
        raise AssertionError(f"eigenvalues_2x2({label}) must return two numbers, got {result!r}")
    assert_close(_sorted(values), expected, f"eigenvalues_2x2({label})", rtol=1e-7, atol=1e-9)


def check_lecture_examples(mod):
    """the lecture's matrices: [[1,1],[1,1]] has 0 and 2, its orthogonal Q has +1 and -1"""
    eigenvalues_2x2 = get(mod, "eigenvalues_2x2")
    for label, A in CASES[:2]:
        _check_values(mod, eigenvalues_2x2, label, A)


def check_complex_pairs(mod):
    """rotations give a complex pair cos(theta) +- i sin(theta) (no nan)"""
    eigenvalues_2x2 = get(mod, "eigenvalues_2x2")
    for label, A in CASES[2:5]:
        _check_values(mod, eigenvalues_2x2, label, A)


def check_other_matrices(mod):
    """a negative eigenvalue, a repeated root, and random matrices"""
    eigenvalues_2x2 = get(mod, "eigenvalues_2x2")
    rng = np.random.default_rng(20)
    cases = CASES[5:] + [(f"random matrix #{k}", rng.standard_normal((2, 2))) for k in range(5)]
    for label, A in cases:
        _check_values(mod, eigenvalues_2x2, label, A)


def check_regime(mod):
    """regime: the lecture's table (explode, explode (oscillating), stable, vanish)"""
    regime = get(mod, "regime")
    for label, A in CASES:
        with _numpy_eigensolvers_off(mod):
            got = regime(A.copy())
        expected = library_regime(A, tol=1e-9)
        if got != expected:
            lam = np.linalg.eigvals(A)
            raise AssertionError(f"regime({label}) should be {expected!r} (eigenvalues "
                                 f"{', '.join(f'{z:.4g}' for z in lam)}), got {got!r}")


TESTS = [check_lecture_examples, check_complex_pairs, check_other_matrices, check_regime]
