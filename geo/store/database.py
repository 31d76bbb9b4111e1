"""Engine and pool lifecycle only: no queries live here."""

import asyncio
import errno

import asyncpg
import orjson
from sqlalchemy import Engine, create_engine

from geo.errors import ServiceUnavailable
from geo.store.settings import DatabaseSettings, database_settings

# What a database that is down, restarting or unreachable raises on the read path (asyncpg).
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable (ConnectionError and friends); narrowed in database_unavailable
    TimeoutError,  # connect or pool-acquire timeout
    asyncpg.PostgresConnectionError,  # connection lost mid-query, the server refused us
    asyncpg.InterfaceError,  # "connection is closed", "pool is closing"
    asyncpg.CannotConnectNowError,  # starting up / shutting down (57P03)
    asyncpg.AdminShutdownError,  # terminated by the administrator (57P01)
    asyncpg.CrashShutdownError,  # the server crashed (57P02)
    asyncpg.TooManyConnectionsError,  # max_connections reached (53300)
    # a connection the server dropped mid-operation, reused before asyncpg noticed; narrowed below
    asyncpg.InternalClientError,
)
_NETWORK_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.ETIMEDOUT,
    errno.EPIPE,
}
RETRY_AFTER_S = 5


def database_unavailable(exc: BaseException) -> ServiceUnavailable | None:
    """The typed 503 for an error that means "the database cannot be reached"; None for any other error.

    The one place that decides it; the API maps the result to 503 with Retry-After.
    """
    if not isinstance(exc, CONNECTION_ERRORS):
        return None
    if isinstance(exc, OSError) and not isinstance(exc, ConnectionError | TimeoutError):
        # asyncpg joins the errors of several addresses into one OSError without an errno
        if exc.errno not in _NETWORK_ERRNOS and not (exc.errno is None and "connect" in str(exc).lower()):
            return None
    if isinstance(exc, asyncpg.InterfaceError) and not ("closed" in str(exc) or "closing" in str(exc)):
        return None
    if isinstance(exc, asyncpg.InternalClientError) and "another operation" not in str(exc):
        return None
    what = str(exc) or type(exc).__name__
    return ServiceUnavailable(f"the database is unavailable ({what}); try again shortly", RETRY_AFTER_S)


class Pool:
    """asyncpg's pool behind a first-come, first-served gate, with a bounded wait for a connection.

    The gate: asyncpg waits for a free connection on an ``asyncio.Queue``, whose woken waiter loses the
    connection to any request arriving in the same moment and goes back to the END of the line. Under
    load some requests then waited many turns (bench --load: p50 87 ms but p95 523 ms inside the app).
    A semaphore of the pool's size hands out turns in the order they were asked for (a newcomer queues
    behind any waiter; tests/geo/test_session_state.py checks it), and whoever holds a turn finds a
    free connection at once. The bound: a database that is
    down fails fast with TimeoutError. Everything else is asyncpg's own pool (a dead connection is
    replaced on its next acquire, so the pool recovers by itself once the database is back).
    """

    def __init__(self, pool: asyncpg.Pool, acquire_timeout: float, size: int):
        self.pool = pool
        self.acquire_timeout = acquire_timeout
        self._turns = asyncio.Semaphore(size)

    def acquire(self, *, timeout: float | None = None) -> "_Acquired":
        """A pooled connection (``async with``); TimeoutError after ``acquire_timeout`` seconds."""
        return _Acquired(self, self.acquire_timeout if timeout is None else timeout)

    def __getattr__(self, name: str):
        return getattr(self.pool, name)


class _Acquired:
    """``async with pool.acquire()``: wait for a turn, take a connection, give both back in order."""

    __slots__ = ("_pool", "_timeout", "_conn")

    def __init__(self, pool: Pool, timeout: float):
        self._pool, self._timeout, self._conn = pool, timeout, None

    async def __aenter__(self) -> asyncpg.Connection:
        turns = self._pool._turns
        # one deadline for the turn and the connection (a connect to a database that is down included);
        # asyncio.timeout makes no task, unlike the wait_for asyncpg runs when given a timeout
        async with asyncio.timeout(self._timeout):
            await turns.acquire()
            try:
                self._conn = await self._pool.pool.acquire()
            except BaseException:
                turns.release()
                raise
        return self._conn

    async def __aexit__(self, *exc_info) -> None:
        try:
            await self._pool.pool.release(self._conn)
        finally:
            # the connection is back in asyncpg's queue before the next in line is let in
            self._pool._turns.release()


def make_engine(settings: DatabaseSettings | None = None) -> Engine:
    """A synchronous SQLAlchemy engine (migrations, loading, importing, edits from the CLI)."""
    settings = settings or database_settings()
    return create_engine(settings.sqlalchemy_url, pool_pre_ping=True, future=True)


class PooledConnection(asyncpg.Connection):
    """A pool connection released without asyncpg's reset statement (one round trip per request saved).

    asyncpg sends ``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`` on every release to
    undo session state. Planview's pool code keeps none: settings are ``SET LOCAL``, advisory locks are
    ``pg_advisory_xact_lock``, cursors live in transactions, nothing LISTENs
    (``tests/geo/test_session_state.py`` checks the code for exceptions). An open transaction is still
    rolled back on release by asyncpg itself.
    """

    def get_reset_query(self) -> str:
        """Nothing to reset (see the class docstring)."""
        return ""


async def _init_connection(conn: asyncpg.Connection) -> None:
    # json/jsonb decoded with orjson: the read path never round-trips through the stdlib json.
    for typ in ("json", "jsonb"):
        await conn.set_type_codec(
            typ,
            encoder=lambda v: orjson.dumps(v).decode(),
            decoder=orjson.loads,
            schema="pg_catalog",
        )


async def create_pool(
    settings: DatabaseSettings | None = None, min_size: int = 1, max_size: int = 10, url: str | None = None
) -> Pool:
    """An asyncpg pool for the HTTP path (on ``url``, default the primary), with time limits."""
    settings = settings or database_settings()
    pool = await asyncpg.create_pool(
        url or settings.url,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        connection_class=PooledConnection,
        max_inactive_connection_lifetime=300,
        timeout=settings.db_connect_timeout,
        command_timeout=settings.db_command_timeout,
    )
    return Pool(pool, settings.pool_acquire_timeout, max_size)
