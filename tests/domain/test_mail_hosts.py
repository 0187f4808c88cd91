"""Which mail servers an account may reach: every address of a refused kind is refused, however it is written
(IPv4, IPv6, an IPv4 address carried inside IPv6), public ones on mail ports pass, and the admin's allow-list
lets in exactly what it names."""

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.mail_hosts import MAIL_PORTS, Allowlist, address_problem, refusal

NOTHING = Allowlist()
# Each kind of address no operator's mail server may have, with the words that say so.
REFUSED = {
    "127.0.0.0/8": "a loopback address",
    "10.0.0.0/8": "a private address",
    "172.16.0.0/12": "a private address",
    "192.168.0.0/16": "a private address",
    "169.254.0.0/16": "a link-local address (where cloud metadata services live)",
    "100.64.0.0/10": "in the shared address space of carrier-grade NAT",
    "224.0.0.0/4": "a multicast address",
    "240.0.0.0/4": "reserved",
    "192.0.2.0/24": "address",  # documentation: private in Python's table, never a mail server
    "::1/128": "a loopback address",
    "fe80::/10": "a link-local address",
    "fc00::/7": "a private address",
    "ff00::/8": "a multicast address",
}


def within(network: str) -> st.SearchStrategy[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    parsed = ipaddress.ip_network(network)
    return st.integers(0, parsed.num_addresses - 1).map(lambda offset: parsed[offset])


@pytest.mark.parametrize(("network", "words"), REFUSED.items())
@given(data=st.data())
def test_every_address_of_a_refused_kind_is_refused(network: str, words: str, data: st.DataObject) -> None:
    address = data.draw(within(network))
    problem = address_problem(str(address))
    assert problem is not None and words in problem
    assert refusal("mail.example.com", 587, [str(address)], NOTHING) is not None
    if isinstance(address, ipaddress.IPv4Address):
        sixtofour = f"2002:{int(address) >> 16:x}:{int(address) & 0xFFFF:x}::"
        for carrier in (f"::ffff:{address}", f"64:ff9b::{address}", sixtofour):
            carried = address_problem(carrier)
            assert carried is not None and f"carries {address}" in carried and words in carried, carrier


@pytest.mark.parametrize("address", ["0.0.0.0", "::", "169.254.169.254", "fd00:ec2::254", "255.255.255.255"])
def test_the_addresses_an_attacker_tries_first_are_refused(address: str) -> None:
    assert address_problem(address) is not None


@given(port=st.integers(1, 65_535))
def test_a_public_server_only_on_mail_ports(port: int) -> None:
    for address in ("8.8.8.8", "2001:4860:4860::8888", "::ffff:8.8.8.8"):
        problem = refusal("smtp.example.com", port, [address], NOTHING)
        assert (problem is None) == (port in MAIL_PORTS), (address, port, problem)


def test_a_host_is_refused_if_any_of_its_addresses_is() -> None:
    problem = refusal("rebind.example.com", 587, ["8.8.8.8", "127.0.0.1"], NOTHING)
    assert problem is not None and "127.0.0.1 is a loopback address" in problem


def test_a_name_that_does_not_resolve_yet_is_checked_only_for_what_it_says() -> None:
    assert refusal("mail.not-yet.example", 587, None, NOTHING) is None
    assert refusal("mail.not-yet.example", 22, None, NOTHING) is not None
    assert refusal("127.0.0.1", 25, None, NOTHING) is not None
    for written in ("mail example.com", "mail@example.com", "example.com:25", "", "a" * 300, "-bad.example.com"):
        problem = refusal(written, 587, None, NOTHING)
        assert problem is not None and "is not a host name or an IP address" in problem, written


def test_the_allow_list_lets_in_exactly_what_it_names() -> None:
    allowlist = Allowlist.parse(["Mail.Internal.", "10.1.2.0/24", "127.0.0.1", " "])
    assert refusal("mail.internal", 10_025, ["10.9.9.9"], allowlist) is None  # by name: any address, any port
    assert refusal("relay.internal", 2_525, ["10.1.2.7"], allowlist) is None  # every address in a listed network
    assert refusal("127.0.0.1", 40_000, ["127.0.0.1"], allowlist) is None
    assert refusal("relay.internal", 25, ["10.1.2.7", "10.1.3.7"], allowlist) is not None  # one outside
    assert refusal("localhost", 25, ["127.0.0.1", "::1"], allowlist) is not None
    assert refusal("other.internal", 25, ["10.9.9.9"], allowlist) is not None
    with pytest.raises(ValueError, match="OUTREACH_MAIL_HOST_ALLOWLIST: 'not a host'"):
        Allowlist.parse(["not a host"])
