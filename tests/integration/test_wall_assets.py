"""The api serves the wall's and console's files, never the rest of `web/` (README, tests, screenshots)."""

from __future__ import annotations

import httpx

from tests.stack import Stack


async def test_the_wall_and_console_load_and_developer_files_are_not_served(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as browser:
        for asset in (
            "/",
            "/index.html",
            "/console.html",
            "/app.js",
            "/styles.css",
            "/js/tiles.js",
            "/js/console/nav.js",
            "/vendor/uplot/uPlot.esm.js",
            "/vendor/uplot/LICENSE",
        ):
            answer = await browser.get(asset)
            assert answer.status_code == 200, asset
        for private in (
            "/README.md",
            "/tests/state.test.mjs",
            "/screenshots/wall-focus.png",
            "/vendor/README.md",
            "/js/../README.md",
        ):
            answer = await browser.get(private)
            assert answer.status_code == 404, private
