"""Where checks and webhooks may go (SECURITY.md C1–C4).

Checks must reach internal services, but only those an administrator allowed (networks and
DNS domains matched on whole labels), and never the cloud metadata service, loopback or
Relais's own database, cache, mail and directory servers. Loopback is allowed only when
MONITORING_ALLOW_LOOPBACK is on, which production refuses (tests and the demo probe local
targets).

Webhooks may reach public addresses only, checked when saved, when sent, and at every
redirect; the sender connects to the address it checked (no DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from relais.monitoring.choices import AllowKind, CheckKind

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "169.254.0.0/16",  # link-local, incl. 169.254.169.254 (AWS, GCP, Azure, OpenStack)
        "fe80::/10",
        "fd00:ec2::254/128",
        "100.100.100.200/32",  # Alibaba
        "0.0.0.0/8",
        "::/128",
        "224.0.0.0/4",
        "ff00::/8",
        "255.255.255.255/32",
    )
)


@dataclass(frozen=True)
class Target:
    host: str
    port: int | None


def _as_ip(host: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _is_loopback_name(host: str) -> bool:
    name = host.lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


def parse_target(kind: str, target: str) -> Target | None:
    """The host and port a check of `kind` would reach; ValidationError when malformed."""
    target = target.strip()
    if kind == CheckKind.HEARTBEAT:
        return None
    if not target:
        raise ValidationError({"target": _("Give the address to check.")})
    if kind == CheckKind.HTTP:
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationError({"target": _("Give an http:// or https:// address.")})
        if parts.username or parts.password:
            raise ValidationError(
                {"target": _("Put credentials in the authentication fields, not in the URL.")}
            )
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise ValidationError({"target": _("The port is not valid.")}) from exc
        return Target(parts.hostname, port)
    if kind in (CheckKind.TCP, CheckKind.TLS):
        host, sep, port_text = target.rpartition(":")
        if not sep and kind == CheckKind.TLS:
            host, port_text = target, "443"
        if not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValidationError({"target": _("Give host:port, for example vpn.example.fr:443.")})
        return Target(host.strip("[]"), int(port_text))
    if kind in (CheckKind.DNS, CheckKind.ICMP):
        if any(c in target for c in "/:@ ") and _as_ip(target) is None:
            raise ValidationError({"target": _("Give a host name only.")})
        return Target(target.strip("[]"), None)
    raise ValidationError({"kind": _("Unknown kind of check.")})


def _own_endpoints() -> set[tuple[str, int | None]]:
    """Relais's own database, cache, mail, directory and web endpoints: never probed."""
    endpoints: set[tuple[str, int | None]] = set()
    db = settings.DATABASES["default"]
    if db.get("HOST"):
        endpoints.add((str(db["HOST"]).lower(), int(db.get("PORT") or 5432)))
    for url, default_port in (
        (getattr(settings, "REDIS_URL", ""), 6379),
        (getattr(settings, "AUTH_LDAP_SERVER_URI", ""), 389),
        (settings.SITE_URL, None),
    ):
        if url:
            parts = urlsplit(url)
            if parts.hostname:
                try:
                    port = parts.port or default_port
                except ValueError:
                    port = default_port
                if port is None:
                    port = 443 if parts.scheme == "https" else 80
                endpoints.add((parts.hostname.lower(), port))
    endpoints.add((str(settings.EMAIL_HOST).lower(), int(settings.EMAIL_PORT)))
    for extra in settings.MONITORING_FORBIDDEN_ENDPOINTS:
        host, sep, port_text = extra.rpartition(":")
        if sep and port_text.isdigit():
            endpoints.add((host.lower().strip("[]"), int(port_text)))
        else:
            endpoints.add((extra.lower(), None))
    return endpoints


def _same_host(a: str, b: str) -> bool:
    """Two spellings of one host; every loopback address or name is the same host (a service
    listening on 127.0.0.1 may listen on ::1 and 127.0.0.2 too)."""
    if a == b:
        return True
    ip_a, ip_b = _as_ip(a), _as_ip(b)
    if _loopback(a, ip_a) and _loopback(b, ip_b):
        return True
    return ip_a is not None and ip_b is not None and ip_a == ip_b


