"""Security headers on every response (CSP with a per-request nonce), and the request body limit."""

import re
import secrets
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.settings import api_settings

NONCE_KEY = "csp_nonce"
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# JSON, GeoJSON, CSV: nothing served by the API is a document that may run scripts
API_CSP = "default-src 'none'; frame-ancestors 'self'"


def page_csp(nonce: str) -> str:
    """The policy of an HTML page: scripts only from here or carrying this response's nonce."""
    images = "'self' data: blob:"
    base = api_settings().base_tiles_url
    if base:
        parts = urlsplit(base.replace("{s}.", "x."))
        host = parts.netloc.replace("x.", "*.", 1) if "{s}." in base else parts.netloc
        images += f" {parts.scheme}://{host}"
    return (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
        f"img-src {images}; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
    )


def csp_nonce(request: Request) -> str:
    """This request's CSP nonce (set by SecurityMiddleware)."""
    return request.scope.get("state", {}).get(NONCE_KEY) or ""


_SCRIPT_TAG = re.compile(r"<script\b(?![^>]*\bnonce=)", re.IGNORECASE)


def with_nonce(request: Request, page: str) -> str:
    """Every ``<script`` of a page we generate (Folium's inline ones included) gets the nonce."""
    return _SCRIPT_TAG.sub(f'<script nonce="{csp_nonce(request)}"', page)


def _too_large(limit: int) -> tuple[Message, Message]:
    body = (
        '{"code":"PayloadTooLarge","description":"request body larger than ' + str(limit) + ' bytes"}'
    ).encode()
    start = {
        "type": "http.response.start",
        "status": 413,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    }
    return start, {"type": "http.response.body", "body": body}


class SecurityMiddleware:
    """Adds nosniff, Referrer-Policy, frame-ancestors and a CSP; refuses bodies over the limit (413)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap one HTTP request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})[NONCE_KEY] = nonce
        if scope["method"] in BODY_METHODS:
            receive = await self._limited(scope, receive, send)
            if receive is None:
                return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
                headers.setdefault("X-Frame-Options", "SAMEORIGIN")
                if "content-security-policy" not in headers:
                    html = headers.get("content-type", "").startswith("text/html")
                    headers["Content-Security-Policy"] = page_csp(nonce) if html else API_CSP
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _limited(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """Refuse a body over the limit before reading it whole; None when the 413 was sent."""
        limit = api_settings().max_body_bytes
        length = Headers(scope=scope).get("content-length")
        if length is not None:
            if not length.isdigit() or int(length) > limit:
                for message in _too_large(limit):
                    await send(message)
                return None
            return receive
        # no Content-Length (chunked): read at most limit + 1 bytes, then replay them
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return _replay([message], receive)
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > limit:
                for reply in _too_large(limit):
                    await send(reply)
                return None
            if not message.get("more_body", False):
                body = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
                return _replay([body], receive)


def _replay(messages: list[Message], upstream: Receive) -> Receive:
    pending = list(messages)

    async def receive() -> Message:
        # the buffered body first, then the server's own messages (a disconnect, when it comes)
        if pending:
            return pending.pop(0)
        return await upstream()

    return receive
