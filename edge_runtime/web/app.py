"""`edge-emo serve`: a live run in a worker thread, its web page in the main thread's event loop.

Until the event loop takes the signals over, Ctrl-C and SIGTERM only ask for a stop
(cancel.py, set up by the CLI), so a stop while the models load ends as cleanly as later.

The live run is the same `LiveSession` as `run --camera`, with the same sinks plus
`WebSink`; the page is only another output. Ctrl-C or SIGTERM end the run (its last
seconds and footer still reach every sink), then the server; so does the end of the
source (a file, or --seconds).
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
import signal
import ssl
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from edge_runtime.cancel import stop_requested
from edge_runtime.errors import InputError
from edge_runtime.live import LiveOptions, LiveSession
from edge_runtime.sinks import Sink
from edge_runtime.web.view import LiveView, ViewOptions, WebSink


@dataclass(frozen=True)
class ServeOptions:
    live: LiveOptions
    host: str = "127.0.0.1"
    port: int = 8080
    token: str | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    timelines: Path | None = None  # a folder of finished timelines the page lists
    view: ViewOptions = field(default_factory=ViewOptions)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def resolve_token(host: str, token: str | None) -> tuple[str | None, bool]:
    """The access token and whether it was generated here (to print it once).

    Loopback needs none unless given; any other address always has one.
    """
    token = token or None
    if token is not None and len(token) < 12:
        raise InputError("the access token must be at least 12 characters")
    if token is None and not is_loopback(host):
        return secrets.token_urlsafe(18), True
    return token, False


def tls_context(cert: Path | None, key: Path | None) -> ssl.SSLContext | None:
    if cert is None and key is None:
        return None
    if cert is None:
        raise InputError("--tls-key needs --tls-cert")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(str(cert), str(key) if key else None)
    except (OSError, ssl.SSLError) as exc:
        raise InputError(f"TLS certificate/key: {exc}") from None
    return context


def serve(options: ServeOptions, sinks: list[Sink], quiet: bool = False) -> int:
    """Run until Ctrl-C/SIGTERM or the end of the source; returns the exit code."""
    from aiohttp import web

    from edge_runtime.web.server import make_app

    token, generated = resolve_token(options.host, options.token)
    context = tls_context(options.tls_cert, options.tls_key)
    if options.timelines is not None and not options.timelines.is_dir():
        raise InputError(f"{options.timelines}: no such folder (--timelines)")
    with LiveSession.create(options.live) as session:
        view = LiveView(session.header, options.view)
        app = make_app(view, token, options.timelines, tls=context is not None)
        scheme = "https" if context else "http"
        failure: list[BaseException] = []

        async def main() -> None:
            loop = asyncio.get_running_loop()
            stop = asyncio.Event()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            if stop_requested():  # Ctrl-C while the models were loading: a stop all the same
                return
            runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
            await runner.setup()
            try:
                await web.TCPSite(runner, options.host, options.port, ssl_context=context).start()
            except OSError as exc:
                await runner.cleanup()
                raise InputError(
                    f"cannot listen on {options.host}:{options.port} ({exc.strerror})"
                ) from None
            port = runner.addresses[0][1]  # the one chosen when --port 0
            where = f"{scheme}://{_url_host(options.host)}:{port}/" + (
                f"?token={token}" if generated else ""
            )
            print(f"edge-emo: serving {where}" + (" (token generated for this run)" if generated else ""),
                  file=sys.stderr, flush=True)  # fmt: skip

            def work() -> None:
                try:
                    session.drive(
                        [*sinks, WebSink(view)],
                        on_frame=lambda f: view.on_frame(f, session.pipeline.current_faces()),
                    )
                except KeyboardInterrupt:
                    pass  # a stop asked for before the server took the signals over
                except BaseException as exc:  # raised again in the main thread
                    failure.append(exc)
                finally:
                    loop.call_soon_threadsafe(stop.set)

            worker = threading.Thread(target=work, name="edge-emo-live", daemon=True)
            worker.start()
            await stop.wait()
            session.stop()  # the run ends at its next frame; its footer still goes out
            await loop.run_in_executor(None, worker.join)
            view.close_subscribers()
            await runner.cleanup()

        previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
        try:
            asyncio.run(main())
        finally:  # the loop leaves the defaults behind; the caller's handlers apply again
            for signum, handler in previous.items():
                signal.signal(signum, handler)
    if failure:
        raise failure[0]
    if not quiet:
        print(f"edge-emo: {session.lag.describe()}", file=sys.stderr)
    return 0


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
