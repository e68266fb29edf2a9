"""The local CA's certificates pass a strict verifier (OpenSSL's X509_STRICT, the default of
Python 3.13's ssl): key usage and key identifiers, a leaf that never outlives its CA."""

import contextlib
import datetime
import ssl
from pathlib import Path

from accord.tooling.local_ca import LocalCa


def test_a_strict_client_trusts_a_server_certificate_the_ca_issued(tmp_path: Path) -> None:
    ca = LocalCa.create("test CA", datetime.timedelta(days=1))
    leaf = ca.issue("localhost", "server")
    assert leaf.certificate.not_valid_after_utc <= ca.issued.certificate.not_valid_after_utc
    (tmp_path / "ca.pem").write_bytes(ca.issued.certificate_pem())
    (tmp_path / "cert.pem").write_bytes(leaf.certificate_pem())
    (tmp_path / "key.pem").write_bytes(leaf.key_pem())
    trusting = ssl.create_default_context(cafile=tmp_path / "ca.pem")
    trusting.verify_flags |= ssl.VERIFY_X509_STRICT
    serving = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    serving.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    client_in, client_out, server_in, server_out = (ssl.MemoryBIO() for _ in range(4))
    client = trusting.wrap_bio(client_in, client_out, server_hostname="localhost")
    server = serving.wrap_bio(server_in, server_out, server_side=True)
    for _ in range(10):
        for side in (client, server):
            with contextlib.suppress(ssl.SSLWantReadError):  # waiting for the other side
                side.do_handshake()
        server_in.write(client_out.read())
        client_in.write(server_out.read())
    assert client.version() == server.version() == "TLSv1.3"
