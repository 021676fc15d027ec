"""Entry point for the `python -m edge_emo.train.*` scripts: our errors as one line and their exit code."""

from __future__ import annotations

import sys
from collections.abc import Callable

from edge_runtime.errors import EdgeEmoError


def run_script(main: Callable[[], object], prog: str) -> None:
    """Call `main`; an EdgeEmoError becomes `prog: error: ...` on stderr and its exit code."""
    try:
        main()
    except EdgeEmoError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
