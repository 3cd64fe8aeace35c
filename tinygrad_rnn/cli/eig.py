"""``tinygrad-rnn eig "1 1; 1 1"``: eigenvalues, singular values and the gradient regime of a matrix."""
import json

import numpy as np

from ..analysis import spectrum


def add_parser(sub):
    p = sub.add_parser("eig", help="eigenvalues, singular values and gradient regime of a matrix",
                       description='Rows separated by ";", entries by spaces or commas, e.g. "1 1; 1 1" '
                                   'or "0.7071 -0.7071; -0.7071 -0.7071".')
    p.add_argument("matrix", help='the matrix, e.g. "1 1; 1 1"')
    p.add_argument("--nonlinearity", choices=["tanh", "sigmoid", "relu", "linear"], default="tanh",
                   help="for Pascanu's condition (bound on the derivative); default tanh")
    p.add_argument("--tol", type=float, default=1e-4,
                   help="how close |lambda| must be to 1 to count as stable (default 1e-4, for entries typed "
                        "to about 4 decimals, like 0.7071)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    return p


def parse_matrix(text: str) -> np.ndarray:
    rows = [r.replace(",", " ").split() for r in text.split(";") if r.strip()]
    if not rows:
        raise ValueError("eig: the matrix is empty; write it like \"1 1; 1 1\"")
    if len({len(r) for r in rows}) != 1:
        raise ValueError(f"eig: rows have different lengths {[len(r) for r in rows]}; every row needs the "
                         "same number of entries")
    try:
        return np.array([[float(x) for x in r] for r in rows])
    except ValueError as err:
        raise ValueError(f"eig: could not read a number ({err}); write it like \"1 1; 1 1\"") from None


def run(args):
    try:
        W = parse_matrix(args.matrix)
        result = spectrum(W, nonlinearity=args.nonlinearity, tol=args.tol)
    except ValueError as err:
        raise SystemExit(f"error: {err}")
    if args.json:
        print(json.dumps({"matrix": W.tolist(), **result.as_dict()}))
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
