"""The catalog cache follows data areas: a write refreshes only what it affects; readers never wait."""

import asyncio

import asyncpg

from geo.serve.catalog import CatalogCache


async def _bump(conn: asyncpg.Connection, areas: list[str], note: str) -> None:
    from geo.store.versions import bump_async

    async with conn.transaction():
        await bump_async(conn, areas, note)


def test_a_project_edit_refreshes_only_the_project_collections_without_holding_readers(database_url):
    async def scenario():
        pool = await asyncpg.create_pool(database_url, min_size=3, max_size=4)
        cache = CatalogCache(pool=pool)
        try:
            async with pool.acquire() as conn:
                first = await cache.get(conn)
            builds = cache.refreshes
            blocker = await asyncpg.connect(database_url)
            writer = await asyncpg.connect(database_url)
            try:
                await _bump(writer, ["projects"], "test: a status change")
                # the refresh task will need the project table: hold it so the refresh cannot finish
                tx = blocker.transaction()
                await tx.start()
                await blocker.execute("LOCK TABLE project IN ACCESS EXCLUSIVE MODE")
                async with pool.acquire() as conn:
                    # readers get the old snapshot at once, with the new versions for their ETags
                    during = await asyncio.wait_for(cache.get(conn), 10)
                    again = await asyncio.wait_for(cache.get(conn), 10)
                assert during.collections is first.collections and again.collections is first.collections
                assert during.versions["projects"] > first.versions["projects"]
                assert cache.refreshes == builds  # still waiting on the lock
                await tx.rollback()
                await asyncio.wait_for(cache._refresh, 10)
            finally:
                await blocker.close()
                await writer.close()
            async with pool.acquire() as conn:
                after = await cache.get(conn)
            assert cache.refreshes == builds + 1
            for untouched in ("communes", "districts", "zones", "settlements", "industrial_zones"):
                assert after.collections[untouched] is first.collections[untouched], untouched
            for refreshed in ("projects", "priority_projects"):
                assert after.collections[refreshed] is not first.collections[refreshed], refreshed
            assert after.collections_version([after.collections["communes"]]) == first.collections_version(
                [first.collections["communes"]]
            )
            assert after.collections_version([after.collections["projects"]]) > first.collections_version(
                [first.collections["projects"]]
            )
        finally:
            await pool.close()

    asyncio.run(scenario())


def test_current_serves_the_snapshot_under_new_contents_and_refuses_a_new_structure(database_url):
    from geo.store.versions import area_versions

    async def scenario():
        pool = await asyncpg.create_pool(database_url, min_size=2, max_size=3)
        cache = CatalogCache(pool=pool)
        try:
            assert cache.snapshot() is None and cache.current({}) is None
            async with pool.acquire() as conn:
                first = await cache.get(conn)
                assert cache.current(await area_versions(conn)).collections is first.collections
                builds = cache.refreshes
                await _bump(conn, ["zones"], "test: a zone's contents")
                moved = cache.current(await area_versions(conn))
                # the old snapshot at once, under the new versions; a refresh started behind it
                assert moved.collections is first.collections
                assert moved.versions["zones"] > first.versions.get("zones", 0)
                await asyncio.wait_for(cache._refresh, 10)
                assert cache.refreshes == builds + 1
                await _bump(conn, ["plan_layers"], "test: a layer's columns")
                assert cache.current(await area_versions(conn)) is None  # the caller asks get()
                after = await cache.get(conn)
                assert cache.current(await area_versions(conn)).versions == after.versions
        finally:
            await pool.close()

    asyncio.run(scenario())


def test_a_page_reads_the_versions_of_its_etag_in_its_own_statement(database_url):
    from geo.serve.features import ItemsQuery, current_items_page, items_page
    from geo.store.versions import area_versions

    async def scenario():
        pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
        cache = CatalogCache(pool=pool)
        try:
            # a bare pool (no JSON codec): the versions still come back as numbers
            async with pool.acquire() as conn:
                assert await current_items_page(conn, cache, "districts", ItemsQuery(limit=2)) is None
                catalog = await cache.get(conn)
                page = await items_page(
                    conn, catalog.get("districts"), ItemsQuery(limit=2), with_versions=True
                )
                assert page.versions == await area_versions(conn) and page.number_returned == 2
                found = await current_items_page(conn, cache, "districts", ItemsQuery(limit=2))
                assert found is not None
                now, collection, again = found
                assert collection.id == "districts" and now.versions == page.versions
                assert again.features == page.features
        finally:
            await pool.close()

    asyncio.run(scenario())


def test_readers_of_a_new_layer_structure_refresh_it_even_when_they_hold_every_connection(database_url):
    # after an import every reader waits for the new structure; refreshed from the pool, the refresh
    # waited for a connection the waiting readers held, and the whole API stopped until the pool timeout
    from geo.store.database import create_pool

    async def scenario():
        pool = await create_pool(url=database_url, min_size=2, max_size=2)
        pool.acquire_timeout = 10
        cache = CatalogCache(pool=pool)
        try:
            async with pool.acquire() as conn:
                first = await cache.get(conn)
                await _bump(conn, ["catalog", "plan_layers"], "test: an import")

            async def reader():
                async with pool.acquire() as conn:
                    return await cache.get(conn)

            seen = await asyncio.wait_for(asyncio.gather(reader(), reader()), 5)
        finally:
            await pool.close()
        return first, seen

    first, seen = asyncio.run(scenario())
    for catalog in seen:
        assert catalog.versions["catalog"] > first.versions["catalog"]
        assert catalog.collections is not first.collections
