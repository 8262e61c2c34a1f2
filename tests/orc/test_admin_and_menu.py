"""ORC in the portal's frame: the menu entry for its readers, its settings in the admin."""

from __future__ import annotations

import pytest

from pigp.orc.models import RegleConservation, ServiceArchives
from tests.conftest import verified_client
from tests.factories import make_user

pytestmark = pytest.mark.django_db

MENU = "Archives (ORC)"


def test_the_menu_leads_orc_readers_to_the_search(
    client, juridiction, comptable, entitled, local_admin
):
    juge = make_user("juge@example.fr", juridiction=juridiction)
    for user in (juge, comptable, entitled):
        page = verified_client(client, user).get("/")
        assert MENU in page.content.decode(), user
        client.logout()
    # An ordonnateur without an ORC habilitation has no such entry.
    page = verified_client(client, local_admin).get("/")
    assert MENU not in page.content.decode()


def test_retention_rules_and_archives_services_in_the_admin(client, national_admin):
    admin = verified_client(client, national_admin)
    assert admin.get("/admin/orc/regleconservation/").status_code == 200
    rule = RegleConservation.objects.get(code="pj")
    response = admin.post(
        f"/admin/orc/regleconservation/{rule.pk}/change/",
        {"code": "pj", "libelle": rule.libelle, "annees": 12, "action_finale": "Destroy"},
    )
    assert response.status_code == 302, response.content[:500]
    rule.refresh_from_db()
    assert rule.annees == 12
    agent = make_user("agent@archives.example.fr")
    response = admin.post(
        "/admin/orc/servicearchives/add/",
        {"nom": "Archives départementales du Tarn", "departements": "81", "agents": [agent.pk]},
    )
    assert response.status_code == 302, response.content[:500]
    assert ServiceArchives.objects.get(departements="81").agents.get() == agent
