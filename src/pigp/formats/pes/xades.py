"""XAdES-BES for PES: building Hélios-style signatures and checking their cryptography.

The Hélios profile is narrow: exclusive C14N of SignedInfo, RSA (SHA-1 in old flows,
SHA-256 now), two references by Id (the signed element, enveloped-signature + exclusive
C14N, and the XAdES SignedProperties, exclusive C14N). ``core_verify`` checks signatures
of that profile directly with lxml's C14N and ``cryptography`` (one canonicalization
per reference, which matters for bordereaux of thousands of pièces) and hands anything
else to signxml, the general XMLDSig engine. Tests run both engines on the same inputs.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
from collections.abc import Callable
from copy import deepcopy

from cryptography import x509
from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from signxml import DigestAlgorithm, SignatureConfiguration, SignatureMethod, XMLVerifier
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature

from .errors import PesError

__all__ = [
    "DS",
    "WEAK_ALGORITHMS",
    "XadesCertificateError",
    "XadesDigestError",
    "XadesError",
    "XadesInputError",
    "XadesSignatureError",
    "core_verify",
    "sign_bordereau",
]

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES_122 = "http://uri.etsi.org/01903/v1.2.2#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
HELIOS_POLICY_OID = "1.2.250.1.131.1.5.18.21.1.7"
HELIOS_POLICY_URI = (
    "https://www.collectivites-locales.gouv.fr/files/files/finances_locales/"
    "dematerialisation/ps_helios_dgfip.pdf"
)
# SHA-256 of the published Hélios policy document, as real signed flows declare it.
HELIOS_POLICY_HASH = "roF9+cfRHNPtVJolhdqfIqGMVuUXX8aR4rpiquf0u5E="
WEAK_ALGORITHMS = frozenset(
    {
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
        "http://www.w3.org/2000/09/xmldsig#sha1",
    }
)
_DIGESTS = {
    "http://www.w3.org/2000/09/xmldsig#sha1": hashlib.sha1,
    SHA256: hashlib.sha256,
    "http://www.w3.org/2001/04/xmldsig-more#sha384": hashlib.sha384,
    "http://www.w3.org/2001/04/xmlenc#sha512": hashlib.sha512,
}

# Callables rather than ``type[HashAlgorithm]``: mypy refuses to instantiate an abstract type.
_SIGNATURE_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "http://www.w3.org/2000/09/xmldsig#rsa-sha1": hashes.SHA1,
    RSA_SHA256: hashes.SHA256,
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": hashes.SHA384,
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": hashes.SHA512,
}
_PROFILE_TRANSFORMS = ([EXC_C14N], [ENVELOPED, EXC_C14N])


class SignatureError(PesError, ValueError):
    """A bordereau cannot be signed (no Id, already signed...)."""


class XadesError(PesError):
    """A signature does not verify; subclasses say why."""


class XadesDigestError(XadesError):
    """A signed element changed after signing."""


class XadesSignatureError(XadesError):
    """The signature value does not match SignedInfo and the certificate's key."""


class XadesCertificateError(XadesError):
    """The certificate was not valid at the verification time."""


class XadesInputError(XadesError):
    """The signature cannot be read (unknown algorithm, bad base64...)."""


def _valid_at(cert: x509.Certificate, at: dt.datetime) -> bool:
    return cert.not_valid_before_utc <= at <= cert.not_valid_after_utc


def _c14n(element: etree._Element) -> bytes:
    data: bytes = etree.tostring(element, method="c14n", exclusive=True, with_comments=False)
    return data


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _sub(
    parent: etree._Element, ns: str, tag: str, text: str | None = None, **attrs: str
) -> etree._Element:
    el = etree.SubElement(parent, f"{{{ns}}}{tag}", attrs)
    if text is not None:
        el.text = text
    return el


