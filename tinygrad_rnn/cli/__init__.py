"""The ``tinygrad-rnn`` command (also ``python -m tinygrad_rnn``). Each subcommand lives in its own
module and only composes library calls."""
import argparse
import sys

from threadpoolctl import threadpool_limits

from . import check, eig, figures, gradflow, graph, tour, train

COMMANDS = {"tour": tour, "train": train, "eig": eig, "graph": graph, "gradflow": gradflow, "figures": figures, "check": check}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinygrad-rnn",
        description="Autodiff and recurrent nets you can read: see why RNN gradients explode and vanish.")
    parser.add_argument("--blas-threads", type=int, default=1, metavar="N",
                        help="BLAS threads for NumPy's matrix products (default 1: the matrices here are small, "
                             "and one thread measured as fast or faster; see benchmarks/bench_blas_threads.py)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in COMMANDS.items():
        module.add_parser(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    with threadpool_limits(limits=args.blas_threads, user_api="blas"):
        return COMMANDS[args.command].run(args) or 0


if __name__ == "__main__":
    sys.exit(main())
