"""Service accounts: the local administrator's pages, tokens shown once and stored hashed,
revocation effective at once, SSH keys, and the journal of every action."""

from __future__ import annotations

import datetime
import hashlib

import asyncssh
import pytest
from django.db import connection
from django.utils import timezone

from pigp.core.models import JournalEntry
from pigp.passerelle import accounts
from pigp.passerelle.models import ApiToken, ServiceAccount, SshKey
from tests.api.conftest import make_account
from tests.conftest import grant, make_user

pytestmark = pytest.mark.django_db

LIST = "/passerelle/comptes/"


def ed25519() -> str:
    return asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode()


def _create(client, sicoval, **extra):
    data = {
        "name": "Logiciel financier",
        "collectivites": [sicoval.pk],
        "applications": ["passerelle"],
        "can_write": "on",
    }
    data.update(extra)
    return client.post(LIST, data)


def test_admin_creates_account_then_token_shown_once_and_stored_hashed(
    client, admin_local, sicoval
):
    client.force_login(admin_local)
    assert client.get(LIST).status_code == 200
    response = _create(client, sicoval)
    account = ServiceAccount.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{LIST}{account.pk}/"
    assert account.applications == ["passerelle"] and account.can_write
    assert list(account.collectivites.all()) == [sicoval]

    response = client.post(f"{LIST}{account.pk}/jetons/", {"label": "production"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get()
    html = response.content.decode()
    start = html.index('id="nouveau-jeton"')
    clear = html[start:].split(">", 1)[1].split("<", 1)[0]
    assert clear.startswith(f"pigp_{token.prefix}_")
    assert token.token_hash == hashlib.sha256(clear.encode()).hexdigest()
    # Shown once: the account page no longer has it.
    assert clear not in client.get(f"{LIST}{account.pk}/").content.decode()
    # Nowhere in the database, not in any table (sessions and journal included).
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')
            for row in cursor.fetchall():
                assert clear not in repr(row), table
                assert clear.split("_", 2)[2] not in repr(row), table
    # And it works.
    api = client.get("/api/v1/flux/", headers={"Authorization": f"Bearer {clear}"})
    assert api.status_code == 200
    actions = set(JournalEntry.objects.values_list("action", flat=True))
    assert {"compte_service_cree", "api_jeton_cree", "api_jeton_utilise"} <= actions


def test_use_is_journaled_once_a_minute_and_last_used_updated(client, admin_local, sicoval):
    _, clear = make_account(admin_local, [sicoval])
    headers = {"Authorization": f"Bearer {clear}"}
    for _ in range(3):
        assert client.get("/api/v1/flux/", headers=headers).status_code == 200
    token = ApiToken.objects.get()
    assert token.last_used_at is not None
    uses = JournalEntry.objects.filter(action="api_jeton_utilise")
    assert uses.count() == 1
    assert uses.get().details["prefixe"] == token.prefix
    ApiToken.objects.filter(pk=token.pk).update(
        last_used_at=timezone.now() - datetime.timedelta(seconds=61)
    )
    assert client.get("/api/v1/boite/", headers=headers).status_code == 200
    assert uses.count() == 2
    token.refresh_from_db()
    assert timezone.now() - token.last_used_at < datetime.timedelta(seconds=5)


def test_revoking_token_then_account_from_the_pages_is_immediate(client, admin_local, sicoval):
    account, clear = make_account(admin_local, [sicoval])
    second = accounts.issue_token(admin_local, account)
    headers = {"Authorization": f"Bearer {clear}"}
    assert client.get("/api/v1/flux/", headers=headers).status_code == 200
    client.force_login(admin_local)
    first = account.tokens.order_by("id").first()
    response = client.post(f"{LIST}{account.pk}/jetons/{first.pk}/revoquer/")
    assert response.status_code == 302
    client.logout()
    response = client.get("/api/v1/flux/", headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"] == "Ce jeton d'API a été révoqué."
    second_headers = {"Authorization": f"Bearer {second.clear}"}
    assert client.get("/api/v1/flux/", headers=second_headers).status_code == 200
    client.force_login(admin_local)
    assert client.post(f"{LIST}{account.pk}/revoquer/").status_code == 302
    client.logout()
    assert client.get("/api/v1/flux/", headers=second_headers).status_code == 401
    account.refresh_from_db()
    assert account.revoked_at is not None
    assert not account.tokens.filter(revoked_at__isnull=True).exists()
    actions = list(JournalEntry.objects.values_list("action", flat=True))
    assert "api_jeton_revoque" in actions and "compte_service_revoque" in actions
    # A revoked account gets no new token.
    client.force_login(admin_local)
    assert client.post(f"{LIST}{account.pk}/jetons/", {}).status_code == 400


@pytest.mark.parametrize("who", ["writer", "reader", "other_admin"])
def test_pages_hidden_from_non_administrators(client, admin_local, sicoval, collectivite, who):
    account, _ = make_account(admin_local, [sicoval])
    user = make_user(f"{who}@example.fr")
    if who == "writer":
        grant(user, sicoval, "passerelle", "transmission")
    elif who == "reader":
        grant(user, sicoval, "passerelle", "consultation")
    else:
        grant(user, collectivite, "passerelle", "administration")
    client.force_login(user)
    expected_list = 200 if who == "other_admin" else 404
    assert client.get(LIST).status_code == expected_list
    for url in (f"{LIST}{account.pk}/",):
        assert client.get(url).status_code == 404
    for url in (
        f"{LIST}{account.pk}/jetons/",
        f"{LIST}{account.pk}/revoquer/",
        f"{LIST}{account.pk}/cles/",
    ):
        assert client.post(url, {"public_key": ed25519()}).status_code == 404
    account.refresh_from_db()
    assert account.is_active and account.tokens.count() == 1 and not SshKey.objects.exists()
    if who == "other_admin":
        # Cannot scope an account to a collectivité they do not administer.
        response = _create(client, sicoval)
        assert response.status_code == 200
        assert ServiceAccount.objects.count() == 1


def test_shared_account_can_be_revoked_but_not_extended(client, admin_local, sicoval, collectivite):
    both = make_user("admin.deux@example.fr")
    grant(both, sicoval, "passerelle", "administration")
    grant(both, collectivite, "passerelle", "administration")
    account, _ = make_account(both, [sicoval, collectivite])
    client.force_login(admin_local)  # administers SICOVAL only
    assert client.get(f"{LIST}{account.pk}/").status_code == 200
    assert client.post(f"{LIST}{account.pk}/jetons/", {}).status_code == 403
    assert client.post(f"{LIST}{account.pk}/cles/", {"public_key": ed25519()}).status_code == 403
    assert account.tokens.count() == 1
    assert client.post(f"{LIST}{account.pk}/revoquer/").status_code == 302
    account.refresh_from_db()
    assert account.revoked_at is not None


def test_applications_limited_to_administered_ones(client, admin_local, sicoval):
    client.force_login(admin_local)
    response = _create(client, sicoval, applications=["passerelle", "extranet"])
    assert response.status_code == 200
    assert not ServiceAccount.objects.exists()
    grant(admin_local, sicoval, "extranet", "administration")
    response = _create(client, sicoval, applications=["passerelle", "extranet"])
    assert response.status_code == 302
    assert ServiceAccount.objects.get().applications == ["extranet", "passerelle"]


def test_account_without_passerelle_sees_nothing(client, admin_local, sicoval):
    grant(admin_local, sicoval, "extranet", "administration")
    _, clear = make_account(admin_local, [sicoval], applications=["extranet"])
    response = client.post(
        "/api/v1/flux/?filename=a.xml",
        data=b"<a/>",
        content_type="application/xml",
        headers={"Authorization": f"Bearer {clear}"},
    )
    assert response.status_code == 403


def test_ssh_key_on_account(client, admin_local, sicoval):
    account, _ = make_account(admin_local, [sicoval])
    client.force_login(admin_local)
    key = ed25519()
    response = client.post(f"{LIST}{account.pk}/cles/", {"public_key": key, "label": "sftp"})
    assert response.status_code == 302
    stored = SshKey.objects.get()
    assert stored.account == account and stored.user is None
    page = client.get(f"{LIST}{account.pk}/").content.decode()
    assert f"compte-{account.pk}" in page and stored.fingerprint in page
    assert stored.fingerprint == asyncssh.import_public_key(key).get_fingerprint()
    assert stored.fingerprint.startswith("SHA256:")
    # The same key twice: refused in French.
    response = client.post(f"{LIST}{account.pk}/cles/", {"public_key": key})
    assert response.status_code == 400
    assert "déjà enregistrée" in response.content.decode()
    response = client.post(f"{LIST}{account.pk}/cles/{stored.pk}/supprimer/")
    assert response.status_code == 302 and not SshKey.objects.exists()
    actions = list(JournalEntry.objects.values_list("action", flat=True))
    assert "cle_ssh_ajoutee" in actions and "cle_ssh_supprimee" in actions


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("n'importe quoi", "Format non reconnu"),
        ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGarbage", "Clé publique invalide"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----", "PRIVÉE"),
    ],
)
def test_invalid_keys_refused_in_french(client, callers, sicoval, text, message):
    user = callers["entitled"].user
    client.force_login(user)
    response = client.post(f"{LIST}cles-ssh/", {"public_key": text})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SshKey.objects.exists()


