"""The `cuecoach` command: the console script's entry point, and `python -m cuecoach`."""

from __future__ import annotations

import gc


def main() -> None:
    """Run the command line, with the cyclic garbage collector off while it starts."""
    # Starting imports click and the commands and builds tens of thousands of
    # objects that live as long as the process; the collector's passes over them,
    # looking for cycles that are not there, were a twentieth of `check`. So it
    # is off from before those imports, and the commands that run for minutes or
    # hours turn it back on (`cli._Lasting`).
    gc.disable()
    from .cli import cli

    try:
        cli(prog_name="cuecoach")
    finally:
        # The command is over and every output closed. What remains is the
        # interpreter's teardown, whose cyclic garbage collection walks every
        # object still alive, for nothing: the process's memory goes back whole.
        gc.freeze()


if __name__ == "__main__":
    main()
