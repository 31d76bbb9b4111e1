"""The HTTP floor of ``planview bench``: a bare ASGI app that answers every request with one canned page.

Served by uvicorn like our app and timed by the same client on the same URLs, it shows what HTTP and
the client cost before any planview code runs (the PostGIS ceiling has no HTTP at all).
"""

import os
from pathlib import Path

BODY_FILE = "PLANVIEW_BENCH_FLOOR_BODY"  # the page's bytes, exactly as our server sent them
ENCODING = "PLANVIEW_BENCH_FLOOR_ENCODING"  # its Content-Encoding ("gzip") or empty

_body = Path(os.environ[BODY_FILE]).read_bytes() if BODY_FILE in os.environ else b"{}"
_headers = [(b"content-type", b"application/geo+json"), (b"content-length", str(len(_body)).encode())]
if os.environ.get(ENCODING):
    _headers.append((b"content-encoding", os.environ[ENCODING].encode()))


async def app(scope, receive, send) -> None:
    """Every HTTP request: 200 with the canned page; lifespan events acknowledged."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200, "headers": _headers})
    await send({"type": "http.response.body", "body": _body})
