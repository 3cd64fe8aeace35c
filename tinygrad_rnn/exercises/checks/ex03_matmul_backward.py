"""Checks for exercise 03: ``MatMul.backward``."""
import numpy as np

from ._helpers import assert_close, one_gradient_tuple, own_function, spy_on_backward, tensor64


def _backward(MatMul, a, b, G):
    fn = MatMul()
    fn.forward(a, b)
    return one_gradient_tuple(fn.backward(G), 2, "MatMul.backward")


def check_matrices(mod):
    """A (3,4) @ B (4,5): dL/dA = G B^T, dL/dB = A^T G"""
    MatMul = own_function(mod, "MatMul")
    rng = np.random.default_rng(5)
    A, B, G = rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal((3, 5))
    g_A, g_B = _backward(MatMul, A, B, G)
    # entry by entry: out[i, j] = sum_p A[i, p] B[p, j]
    assert_close(g_A, np.einsum("ij,pj->ip", G, B), "dL/dA for A (3, 4) @ B (4, 5)")
    assert_close(g_B, np.einsum("ip,ij->pj", A, G), "dL/dB for A (3, 4) @ B (4, 5)")


def check_batch_times_weight(mod):
    """a batch (2,3,4) @ one weight (4,5): the weight's gradient is summed over the batch"""
    MatMul = own_function(mod, "MatMul")
    rng = np.random.default_rng(6)
    A, W, G = rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 5)), rng.standard_normal((2, 3, 5))
    g_A, g_W = _backward(MatMul, A, W, G)
    assert_close(g_A, np.einsum("bij,pj->bip", G, W), "dL/dA for A (2, 3, 4) @ W (4, 5)")
    assert_close(g_W, np.einsum("bip,bij->pj", A, G), "dL/dW for A (2, 3, 4) @ W (4, 5) (W was used by both "
                                                        "matrices of the batch: sum their gradients)")


def check_broadcast_batches(mod):
    """both sides batched and broadcast: (2,1,3,4) @ (5,4,2) -> (2,5,3,2)"""
    MatMul = own_function(mod, "MatMul")
    rng = np.random.default_rng(7)
    A, B, G = rng.standard_normal((2, 1, 3, 4)), rng.standard_normal((5, 4, 2)), rng.standard_normal((2, 5, 3, 2))
    g_A, g_B = _backward(MatMul, A, B, G)
    # out[s, t] = A[s, 0] @ B[t]: A's matrix is reused for every t, B's for every s
    assert_close(g_A, np.einsum("stij,tpj->sip", G, B)[:, None], "dL/dA for A (2, 1, 3, 4) @ B (5, 4, 2)")
    assert_close(g_B, np.einsum("sip,stij->tpj", A[:, 0], G), "dL/dB for A (2, 1, 3, 4) @ B (5, 4, 2)")


def check_in_the_engine(mod):
    """in a graph: x @ W.T as in an RNN step, loss.backward() runs your MatMul.backward"""
    MatMul = own_function(mod, "MatMul")
    Spy, calls = spy_on_backward(MatMul)
    rng = np.random.default_rng(8)
    x = tensor64(rng.standard_normal((3, 4)), requires_grad=True)
    W = tensor64(rng.standard_normal((5, 4)), requires_grad=True)
    out = Spy.apply(x, W.T)
    if not isinstance(out.grad_fn, MatMul):
        raise AssertionError(f"MatMul.apply(x, W.T) should make a node of your MatMul class, got {out.grad_fn!r}")
    out.tanh().sum().backward()
    if not calls:
        raise AssertionError("loss.backward() never called your MatMul.backward")
    G = 1 - np.tanh(x.data @ W.data.T) ** 2           # dL/d(out) for L = sum(tanh(out))
    assert_close(x.grad, G @ W.data, "x.grad for L = sum(tanh(x @ W.T))")
    assert_close(W.grad, G.T @ x.data, "W.grad for L = sum(tanh(x @ W.T))")


TESTS = [check_matrices, check_batch_times_weight, check_broadcast_batches, check_in_the_engine]
