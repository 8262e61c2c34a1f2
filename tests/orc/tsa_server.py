"""A tiny RFC 3161 timestamp authority for the tests: a real HTTP server on loopback that
answers a real TimeStampReq with a token signed (ECDSA P-256, SHA-512, signed attributes)
by a self-signed certificate made here, or refuses when told to."""

from __future__ import annotations

import datetime
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pigp.formats.orcproof import der, tsp

ECDSA_SHA512 = "1.2.840.10045.4.3.4"
CONTENT_TYPE_ATTR = "1.2.840.113549.1.9.3"
MESSAGE_DIGEST_ATTR = "1.2.840.113549.1.9.4"
SIGNING_CERTIFICATE_V2_ATTR = "1.2.840.113549.1.9.16.2.47"


def _certificate(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TSA de test pigp")])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(4242)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
        .sign(key, hashes.SHA256())
    )


@dataclass
class Authority:
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    refuse: bool = False
    serial: int = 0
    requests: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.cert = _certificate(self.key)

    def answer(self, request: bytes) -> bytes:
        self.requests.append(request)
        if self.refuse:
            return der.seq(der.seq(der.integer(2), der.seq(der.utf8("refusé pour le test"))))
        req = der.parse(request).children()
        imprint, nonce = req[1], req[2].as_int()
        self.serial += 1
        tst_info = der.seq(
            der.integer(1),
            der.oid("1.3.6.1.4.1.99999.1"),
            imprint.raw,
            der.integer(self.serial),
            der.generalized_time(datetime.datetime.now(datetime.UTC)),
            der.integer(nonce),
        )
        sha512 = der.seq(der.oid(tsp.SHA512_OID), der.null())
        cert = self.cert.public_bytes(serialization.Encoding.DER)
        attrs = [
            der.seq(
                der.oid(SIGNING_CERTIFICATE_V2_ATTR),
                der.set_of(der.seq(der.seq(der.seq(der.octets(hashlib.sha256(cert).digest()))))),
            ),
            der.seq(der.oid(CONTENT_TYPE_ATTR), der.set_of(der.oid(tsp.TST_INFO_OID))),
            der.seq(
                der.oid(MESSAGE_DIGEST_ATTR),
                der.set_of(der.octets(hashlib.sha512(tst_info).digest())),
            ),
        ]
        signed_attrs = der.set_of(*attrs)  # signed as a SET, carried as [0] IMPLICIT
        signature = self.key.sign(signed_attrs, ec.ECDSA(hashes.SHA512()))
        issuer = (
            der.parse(cert).children()[0].children()[3].raw
        )  # tbs: version, serial, alg, issuer
        signer_info = der.seq(
            der.integer(1),
            der.seq(issuer, der.integer(self.cert.serial_number)),
            sha512,
            der.tlv(0xA0, der.read_one(signed_attrs)[0].content),
            der.seq(der.oid(ECDSA_SHA512)),
            der.octets(signature),
        )
        signed_data = der.seq(
            der.integer(3),
            der.set_of(sha512),
            der.seq(der.oid(tsp.TST_INFO_OID), der.explicit(0, der.octets(tst_info))),
            der.tlv(0xA0, cert),
            der.set_of(signer_info),
        )
        token = der.seq(der.oid(tsp.SIGNED_DATA_OID), der.explicit(0, signed_data))
        return der.seq(der.seq(der.integer(0)), token)


@contextmanager
def running(authority: Authority) -> Iterator[str]:
    """Serve `authority` on loopback; yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Type") != tsp.REQUEST_MEDIA_TYPE:
                self.send_error(415)
                return
            answer = authority.answer(body)
            self.send_response(200)
            self.send_header("Content-Type", tsp.RESPONSE_MEDIA_TYPE)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