def _loopback(host: str, address: IPAddress | None) -> bool:
    return address.is_loopback if address is not None else _is_loopback_name(host)


def domain_matches(host: str, domain: str) -> bool:
    """`intranet.example.fr` matches `example.fr`; `example.fr.attacker.com` does not."""
    host_labels = host.lower().rstrip(".").split(".")
    domain_labels = domain.lower().strip(".").split(".")
    return len(host_labels) >= len(domain_labels) and (
        host_labels[-len(domain_labels) :] == domain_labels
    )


def forbidden_address(address: IPAddress) -> bool:
    if any(address in network for network in METADATA_NETWORKS):
        return True
    return address.is_loopback and not settings.MONITORING_ALLOW_LOOPBACK


def _resolve(host: str) -> list[IPAddress]:
    """The addresses `host` resolves to, IPv4 first (the order of each family kept), from
    MONITORING_NAMESERVER when set, else from the system's resolver. Callers check them and
    connect to one of them: the name is never resolved a second time (no DNS rebinding)."""
    if settings.MONITORING_NAMESERVER:
        found = _resolve_with(settings.MONITORING_NAMESERVER, host)
    else:
        try:
            infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return []
        found = [str(info[4][0]) for info in infos]
    addresses: list[IPAddress] = []
    for text in found:
        address = _as_ip(text)
        if address is not None and address not in addresses:
            addresses.append(address)
    return sorted(addresses, key=lambda a: a.version)


def _resolve_with(nameserver: str, host: str) -> list[str]:
    import dns.exception
    import dns.resolver

    server, sep, port_text = nameserver.rpartition(":")
    if not sep or not port_text.isdigit():
        server, port_text = nameserver, "53"
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [server.strip("[]")]
    resolver.port = int(port_text)
    resolver.lifetime = 5
    found: list[str] = []
    for record in ("A", "AAAA"):
        try:
            answer = resolver.resolve(host, record, search=False)
        except (dns.exception.DNSException, OSError, ValueError):
            continue
        found += [rdata.to_text() for rdata in answer]
    return found


def check_target_validate(
    kind: str, target: str, allow_list: Iterable[tuple[str, str]], *, resolve: bool = True
) -> None:
    """Refuse a check target outside the allow-list or pointing at a forbidden place."""
    parsed = parse_target(kind, target)
    if parsed is None:
        return
    refused = ValidationError({"target": _("This target is not allowed for checks.")})
    host = parsed.host.lower().rstrip(".")
    for own_host, own_port in _own_endpoints():
        if _same_host(host, own_host) and (own_port is None or own_port == parsed.port):
            raise refused
    if _is_loopback_name(host):
        if not settings.MONITORING_ALLOW_LOOPBACK:
            raise refused
        return
    address = _as_ip(host)
    entries = list(allow_list)
    if address is not None:
        if forbidden_address(address):
            raise refused
        if address.is_loopback:
            return  # allowed by MONITORING_ALLOW_LOOPBACK (tests and demo only)
        for kind_, value in entries:
            if kind_ == AllowKind.CIDR and address in ipaddress.ip_network(value, strict=False):
                return
        raise refused
    if not any(kind_ == AllowKind.DOMAIN and domain_matches(host, v) for kind_, v in entries):
        raise refused
    if resolve:
        # A name allowed by the list must not lead to a forbidden address either.
        for resolved in _resolve(host):
            if forbidden_address(resolved):
                raise refused


def allow_entry_validate(kind: str, value: str) -> str:
    value = value.strip().lower()
    if kind == AllowKind.CIDR:
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError as exc:
            raise ValidationError({"value": _("Give a network such as 10.20.0.0/16.")}) from exc
        if network.prefixlen == 0 or any(
            network.overlaps(m) for m in METADATA_NETWORKS if m.version == network.version
        ):
            raise ValidationError({"value": _("This network cannot be allowed.")})
        return str(network)
    if kind == AllowKind.DOMAIN:
        labels = value.strip(".").split(".")
        if len(labels) < 2 or not all(
            label and len(label) <= 63 and label.replace("-", "").isalnum() for label in labels
        ):
            raise ValidationError({"value": _("Give a domain such as example.fr.")})
        return ".".join(labels)
    raise ValidationError({"kind": _("Unknown kind.")})


