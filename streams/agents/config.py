"""Follows `vigie.config` in the background so agents see watchlist changes without a restart."""

from __future__ import annotations

import faust

from services.runtime.config_feed import ConfigFeed
from services.runtime.kafka import CONFIG
from services.settings import Settings


def register(app: faust.App, settings: Settings) -> ConfigFeed:
    feed = ConfigFeed(settings.bootstrap, settings.topic(CONFIG), on_change=lambda _: None)

    @app.task
    async def follow_config() -> None:
        await feed.run()

    return feed
