"""Seals of the journal: signed, stamped by a real (loopback) RFC 3161 authority, checked by
`orc_verify`, which names the first altered entry or forged seal."""

from __future__ import annotations

import base64
import hashlib
import shutil
import stat
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from pigp.core import journal
from pigp.core.models.journal import JournalEntry
from pigp.formats.orcproof import canonical, tsp
from pigp.orc import seals
from pigp.orc.models import Seal
from tests.orc.tsa_server import Authority, running


@pytest.fixture(autouse=True)
def _seal_key(settings, tmp_path):
    settings.PIGP_ORC_SEAL_KEY = tmp_path / "cle" / "orc_seal_key.pem"
    settings.PIGP_ORC_TSA_URL = ""


def _entries(n: int) -> list[JournalEntry]:
    return [journal.record("demo", actor_label="test", details={"n": i}) for i in range(n)]


@pytest.mark.django_db
def test_key_generated_once_private_and_used(settings):
    result = seals.seal_now()
    path = settings.PIGP_ORC_SEAL_KEY
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_bytes()
    seals.seal_now()
    assert path.read_bytes() == first
    raw = seals.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    assert result.seal.key_id == hashlib.sha256(raw).hexdigest()


@pytest.mark.django_db
def test_production_without_key_fails_closed(settings):
    settings.PRODUCTION = True
    _entries(1)
    with pytest.raises(seals.SealKeyError):
        seals.seal_now()
    assert not Seal.objects.exists()
    assert not settings.PIGP_ORC_SEAL_KEY.exists()
    with pytest.raises(CommandError, match="Clé de scellement introuvable"):
        call_command("orc_seal")


@pytest.mark.django_db
def test_seal_names_the_head_and_is_signed():
    entries = _entries(3)
    seal = seals.seal_now().seal
    assert (seal.head_hash, seal.count, seal.last_entry_id) == (
        entries[-1].entry_hash,
        3,
        entries[-1].pk,
    )
    payload = seals.payload_of(Seal.objects.get(pk=seal.pk))
    assert payload == canonical.seal_payload(seals.fields_of(seal))
    seals.public_key().verify(base64.b64decode(seal.signature), payload)
    logged = JournalEntry.objects.get(action="orc_scellement")
    assert logged.details["derniere_entree"] == entries[-1].pk
    assert seals.verify().ok


@pytest.mark.django_db
def test_seal_if_due_once_a_day():
    from datetime import timedelta

    from django.utils import timezone

    first = seals.seal_if_due()
    assert first is not None
    assert seals.seal_if_due() is None
    later = timezone.now() + timedelta(hours=25)
    assert seals.seal_if_due(later) is not None
    assert Seal.objects.count() == 2


@pytest.mark.django_db
def test_worker_sweep_seals_and_plans_the_audit():
    from pigp.passerelle.signals import worker_sweep

    answers = [answer for _, answer in worker_sweep.send_robust(sender=None, startup=False)]
    assert not [a for a in answers if isinstance(a, Exception)]
    assert any("journal scellé" in str(a) for a in answers)
    assert any("audit hebdomadaire" in str(a) for a in answers)
    assert Seal.objects.count() == 1
    assert JournalEntry.objects.filter(action="orc_audit", details__periodique=True).exists()
    again = [answer for _, answer in worker_sweep.send_robust(sender=None, startup=False)]
    assert not any("journal scellé" in str(a) or "audit" in str(a) for a in again)


@pytest.mark.django_db
def test_orc_verify_names_the_altered_entry(capsys):
    entries = _entries(5)
    seals.seal_now()
    call_command("orc_verify")
    assert "Journal intègre : 6 entrées chaînées, 1 scellements vérifiés" in capsys.readouterr().out
    victim = entries[2]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_journalentry SET actor_label = %s WHERE id = %s", ["pirate", victim.pk]
        )
    with pytest.raises(CommandError, match=rf"entrée n° {victim.pk} \(demo"):
        call_command("orc_verify")


@pytest.mark.django_db
def test_orc_verify_refuses_a_forged_seal():
    _entries(2)
    seal = seals.seal_now().seal
    Seal.objects.filter(pk=seal.pk).update(count=1)  # a seal rewritten to hide an entry
    with pytest.raises(CommandError, match=rf"Scellement n° {seal.pk} .* signature"):
        call_command("orc_verify")


