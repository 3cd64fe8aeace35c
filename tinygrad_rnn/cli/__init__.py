"""The ``tinygrad-rnn`` command (also ``python -m tinygrad_rnn``). Each subcommand lives in its own
module and only composes library calls."""
import argparse
import sys

from . import eig, tour

COMMANDS = {"tour": tour, "eig": eig}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinygrad-rnn",
        description="Autodiff and recurrent nets you can read: see why RNN gradients explode and vanish.")
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
    return COMMANDS[args.command].run(args) or 0


if __name__ == "__main__":
    sys.exit(main())
