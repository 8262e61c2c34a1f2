"""XAdES signatures of PES_Aller flows: verification (bounded memory) and signing.

Hélios signatures are enveloped XAdES-BES signatures placed as the last child of each
``Bordereau`` (and optionally of ``PES_Aller``), with two references: ``#<Bordereau Id>``
(enveloped-signature + exclusive C14N) and the XAdES ``SignedProperties``. Verification
streams the file and checks each signed bordereau as its own subtree: exclusive C14N
only emits the namespaces a subtree uses, so the detached bordereau has the same
canonical form as in the document. The cryptographic check is ``xades.core_verify``;
the certificate is the one embedded in the signature, checked at the declared SigningTime
(Hélios certificates expire long before the flows are archived). Trust in the signer is
a separate, pluggable question (``TrustStore``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypedDict

from cryptography import x509
from cryptography.exceptions import InvalidSignature as InvalidSignatureError
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from .elements import drop_done
from .report import Finding, Location, NumAnoAck, Scope, Severity, SignatureInfo
from .xades import (
    _DIGESTS,
    DS,
    WEAK_ALGORITHMS,
    SignatureError,
    XadesCertificateError,
    XadesDigestError,
    XadesError,
    XadesSignatureError,
    _valid_at,
    core_verify,
    sign_bordereau,
)

__all__ = [
    "DS",
    "SignatureError",
    "TrustStore",
    "sign_bordereau",
    "sign_bordereaux",
    "verify_signatures",
]

# The flow signature covers the whole document (PJ included): it can only be checked on
# a full parse, which we allow up to this size.
FLUX_SIGNATURE_MAX_SIZE = 64_000_000
_CHUNK = 1 << 20
_SAFE_PARSER = {"resolve_entities": False, "no_network": True, "load_dtd": False}


# --- trust ------------------------------------------------------------------------------


class TrustStore:
    """Certificates we trust (CA roots, intermediates, or end-entity certificates).

    A signer is trusted when it is in the store, or when a chain of issuers found in the
    store leads to it, every certificate being valid at the signing time.
    """

    def __init__(self, certificates: Iterable[x509.Certificate]) -> None:
        self._certs = tuple(certificates)
        self._fingerprints = {c.fingerprint(hashes.SHA256()) for c in self._certs}

    @classmethod
    def from_pem_dir(cls, path: str | Path) -> TrustStore:
        certs: list[x509.Certificate] = []
        for file in sorted(Path(path).iterdir()):
            if file.suffix.lower() in {".pem", ".crt", ".cer"}:
                certs.extend(x509.load_pem_x509_certificates(file.read_bytes()))
        return cls(certs)

    def __len__(self) -> int:
        return len(self._certs)

    def is_trusted(self, cert: x509.Certificate, at: dt.datetime) -> bool:
        current = cert
        for _ in range(8):  # chain depth bound
            if not _valid_at(current, at):
                return False
            if current.fingerprint(hashes.SHA256()) in self._fingerprints:
                return True
            issuer = self._issuer_of(current)
            if issuer is None or issuer is current:
                return False
            current = issuer
        return False

    def _issuer_of(self, cert: x509.Certificate) -> x509.Certificate | None:
        for candidate in self._certs:
            if candidate.subject != cert.issuer or not _is_ca(candidate):
                continue
            try:
                cert.verify_directly_issued_by(candidate)
            except (ValueError, TypeError, InvalidSignatureError):
                continue
            return candidate
        return None


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return True  # old v1 roots carry no extension


def sign_bordereaux(
    root: etree._Element,
    key: rsa.RSAPrivateKey,
    cert: x509.Certificate,
    *,
    when: dt.datetime | None = None,
) -> int:
    """Sign every unsigned bordereau of a parsed PES_Aller (demo, tests); returns the count.

    The generator signs while it streams (``sign_bordereau`` per bordereau); this is for a
    flow already in memory. InfoDematerialisee / MtCumulAnnuel stay the caller's business.
    """
    count = 0
    for domaine in _DOMAINES:
        for bord in root.iterfind(f"{domaine}/Bordereau"):
            if bord.find(f"{{{DS}}}Signature") is None:
                sign_bordereau(bord, key, cert, when=when)
                count += 1
    return count


# --- verification -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Codes:
    invalide: NumAnoAck
    illisible: NumAnoAck
    incomplete: NumAnoAck
    scope: Scope


_BORDEREAU_CODES = _Codes(
    NumAnoAck.SIGNATURE_BORDEREAU_INVALIDE,
    NumAnoAck.SIGNATURE_BORDEREAU_ILLISIBLE,
    NumAnoAck.SIGNATURE_BORDEREAU_INCOMPLETE,
    Scope.BORDEREAU,
)
_FLUX_CODES = _Codes(
    NumAnoAck.SIGNATURE_INVALIDE,
    NumAnoAck.SIGNATURE_ILLISIBLE,
    NumAnoAck.SIGNATURE_INCOMPLETE,
    Scope.SIGNATURE,
)


class _InfoFields(TypedDict, total=False):
    """``SignatureInfo``'s fields, gathered while the signature is checked."""

    target: str
    valid: bool
    signer: str | None
    signing_time: str | None
    policy_oid: str | None
    algorithm: str | None
    weak_algorithm: bool
    trusted: bool | None


