"""Reference solution of exercise 04 (iterative topological sort). Try the exercise first."""


def topological_order(root):
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        tensor, parents_done = stack.pop()
        if parents_done:                     # every parent is already in `order`
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))         # come back to it after its parents
        if tensor.grad_fn is not None:
            for parent in tensor.grad_fn.parents:
                if parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
    return order
