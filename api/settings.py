"""API settings (prefix ``PLANVIEW_``)."""

import logging
from functools import lru_cache

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class APISettings(BaseSettings):
    """How the HTTP server behaves."""

    model_config = SettingsConfigDict(env_prefix="PLANVIEW_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    pool_min_size: int = 1
    pool_max_size: int = 10
    # uvicorn worker processes of `planview serve` (each has its own pools of pool_max_size)
    workers: int = 1
    # DEBUG, INFO (one access line per request), WARNING, ERROR
    log_level: str = "INFO"
    # Optional web base map (e.g. OpenStreetMap); off by default: the page must work offline.
    base_tiles_url: str | None = None
    base_tiles_attribution: str | None = None
    # session cookie marked Secure even when the request arrived over plain http (behind a TLS proxy)
    cookie_secure: bool = False
    # largest request body accepted (413 beyond), checked before the body is read whole
    max_body_bytes: int = 2 * 1024 * 1024

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in logging.getLevelNamesMapping():
            raise ValueError(f"PLANVIEW_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR; got {value!r}")
        return value.upper()


class FeaturesSettings(BaseSettings):
    """Limits of the OGC API – Features endpoints."""

    model_config = SettingsConfigDict(env_prefix="PLANVIEW_", extra="ignore")

    default_limit: int = 100
    max_limit: int = 10_000
    # numberMatched is exact below this many rows (estimated from the planner above it)
    exact_count_threshold: int = 50_000


class PrintSettings(BaseSettings):
    """The server-side PDF printer (headless Chromium): where it is and how much of the machine it may use."""

    model_config = SettingsConfigDict(env_prefix="PLANVIEW_PRINT_", extra="ignore")

    chromium: str = "/usr/bin/chromium"
    timeout_s: float = 60.0
    # each render is one Chromium process (~150 MB); more at once only queue on a small machine
    concurrency: int = 2
    # how long a request waits for a free slot before it is told to come back (503 Retry-After)
    queue_wait_s: float = 10.0


@lru_cache
def print_settings() -> PrintSettings:
    """The process-wide print settings."""
    return PrintSettings()


@lru_cache
def api_settings() -> APISettings:
    """The process-wide API settings."""
    return APISettings()


@lru_cache
def features_settings() -> FeaturesSettings:
    """The process-wide features settings."""
    return FeaturesSettings()
