"""Reference solution of exercise 07 (BPTT by hand, scalar RNN). Try the exercise first."""
import numpy as np


def bptt_scalar(w, u, b, xs, h0):
    hs = [h0]
    for x in xs:                                       # forward, keeping every state
        hs.append(np.tanh(w * hs[-1] + u * x + b))
    delta = 1.0                                        # dL/dh_T
    dw = du = db = 0.0
    for t in range(len(xs), 0, -1):                    # t = T, ..., 1
        da = delta * (1 - hs[t] ** 2)
        dw += da * hs[t - 1]
        du += da * xs[t - 1]
        db += da
        delta = da * w                                 # dL/dh_{t-1}
    return {"dL_dw": float(dw), "dL_du": float(du), "dL_db": float(db), "dL_dh0": float(delta)}
