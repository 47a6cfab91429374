from __future__ import annotations

import ipaddress

import pytest

from services.delivery.guard import TargetRefused, address_class, check_url


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
    ],
)
def test_addresses_are_classified(address: str, kind: str | None) -> None:
    assert address_class(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/hook", "http://localhost:9/hook", "https://[::1]/hook", "http://10.0.0.5/"]
)
async def test_private_targets_are_refused_when_the_setting_is_off(url: str) -> None:
    with pytest.raises(TargetRefused, match="VIGIE_DELIVERY_ALLOW_PRIVATE_TARGETS") as refused:
        await check_url(url, allow_private=False)
    assert "address; expected a public one" in str(refused.value)


async def test_private_targets_are_accepted_when_the_setting_is_on() -> None:
    addresses = await check_url("http://localhost:9/hook", allow_private=True)
    assert any(address.is_loopback for address in addresses)


async def test_a_host_that_does_not_resolve_is_refused_with_its_name() -> None:
    with pytest.raises(TargetRefused, match="does not resolve"):
        await check_url("https://no-such-host.invalid/hook", allow_private=False)
