"""The target guard: alerts go to the public internet, not into our own network (no SSRF through webhooks).

A target whose host resolves to a private, loopback, link-local, multicast, reserved or otherwise non-global
address is refused unless the operator allows private targets. It is checked when an endpoint is saved
(`check_url`) and again at every attempt, at connection time (`GuardedNetworkBackend`): the address
checked is the address connected to, so a DNS answer that changes in between cannot slip through.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import typing
from urllib.parse import urlsplit

import httpcore

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(Exception):
    """A target that must not be contacted (its address is not public and private targets are off)."""


def address_class(address: IPAddress) -> str | None:
    """Why `address` is not a public one ("loopback", "private", …), or None when it is global."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for name in ("loopback", "link_local", "multicast", "reserved", "unspecified", "private"):
        if getattr(address, f"is_{name}"):
            return name.replace("_", "-")
    return None if address.is_global else "non-global"


async def resolve(host: str, port: int) -> list[IPAddress]:
    """The addresses `host` resolves to (an IP literal resolves to itself); raises `TargetRefused` if none."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise TargetRefused(f"host {host!r} does not resolve: {error.strerror}") from None
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))


def refusal(host: str, addresses: list[IPAddress], allow_private: bool) -> str | None:
    """The reason to refuse `host` at these addresses, or None when every one may be contacted."""
    if allow_private:
        return None
    for address in addresses:
        kind = address_class(address)
        if kind is not None:
            return (
                f"target {host!r} resolves to {address}, a {kind} address; expected a public one "
                "(set VIGIE_DELIVERY_ALLOW_PRIVATE_TARGETS=true to allow private targets)"
            )
    return None


async def check_url(url: str, allow_private: bool) -> list[IPAddress]:
    """Check a target URL when an endpoint is saved; returns its addresses, raises `TargetRefused`."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = await resolve(host, port)
    reason = refusal(host, addresses, allow_private)
    if reason is not None:
        raise TargetRefused(reason)
    return addresses


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that resolves, checks, then connects to the checked address.

    TLS still verifies the certificate against the URL's host name: httpcore passes the origin's host as
    `server_hostname` when it starts TLS on the stream returned here.
    """

    def __init__(self, allow_private: bool, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.allow_private = allow_private
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await resolve(host, port)
        reason = refusal(host, addresses, self.allow_private)
        if reason is not None:
            raise TargetRefused(reason)
        last_error: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as error:
                last_error = error
        assert last_error is not None  # resolve() returns at least one address
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise TargetRefused(f"unix sockets are not delivery targets: {path!r}")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)
