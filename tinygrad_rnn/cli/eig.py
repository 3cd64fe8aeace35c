"""``tinygrad-rnn eig "1 1; 1 1"``: eigenvalues, singular values and the gradient regime of a matrix."""

import numpy as np

from ..analysis import spectrum
from .args import json_text, nonnegative_float


def add_parser(sub):
    p = sub.add_parser("eig", help="eigenvalues, singular values and gradient regime of a matrix",
                       description='Rows separated by ";", entries by spaces or commas, e.g. "1 1; 1 1" '
                                   'or "0.7071 -0.7071; -0.7071 -0.7071".')
    p.add_argument("matrix", help='the matrix, e.g. "1 1; 1 1"')
    p.add_argument("--nonlinearity", choices=["tanh", "sigmoid", "relu", "linear"], default="tanh",
                   help="for Pascanu's condition (bound on the derivative); default tanh")
    p.add_argument("--tol", type=nonnegative_float, default=1e-4,
                   help="how close |lambda| must be to 1 to count as stable (default 1e-4, for entries typed "
                        "to about 4 decimals, like 0.7071)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object instead of text (nan/inf as the strings \"nan\", \"inf\")")
    return p


def parse_matrix(text: str) -> np.ndarray:
    """``"1 2; 3 4"`` -> a (rows, cols) float64 array; a ValueError saying what is wrong otherwise."""
    rows = [r.replace(",", " ").split() for r in text.split(";") if r.strip()]
    if not rows:
        raise ValueError("the matrix is empty; write it like \"1 1; 1 1\" (rows separated by ;)")
    if len({len(r) for r in rows}) != 1:
        raise ValueError(f"the rows of {text!r} have different lengths {[len(r) for r in rows]}; every row needs "
                         "the same number of entries, e.g. \"1 1; 1 1\"")
    values = []
    for r in rows:
        for x in r:
            try:
                values.append(float(x))
            except ValueError:
                raise ValueError(f"{x!r} in {text!r} is not a number; write the matrix like \"1 1; 1 1\"") from None
    W = np.array(values).reshape(len(rows), -1)
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"the matrix {text!r} is {W.shape[0]} x {W.shape[1]}, but eigenvalues need a square "
                         "matrix (n x n), e.g. \"1 1; 1 1\"")
    if not np.isfinite(W).all():
        raise ValueError(f"the matrix {text!r} has nan or inf entries; give finite numbers")
    return W


def run(args):
    W = parse_matrix(args.matrix)
    result = spectrum(W, nonlinearity=args.nonlinearity, tol=args.tol)
    if args.json:
        print(json_text({"matrix": W.tolist(), **result.as_dict()}))
        return 0
    fmt = lambda z: f"{z.real:.6g}" if abs(z.imag) < 1e-12 else f"{z.real:.6g}{z.imag:+.6g}i"
    print("matrix:\n" + np.array2string(W, precision=6))
    print("eigenvalues:     " + ", ".join(fmt(z) for z in result.eigenvalues)
          + "   |lambda|: " + ", ".join(f"{abs(z):.6g}" for z in result.eigenvalues))
    print(f"spectral radius: {result.spectral_radius:.6g}  ->  gradients {result.regime}"
          + ("" if result.is_normal else "  (W is not normal: ||W^k|| may grow first; see singular values)"))
    print("singular values: " + ", ".join(f"{s:.6g}" for s in result.singular_values))
    p = result.pascanu
    verdict = ("vanishing is guaranteed" if p.vanishing_guaranteed
               else "exploding is possible" if p.exploding_possible else "on the boundary")
    print(f"Pascanu et al. ({args.nonlinearity}, gamma = {p.gamma:g}): sigma_max = {p.sigma_max:.6g} vs "
          f"1/gamma = {p.threshold:g}: {verdict}")
    return 0
