"""The outbound guard with real sockets on 127.0.0.1 (no network, no respx: respx answers before a
connection is opened, so it would hide the guard)."""

import datetime
import ipaddress
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pulse.core.outbound import OutboundPolicy, OutboundRefused, address_refusal, outbound_client

PRODUCTION = OutboundPolicy()  # nothing allow-listed, loopback refused


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.seen.append({"host": self.headers["Host"], "authorization": self.headers.get("authorization")})
        if self.server.redirect_to:
            self.send_response(302)
            self.send_header("Location", self.server.redirect_to)
            self.end_headers()
            return
        body = json.dumps({"object": "list", "data": [{"id": "m1", "object": "model", "created": 0, "owned_by": "x"}]})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


def _serve(redirect_to: str | None = None, tls: ssl.SSLContext | None = None) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.seen, server.redirect_to, server.last_sni = [], redirect_to, None
    if tls is not None:
        tls.sni_callback = lambda sock, name, ctx: setattr(server, "last_sni", name)
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def server():
    running = _serve()
    yield running
    running.shutdown()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.0.1",
        "169.254.169.254",
        "100.100.100.200",
        "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
        "224.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fd00:ec2::254",
        "::ffff:127.0.0.1",
        "::7f00:1",
        "64:ff9b::a9fe:a9fe",
        "2002:a9fe:a9fe::",
        "2001:db8::1",
    ],
)
def test_non_public_addresses_are_refused(address):
    assert address_refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700::1111", "64:ff9b::808:808"])
def test_public_addresses_pass(address):
    assert address_refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "2130706433", "127.1", "[::ffff:127.0.0.1]"])
def test_a_loopback_server_is_refused_in_production_under_any_name(server, host):
    with outbound_client(policy=PRODUCTION, timeout=2) as http, pytest.raises(OutboundRefused):
        http.get(f"http://{host}:{server.server_address[1]}/v1/models")
    assert server.seen == []


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/latest/meta-data/", "http://metadata.google.internal/", "http://[fd00:ec2::254]/"]
)
def test_metadata_services_are_refused_without_a_lookup_reaching_them(url):
    with outbound_client(policy=PRODUCTION, timeout=2) as http, pytest.raises(OutboundRefused):
        http.get(url)


def test_an_allow_listed_host_port_is_reached_and_only_that_name(server):
    port = server.server_address[1]
    policy = OutboundPolicy.from_entries([f"127.0.0.1:{port}"])
    with outbound_client(policy=policy, timeout=2) as http:
        assert http.get(f"http://127.0.0.1:{port}/v1/models").status_code == 200
        with pytest.raises(OutboundRefused):
            http.get(f"http://localhost:{port}/")


def test_local_mode_allows_loopback_but_not_metadata(server):
    with outbound_client(policy=OutboundPolicy(allow_loopback=True), timeout=2) as http:
        assert http.get(f"http://localhost:{server.server_address[1]}/").status_code == 200
        with pytest.raises(OutboundRefused):
            http.get("http://169.254.169.254/")


def test_a_redirect_to_a_refused_address_is_not_followed(server):
    front = _serve(redirect_to=f"http://localhost:{server.server_address[1]}/")
    policy = OutboundPolicy.from_entries([f"127.0.0.1:{front.server_address[1]}"])
    try:
        with outbound_client(policy=policy, timeout=2) as http:
            assert http.get(f"http://127.0.0.1:{front.server_address[1]}/").status_code == 302  # not followed
        with outbound_client(policy=policy, timeout=2, follow_redirects=True) as http, pytest.raises(OutboundRefused):
            http.get(f"http://127.0.0.1:{front.server_address[1]}/")
        assert server.seen == []
    finally:
        front.shutdown()


def test_dns_rebinding_is_checked_at_connect_time(server):
    answers = iter([["93.184.215.14"], ["127.0.0.1"]])  # public when saved, loopback when connecting
    policy = OutboundPolicy(resolve=lambda host, port: next(answers))
    policy.admit("rebind.test", 80)
    with outbound_client(policy=policy, timeout=2) as http, pytest.raises(OutboundRefused):
        http.get(f"http://rebind.test:{server.server_address[1]}/")
    assert server.seen == []


def _certificate(name: str) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), pem_key


def test_tls_still_checks_the_certificate_and_sends_sni_and_host_for_the_name(tmp_path):
    cert, key = _certificate("pulse-sni.test")  # no IP in the certificate: only the name can verify it
    (tmp_path / "c.pem").write_bytes(cert)
    (tmp_path / "k.pem").write_bytes(key)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    tls_server = _serve(tls=server_tls)
    port = tls_server.server_address[1]
    policy = OutboundPolicy.from_entries([f"pulse-sni.test:{port}"], resolve=lambda host, p: ["127.0.0.1"])
    try:
        with outbound_client(policy=policy, verify=ssl.create_default_context(cafile=tmp_path / "c.pem")) as http:
            assert http.get(f"https://pulse-sni.test:{port}/").status_code == 200
        assert tls_server.seen[0]["host"] == f"pulse-sni.test:{port}" and tls_server.last_sni == "pulse-sni.test"
    finally:
        tls_server.shutdown()


def test_an_environment_proxy_is_ignored(server, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    policy = OutboundPolicy.from_entries([f"127.0.0.1:{server.server_address[1]}"])
    with outbound_client(policy=policy, timeout=2) as http:
        assert http.get(f"http://127.0.0.1:{server.server_address[1]}/").status_code == 200


def test_a_refusal_is_an_httpx_error_and_permanent():
    with outbound_client(policy=PRODUCTION, timeout=2) as http, pytest.raises(httpx.HTTPError) as caught:
        http.get("http://127.0.0.1:9/")
    assert isinstance(caught.value, OutboundRefused) and caught.value.permanent
