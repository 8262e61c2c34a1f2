"""Test certificates and keys for signing PES flows (tests, demo, benchmarks).

Never use these for real flows: the keys are generated on the fly and the certificates
are self-issued.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

__all__ = ["SigningMaterial", "make_certificate", "signing_material"]


@dataclass(frozen=True, slots=True)
class SigningMaterial:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate


def make_certificate(
    common_name: str = "Ordonnateur de test PIGP",
    *,
    issuer: SigningMaterial | None = None,
    ca: bool = False,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    serial: int | None = None,
    key_size: int = 2048,
) -> SigningMaterial:
    """A fresh RSA key and its certificate, self-signed unless ``issuer`` is given."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Commune de démonstration"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    not_before = not_before or dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    not_after = not_after or dt.datetime(2045, 1, 1, tzinfo=dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.cert.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    signer_key = issuer.key if issuer else key
    return SigningMaterial(key, builder.sign(signer_key, hashes.SHA256()))


@functools.lru_cache(maxsize=1)
def signing_material() -> SigningMaterial:
    """The process-wide test signer (an RSA key is slow to make: made once)."""
    return make_certificate()
