"""XAdES signatures: real signed samples, tampering, our own signatures, trust."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import io
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from signxml import SignatureConfiguration, XMLVerifier

from pigp.formats.pes import testing, xades
from pigp.formats.pes.generator import generate_pes_aller
from pigp.formats.pes.report import NumAnoAck, Scope, Severity
from pigp.formats.pes.schemas import MessageKind, get_schema
from pigp.formats.pes.signature import (
    DS,
    SignatureError,
    TrustStore,
    sign_bordereau,
    sign_bordereaux,
    verify_signatures,
)
from tests.reference import PES_SAMPLES, reference

SHA256_SAMPLE = PES_SAMPLES / "aller" / "signed_xades122_rsa_sha256.xml"
SHA1_SAMPLE = PES_SAMPLES / "aller" / "signed_xades111_rsa_sha1.xml"
WHEN = dt.datetime(2025, 3, 14, 10, 0, tzinfo=dt.UTC)


def _sample(path: Path) -> bytes:
    return reference(path).read_bytes()


def _errors(findings):
    return [f for f in findings if f.severity is Severity.ERROR]


@pytest.fixture(scope="module")
def material() -> testing.SigningMaterial:
    return testing.signing_material()


@pytest.fixture(scope="module")
def signed_flow(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sig") / "signed.xml"
    generate_pes_aller(path, sign=True, domaine="mixte", bordereaux=2, pieces=3, pj=1, seed=7)
    return path


@pytest.mark.parametrize(
    ("path", "policy", "weak"),
    [
        (SHA256_SAMPLE, "1.2.250.1.131.1.5.18.21.1.7", False),
        (SHA1_SAMPLE, "1.2.250.1.131.1.5.18.21.1.4", True),
    ],
)
def test_real_samples_verify(path, policy, weak):
    data = _sample(path)
    infos, findings = verify_signatures(io.BytesIO(data))
    assert len(infos) == 1
    info = infos[0]
    assert info.valid, findings
    assert info.policy_oid == policy
    assert info.weak_algorithm is weak
    assert info.trusted is None  # no trust store
    assert info.signing_time.startswith(("2018-07-05", "2017-12-27"))
    assert "CN=" in info.signer
    assert not _errors(findings)
    sha1 = [f for f in findings if f.rule == "signature-sha1"]
    assert len(sha1) == (1 if weak else 0)
    if weak:
        assert sha1[0].severity is Severity.WARNING
        assert sha1[0].location.bordereau == "1234567"


@pytest.mark.parametrize("path", [SHA256_SAMPLE, SHA1_SAMPLE])
def test_tampered_amount_breaks_signature(path):
    data = _sample(path).replace(b'<MtHT V="39724.75"/>', b'<MtHT V="39724.76"/>', 1)
    infos, findings = verify_signatures(io.BytesIO(data))
    assert [i.valid for i in infos] == [False]
    errors = _errors(findings)
    assert [f.code for f in errors] == [NumAnoAck.SIGNATURE_BORDEREAU_INVALIDE]
    assert errors[0].scope is Scope.BORDEREAU
    assert errors[0].location.bordereau == "1234567"
    assert "modifié" in errors[0].message


def test_sample_resigned_with_test_certificate(material, tmp_path):
    root = etree.fromstring(_sample(SHA256_SAMPLE), etree.XMLParser(resolve_entities=False))
    bord = root.find(".//Bordereau")
    bord.remove(bord.find(f"{{{DS}}}Signature"))
    bord.find(".//MtHT").set("V", "100.00")
    sign_bordereau(bord, material.key, material.cert, when=WHEN, city="Montpellier")
    out = tmp_path / "resigned.xml"
    etree.ElementTree(root).write(str(out), encoding="ISO-8859-1", xml_declaration=True)
    infos, findings = verify_signatures(out)
    assert [i.valid for i in infos] == [True]
    assert infos[0].signer.startswith("CN=Ordonnateur de test PIGP")
    assert infos[0].algorithm.endswith("rsa-sha256")
    assert not findings
    # An independent check with signxml directly, on the detached bordereau.
    copy = etree.parse(str(out)).getroot().find(".//Bordereau")
    config = SignatureConfiguration(location="./", expect_references=2, verification_time=WHEN)
    results = XMLVerifier().verify(copy, x509_cert=material.cert, expect_config=config)
    assert [r.signed_xml.tag.rsplit("}", 1)[-1] for r in results] == [
        "Bordereau",
        "SignedProperties",
    ]


def test_generated_signed_flow_is_schema_valid_and_verifies(signed_flow):
    doc = etree.parse(str(signed_flow))
    get_schema("v5.17", MessageKind.ALLER).assertValid(doc)
    assert doc.find(".//InfoDematerialisee").get("V") == "1"
    infos, findings = verify_signatures(signed_flow)
    assert [i.target for i in infos] == ["BORDD1", "BORDD2", "BORDR1", "BORDR2"]
    assert all(i.valid for i in infos) and not findings


def test_tampered_generated_bordereau_is_located(signed_flow, tmp_path):
    data = signed_flow.read_bytes()
    head, sep, rest = data.partition(b'<Bordereau Id="BORDR1">')
    rest = rest.replace(b'<Nom V="', b'<Nom V="X', 1)
    (tmp_path / "t.xml").write_bytes(head + sep + rest)
    infos, findings = verify_signatures(tmp_path / "t.xml")
    assert [i.valid for i in infos] == [True, True, False, True]
    (err,) = _errors(findings)
    assert err.location.domaine == "recette"
    assert err.location.bordereau_id == "BORDR1"
    assert err.location.path == "/PES_Aller/PES_RecetteAller/Bordereau[1]"


def test_trust_store(signed_flow, material):
    infos, findings = verify_signatures(signed_flow, trust=TrustStore([material.cert]))
    assert all(i.trusted for i in infos) and not findings
    infos, findings = verify_signatures(signed_flow, trust=TrustStore([]))
    assert all(i.trusted is False and i.valid for i in infos)
    assert {(f.code, f.severity) for f in findings} == {(NumAnoAck.CERTIFICAT, Severity.WARNING)}
    _, findings = verify_signatures(signed_flow, trust=TrustStore([]), production=True)
    assert {(f.code, f.severity) for f in findings} == {(NumAnoAck.CERTIFICAT, Severity.ERROR)}


def test_trust_through_ca_chain_and_pem_dir(tmp_path):
    ca = testing.make_certificate("AC de test PIGP", ca=True)
    other_ca = testing.make_certificate("Autre AC", ca=True)
    leaf = testing.make_certificate("Maire de test", issuer=ca)
    (tmp_path / "ca.pem").write_bytes(ca.cert.public_bytes(Encoding.PEM))
    store = TrustStore.from_pem_dir(tmp_path)
    assert len(store) == 1
    assert store.is_trusted(leaf.cert, WHEN)
    assert not store.is_trusted(leaf.cert, dt.datetime(2019, 1, 1, tzinfo=dt.UTC))
    assert not TrustStore([other_ca.cert]).is_trusted(leaf.cert, WHEN)
    flow = tmp_path / "f.xml"

    def signer(el):
        sign_bordereau(el, leaf.key, leaf.cert, when=WHEN)

    generate_pes_aller(flow, signer=signer, pieces=2)
    infos, findings = verify_signatures(flow, trust=store, production=True)
    assert [i.trusted for i in infos] == [True] and not findings


def test_certificate_expired_at_signing_time(tmp_path):
    old = testing.make_certificate(
        not_before=dt.datetime(2010, 1, 1, tzinfo=dt.UTC),
        not_after=dt.datetime(2012, 1, 1, tzinfo=dt.UTC),
    )
    flow = tmp_path / "f.xml"
    generate_pes_aller(
        flow, pieces=1, signer=lambda el: sign_bordereau(el, old.key, old.cert, when=WHEN)
    )
    infos, findings = verify_signatures(flow)
    assert [i.valid for i in infos] == [False]
    assert [f.code for f in _errors(findings)] == [NumAnoAck.CERTIFICAT]


def _mutate_signature(path: Path, out: Path, mutate) -> Path:
    root = etree.parse(str(path)).getroot()
    sig = root.find(f".//Bordereau/{{{DS}}}Signature")
    mutate(sig)
    etree.ElementTree(root).write(str(out), encoding="ISO-8859-1", xml_declaration=True)
    return out


def test_incomplete_and_unreadable_signatures(signed_flow, tmp_path):
    def drop_object(sig):
        sig.remove(sig.find(f"{{{DS}}}Object"))

    def bad_cert(sig):
        sig.find(f".//{{{DS}}}X509Certificate").text = "bm90IGEgY2VydGlmaWNhdGU="

    def drop_cert(sig):
        sig.remove(sig.find(f"{{{DS}}}KeyInfo"))

    def bad_value(sig):
        value = sig.find(f"{{{DS}}}SignatureValue")
        value.text = "A" + value.text[1:] if value.text[0] != "A" else "B" + value.text[1:]

    expected = {
        drop_object: NumAnoAck.SIGNATURE_BORDEREAU_INCOMPLETE,
        bad_cert: NumAnoAck.SIGNATURE_BORDEREAU_ILLISIBLE,
        drop_cert: NumAnoAck.SIGNATURE_BORDEREAU_INCOMPLETE,
        bad_value: NumAnoAck.SIGNATURE_BORDEREAU_INVALIDE,
    }
    for mutate, code in expected.items():
        out = _mutate_signature(signed_flow, tmp_path / f"{mutate.__name__}.xml", mutate)
        infos, findings = verify_signatures(out)
        assert not infos[0].valid
        assert [f.code for f in _errors(findings)] == [code], mutate.__name__
        assert all(f.message.startswith("Signature du bordereau 1 (dépense)") for f in findings)


def test_flux_signature(material, tmp_path):
    buf = io.BytesIO()
    generate_pes_aller(buf, pieces=2, pj=1)
    root = etree.fromstring(buf.getvalue())
    root.set("Id", "FLUX1")
    sign_bordereau(root, material.key, material.cert, when=WHEN)
    out = tmp_path / "flux.xml"
    etree.ElementTree(root).write(str(out), encoding="ISO-8859-1", xml_declaration=True)
    get_schema("v5.17", MessageKind.ALLER).assertValid(etree.parse(str(out)))
    infos, findings = verify_signatures(out)
    assert [(i.target, i.valid) for i in infos] == [("flux", True)] and not findings
    tampered = out.read_bytes().replace(b"Facture ", b"Factura ", 1)
    infos, findings = verify_signatures(io.BytesIO(tampered))
    assert [(i.target, i.valid) for i in infos] == [("flux", False)]
    assert [(f.code, f.scope) for f in findings] == [
        (NumAnoAck.SIGNATURE_INVALIDE, Scope.SIGNATURE)
    ]


def test_unsigned_flow_and_pj_section_not_parsed(signed_flow):
    assert verify_signatures(io.BytesIO(b"<n:PES_Aller xmlns:n='x'/>")) == ((), ())
    # Garbage inside PES_PJ is never reached: bordereaux are all before it.
    data = signed_flow.read_bytes().replace(b"</Fichier>", b"</Fichier><<<not xml", 1)
    infos, findings = verify_signatures(io.BytesIO(data))
    assert len(infos) == 4 and all(i.valid for i in infos) and not findings


def test_sign_requires_id(material):
    with pytest.raises(SignatureError):
        sign_bordereau(etree.Element("Bordereau"), material.key, material.cert)


def test_sign_bordereaux_of_a_parsed_flow(material, tmp_path):
    buf = io.BytesIO()
    generate_pes_aller(buf, domaine="mixte", bordereaux=2, pieces=2)
    root = etree.fromstring(buf.getvalue())
    assert sign_bordereaux(root, material.key, material.cert, when=WHEN) == 4
    assert sign_bordereaux(root, material.key, material.cert, when=WHEN) == 0  # already signed
    out = tmp_path / "s.xml"
    etree.ElementTree(root).write(str(out), encoding="ISO-8859-1", xml_declaration=True)
    infos, findings = verify_signatures(out)
    assert len(infos) == 4 and all(i.valid for i in infos) and not findings


def _detached_bordereau(data: bytes) -> etree._Element:
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, huge_tree=True))
    return copy.deepcopy(root.find(".//Bordereau"))


@pytest.mark.parametrize("path", [SHA256_SAMPLE, SHA1_SAMPLE])
@pytest.mark.parametrize("tamper", [None, "amount", "signed-properties", "signature-value"])
def test_fast_engine_agrees_with_signxml(path, tamper):
    data = _sample(path)
    if tamper == "amount":
        data = data.replace(b'<MtHT V="39724.75"/>', b'<MtHT V="39724.70"/>', 1)
    elif tamper == "signed-properties":
        data = data.replace(b"<xad:ClaimedRole>Ordonnateur", b"<xad:ClaimedRole>Comptable", 1)
    elif tamper == "signature-value":
        data = data.replace(b'_SV">', b'_SV">AAAA', 1)
    outcomes = []
    for engine in ("auto", "signxml"):
        bord = _detached_bordereau(data)
        der = base64.b64decode(bord.findtext(f".//{{{DS}}}X509Certificate").replace("\n", ""))
        cert = x509.load_der_x509_certificate(der)
        when = dt.datetime.fromisoformat(bord.findtext(".//{*}SigningTime").replace("Z", "+00:00"))
        try:
            used = xades.core_verify(bord, cert, when, engine=engine)
            outcomes.append(("ok", used))
        except xades.XadesError as exc:
            outcomes.append((type(exc).__name__, engine))
    (fast, used), (reference, _) = outcomes
    assert fast == reference
    if fast == "ok":
        assert used == "lxml"  # the real samples are in the fast profile
    expected = {
        None: "ok",
        "amount": "XadesDigestError",
        "signed-properties": "XadesDigestError",
        "signature-value": "XadesSignatureError",
    }[tamper]
    assert fast == expected


def test_outside_profile_falls_back_to_signxml(material):
    buf = io.BytesIO()
    generate_pes_aller(buf, pieces=1, sign=True)
    bord = _detached_bordereau(buf.getvalue())
    method = bord.find(f".//{{{DS}}}CanonicalizationMethod")
    # inclusive C14N: outside the Hélios profile, and SignedInfo no longer matches
    method.set("Algorithm", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315")
    with pytest.raises(xades.XadesSignatureError):
        xades.core_verify(bord, material.cert, WHEN)


def test_memory_stays_bounded_with_a_big_pj(tmp_path):
    """The PJ section is never parsed: peak RSS stays far below the file size."""
    import subprocess
    import sys

    flow = generate_pes_aller(tmp_path / "big.xml", sign=True, pieces=2, pj_sizes=(60_000_000,))
    assert flow.size > 80_000_000
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across fork+exec (the parent's peak).
    code = (
        "import re, sys\n"
        "from pigp.formats.pes.signature import verify_signatures\n"
        "infos, findings = verify_signatures(sys.argv[1])\n"
        "assert [i.valid for i in infos] == [True] and not findings, (infos, findings)\n"
        "status = open('/proc/self/status').read()\n"
        "print(int(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1)) * 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(flow.path)], capture_output=True, text=True, check=True
    )
    assert int(out.stdout.strip()) < 75_000_000  # ~48 MB seen; the file is 81 MB


def test_non_rsa_certificate_is_reported_not_raised(signed_flow, tmp_path):
    from cryptography.hazmat.primitives.asymmetric import ec

    ec_material = testing.make_certificate()
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(ec_material.cert.subject)
        .issuer_name(ec_material.cert.subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(ec_material.cert.not_valid_before_utc)
        .not_valid_after(ec_material.cert.not_valid_after_utc)
        .sign(key, hashes.SHA256())
    )
    der = base64.b64encode(cert.public_bytes(Encoding.DER)).decode()

    def swap_cert(sig):
        sig.find(f".//{{{DS}}}X509Certificate").text = der

    out = _mutate_signature(signed_flow, tmp_path / "ec.xml", swap_cert)
    infos, findings = verify_signatures(out)
    assert not infos[0].valid
    assert _errors(findings)[0].code in (
        NumAnoAck.SIGNATURE_BORDEREAU_INVALIDE,
        NumAnoAck.SIGNATURE_BORDEREAU_ILLISIBLE,
    )