_FindingSink = Callable[[NumAnoAck, Severity, str, str], None]


class _Fail(Exception):
    def __init__(self, code: NumAnoAck, message: str, rule: str) -> None:
        super().__init__(message)
        self.code, self.message, self.rule = code, message, rule


def _parse_time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _verify_one(
    signed: etree._Element,
    *,
    what: str,
    codes: _Codes,
    location: Location,
    target: str,
    trust: TrustStore | None,
    production: bool,
) -> tuple[SignatureInfo, list[Finding]]:
    """Verify the ds:Signature child of ``signed`` (a detached bordereau or a whole flow)."""
    findings: list[Finding] = []

    def finding(code: NumAnoAck, severity: Severity, message: str, rule: str) -> None:
        findings.append(Finding(code, severity, codes.scope, message, location, rule))

    sig = signed.find(f"{{{DS}}}Signature")
    info: _InfoFields = {"target": target, "valid": False}
    try:
        if sig is None:
            raise _Fail(
                codes.incomplete, f"{what} : aucune signature trouvée.", "signature-absente"
            )
        algorithm = sig.find(f"{{{DS}}}SignedInfo/{{{DS}}}SignatureMethod")
        info["algorithm"] = algorithm.get("Algorithm") if algorithm is not None else None
        cert = _embedded_certificate(sig, what, codes)
        info["signer"] = cert.subject.rfc4514_string()
        props = sig.find(f"{{{DS}}}Object/{{*}}QualifyingProperties/{{*}}SignedProperties")
        if props is None or not props.get("Id"):
            raise _Fail(
                codes.incomplete,
                f"{what} : la signature n'a pas de propriétés XAdES signées (SignedProperties).",
                "xades-absent",
            )
        signing_time_text = props.findtext("{*}SignedSignatureProperties/{*}SigningTime")
        signing_time = _parse_time(signing_time_text)
        info["signing_time"] = signing_time.isoformat() if signing_time else signing_time_text
        ident = props.findtext(
            "{*}SignedSignatureProperties/{*}SignaturePolicyIdentifier/{*}SignaturePolicyId"
            "/{*}SigPolicyId/{*}Identifier"
        )
        if ident:
            info["policy_oid"] = ident.strip().removeprefix("urn:oid:")
        if signing_time is None:
            finding(
                codes.incomplete,
                Severity.WARNING,
                f"{what} : l'heure de signature (SigningTime) est absente ou illisible ; "
                "le certificat est contrôlé à la date du jour.",
                "signing-time",
            )
        when = signing_time or dt.datetime.now(dt.UTC)
        _check_references(sig, signed, props.get("Id"), what, codes)
        _check_signing_certificate(props, cert, what, codes, finding)
        _crypto_verify(signed, cert, when, what, codes)
        info["valid"] = True
        weak = {info.get("algorithm")} | {
            d.get("Algorithm") for d in sig.iterfind(f".//{{{DS}}}DigestMethod")
        }
        if weak & WEAK_ALGORITHMS:
            info["weak_algorithm"] = True
            finding(
                NumAnoAck.PES_SIGNATURE,
                Severity.WARNING,
                f"{what} : signature valide mais produite avec SHA-1, algorithme aujourd'hui "
                "considéré comme faible ; les nouvelles signatures doivent utiliser SHA-256.",
                "signature-sha1",
            )
        if trust is not None:
            info["trusted"] = trust.is_trusted(cert, when)
            if not info["trusted"]:
                finding(
                    NumAnoAck.CERTIFICAT,
                    Severity.ERROR if production else Severity.WARNING,
                    f"{what} : le certificat du signataire ({info['signer']}) n'est pas émis "
                    "par une autorité de confiance reconnue par la plateforme.",
                    "certificat-non-reconnu",
                )
    except _Fail as fail:
        finding(fail.code, Severity.ERROR, fail.message, fail.rule)
    except (ValueError, TypeError, UnsupportedAlgorithm, etree.LxmlError) as exc:
        # A signature built in a way we cannot process (exotic key, broken structure)
        # is reported, never raised: validation only answers with findings.
        finding(
            codes.illisible,
            Severity.ERROR,
            f"{what} : signature illisible ({type(exc).__name__} : {exc}).",
            "signature-illisible",
        )
    return SignatureInfo(**info), findings