def sign_bordereau(
    bordereau: etree._Element,
    key: rsa.RSAPrivateKey,
    cert: x509.Certificate,
    *,
    when: dt.datetime | None = None,
    role: str = "Ordonnateur",
    city: str | None = None,
) -> etree._Element:
    """Append an enveloped XAdES-BES (v1.2.2, rsa-sha256) signature to ``bordereau``.

    The bordereau must carry its ``Id`` and must not be modified afterwards (not even its
    whitespace). Returns the ``ds:Signature`` element.
    """
    bid = bordereau.get("Id")
    if not bid:
        raise SignatureError("Le bordereau à signer doit porter un attribut Id.")
    if bordereau.find(f"{{{DS}}}Signature") is not None:
        raise SignatureError(f"Le bordereau {bid} est déjà signé.")
    when = when or dt.datetime.now(dt.UTC)
    sig_id = f"{bid}_SIG_1"
    bord_digest = _b64(hashlib.sha256(_c14n(bordereau)).digest())

    sig = etree.Element(f"{{{DS}}}Signature", Id=sig_id, nsmap={"ds": DS})
    info = _sub(sig, DS, "SignedInfo")
    _sub(info, DS, "CanonicalizationMethod", Algorithm=EXC_C14N)
    _sub(info, DS, "SignatureMethod", Algorithm=RSA_SHA256)
    ref = _sub(info, DS, "Reference", URI=f"#{bid}")
    transforms = _sub(ref, DS, "Transforms")
    _sub(transforms, DS, "Transform", Algorithm=ENVELOPED)
    _sub(transforms, DS, "Transform", Algorithm=EXC_C14N)
    _sub(ref, DS, "DigestMethod", Algorithm=SHA256)
    _sub(ref, DS, "DigestValue", bord_digest)
    sp_ref = _sub(info, DS, "Reference", Type=f"{XADES_122}SignedProperties", URI=f"#{sig_id}_SP")
    _sub(_sub(sp_ref, DS, "Transforms"), DS, "Transform", Algorithm=EXC_C14N)
    _sub(sp_ref, DS, "DigestMethod", Algorithm=SHA256)
    sp_digest = _sub(sp_ref, DS, "DigestValue")
    value = _sub(sig, DS, "SignatureValue", Id=f"{sig_id}_SV")
    x509_data = _sub(_sub(sig, DS, "KeyInfo"), DS, "X509Data")
    _sub(x509_data, DS, "X509Certificate", _b64(cert.public_bytes(Encoding.DER)))

    obj = _sub(sig, DS, "Object")
    qp = etree.SubElement(
        obj, f"{{{XADES_122}}}QualifyingProperties", Target=f"#{sig_id}", nsmap={"xad": XADES_122}
    )
    sp = _sub(qp, XADES_122, "SignedProperties", Id=f"{sig_id}_SP")
    ssp = _sub(sp, XADES_122, "SignedSignatureProperties")
    _sub(ssp, XADES_122, "SigningTime", when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    cert_el = _sub(_sub(ssp, XADES_122, "SigningCertificate"), XADES_122, "Cert")
    digest = _sub(cert_el, XADES_122, "CertDigest")
    _sub(digest, XADES_122, "DigestMethod", Algorithm=SHA256)
    _sub(digest, XADES_122, "DigestValue", _b64(cert.fingerprint(hashes.SHA256())))
    serial = _sub(cert_el, XADES_122, "IssuerSerial")
    _sub(serial, DS, "X509IssuerName", cert.issuer.rfc4514_string())
    _sub(serial, DS, "X509SerialNumber", str(cert.serial_number))
    policy = _sub(_sub(ssp, XADES_122, "SignaturePolicyIdentifier"), XADES_122, "SignaturePolicyId")
    pol_id = _sub(policy, XADES_122, "SigPolicyId")
    _sub(pol_id, XADES_122, "Identifier", f"urn:oid:{HELIOS_POLICY_OID}")
    _sub(pol_id, XADES_122, "Description", "Politique de signature Helios de la DGFiP")
    pol_hash = _sub(policy, XADES_122, "SigPolicyHash")
    _sub(pol_hash, XADES_122, "DigestMethod", Algorithm=SHA256)
    _sub(pol_hash, XADES_122, "DigestValue", HELIOS_POLICY_HASH)
    qualifier = _sub(
        _sub(policy, XADES_122, "SigPolicyQualifiers"), XADES_122, "SigPolicyQualifier"
    )
    _sub(qualifier, XADES_122, "SPURI", HELIOS_POLICY_URI)
    if city:
        place = _sub(ssp, XADES_122, "SignatureProductionPlace")
        _sub(place, XADES_122, "City", city)
        _sub(place, XADES_122, "CountryName", "France")
    roles = _sub(_sub(ssp, XADES_122, "SignerRole"), XADES_122, "ClaimedRoles")
    _sub(roles, XADES_122, "ClaimedRole", role)

    sp_digest.text = _b64(hashlib.sha256(_c14n(sp)).digest())
    signed = key.sign(_c14n(info), padding.PKCS1v15(), hashes.SHA256())
    value.text = _b64(signed)
    bordereau.append(sig)
    return sig


# --- verification -----------------------------------------------------------------------


def _c14n_enveloped(target: etree._Element, sig: etree._Element) -> bytes:
    """C14N of ``target`` without ``sig`` (enveloped-signature transform), tree restored."""
    parent = sig.getparent()
    index = parent.index(sig)
    tail, prev = sig.tail, sig.getprevious()
    before = prev.tail if prev is not None else parent.text
    parent.remove(sig)  # lxml removes the tail with the element: the transform keeps it
    if tail:
        if prev is not None:
            prev.tail = (before or "") + tail
        else:
            parent.text = (before or "") + tail
    try:
        return _c14n(target)
    finally:
        if prev is not None:
            prev.tail = before
        else:
            parent.text = before
        parent.insert(index, sig)
        sig.tail = tail


def _b64decode(text: str | None) -> bytes:
    try:
        return base64.b64decode("".join((text or "").split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise XadesInputError(f"base64 invalide ({exc})") from exc


def _fast_verify(
    signed: etree._Element, sig: etree._Element, cert: x509.Certificate, when: dt.datetime
) -> bool:
    """Verify a signature of the Hélios profile; False when it is outside the profile."""
    info = sig.find(f"{{{DS}}}SignedInfo")
    c14n = info.find(f"{{{DS}}}CanonicalizationMethod") if info is not None else None
    method = info.find(f"{{{DS}}}SignatureMethod") if info is not None else None
    if c14n is None or method is None or c14n.get("Algorithm") != EXC_C14N or len(c14n):
        return False
    hash_cls = _SIGNATURE_HASHES.get(method.get("Algorithm") or "")
    key = cert.public_key()
    if hash_cls is None or not isinstance(key, rsa.RSAPublicKey):
        return False
    # The profile's references point at the signed element itself or inside this very
    # signature (SignedProperties): resolving them there needs no scan of the bordereau,
    # and nothing else can stand in for them (no signature wrapping).
    by_id: dict[str, list[etree._Element]] = {}
    for el in sig.iter():
        if el.get("Id"):
            by_id.setdefault(el.get("Id"), []).append(el)
    if signed.get("Id"):
        by_id.setdefault(signed.get("Id"), []).append(signed)
    plan = []
    for ref in info.iterfind(f"{{{DS}}}Reference"):
        uri = ref.get("URI") or ""
        transforms = list(ref.iterfind(f"{{{DS}}}Transforms/{{{DS}}}Transform"))
        algos = [t.get("Algorithm") for t in transforms]
        method_el = ref.find(f"{{{DS}}}DigestMethod")
        digest = _DIGESTS.get(method_el.get("Algorithm") if method_el is not None else "")
        if not uri.startswith("#") or algos not in _PROFILE_TRANSFORMS or digest is None:
            return False
        if any(len(t) for t in transforms):  # InclusiveNamespaces & co.
            return False
        targets = by_id.get(uri[1:], [])
        if len(targets) != 1:
            return False  # elsewhere or ambiguous: let signxml decide and explain
        target = targets[0]
        enveloped = ENVELOPED in algos
        if enveloped and target not in sig.iterancestors():
            return False
        plan.append((target, enveloped, digest, ref.findtext(f"{{{DS}}}DigestValue")))
    if not plan:
        return False
    if not _valid_at(cert, when):
        raise XadesCertificateError("certificat hors de sa période de validité")
    value = _b64decode(sig.findtext(f"{{{DS}}}SignatureValue"))
    try:
        key.verify(value, _c14n(info), padding.PKCS1v15(), hash_cls())
    except CryptoInvalidSignature as exc:
        raise XadesSignatureError("valeur de signature invalide") from exc
    for target, enveloped, digest, expected in plan:
        data = _c14n_enveloped(target, sig) if enveloped else _c14n(target)
        if not hmac.compare_digest(digest(data).digest(), _b64decode(expected)):
            raise XadesDigestError(f"empreinte différente pour #{target.get('Id')}")
    return True


def _signxml_verify(signed: etree._Element, cert: x509.Certificate, when: dt.datetime) -> None:
    config = SignatureConfiguration(
        require_x509=True,
        location="./",
        expect_references=True,
        signature_methods=frozenset(SignatureMethod),
        digest_algorithms=frozenset(DigestAlgorithm),
        verification_time=when,
    )
    try:
        XMLVerifier().verify(signed, x509_cert=cert, expect_config=config)
    except InvalidDigest as exc:
        raise XadesDigestError(str(exc)) from exc
    except InvalidCertificate as exc:
        raise XadesCertificateError(str(exc)) from exc
    except InvalidSignature as exc:
        raise XadesSignatureError(str(exc)) from exc
    except (InvalidInput, ValueError, etree.LxmlError) as exc:
        raise XadesInputError(str(exc)) from exc


def core_verify(
    signed: etree._Element,
    cert: x509.Certificate,
    when: dt.datetime,
    *,
    engine: str = "auto",
) -> str:
    """Check the ds:Signature child of ``signed`` with ``cert`` at ``when``.

    ``signed`` may sit inside a larger tree: exclusive C14N of a subtree only depends on
    the namespaces the subtree uses.

    Raises a :class:`XadesError` subclass; returns the engine used ("lxml" or "signxml").
    ``engine="signxml"`` forces the general engine (tests compare both).
    """
    sig = signed.find(f"{{{DS}}}Signature")
    if sig is None:
        raise XadesInputError("aucune signature")
    if engine != "signxml" and _fast_verify(signed, sig, cert, when):
        return "lxml"
    # signxml wants the signed element as a document of its own; the copy keeps the
    # namespace prefixes in use, which exclusive C14N renders.
    _signxml_verify(signed if signed.getparent() is None else deepcopy(signed), cert, when)
    return "signxml"
