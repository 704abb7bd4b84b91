"""Sending a webhook without request forgery: resolve, refuse non-public addresses, connect to the
address that was checked (so DNS cannot answer differently in between), never follow a redirect.

Refused: every address that is not globally routable — loopback, private
(RFC 1918, unique-local), link-local (169.254.0.0/16 with the cloud metadata
service, fe80::/10), carrier-grade NAT, multicast, reserved, unspecified —
and IPv4 addresses dressed as IPv6 (mapped, 6to4, Teredo) by the IPv4 they
carry. ``WEBHOOKS_ALLOW_PRIVATE_ADDRESSES=true`` (development) allows them.
"""

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

TIMEOUT_SECONDS = 10
USER_AGENT = "uploads-webhooks/1.0"


class AddressRefused(Exception):
    """The URL is not one a webhook may be sent to (the message says why, for its owner)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked IP address the connection goes to


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]
    return None


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and (inner := _embedded_ipv4(ip)) is not None:
        ip = inner
    return ip.is_global and not ip.is_multicast


def resolve(url: str) -> Target:
    """Where ``url`` would be sent: its parts and one checked address; AddressRefused if it may not be."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressRefused("Use an http:// or https:// URL with a host name.")
    if parts.username or parts.password:
        raise AddressRefused("Credentials in the URL are not accepted.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise AddressRefused("The port is not valid.") from exc
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(f"The host {parts.hostname!r} does not resolve.") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    if not settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES:
        refused = [address for address in addresses if not is_public(address)]
        if refused:
            raise AddressRefused(f"The host {parts.hostname!r} resolves to a loopback, private, link-local or "
                                 f"otherwise non-public address ({refused[0]}); webhooks go to public addresses.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port, path, addresses[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.target = target

    def connect(self):
        self.sock = socket.create_connection((self.target.address, self.target.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self.target = target

    def connect(self):
        raw = socket.create_connection((self.target.address, self.target.port), self.timeout)
        # The certificate is checked against the URL's host name, the bytes go to the checked address.
        self.sock = self._context.wrap_socket(raw, server_hostname=self.target.host)


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(url: str, body: bytes, headers: dict[str, str], timeout: float = TIMEOUT_SECONDS) -> Outcome:
    """POST ``body`` to ``url`` once: the status, or why there is none. Redirects are answers, not followed."""
    try:
        target = resolve(url)
    except AddressRefused as exc:
        return Outcome(None, str(exc))
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, timeout)
    try:
        connection.request("POST", target.path, body=body, headers={
            "Content-Type": "application/json", "User-Agent": USER_AGENT, **headers})
        response = connection.getresponse()
        response.read(64 * 1024)  # enough to reuse nothing and to free the server; the body is not kept
        status = response.status
    except TimeoutError:
        return Outcome(None, f"No answer within {timeout:.0f} seconds.")
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(None, f"Could not deliver: {exc.__class__.__name__}: {exc}"[:500])
    finally:
        connection.close()
    if 300 <= status < 400:
        return Outcome(status, "Redirects are not followed; point the webhook at the final URL.")
    return Outcome(status, None if 200 <= status < 300 else f"The endpoint answered {status}.")
