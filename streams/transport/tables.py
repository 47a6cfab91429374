"""Faust's table manager, without the second it sleeps on every start.

`faust.tables.TableManager.on_start` sleeps 1 s before it registers the tables' changelog channels and
starts recovery, so that tables defined by agents starting at the same moment are included. Every table of
Vigie's app is defined when the app is built (streams/app.py), before it starts, so that second only
delayed every worker start, and so every broker renewal, with the wall waiting.
"""

from __future__ import annotations

from faust.tables import TableManager


class PromptTableManager(TableManager):
    async def on_start(self) -> None:
        """Faust's `on_start` minus its `sleep(1.0)` (tests/streams/test_library_internals.py checks the
        rest of its body is still these two calls)."""
        if not self.should_stop:
            await self._update_channels()
            await self.recovery.start()
