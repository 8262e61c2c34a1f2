"""Users of the retention and elimination tests: the collectivité's archivist and an agent
of the public archives service covering its département."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.factories import grant, make_user

if TYPE_CHECKING:
    from pigp.core.models import Collectivite, User


def make_archivist(collectivite: Collectivite, email: str = "archiviste@example.fr") -> User:
    user = make_user(email)
    grant(user, collectivite, "orc", "archiviste")
    return user


def make_agent(departements: str = "31", email: str = "agent.ad31@example.fr") -> User:
    from pigp.orc.models import ServiceArchives

    user = make_user(email)
    service, _ = ServiceArchives.objects.get_or_create(
        nom=f"Archives départementales ({departements})", defaults={"departements": departements}
    )
    service.agents.add(user)
    return user