# --- Where a request may connect: every hop of a redirect chain ------------------------------


class ForbiddenDestination(Exception):
    """A destination the policy refuses (its reason in args[0])."""


class TooManyRedirects(Exception):
    pass


MAX_REDIRECTS = 3
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class Destination:
    """A validated URL and the addresses it may connect to (no second DNS answer is used:
    no DNS rebinding)."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[IPAddress, ...]

    @property
    def path(self) -> str:
        parts = urlsplit(self.url)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    @property
    def netloc(self) -> str:
        return urlsplit(self.url).netloc

    def pinned_url(self) -> str:
        """The URL with the validated address in place of the name (send `Host: netloc`)."""
        address = self.addresses[0]
        host = f"[{address}]" if address.version == 6 else str(address)
        return f"{self.scheme}://{host}:{self.port}{self.path}"


class RedirectGuard:
    """Follows at most MAX_REDIRECTS redirects; `validate` (a policy: URL → Destination, or
    ForbiddenDestination) passes every hop before anything connects to it. Webhooks validate
    the first hop too; checks trust their saved target (validated when an administrator
    saved it) and validate where it redirects, at probe time."""

    def __init__(
        self, url: str, validate: Callable[[str], Destination], *, validate_first: bool = True
    ) -> None:
        self.validate = validate
        self.url = url
        self.hops = 0
        self.destination = validate(url) if validate_first else None

    def follow(self, status: int, location: str | None) -> Destination | None:
        """The validated next hop of a response, or None when it is not a redirect."""
        if status not in REDIRECT_STATUSES or not location:
            return None
        self.hops += 1
        if self.hops > MAX_REDIRECTS:
            raise TooManyRedirects
        self.url = urljoin(self.url, location)
        self.destination = self.validate(self.url)
        return self.destination


def _url_parts(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ForbiddenDestination("scheme")
    if parts.username or parts.password:
        raise ForbiddenDestination("userinfo")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise ForbiddenDestination("port") from exc
    return parts.scheme, parts.hostname.rstrip(".").lower(), port


def public_destination(url: str) -> Destination:
    """Webhooks: every resolved address must be public; the sender connects to one of them."""
    scheme, host, port = _url_parts(url)
    literal = _as_ip(host)
    if literal is None and (host.isdigit() or host.startswith("0x") or _is_loopback_name(host)):
        raise ForbiddenDestination("host")
    addresses = [literal] if literal is not None else _resolve(host)
    if not addresses:
        raise ForbiddenDestination("unresolved")
    allow_loopback = settings.MONITORING_WEBHOOK_ALLOW_LOOPBACK
    for address in addresses:
        if address.is_loopback and allow_loopback:
            continue
        if not address.is_global or any(address in n for n in METADATA_NETWORKS):
            raise ForbiddenDestination("address")
    return Destination(url, scheme, host, port, tuple(addresses))


def check_destination(url: str, allow_list: Iterable[tuple[str, str]]) -> Destination:
    """HTTP checks: the rules of `check_target_validate` (allow-list, forbidden places), and
    every address the name resolves to must be neither forbidden nor one of Relais's own
    endpoints."""
    scheme, host, port = _url_parts(url)
    try:
        check_target_validate(CheckKind.HTTP, url, allow_list, resolve=False)
    except ValidationError as exc:
        raise ForbiddenDestination("policy") from exc
    literal = _as_ip(host)
    addresses = [literal] if literal is not None else _resolve(host)
    if not addresses:
        raise ForbiddenDestination("unresolved")
    own = _own_endpoints()
    for address in addresses:
        if forbidden_address(address) or any(
            _same_host(str(address), own_host) and own_port in (None, port)
            for own_host, own_port in own
        ):
            raise ForbiddenDestination("address")
    return Destination(url, scheme, host, port, tuple(addresses))


def webhook_url_validate(url: str) -> None:
    try:
        public_destination(url)
    except ForbiddenDestination as exc:
        raise ValidationError(
            {"target": _("Webhooks may only reach public https or http addresses.")}
        ) from exc
