"""`edge-emo serve`: the live pipeline with a web page (aiohttp; the `[serve]` extra).

view.py keeps what the page shows, server.py serves it, app.py runs both; the page is
static files in static/ (no CDN, nothing fetched from the network).
"""
