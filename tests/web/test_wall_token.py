"""A kiosk left open across restarts of `vigie run`: the wall's token is kept, and when it is refused (rotated
away) the screen says so in words instead of "Reconnecting…" forever."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
from pathlib import Path

from playwright.async_api import Browser, expect

from tests.stack import Stack, start_stack


def printed_wall_address(stack: Stack) -> str:
    """The address `vigie run` printed (it says so a moment after the api first answers ready)."""
    deadline = time.monotonic() + 30
    while not (found := re.search(r"the wall is live at (\S+)", stack.log_path.read_text(errors="replace"))):
        assert time.monotonic() < deadline, stack.log_tail()
        time.sleep(0.2)
    return found.group(1)


async def restart(stack: Stack) -> Stack:
    """Stop `vigie run` and start it again on the same data directory and api address."""
    await asyncio.to_thread(stack.stop)
    port = int(stack.base_url.rsplit(":", 1)[1])
    return await asyncio.to_thread(start_stack, stack.data_dir, api_port=port)


async def test_the_wall_keeps_its_token_across_restarts_and_says_when_it_is_refused(
    browser: Browser, tmp_path: Path
) -> None:
    stack = await asyncio.to_thread(start_stack, tmp_path / "var")
    page = await browser.new_page(viewport={"width": 1920, "height": 1080})
    try:
        address = printed_wall_address(stack)
        await page.goto(address)
        connection = page.locator('[data-testid="connection"]')
        await expect(connection).to_have_attribute("data-state", "live")

        stack = await restart(stack)
        assert printed_wall_address(stack) == address  # the same token, printed again
        await expect(connection).to_have_attribute("data-state", "live", timeout=30_000)

        rotated = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "services.runtime.cli", "keys", "rotate-display"],
            env=stack.env,
            capture_output=True,
            text=True,
            check=True,
        )
        new_address = re.search(r"the wall's new address: (\S+)", rotated.stdout)
        assert new_address and new_address.group(1) != address, rotated.stdout
        stack = await restart(stack)
        banner = page.locator('[data-testid="stale-banner"]')
        await expect(connection).to_have_attribute("data-state", "refused", timeout=30_000)
        await expect(banner).to_be_visible()
        await expect(banner).to_have_text(re.compile("key was refused: ask for a new wall address"))
        await expect(banner).to_have_attribute("data-reason", "refused")

        # The address the rotation printed is the one the restarted `vigie run` prints, and it works.
        assert printed_wall_address(stack) == new_address.group(1)
        await page.goto(new_address.group(1))
        await expect(connection).to_have_attribute("data-state", "live")
        await expect(banner).to_be_hidden()
    finally:
        await page.close()
        await asyncio.to_thread(stack.stop)
