"""The ``imagenet32`` command: one subcommand per job.

Each area module registers its own subcommands (``add_commands``), so the
command line of a job lives next to the job.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from . import __version__

__all__ = ["main"]

# The modules that register subcommands, in the order --help lists them.
COMMAND_MODULES: tuple[str, ...] = ("demo", "build", "check", "view")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="imagenet32",
        description=(
            "Build the Downsampled ImageNet datasets (Imagenet8/16/32/64) from an ImageNet folder, "
            "byte-identical to the published ones, and load, check and look at them."
        ),
        epilog="Start with 'imagenet32 demo', which builds all four sizes from a small generated tree.",
    )
    p.add_argument("--version", action="version", version=f"imagenet32 {__version__}")
    commands = p.add_subparsers(title="commands", metavar="COMMAND", required=True)
    from importlib import import_module

    for name in COMMAND_MODULES:
        import_module(f"imagenet32.{name}").add_commands(commands)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    args = parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (| head): stop quietly, as a SIGPIPE would
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's flush at exit would fail again
        return 128 + 13
