"""The `edge-emo` Typer app and what every command shares: one-line errors with documented
exit codes, and importing the `[train]` extra only when a training command runs."""

import functools
import logging
from typing import Annotated

import typer

from edge_runtime import __version__
from edge_runtime.errors import EXIT_CODES, DependencyError, EdgeEmoError

app = typer.Typer(
    name="edge-emo",
    help="Facial emotion over time from face landmarks, on desktops and Raspberry Pis, offline.",
    add_completion=False,
    no_args_is_help=True,
    invoke_without_command=True,
    pretty_exceptions_enable=False,
    epilog="Exit codes: " + "; ".join(f"{k} {v}" for k, v in EXIT_CODES.items()),
)
_state = {"debug": False}


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a one-line error to stderr; return the Exit to raise."""
    typer.echo(f"edge-emo: error: {message}", err=True)
    return typer.Exit(code)


def handle_errors(func):
    """Turn our errors into one line and an exit code; tracebacks only with --debug."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except EdgeEmoError as exc:
            if _state["debug"]:
                raise
            raise fail(str(exc), exc.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("edge-emo: interrupted", err=True)
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            if _state["debug"]:
                raise
            raise fail(
                f"unexpected {type(exc).__name__}: {exc} (run with --debug for details)", 1
            ) from None

    return wrapper


def train_module(name: str):
    """Import a module of the [train] extra, or explain how to install it."""
    import importlib

    from edge_runtime._quiet import native_stderr_silenced

    try:
        with native_stderr_silenced():  # TensorFlow's absl lines on import go to fd 2
            return importlib.import_module(f"edge_emo.{name}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] in {"tensorflow", "keras"}:
            raise DependencyError(
                f"this command needs TensorFlow: pip install 'edge-emo[train]' ({exc.name} is missing)"
            ) from None
        raise


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks on errors.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        typer.echo(f"edge-emo {__version__}")
        raise typer.Exit(0)
    _state["debug"] = debug
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(message)s"
    )
