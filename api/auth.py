"""Who may call what: `require(scope)` checks the API key of a request (services/access/auth.py says what each
scope allows).

A key is read from `Authorization: Bearer vk_…`, or `X-API-Key: vk_…`, or, for GET requests and the
websocket only, `?token=vk_…` (a browser cannot set headers on a websocket, and the wall's address must
carry its token). Missing or unknown: 401 with `WWW-Authenticate: Bearer`; known but lacking the scope: 403
naming the scope needed. Both name the field `authorization`. A client address that sent more unknown or
revoked keys than `VIGIE_AUTH_FAILURE_BURST` (then `VIGIE_AUTH_FAILURE_RATE_PER_S`) gets 429 with
`Retry-After` for any key until its allowance refills; the key is not looked at meanwhile.

Revoking a key (`vigie keys revoke`) takes effect at its next request, and closes the websockets it opened
within `VIGIE_KEY_RECHECK_INTERVAL_S` (`watch_revocations`: one query per interval for all open sockets,
so it works across api processes sharing the database).
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.params import Depends as DependsParam
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket

from api.hub import Hub
from api.responses import FastJSONResponse
from services.access.auth import ApiKey, KeyStore, Scope
from services.access.ratelimit import RateLimiter

log = logging.getLogger(__name__)

#: Shown in /docs as the way to authorize; reading the header ourselves keeps X-API-Key and ?token= too.
bearer = HTTPBearer(auto_error=False, description="An API key (`vk_…`): `vigie keys create` or `vigie run`.")
HOW = "`Authorization: Bearer vk_…` or `X-API-Key: vk_…` (or `?token=vk_…` on GET and the websocket)"
#: Characters of a refused key repeated in the error, enough to tell which one was sent.
KEY_SHOWN_CHARS = 7


def _unauthorized(reason: str) -> HTTPException:
    return HTTPException(
        401, detail=[{"field": "authorization", "error": reason}], headers={"WWW-Authenticate": "Bearer"}
    )


def _throttled(failures: RateLimiter, wait_s: float) -> HTTPException:
    reason = (
        f"this address sent more than {failures.burst:g} unknown or revoked keys at once or "
        f"{failures.rate_per_s:g} a second on average; retry in {wait_s:.1f} s"
    )
    return HTTPException(
        429,
        detail=[{"field": "authorization", "error": reason}],
        headers={"Retry-After": str(max(1, math.ceil(wait_s)))},
    )


def presented_key(connection: HTTPConnection, allow_query: bool) -> str | None:
    """The key a request carries, from its headers or, when `allow_query`, its `?token=`."""
    authorization = connection.headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    header = connection.headers.get("x-api-key", "").strip()
    if header:
        return header
    token = connection.query_params.get("token", "").strip() if allow_query else ""
    return token or None


def authenticate(connection: HTTPConnection, scope: Scope, allow_query: bool) -> ApiKey | None:
    """The key of this request if it allows `scope`; raises 401 or 403 otherwise. None when auth is off."""
    if not connection.app.state.runtime.settings.auth_enabled:
        return None
    plaintext = presented_key(connection, allow_query)
    if plaintext is None:
        raise _unauthorized(f"expected an API key as {HOW}; got none")
    failures: RateLimiter = connection.app.state.auth_failures
    client = connection.client.host if connection.client else "unknown"
    if (wait_s := failures.wait_s(client)) > 0:
        raise _throttled(failures, wait_s)
    keys: KeyStore = connection.app.state.keys
    key = keys.verify(plaintext)
    if key is None:
        failures.take(client)
        shown = plaintext[:KEY_SHOWN_CHARS] + "…"
        raise _unauthorized(f"expected a valid API key, got {shown!r}: unknown or revoked")
    if not key.allows(scope):
        held = ", ".join(sorted(key.scopes))
        reason = f"this needs the `{scope}` scope; key {key.name!r} has {held}"
        raise HTTPException(403, detail=[{"field": "authorization", "error": reason}])
    return key


def require(scope: Scope, *, writes: Scope | None = None) -> DependsParam:
    """A dependency: GET and HEAD need `scope`; other methods need `writes` (default: `scope` too).
    The key found is kept as `request.state.api_key` (rate limits count by it)."""

    def check(
        request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
    ) -> ApiKey | None:
        reading = request.method in ("GET", "HEAD")
        needed = scope if reading or writes is None else writes
        key = authenticate(request, needed, allow_query=reading)
        request.state.api_key = key
        return key

    dependency: DependsParam = Depends(check)
    return dependency


async def admit_websocket(websocket: WebSocket, scope: Scope) -> bool:
    """Check a websocket's key before accepting it; refuse the handshake with 401 or 403 (the same JSON
    body as the REST routes) and answer False when it does not pass. The key found is kept as
    `websocket.state.api_key` (revoking it closes the socket)."""
    try:
        websocket.state.api_key = authenticate(websocket, scope, allow_query=True)
    except HTTPException as error:
        body: Any = {"detail": error.detail}
        if "websocket.http.response" in websocket.scope.get("extensions", {}):
            response = FastJSONResponse(body, status_code=error.status_code, headers=error.headers)
            await websocket.send_denial_response(response)
        else:  # a server without the denial extension: close before accepting, with 4401 or 4403
            lacking = "missing or unknown key" if error.status_code == 401 else f"needs the `{scope}` scope"
            await websocket.close(code=4000 + error.status_code, reason=lacking)
        return False
    return True


#: Websocket close code for a socket whose key was revoked ("policy violation").
CLOSE_REVOKED = 1008


async def watch_revocations(hub: Hub, keys: KeyStore, interval_s: float) -> None:
    """Until cancelled: every `interval_s`, mark the websockets whose key was revoked for closing."""
    while True:
        await asyncio.sleep(interval_s)
        open_keys = {client.key_id for client in hub.clients if client.key_id is not None}
        if not open_keys:
            continue
        try:
            revoked = await asyncio.to_thread(keys.revoked_among, open_keys)
        except SQLAlchemyError as error:
            log.warning("could not check open websockets for revoked keys (retrying): %s", error)
            continue
        if revoked and (closed := hub.revoke(revoked)):
            log.info(
                "closing %d websocket(s) whose API key was revoked (%s)", closed, ", ".join(sorted(revoked))
            )


#: Who acted, in audit records, when VIGIE_AUTH_ENABLED is false (no key to name).
UNAUTHENTICATED_ACTOR = "anyone (VIGIE_AUTH_ENABLED=false)"


def actor(request: Request) -> str:
    """Who a write is recorded as: the name of the key that made it (after `require`), which the caller
    cannot choose, unlike a name in the body (kept apart as a `note`)."""
    key: ApiKey | None = getattr(request.state, "api_key", None)
    return key.name if key is not None else UNAUTHENTICATED_ACTOR
