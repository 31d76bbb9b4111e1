"""The interactive API documentation at /docs from the vendored Swagger UI (no CDN, no inline script)."""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["pages"])

DOCS_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>planview API</title>
<link rel="icon" type="image/png" href="/static/vendor/swagger-ui-dist/favicon-32x32.png">
<link rel="stylesheet" href="/static/vendor/swagger-ui-dist/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="/openapi.json"></div>
<script src="/static/vendor/swagger-ui-dist/swagger-ui-bundle.js"></script>
<script src="/static/js/docs.js"></script>
</body>
</html>
"""


@router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
async def docs() -> HTMLResponse:
    """Swagger UI over this server's OpenAPI document."""
    return HTMLResponse(DOCS_HTML, headers={"Cache-Control": "no-cache"})
