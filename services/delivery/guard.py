"""The target guard: Vigie calls out to the public internet, not into its own network (no SSRF).

Alert deliveries (webhooks, Slack, PagerDuty) and connectors (RSS, Bluesky, Mastodon) pass through it. A
target whose host resolves to a private, loopback, link-local, site-local, multicast, reserved or otherwise
non-global address is refused unless its `TargetPolicy` allows it: every private address (the operator's
`VIGIE_DELIVERY_ALLOW_PRIVATE_TARGETS`, `VIGIE_CONNECTOR_ALLOW_PRIVATE_TARGETS`) or those of listed networks
(`VIGIE_CONNECTOR_ALLOWED_NETWORKS`). IPv6 addresses that carry an IPv4 address (IPv4-mapped `::ffff:0:0/96`,
6to4 `2002::/16`, NAT64 `64:ff9b::/96` and `64:ff9b:1::/48`) are judged by the IPv4 address inside; Teredo
and the deprecated IPv4-compatible form are refused as non-global. It is checked when a target is saved
(`check_url`) and again at every connection, redirects included (`GuardedNetworkBackend` for HTTP,
`guarded_websocket` for websockets): the address checked is the address connected to, so a DNS answer
that changes in between cannot slip through. A refusal is decided before any packet is sent to the
target, so its message cannot tell which internal ports answer.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import typing
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpcore
import httpx
import websockets.asyncio.client

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: IPv6 prefixes whose last 32 bits are an IPv4 address a translator connects to (RFC 6052, RFC 8215).
NAT64_NETWORKS = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
DELIVERY_SETTING = "VIGIE_DELIVERY_ALLOW_PRIVATE_TARGETS"


class TargetRefused(Exception):
    """A target that must not be contacted (its address is not public and its policy does not allow it)."""


@dataclass(frozen=True)
class TargetPolicy:
    """Which non-public addresses may be contacted: all of them (`allow_private`) or those in
    `allowed_networks`. `setting` is what a refusal tells the operator to change."""

    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()
    setting: str = DELIVERY_SETTING

    def allows(self, address: IPAddress) -> bool:
        return self.allow_private or any(address in network for network in self.allowed_networks)


def parse_networks(texts: typing.Iterable[str], field: str) -> tuple[IPNetwork, ...]:
    """`["10.1.0.0/16", "127.0.0.1"]` as networks; raises ValueError naming `field` and the bad entry."""
    networks = []
    for index, text in enumerate(texts):
        try:
            networks.append(ipaddress.ip_network(text.strip(), strict=False))
        except ValueError:
            raise ValueError(
                f"{field}[{index}]: expected an address or network like 10.1.0.0/16, got {text!r}"
            ) from None
    return tuple(networks)


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries and would reach (mapped, 6to4, NAT64), or None."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in network for network in NAT64_NETWORKS):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _own_class(address: IPAddress) -> str | None:
    for name in ("loopback", "link_local", "site_local", "multicast", "reserved", "unspecified", "private"):
        if getattr(address, f"is_{name}", False):
            return name.replace("_", "-")
    return None if address.is_global else "non-global"


def address_class(address: IPAddress) -> str | None:
    """Why `address` is not a public one ("loopback", "private", …), or None when it is global. An IPv6
    address carrying an IPv4 one is as public as that IPv4 address."""
    inner = embedded_ipv4(address)
    if inner is not None:
        return _own_class(inner)
    return _own_class(address)


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


def refusal(host: str, addresses: list[IPAddress], policy: TargetPolicy) -> str | None:
    """The reason to refuse `host` at these addresses, or None when every one may be contacted."""
    for address in addresses:
        kind = address_class(address)
        if kind is not None and not policy.allows(address):
            return (
                f"target {host!r} resolves to {address}, a {kind} address; expected a public one "
                f"(set {policy.setting}=true to allow private targets)"
            )
    return None


async def checked_addresses(host: str, port: int, policy: TargetPolicy) -> list[IPAddress]:
    """Resolve `host` once and check every address; raises `TargetRefused` before anything is sent."""
    addresses = await resolve(host, port)
    reason = refusal(host, addresses, policy)
    if reason is not None:
        raise TargetRefused(reason)
    return addresses


def default_port(scheme: str) -> int:
    return 443 if scheme in ("https", "wss") else 80


async def check_url(url: str, policy: TargetPolicy) -> list[IPAddress]:
    """Check a target URL when it is saved; returns its addresses, raises `TargetRefused`."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host:
        raise TargetRefused(f"expected a URL with a host, got {url!r}")
    return await checked_addresses(host, parts.port or default_port(parts.scheme), policy)


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that resolves, checks, then connects to the checked address.

    TLS still verifies the certificate against the URL's host name: httpcore passes the origin's host as
    `server_hostname` when it starts TLS on the stream returned here.
    """

    def __init__(self, policy: TargetPolicy, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.policy = policy
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await checked_addresses(host, port, self.policy)
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
        raise TargetRefused(f"unix sockets are not targets: {path!r}")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


#: Redirects an HTTP client of the guard follows at most (each hop is checked before it is connected to).
MAX_REDIRECTS = 5


def guarded_http_client(
    policy: TargetPolicy,
    timeout: float | httpx.Timeout,
    *,
    concurrency: int = 10,
    follow_redirects: bool = False,
    **options: typing.Any,
) -> httpx.AsyncClient:
    """An HTTP client whose every connection, redirects included, is checked by the guard. Proxies from
    the environment are not used (the guard would check the proxy, not the target)."""
    transport = httpx.AsyncHTTPTransport(
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    )
    # httpx does not take a network backend; its pool does. Same pool, guarded connections.
    transport._pool._network_backend = GuardedNetworkBackend(policy)
    return httpx.AsyncClient(
        transport=transport,
        timeout=timeout,
        follow_redirects=follow_redirects,
        max_redirects=MAX_REDIRECTS,
        trust_env=False,
        **options,
    )


class guarded_websocket(websockets.asyncio.client.connect):
    """`websockets.connect` through the guard: every hop (the first and each redirect) is resolved once,
    checked, and connected to at the checked address; TLS still verifies the URI's host name. No proxy."""

    def __init__(self, uri: str, *, policy: TargetPolicy, **options: typing.Any) -> None:
        super().__init__(uri, proxy=None, **options)
        self.policy = policy

    async def open_tcp_connection(self) -> websockets.asyncio.client.ClientConnection:
        host, port = self.ws_uri.host, self.ws_uri.port
        addresses = await checked_addresses(host, port, self.policy)
        options = self.create_connection_kwargs
        last_error: OSError | None = None
        try:
            for address in addresses:
                # Set for this connection only: websockets refuses cross-origin redirects when they stay.
                self.create_connection_kwargs = {**options, "host": str(address), "port": port}
                try:
                    return await super().open_tcp_connection()
                except OSError as error:
                    last_error = error
        finally:
            self.create_connection_kwargs = options
        assert last_error is not None  # resolve() returns at least one address
        raise last_error
