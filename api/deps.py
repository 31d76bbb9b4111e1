"""FastAPI dependencies shared by the routers."""

from collections.abc import AsyncIterator

import asyncpg
from fastapi import Request


async def connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    """A pooled asyncpg connection for the duration of one request."""
    async with request.app.state.pool.acquire() as conn:
        yield conn