@pytest.mark.django_db
def test_orc_verify_refuses_a_seal_signed_with_another_key():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    _entries(2)
    seal = seals.seal_now().seal
    forger = Ed25519PrivateKey.generate()
    seal.key_id = seals.key_id_of(forger.public_key())
    seal.signature = base64.b64encode(forger.sign(seals.payload_of(seal))).decode()
    seal.save()
    problem = seals.verify().problem
    assert f"Scellement n° {seal.pk}" in problem
    assert "autre clé" in problem


@pytest.mark.django_db
def test_tail_cut_and_head_rewritten_is_caught_by_the_seal():
    """An intruder deletes the last entries and rewrites the journal's head to match: the
    chain alone looks intact, the seal over the deleted entry refuses it."""
    entries = _entries(3)
    seal = seals.seal_now().seal
    sealed_entry = JournalEntry.objects.get(action="orc_scellement")
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM core_journalentry WHERE id IN (%s, %s)",
            [entries[-1].pk, sealed_entry.pk],
        )
        cursor.execute(
            "UPDATE core_journalhead SET last_hash = %s, count = count - 2 WHERE id = 1",
            [entries[-2].entry_hash],
        )
    assert journal.verify_chain().intact
    result = seals.verify()
    assert f"Scellement n° {seal.pk}" in result.problem
    assert f"l'entrée {entries[-1].pk} qu'il scelle n'existe plus" in result.problem


@pytest.mark.django_db
def test_seal_stamped_by_a_real_timestamp_authority(settings, tmp_path):
    _entries(2)
    authority = Authority()
    with running(authority) as url:
        settings.PIGP_ORC_TSA_URL = url
        result = seals.seal_now()
    seal = Seal.objects.get(pk=result.seal.pk)
    assert result.tsa_error == ""
    assert seal.tsa_url == url
    digest = hashlib.sha512(seals.payload_of(seal)).digest()
    info = tsp.check_token(bytes(seal.tsa_token), digest)
    assert info.nonce is not None
    request = authority.requests[0]
    assert digest in request  # the request carried the SHA-512 of the signed payload
    assert seals.verify().ok
    if shutil.which("openssl"):  # the token is a genuine RFC 3161 token: OpenSSL checks it
        (tmp_path / "jeton.der").write_bytes(bytes(seal.tsa_token))
        (tmp_path / "payload").write_bytes(seals.payload_of(seal))
        (tmp_path / "tsa.pem").write_bytes(authority.cert.public_bytes(serialization.Encoding.PEM))
        run = subprocess.run(
            [
                "openssl",
                "ts",
                "-verify",
                "-token_in",
                "-in",
                str(tmp_path / "jeton.der"),
                "-data",
                str(tmp_path / "payload"),
                "-CAfile",
                str(tmp_path / "tsa.pem"),
                "-partial_chain",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert "Verification: OK" in run.stdout, run.stderr


@pytest.mark.django_db
def test_a_token_for_another_payload_is_refused(settings):
    _entries(1)
    with running(Authority()) as url:
        settings.PIGP_ORC_TSA_URL = url
        first = seals.seal_now().seal
        second = seals.seal_now().seal
    Seal.objects.filter(pk=second.pk).update(tsa_token=Seal.objects.get(pk=first.pk).tsa_token)
    problem = seals.verify().problem
    assert f"Scellement n° {second.pk}" in problem
    assert "ne porte pas sur ce scellement" in problem


@pytest.mark.django_db
def test_refusing_authority_seal_kept_error_journaled(settings):
    _entries(1)
    with running(Authority(refuse=True)) as url:
        settings.PIGP_ORC_TSA_URL = url
        result = seals.seal_now()
    assert "refusé la demande" in result.tsa_error
    assert Seal.objects.get(pk=result.seal.pk).tsa_token is None
    failure = JournalEntry.objects.get(action="orc_horodatage_echoue")
    assert failure.details["autorite"] == url
    assert seals.verify().ok


@pytest.mark.django_db
def test_unreachable_authority_seal_kept_error_journaled(settings, capsys):
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.PIGP_ORC_TSA_URL = f"http://127.0.0.1:{port}/tsa"
    call_command("orc_seal")
    assert "Horodatage impossible" in capsys.readouterr().err
    assert Seal.objects.count() == 1
    assert JournalEntry.objects.filter(action="orc_horodatage_echoue").count() == 1


@pytest.mark.django_db
def test_public_key_printed_for_publication(capsys):
    call_command("orc_seal", "--public-key")
    captured = capsys.readouterr()
    assert captured.out == seals.public_key_pem()
    assert seals.key_id_of(seals.public_key()) in captured.err
    assert not Seal.objects.exists()