def _embedded_certificate(sig: etree._Element, what: str, codes: _Codes) -> x509.Certificate:
    text = sig.findtext(f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate")
    if not text or not text.strip():
        raise _Fail(
            codes.incomplete,
            f"{what} : la signature ne contient pas le certificat du signataire (X509Certificate).",
            "certificat-absent",
        )
    try:
        return x509.load_der_x509_certificate(base64.b64decode("".join(text.split())))
    except (ValueError, binascii.Error) as exc:
        raise _Fail(
            codes.illisible,
            f"{what} : le certificat du signataire est illisible ({exc}).",
            "certificat-illisible",
        ) from exc


def _check_references(
    sig: etree._Element, signed: etree._Element, sp_id: str, what: str, codes: _Codes
) -> None:
    """See what is signed: the signed element itself and the XAdES properties."""
    uris = [r.get("URI") for r in sig.iterfind(f"{{{DS}}}SignedInfo/{{{DS}}}Reference")]
    own = signed.get("Id")
    if not ((own and f"#{own}" in uris) or (signed.getparent() is None and "" in uris)):
        raise _Fail(
            codes.incomplete,
            f"{what} : la signature ne porte pas sur cet élément (référence #{own} absente).",
            "reference-absente",
        )
    if f"#{sp_id}" not in uris:
        raise _Fail(
            codes.incomplete,
            f"{what} : les propriétés XAdES (SignedProperties) ne sont pas couvertes par la "
            "signature.",
            "reference-xades-absente",
        )


def _check_signing_certificate(
    props: etree._Element,
    cert: x509.Certificate,
    what: str,
    codes: _Codes,
    finding: _FindingSink,
) -> None:
    cert_el = props.find("{*}SignedSignatureProperties/{*}SigningCertificate/{*}Cert")
    if cert_el is None:
        raise _Fail(
            codes.incomplete,
            f"{what} : le certificat signataire n'est pas désigné dans les propriétés XAdES "
            "(SigningCertificate).",
            "signing-certificate-absent",
        )
    method = cert_el.find("{*}CertDigest/{*}DigestMethod")
    value = cert_el.findtext("{*}CertDigest/{*}DigestValue") or ""
    algo = _DIGESTS.get(method.get("Algorithm") if method is not None else "")
    if algo is None:
        raise _Fail(
            codes.illisible,
            f"{what} : algorithme d'empreinte du certificat inconnu.",
            "cert-digest-algorithme",
        )
    try:
        declared = base64.b64decode("".join(value.split()))
    except binascii.Error:
        declared = b""
    if declared != algo(cert.public_bytes(Encoding.DER)).digest():
        raise _Fail(
            codes.invalide,
            f"{what} : l'empreinte du certificat déclarée dans la signature ne correspond pas "
            "au certificat joint.",
            "cert-digest",
        )
    serial = (cert_el.findtext(f"{{*}}IssuerSerial/{{{DS}}}X509SerialNumber") or "").strip()
    if serial and serial.lstrip("-").isdigit() and int(serial) != cert.serial_number:
        finding(
            codes.incomplete,
            Severity.WARNING,
            f"{what} : le numéro de série déclaré ({serial}) diffère de celui du certificat.",
            "cert-serial",
        )


def _crypto_verify(
    signed: etree._Element, cert: x509.Certificate, when: dt.datetime, what: str, codes: _Codes
) -> None:
    try:
        core_verify(signed, cert, when)
    except XadesDigestError as exc:
        raise _Fail(
            codes.invalide,
            f"{what} : le contenu a été modifié après la signature (empreinte différente).",
            "digest",
        ) from exc
    except XadesCertificateError as exc:
        raise _Fail(
            NumAnoAck.CERTIFICAT,
            f"{what} : le certificat du signataire n'était pas valide à la date de signature "
            f"({when:%d/%m/%Y %H:%M} UTC).",
            "certificat-validite",
        ) from exc
    except XadesSignatureError as exc:
        raise _Fail(
            codes.invalide, f"{what} : la valeur de signature est invalide.", "signature-valeur"
        ) from exc
    except XadesError as exc:
        raise _Fail(
            codes.illisible, f"{what} : signature illisible ({exc}).", "signature-illisible"
        ) from exc


# --- streaming over a flow ----------------------------------------------------------------

_TAIL = 256 * 1024
_FLUX_SIG_AT_END = re.compile(rb"</(?:[\w.-]+:)?Signature>\s*</(?:[\w.-]+:)?PES_Aller>\s*$")
_DOMAINES = {"PES_DepenseAller": "depense", "PES_RecetteAller": "recette"}
_LIBELLES = {"depense": "dépense", "recette": "recette"}


def _prescan(f: IO[bytes]) -> tuple[int, bool, bool, bool]:
    """Size, "some Signature tag may exist", "the flow itself is signed", DOCTYPE seen."""
    start = f.tell()
    size, found, carry = 0, False, b""
    head = f.read(64 * 1024)
    doctype = b"<!DOCTYPE" in head
    chunk = head
    while chunk:
        size += len(chunk)
        if not found and b"Signature" in carry + chunk:
            found = True
        carry = chunk[-16:]
        chunk = f.read(_CHUNK)
    f.seek(start + max(0, size - _TAIL))
    flux_signed = bool(_FLUX_SIG_AT_END.search(f.read()))
    f.seek(start)
    return size, found, flux_signed, doctype


def _bordereau_location(el: etree._Element, domaine: str, index: int) -> tuple[Location, str]:
    id_bord = el.find("BlocBordereau/IdBord")
    id_bord_v = id_bord.get("V") if id_bord is not None else None
    parent = "PES_DepenseAller" if domaine == "depense" else "PES_RecetteAller"
    loc = Location(
        path=f"/PES_Aller/{parent}/Bordereau[{index}]",
        line=el.sourceline,
        bordereau=id_bord_v,
        bordereau_id=el.get("Id"),
        domaine=domaine,
    )
    label = f"Signature du bordereau {id_bord_v or el.get('Id') or index} ({_LIBELLES[domaine]})"
    return loc, label


def _verify_bordereaux(
    f: IO[bytes], trust: TrustStore | None, production: bool
) -> tuple[list[SignatureInfo], list[Finding]]:
    infos: list[SignatureInfo] = []
    findings: list[Finding] = []
    parser = etree.XMLPullParser(
        events=("start", "end"), tag=("Bordereau", "PES_PJ"), huge_tree=True, **_SAFE_PARSER
    )
    counts: dict[str, int] = {}
    stop = False
    for chunk in iter(lambda: f.read(_CHUNK), b""):
        try:
            parser.feed(chunk)
        except etree.XMLSyntaxError:
            # Malformed XML is the validator's flux-level finding; still check the
            # bordereaux completed before the error.
            stop = True
        for event, el in parser.read_events():
            parent = el.getparent()
            if event == "start":
                # PJ content follows: bordereaux are all behind us.
                stop = stop or (el.tag == "PES_PJ" and parent is not None)
                continue
            domaine = _DOMAINES.get(parent.tag if parent is not None else "")
            if el.tag != "Bordereau" or domaine is None:
                continue
            counts[domaine] = counts.get(domaine, 0) + 1
            if el.find(f"{{{DS}}}Signature") is not None:
                loc, what = _bordereau_location(el, domaine, counts[domaine])
                info, found = _verify_one(
                    el,
                    what=what,
                    codes=_BORDEREAU_CODES,
                    location=loc,
                    target=el.get("Id") or loc.bordereau or "",
                    trust=trust,
                    production=production,
                )
                infos.append(info)
                findings.extend(found)
            drop_done(el)  # one bordereau in memory at a time
        if stop:
            break
    return infos, findings


def _verify_flux(
    f: IO[bytes], size: int, trust: TrustStore | None, production: bool
) -> tuple[SignatureInfo, list[Finding]]:
    location = Location(path="/PES_Aller/Signature")
    if size > FLUX_SIGNATURE_MAX_SIZE:
        message = (
            "Signature du flux non vérifiée : le fichier dépasse "
            f"{FLUX_SIGNATURE_MAX_SIZE // 1_000_000} Mo, taille au-delà de laquelle la "
            "signature globale n'est pas contrôlée."
        )
        finding = Finding(
            NumAnoAck.SIGNATURE_ILLISIBLE,
            Severity.WARNING,
            Scope.SIGNATURE,
            message,
            location,
            "flux-signature-trop-gros",
        )
        return SignatureInfo(target="flux", valid=False), [finding]
    try:
        root = etree.parse(f, etree.XMLParser(huge_tree=True, **_SAFE_PARSER)).getroot()
    except etree.XMLSyntaxError:
        return SignatureInfo(target="flux", valid=False), []
    return _verify_one(
        root,
        what="Signature du flux",
        codes=_FLUX_CODES,
        location=location,
        target="flux",
        trust=trust,
        production=production,
    )


def verify_signatures(
    source: str | Path | IO[bytes],
    *,
    trust: TrustStore | None = None,
    production: bool = False,
) -> tuple[tuple[SignatureInfo, ...], tuple[Finding, ...]]:
    """Verify every bordereau signature and the flow signature of a PES_Aller.

    Bounded memory: an unsigned flow costs one byte scan; signed bordereaux are parsed
    and verified one at a time and the PJ section is never parsed (except for a signed
    flow below ``FLUX_SIGNATURE_MAX_SIZE``, whose signature covers everything).
    """
    if isinstance(source, str | Path):
        with open(source, "rb") as fh:
            return verify_signatures(fh, trust=trust, production=production)
    f = source
    if not f.seekable():
        import tempfile

        spool = tempfile.TemporaryFile()  # noqa: SIM115
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            spool.write(chunk)
        spool.seek(0)
        with spool:
            return verify_signatures(spool, trust=trust, production=production)
    start = f.tell()
    size, maybe_signed, flux_signed, doctype = _prescan(f)
    f.seek(start)
    if doctype or not maybe_signed:
        return (), ()  # a DOCTYPE is refused by the validator before any signature check
    infos, findings = _verify_bordereaux(f, trust, production)
    if flux_signed:
        f.seek(start)
        info, found = _verify_flux(f, size, trust, production)
        infos.insert(0, info)
        findings[:0] = found
    return tuple(infos), tuple(findings)
