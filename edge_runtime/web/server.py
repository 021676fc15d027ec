"""The web server of `edge-emo serve` (aiohttp): the page, its event stream, the JPEG, timelines.

Every request needs the access token when one is set (a non-loopback address always
sets one): `?token=` on the first visit (answered with a cookie for the rest), a
`edge_emo_token` cookie, or `Authorization: Bearer`. Files are served only from the
package's static folder and, by exact name from its own listing, the timelines folder.
"""

from __future__ import annotations

import asyncio
import csv
import hmac
import io
import json
from importlib import resources
from pathlib import Path
from typing import Any

from aiohttp import web

from edge_runtime.web.view import LiveView

COOKIE = "edge_emo_token"
TIMELINE_SUFFIXES = (".emotions.json", ".emotions.jsonl", ".emotions.csv")
STATIC = ("index.html", "app.js", "style.css")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self'; style-src 'self'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
VIEW = web.AppKey("view", LiveView)
SETTINGS = web.AppKey("settings", dict)


def make_app(
    view: LiveView, token: str | None, timelines: Path | None, tls: bool = False
) -> web.Application:
    """The aiohttp application for one live view."""
    app = web.Application(middlewares=[_guard])
    app[VIEW] = view
    app[SETTINGS] = {"token": token, "timelines": timelines, "tls": tls}
    app.router.add_get("/", _index)
    app.router.add_get("/static/{name}", _static)
    app.router.add_get("/api/state", _state)
    app.router.add_get("/events", _events)
    app.router.add_get("/frame.jpg", _frame)
    app.router.add_get("/api/timelines", _timelines)
    app.router.add_get("/api/timelines/{name}", _timeline)
    return app


@web.middleware
async def _guard(request: web.Request, handler) -> web.StreamResponse:
    settings = request.app[SETTINGS]
    token = settings["token"]
    from_query = request.query.get("token")
    if token is not None:
        given = from_query or request.cookies.get(COOKIE) or _bearer(request)
        if not given or not hmac.compare_digest(given.encode(), token.encode()):
            return web.Response(
                status=401,
                text="401: this edge-emo page needs its access token: open the address "
                "`edge-emo serve` printed (it ends in ?token=...)\n",
                headers=SECURITY_HEADERS,
            )
    response = await handler(request)
    if token is not None and from_query and isinstance(response, web.Response):
        response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", secure=settings["tls"])
    if not response.prepared:
        response.headers.update(SECURITY_HEADERS)
    return response


def _bearer(request: web.Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value if scheme.lower() == "bearer" and value else None


def _static_bytes(name: str) -> bytes:
    return resources.files("edge_runtime.web").joinpath("static", name).read_bytes()


async def _index(request: web.Request) -> web.Response:
    return web.Response(body=_static_bytes("index.html"), content_type="text/html", charset="utf-8")


async def _static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in STATIC:  # a fixed set: nothing else of the package or the disk
        raise web.HTTPNotFound()
    kind = {"js": "text/javascript", "css": "text/css", "html": "text/html"}[name.rsplit(".", 1)[1]]
    return web.Response(body=_static_bytes(name), content_type=kind, charset="utf-8")


async def _state(request: web.Request) -> web.Response:
    return web.json_response(request.app[VIEW].snapshot())


async def _events(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events: `second` for each finished second, `status` with each new JPEG."""
    view = request.app[VIEW]
    response = web.StreamResponse(headers={**SECURITY_HEADERS, "Content-Type": "text/event-stream"})
    await response.prepare(request)
    queue = view.subscribe()
    try:
        await response.write(_sse("status", view.status()))
        while True:
            try:
                event, data = await asyncio.wait_for(queue.get(), timeout=15.0)
            except asyncio.TimeoutError:
                await response.write(b": keep-alive\n\n")
                continue
            if event is None:  # the server is stopping
                break
            await response.write(_sse(event, data))
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        view.unsubscribe(queue)
    return response


def _sse(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


async def _frame(request: web.Request) -> web.Response:
    seq, jpeg = request.app[VIEW].jpeg()
    if jpeg is None:
        return web.Response(status=204)
    return web.Response(body=jpeg, content_type="image/jpeg", headers={"X-Frame-Seq": str(seq)})


def _listing(folder: Path | None) -> dict[str, Path]:
    if folder is None or not folder.is_dir():
        return {}
    return {
        p.name: p
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.is_symlink() and p.name.endswith(TIMELINE_SUFFIXES)
    }


async def _timelines(request: web.Request) -> web.Response:
    folder = request.app[SETTINGS]["timelines"]
    files = [
        {"name": name, "bytes": p.stat().st_size, "modified": p.stat().st_mtime}
        for name, p in _listing(folder).items()
    ]
    return web.json_response({"folder": folder.name if folder else None, "files": files})


async def _timeline(request: web.Request) -> web.Response:
    """One finished timeline, as {labels, seconds}; only a name from the listing is served."""
    path = _listing(request.app[SETTINGS]["timelines"]).get(request.match_info["name"])
    if path is None:
        raise web.HTTPNotFound()
    try:
        return web.json_response(read_timeline(path))
    except (OSError, ValueError, KeyError, IndexError, StopIteration) as exc:
        raise web.HTTPUnprocessableEntity(
            text=f"{path.name}: not a readable timeline ({exc})"
        ) from None


def read_timeline(path: Path) -> dict[str, Any]:
    """labels and seconds of a timeline file written by `edge-emo run` (json, jsonl or csv);
    a several-faces timeline's seconds carry their `track`, and `tracks` lists the ids."""
    text = path.read_text(encoding="utf-8")
    if path.name.endswith(".json"):
        doc = json.loads(text)
        if "tracks" in doc:  # schema_version 2
            seconds = [s for track in doc["tracks"] for s in track["seconds"]]
        else:
            seconds = doc["seconds"]
        return _with_tracks(
            {"labels": doc["labels"], "seconds": seconds, "model": doc["model"]["name"]}
        )
    if path.name.endswith(".jsonl"):
        lines = [json.loads(line) for line in text.splitlines() if line.strip()]
        header = next(x for x in lines if x.get("type") == "header")
        seconds = [x for x in lines if x.get("type") == "second"]
        return _with_tracks(
            {"labels": header["labels"], "seconds": seconds, "model": header["model"]["name"]}
        )
    rows = [
        r for r in csv.DictReader(line for line in io.StringIO(text) if not line.startswith("#"))
    ]
    labels = [k for k in rows[0] if k.startswith("p_")] if rows else []
    seconds = [
        {
            "t": int(r["t"]),
            "face": r["face"] in ("1", "true", "True"),
            "probs": {k[2:]: float(r[k]) for k in labels} if r[labels[0]] else None,
            **({"track": int(r["track"])} if r.get("track") else {}),
        }
        for r in rows
    ]
    return _with_tracks({"labels": [k[2:] for k in labels], "seconds": seconds, "model": None})


def _with_tracks(timeline: dict[str, Any]) -> dict[str, Any]:
    tracks = sorted({s["track"] for s in timeline["seconds"] if s.get("track") is not None})
    if tracks:
        timeline["tracks"] = tracks
    return timeline
