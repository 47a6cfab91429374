"""The demo source: a generator of realistic mentions about fictional brands, with scripted episodes.

`demo_watchlists()` gives the watchlists of the demo brands; `DemoGenerator(seed).batch(now, elapsed_s)`
the mentions of the last `elapsed_s` seconds; `DemoGenerator.episodes` the ground truth of the surges.
"""

from .brands import BRANDS, Brand, demo_watchlists
from .episodes import Episode
from .generator import DemoGenerator

__all__ = ["BRANDS", "Brand", "DemoGenerator", "Episode", "demo_watchlists"]
