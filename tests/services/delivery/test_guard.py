from __future__ import annotations

import ipaddress

import pytest

from services.delivery.guard import TargetPolicy, TargetRefused, address_class, check_url, parse_networks


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("172.16.5.4", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata services
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "non-global"),  # carrier-grade NAT
        ("93.184.215.14", None),
        ("2606:4700::6810:85e5", None),
        # IPv6 addresses that carry an IPv4 one are judged by it.
        ("2002:7f00:1::1", "loopback"),  # 6to4 of 127.0.0.1
        ("2002:a9fe:a9fe::1", "link-local"),  # 6to4 of 169.254.169.254
        ("2002:5db8:d70e::1", None),  # 6to4 of a public address
        ("64:ff9b::7f00:1", "loopback"),  # NAT64 of 127.0.0.1
        ("64:ff9b::a00:5", "private"),  # NAT64 of 10.0.0.5
        ("64:ff9b:1::c0a8:1", "private"),  # local-use NAT64 of 192.168.0.1
        ("64:ff9b::5db8:d70e", None),  # NAT64 of a public address (DNS64 on an IPv6-only network)
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "private"),  # Teredo
        ("::7f00:1", "reserved"),  # IPv4-compatible (deprecated)
        ("::ffff:0:7f00:1", "reserved"),  # IPv4-translated
        ("fec0::1", "site-local"),
    ],
)
def test_addresses_are_classified(address: str, kind: str | None) -> None:
    assert address_class(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/hook", "http://localhost:9/hook", "https://[::1]/hook", "http://10.0.0.5/"]
)
async def test_private_targets_are_refused_when_the_setting_is_off(url: str) -> None:
    with pytest.raises(TargetRefused, match="VIGIE_DELIVERY_ALLOW_PRIVATE_TARGETS") as refused:
        await check_url(url, TargetPolicy(allow_private=False))
    assert "address; expected a public one" in str(refused.value)


async def test_private_targets_are_accepted_when_the_setting_is_on() -> None:
    addresses = await check_url("http://localhost:9/hook", TargetPolicy(allow_private=True))
    assert any(address.is_loopback for address in addresses)


async def test_a_host_that_does_not_resolve_is_refused_with_its_name() -> None:
    with pytest.raises(TargetRefused, match="does not resolve"):
        await check_url("https://no-such-host.invalid/hook", TargetPolicy(allow_private=False))


async def test_a_policy_allows_listed_networks_and_names_its_setting() -> None:
    policy = TargetPolicy(
        allowed_networks=parse_networks(["127.0.0.1"], "networks"), setting="VIGIE_CONNECTOR_X"
    )
    assert await check_url("http://127.0.0.1:9/feed", policy)
    with pytest.raises(TargetRefused, match="VIGIE_CONNECTOR_X") as refused:
        await check_url("http://127.0.0.2:9/feed", policy)
    assert "127.0.0.2, a loopback address" in str(refused.value)
    with pytest.raises(TargetRefused, match="a loopback address"):
        await check_url("http://[2002:7f00:1::1]:9/feed", policy)
    with pytest.raises(ValueError, match=r"networks\[1\]: expected an address or network"):
        parse_networks(["10.0.0.0/8", "intranet"], "networks")
