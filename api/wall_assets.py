"""The wall's and console's files, and nothing else under `web/`.

`web/` also holds the frontend's README, its unit tests and screenshots: those are for developers and are
not served. What is served: the pages, stylesheets and scripts at the top of `web/`, the scripts under
`web/js/` and the vendored libraries under `web/vendor/` (with their licences).
"""

from __future__ import annotations

import os
from pathlib import PurePosixPath

from fastapi.staticfiles import StaticFiles

#: What a browser loads: pages, scripts, stylesheets (and a vendored library's licence text).
SERVED_SUFFIXES = frozenset({".html", ".js", ".mjs", ".css"})
#: Folders whose scripts the pages import.
SERVED_FOLDERS = frozenset({"js", "vendor"})


def is_wall_asset(path: str) -> bool:
    """True for a path (relative to `web/`) the wall or the console loads; "." is the index."""
    parts = PurePosixPath(path.replace(os.sep, "/")).parts
    if not parts:  # "." : the directory itself, answered with index.html
        return True
    name = PurePosixPath(parts[-1])
    if len(parts) > 1 and parts[0] not in SERVED_FOLDERS:
        return False
    if len(parts) > 1 and parts[0] == "vendor" and name.name == "LICENSE":
        return True
    return name.suffix in SERVED_SUFFIXES


class WallAssets(StaticFiles):
    """StaticFiles that answers 404 for any file outside the wall's assets (see `is_wall_asset`)."""

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        if not is_wall_asset(path):
            return "", None
        return super().lookup_path(path)
