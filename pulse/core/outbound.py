"""Outbound HTTP to URLs that tenants typed (AI providers, Jira, GitHub, gateways) cannot reach the
server's own network: the SSRF guard.

The check runs in httpcore's NetworkBackend.connect_tcp, the one place every connection is opened
(first request, redirect hop, pool refill). The name is resolved once, every answer is checked and
the socket connects to the checked IP, so a DNS answer that changes between a check and the
connect (rebinding) cannot slip through; TLS SNI, certificate checks and the Host header still use
the URL's hostname because httpcore passes those separately.

Refused: loopback, private, link-local (cloud metadata), multicast, unspecified, reserved and
shared addresses, IPv4 inside IPv6, and the metadata host names, unless `host:port` is in
`PULSE_OUTBOUND_ALLOWLIST` (a llama.cpp or Ollama server on the private network). Local mode
(`make run`) also allows loopback by default (`PULSE_OUTBOUND_ALLOW_LOOPBACK`), so a model server
on the same machine works there. A pool we own, rather than a library: the packages on PyPI are
requests-only, async-only or very young (see the README's security section).
"""

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import httpcore
import httpx
from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog", "metadata"})
_GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
DEFAULT_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=5)


class OutboundRefused(httpx.ConnectError):
    """The destination is not a public address and not allow-listed. Permanent: never retry.

    A subclass of httpx.ConnectError so any existing `except httpx.HTTPError` still catches it
    (no 500 if a caller forgets); callers that classify errors check for it first."""

    permanent = True


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if any(address in net for net in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_refusal(address: IPAddress) -> str | None:
    """Why `address` may not be reached, or None if it is a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        address = address.__class__(address.compressed.split("%")[0])  # drop a scope id
        inner = _embedded_ipv4(address)
        if inner is not None:
            return address_refusal(inner)
        if address not in _GLOBAL_UNICAST_V6:  # catches ::a.b.c.d (IPv4-compatible), which is_global misses
            return "a reserved address"
    for test, label in (
        ("is_loopback", "a loopback address"),
        ("is_unspecified", "an unspecified address"),
        ("is_link_local", "a link-local address (cloud metadata lives there)"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
    ):
        if getattr(address, test):
            return label
    if not address.is_global:  # 100.64/10 shared space (Alibaba metadata 100.100.100.200), etc.
        return "a non-public address"
    return None


def _system_resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def _norm_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


@dataclass(frozen=True)
class OutboundPolicy:
    """`allow`: "host:port" entries reachable whatever they resolve to (a local Ollama, a gateway
    on the private network). `allow_loopback`: local mode's default, so `make run` can reach a
    llama.cpp server on 127.0.0.1. `resolve` is injectable for tests."""

    allow: frozenset[str] = frozenset()
    allow_loopback: bool = False
    resolve: Callable[[str, int], list[str]] = field(default=_system_resolve, compare=False)

    @classmethod
    def from_settings(cls) -> "OutboundPolicy":
        """Read at connect time, so a settings change (or a test's override) applies at once."""
        return cls.from_entries(
            settings.PULSE_OUTBOUND_ALLOWLIST, allow_loopback=settings.PULSE_OUTBOUND_ALLOW_LOOPBACK
        )

    @classmethod
    def from_entries(cls, entries: Iterable[str], **kwargs) -> "OutboundPolicy":
        allow = set()
        for entry in entries:
            host, _, port = entry.strip().rpartition(":")
            allow.add(f"{_norm_host(host)}:{int(port)}")
        return cls(allow=frozenset(allow), **kwargs)

    def admit(self, host: str, port: int) -> str:
        """Resolve `host` once and return the one IP to connect to, or raise OutboundRefused."""
        name = _norm_host(host)
        allowed = f"{name}:{port}" in self.allow
        if name in METADATA_HOSTS and not allowed:
            raise OutboundRefused(f"{host}:{port} is a cloud metadata service")
        try:
            answers = self.resolve(name, port)
        except OSError:
            raise httpx.ConnectError(f"could not resolve {host}") from None
        if not answers:
            raise httpx.ConnectError(f"could not resolve {host}")
        if allowed:
            return answers[0]
        for answer in answers:  # any bad answer refuses the name: a split answer is a rebinding tell
            reason = address_refusal(ipaddress.ip_address(answer.split("%")[0]))
            if reason and not (self.allow_loopback and ipaddress.ip_address(answer.split("%")[0]).is_loopback):
                # The resolved address is not echoed: it would turn refusals into a DNS oracle.
                raise OutboundRefused(
                    f"{host}:{port} resolves to {reason}; an operator can allow it with "
                    f"PULSE_OUTBOUND_ALLOWLIST={name}:{port}"
                )
        return answers[0]


def url_refusal(url: str, policy: OutboundPolicy | None = None) -> str | None:
    """Why `url` can never be reached under the policy, judged without a DNS lookup (a literal
    address, `localhost`, a metadata name), for a clear 400 when it is saved. The connect-time
    check stays the real control: a name that resolves inward is refused when it is used."""
    policy = policy or OutboundPolicy.from_settings()
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return "it is not a URL"
    name = _norm_host(parsed.host or "")
    port = parsed.port or {"http": 80, "https": 443}.get(parsed.scheme, 0)
    if f"{name}:{port}" in policy.allow:
        return None
    if name in METADATA_HOSTS:
        return "it names a cloud metadata service"
    if name == "localhost" or name.endswith(".localhost"):
        return None if policy.allow_loopback else "it names this server (localhost)"
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return None  # a name: checked when it is resolved, at connect time
    reason = address_refusal(address)
    if reason is None or (policy.allow_loopback and address.is_loopback):
        return None
    return f"it is {reason}"


class GuardedBackend(httpcore.NetworkBackend):
    def __init__(self, policy: OutboundPolicy | None = None, backend: httpcore.NetworkBackend | None = None) -> None:
        self.policy = policy  # None: the settings' policy, read at each connect
        self.backend = backend or httpcore.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        host = host.decode() if isinstance(host, bytes) else host
        address = (self.policy or OutboundPolicy.from_settings()).admit(host, port)
        # A numeric host: create_connection does no second lookup, so we connect to what we checked.
        return self.backend.connect_tcp(
            address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )

    def connect_unix_socket(self, *args, **kwargs):
        raise OutboundRefused("unix sockets are not an outbound destination")

    def sleep(self, seconds: float) -> None:
        self.backend.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx.HTTPTransport whose pool opens connections through GuardedBackend. No proxy, no uds:
    a proxy resolves the target itself, past the guard."""

    def __init__(
        self,
        policy: OutboundPolicy | None = None,
        *,
        verify=True,
        http2: bool = False,
        limits: httpx.Limits = DEFAULT_LIMITS,
    ) -> None:
        super().__init__(verify=verify, http2=http2, limits=limits, trust_env=False)
        ssl_context = self._pool._ssl_context
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=http2,
            network_backend=GuardedBackend(policy),
        )


def outbound_client(*, policy: OutboundPolicy | None = None, verify=True, **kwargs) -> httpx.Client:
    """An httpx.Client for tenant-supplied URLs. Redirects are off: an API that redirects is
    misconfigured, and httpx keeps custom auth headers (x-api-key, api-key) across hosts."""
    kwargs.setdefault("follow_redirects", False)
    return httpx.Client(transport=GuardedTransport(policy, verify=verify), trust_env=False, **kwargs)