def test_short_rsa_refused():
    weak = asyncssh.generate_private_key("ssh-rsa", key_size=1024).export_public_key("openssh")
    with pytest.raises(accounts.AccountError, match="trop courte"):
        accounts.parse_public_key(weak.decode())


def test_own_keys_page(client, callers, sicoval):
    user = callers["reader"].user
    client.force_login(user)
    assert client.get(f"{LIST}cles-ssh/").status_code == 200
    response = client.post(f"{LIST}cles-ssh/", {"public_key": ed25519(), "label": "portable"})
    assert response.status_code == 302
    key = SshKey.objects.get()
    assert key.user == user and key.account is None
    other = callers["entitled"].user
    client.force_login(other)
    assert client.post(f"{LIST}cles-ssh/{key.pk}/supprimer/").status_code == 404
    client.force_login(user)
    assert client.post(f"{LIST}cles-ssh/{key.pk}/supprimer/").status_code == 302
    assert not SshKey.objects.exists()


def test_own_keys_page_needs_a_passerelle_habilitation(client, db):
    client.force_login(make_user("personne@example.fr"))
    assert client.get(f"{LIST}cles-ssh/").status_code == 404


def test_anonymous_redirected_to_login(client, admin_local, sicoval):
    response = client.get(LIST)
    assert response.status_code == 302 and "/connexion/" in response["Location"]


def test_fingerprint_matches_the_sftp_server(admin_local, sicoval):
    from pigp.passerelle.sftp import auth

    key = ed25519().strip()
    parsed = accounts.parse_public_key(key + " commentaire\n")
    assert parsed.fingerprint == auth.fingerprint(key)
