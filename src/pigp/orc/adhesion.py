"""The early-destruction offer: a collectivité's adhesion (its convention) and what it covers.

One adhesion in force per collectivité (a database constraint). Coverage starts when the
adhesion is recorded, not at the signing date typed by the ordonnateur: a PJ received before
the platform knew of the convention is never covered. A PJ received while an adhesion was in
force stays covered after a résiliation (its attestation may already have been relied on).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from pigp.core import journal
from pigp.core.files import Readable
from pigp.core.models import Collectivite, User
from pigp.orc import silo
from pigp.orc.models import Adhesion

PDF_MAGIC = b"%PDF-"


class AdhesionError(Exception):
    """The adhesion cannot be recorded or ended; the message is French, for the user."""


def in_force(collectivite_id: int) -> Adhesion | None:
    """The collectivité's adhesion in force, None when it has none."""
    return Adhesion.objects.filter(collectivite_id=collectivite_id, fin_le__isnull=True).first()


def covers(collectivite_id: int, received_at: datetime.datetime) -> bool:
    """Was a PJ received at `received_at` covered by an adhesion of the collectivité?"""
    return Adhesion.objects.filter(
        Q(fin_le__isnull=True) | Q(fin_le__gt=received_at),
        collectivite_id=collectivite_id,
        enregistree_le__lte=received_at,
    ).exists()


def history(collectivite_id: int) -> list[Adhesion]:
    return list(
        Adhesion.objects.filter(collectivite_id=collectivite_id)
        .select_related("enregistree_par", "convention")
        .order_by("-enregistree_le", "-pk")
    )


def adherer(
    collectivite: Collectivite,
    actor: User,
    *,
    signee_le: datetime.date,
    signataire: str,
    qualite: str,
    convention: Readable | None = None,
    request: HttpRequest | None = None,
) -> Adhesion:
    """Record the signed convention; its PDF, when given, is archived on every copy first."""
    signataire, qualite = signataire.strip(), qualite.strip()
    if not signataire or not qualite:
        raise AdhesionError("Le nom et la qualité du signataire sont obligatoires.")
    if signee_le > timezone.localdate():
        raise AdhesionError("La date de signature de la convention ne peut être dans le futur.")
    if in_force(collectivite.pk) is not None:
        raise AdhesionError("Une adhésion est déjà en vigueur pour cette collectivité.")
    obj = None
    if convention is not None:
        head = convention.read(len(PDF_MAGIC))
        if head != PDF_MAGIC:
            raise AdhesionError("La convention signée doit être un fichier PDF.")
        # The silo spools the whole stream: give it back its first bytes.
        obj = silo.archive(_Prefixed(head, convention), media_type="application/pdf")
    details: dict[str, Any] = {
        "operation": "adhesion",
        "signee_le": signee_le.isoformat(),
        "signataire": signataire,
        "qualite": qualite,
        "convention_sha512": obj.sha512 if obj else "",
    }
    try:
        with transaction.atomic():
            adhesion = Adhesion.objects.create(
                collectivite=collectivite,
                signee_le=signee_le,
                signataire=signataire,
                qualite=qualite,
                enregistree_par=actor,
                convention=obj,
            )
            journal.record(
                "orc_adhesion",
                actor=actor,
                obj=adhesion,
                collectivite=collectivite,
                request=request,
                details=details,
            )
    except IntegrityError as exc:  # recorded meanwhile by someone else
        raise AdhesionError("Une adhésion est déjà en vigueur pour cette collectivité.") from exc
    return adhesion


def resilier(
    collectivite: Collectivite, actor: User, *, request: HttpRequest | None = None
) -> Adhesion:
    """End the adhesion in force: PJ received from now on are no longer covered."""
    with transaction.atomic():
        adhesion = (
            Adhesion.objects.select_for_update()
            .filter(collectivite=collectivite, fin_le__isnull=True)
            .first()
        )
        if adhesion is None:
            raise AdhesionError("Cette collectivité n'a pas d'adhésion en vigueur.")
        adhesion.fin_le = timezone.now()
        adhesion.save(update_fields=["fin_le"])
        journal.record(
            "orc_adhesion_resiliee",
            actor=actor,
            obj=adhesion,
            collectivite=collectivite,
            request=request,
            details={"operation": "resiliation", "fin_le": adhesion.fin_le.isoformat()},
        )
    return adhesion


class _Prefixed:
    """A stream whose first bytes were already read."""

    def __init__(self, head: bytes, rest: Readable) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size is None or size < 0:
                out = self._head + self._rest.read()
                self._head = b""
                return out
            out, self._head = self._head[:size], self._head[size:]
            if len(out) < size:
                out += self._rest.read(size - len(out))
            return out
        return self._rest.read(size)
