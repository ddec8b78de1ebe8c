"""Where webhook deliveries may go: public addresses, and the networks the operator opens.

A subscription's URL is checked when it is made or changed (a `422` naming `url`), and again
at every delivery against the addresses its host resolves to then, since DNS can change in
between. A delivery connects to the very address that was checked (the URL's host stays in
the `Host` header and in TLS's SNI and certificate check), so a name that resolves to a public
address for the check and to an internal one a moment later gets nowhere. Redirects are never
followed: a `3xx` answer is a failed delivery.

Refused by default: loopback, private (RFC 1918, unique local), shared (100.64/10), link-local
(169.254/16 and fe80::/10, where cloud metadata services answer), multicast, unspecified and
reserved addresses, in every spelling (IPv4-mapped and NAT64 IPv6, decimal or hex IPv4), and
names that stand for them whatever DNS says (`localhost`, `*.localhost`, the metadata
service's `metadata.google.internal`). `GAZETTE_WEBHOOK_ALLOWED_NETWORKS` opens CIDRs.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

from app.settings import get_settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Names that mean an internal address, resolved here rather than asked of DNS.
_LOOPBACK = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))
_METADATA = (ipaddress.ip_address("169.254.169.254"),)
_NAMED = {"localhost": _LOOPBACK, "metadata.google.internal": _METADATA, "metadata": _METADATA}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

REFUSED = "refused by policy"


class Refused(Exception):
    """The destination is not one deliveries may reach; the message says why, without details
    of the network beyond the URL's own host."""


@dataclass(frozen=True)
class Pinned:
    """A checked request: `url` names the address to connect to, `host` and `sni` the name."""

    url: str
    host: str
    sni: str | None


def _embedded(address: IPAddress) -> list[IPAddress]:
    """The address and the IPv4 address it carries, if any (::ffff:a.b.c.d, 64:ff9b::a.b.c.d, 6to4)."""
    found: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            found.append(address.ipv4_mapped)
        if address.sixtofour is not None:
            found.append(address.sixtofour)
        if address in _NAT64:
            found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def _internal(address: IPAddress) -> bool:
    return (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
    )


def allowed(address: IPAddress) -> bool:
    """Whether a delivery may connect to `address`."""
    forms = _embedded(address)
    opened = get_settings().allowed_networks
    if any(form in network for form in forms for network in opened if form.version == network.version):
        return True
    return not any(_internal(form) for form in forms)


def _named(host: str) -> tuple[IPAddress, ...] | None:
    name = host.rstrip(".").lower()
    if name in _NAMED:
        return _NAMED[name]
    if name.endswith(".localhost"):
        return _LOOPBACK
    return None


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` stands for (a literal, a name given above, or what DNS answers);
    `Refused` when DNS has no answer."""
    bare = host.strip("[]")
    try:
        return [ipaddress.ip_address(bare)]
    except ValueError:
        pass
    named = _named(bare)
    if named is not None:
        return list(named)
    try:
        infos = socket.getaddrinfo(bare, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise Refused(f"the host {bare!r} could not be resolved") from None
    # getaddrinfo reads old IPv4 spellings (2130706433, 0x7f.1) as the address they mean.
    return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))


def check_host(host: str, port: int, *, unresolved_ok: bool) -> list[IPAddress]:
    """The addresses of `host`, every one of them allowed, or `Refused`."""
    try:
        addresses = resolve(host, port)
    except Refused:
        if unresolved_ok:
            return []
        raise
    if not addresses or not all(allowed(a) for a in addresses):
        raise Refused(
            "resolves to a loopback, private, link-local or otherwise internal address; "
            "only public addresses, or the networks in GAZETTE_WEBHOOK_ALLOWED_NETWORKS, are allowed"
        )
    return addresses


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def check_subscription(url: str) -> None:
    """A subscription's URL, as it is saved: no credentials, no internal destination. A name
    DNS cannot resolve now is accepted (the receiver may not be up yet): each delivery checks
    it again."""
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        raise Refused("must not carry credentials (user:password@): authenticate the signature instead")
    target = httpx.URL(url)
    check_host(target.raw_host.decode("ascii"), _port(target), unresolved_ok=True)


def shown(url: str) -> str:
    """`url` as the API shows it: without the credentials a subscription made before they
    were refused may hold (its deliveries are refused)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def pin(url: str) -> Pinned:
    """The request a delivery makes to `url`: its host resolved once and checked, the connection
    pinned to the first address found; `Refused` otherwise."""
    target = httpx.URL(url)
    if target.userinfo:
        raise Refused("carries credentials")
    name = target.raw_host.decode("ascii")
    address = check_host(name, _port(target), unresolved_ok=False)[0]
    host = target.netloc.decode("ascii")
    sni = name if target.scheme == "https" else None
    return Pinned(str(target.copy_with(host=str(address))), host, sni)
