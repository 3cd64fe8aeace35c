"""Reference solution of exercise 13 (the LSTM cell). Try the exercise first."""


def lstm_step(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh):
    gates = x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh
    a_i, a_f, a_g, a_o = gates.chunk(4, dim=-1)          # PyTorch's order: i, f, g, o
    i, f, g, o = a_i.sigmoid(), a_f.sigmoid(), a_g.tanh(), a_o.sigmoid()
    c_new = f * c + i * g
    h_new = o * c_new.tanh()
    return h_new, c_new
