"""The wall's display token, kept across restarts of `vigie run` in `$VIGIE_DATA_DIR/wall-token`.

The database keeps only a key's hash, so the token's plaintext is kept in this file (readable by its
owner only) for the next `vigie run` to print the same wall address: a kiosk left open reconnects after a
restart instead of being refused. `vigie keys rotate-display` replaces it (and revokes the old one).
It holds a `display` key: the screens' view, nothing else.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_NAME = "wall-token"


def token_path(data_dir: Path) -> Path:
    return Path(data_dir) / FILE_NAME


def load(data_dir: Path) -> str:
    """The kept token, or "" when there is none."""
    try:
        return token_path(data_dir).read_text().strip()
    except FileNotFoundError:
        return ""


def save(data_dir: Path, token: str) -> None:
    """Keep `token`, readable and writable by this user only."""
    path = token_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(token + "\n")
    path.chmod(0o600)
