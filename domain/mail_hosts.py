"""Which mail servers a connected email account may reach, once: the API's check when an account is saved and the
SMTP and IMAP connections' check before they connect both ask here.

An operator names the servers of its accounts, and the API and the worker connect to them from inside the
deployment, so a host is only a mail server on the public internet: every address it resolves to must be public
(never loopback, private, link-local — where cloud metadata lives —, shared CGNAT space, multicast, unspecified or
reserved, nor such an address wrapped in IPv6), on a mail port. An admin may allow-list hosts or networks in the
configuration (`OUTREACH_MAIL_HOST_ALLOWLIST`): an in-house mail server, or the tests' local ones, on any port.
"""

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# SMTP (relay, submission over TLS, submission, the common alternative) and IMAP (STARTTLS, TLS).
MAIL_PORTS = (25, 465, 587, 2525, 143, 993)
ALLOWLIST_SETTING = "OUTREACH_MAIL_HOST_ALLOWLIST"
_HOST_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
# IPv6 addresses that carry an IPv4 one the network may deliver to: NAT64's well-known prefix.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SHARED = ipaddress.ip_network("100.64.0.0/10")


def normalized_host(host: str) -> str:
    """A host as it is compared: lower case, without a root dot or an IPv6 literal's brackets."""
    return host.strip().lower().removesuffix(".").removeprefix("[").removesuffix("]")


def host_problem(host: str) -> str | None:
    """Why `host` is not a host name or an IP address, or None."""
    name = normalized_host(host)
    if _address(name) is not None or _HOST_NAME.match(name):
        return None
    return f"{host!r} is not a host name or an IP address"


@dataclass(frozen=True)
class Allowlist:
    """Hosts (by name) and networks (addresses, or ranges such as 10.1.2.0/24) an admin lets accounts reach."""

    names: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> "Allowlist":
        """The allow-list from its entries; raises ValueError naming one that is neither a host nor a network."""
        names, networks = set(), []
        for entry in (normalized_host(entry) for entry in entries):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                if host_problem(entry):
                    raise ValueError(f"{ALLOWLIST_SETTING}: {entry!r} is neither a host name, an address nor a "
                                     "network such as 10.1.2.0/24") from None  # fmt: skip
                names.add(entry)
        return cls(frozenset(names), tuple(networks))

    def allows(self, host: str, addresses: Sequence[str]) -> bool:
        """The host is listed by name, or it and every address it resolves to lie in a listed network."""
        if normalized_host(host) in self.names:
            return True
        found = [_address(address) for address in [normalized_host(host), *addresses]]
        listed = [address for address in found if address is not None]
        return bool(listed) and all(any(address in network for network in self.networks) for address in listed)


def address_problem(address: str) -> str | None:
    """Why a mail server may not be reached at `address`, or None when it is a public address."""
    parsed = _address(address)
    if parsed is None:
        return f"{address!r} is not an IP address"
    carried = _wrapped(parsed)
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped:
        # A mapped address is the IPv4 address itself (older Pythons call the mapping range reserved).
        carried = carried[1:]
    for inner in reversed(carried):  # what it carries first: the outer address often just looks odd
        problem = _kind(inner)
        if problem:
            return f"{address} is {problem}" if inner == parsed else f"{address} carries {inner}, {problem}"
    return None


def refusal(host: str, port: int, addresses: Sequence[str] | None, allowlist: Allowlist) -> str | None:
    """Why an account's server `host`:`port`, which resolved to `addresses`, may not be connected to, or None.
    `addresses` None: the name does not resolve (yet), and only what can be told without them is checked."""
    problem = host_problem(host)
    if problem:
        return problem
    if addresses is None:  # an address is what it says, resolved or not
        addresses = [normalized_host(host)] if _address(normalized_host(host)) else []
    if allowlist.allows(host, addresses):
        return None
    for address in addresses:
        problem = address_problem(address)
        if problem:
            return (f"{host} is not a public mail server: {problem}. Only an admin can allow-list a host in "
                    f"{ALLOWLIST_SETTING}")  # fmt: skip
    if port not in MAIL_PORTS:
        return f"port {port} is not a mail port (use one of {', '.join(map(str, MAIL_PORTS))})"
    return None


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.partition("%")[0])  # an IPv6 zone (fe80::1%eth0) names a link
    except ValueError:
        return None


def _wrapped(address: Address) -> list[Address]:
    """The address, and the IPv4 address an IPv6 one carries for delivery (mapped, 6to4, Teredo, NAT64)."""
    found: list[Address] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            found.append(address.ipv4_mapped)
        if address.sixtofour:
            found.append(address.sixtofour)
        if address.teredo:
            found.append(address.teredo[1])
        if address in _NAT64:
            found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def _kind(address: Address) -> str | None:
    """What makes an address not a public one, in an operator's words; None for a public address."""
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "a loopback address (this machine)"
    if address.is_link_local:
        return "a link-local address (where cloud metadata services live)"
    if address.is_multicast:
        return "a multicast address"
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return "in the shared address space of carrier-grade NAT"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "a reserved address"
    return None
