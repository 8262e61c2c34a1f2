"""Chorus' part of the demo: four suppliers (one with a confirmed account, `fournisseur@demo.
pigp.fr`), about twenty invoices over the demo collectivités at every status of the life cycle,
deposited through `depot.deposer` from UBL and CII files written by `exemples` (no reference sample is
read), processed through the recipient's services, and some following their mandat in Hélios.

- Over the last two months: invoices deposited and left at 03, rejected (05), suspended (06),
  suspended then completed by the supplier (12), service fait (07), mandated under a number
  Hélios has not seen (08), one addressed to an unknown SIRET (04, À recycler).
- 01 Déposée and 02 En cours d'acheminement are instants in pigp (the routing runs within the
  deposit); two invoices are set back to them, to show those statuses.
- The Hélios link: on the evening of each day a Saint-Orens dépense flow reached the ledger
  (the Hélios demo replays a year), an invoice is deposited, its service fait stated and it is
  marked 08 with one of those mandats' numbers (`traitement.traiter`: linked at once, 09);
  then the real Hélios steps move it through the receivers: prise en charge (10), payment run
  (11, with the EndToEndId) or rejet (back to 07 with the comptable's motif). On the last day,
  two fresh mandats still to be taken in charge keep their invoice at 09, and one mandat taken
  in charge but not paid yet (at Muret; taken in charge that day when the replayed calendar
  left none waiting) is picked when marking 08: its invoice catches up at once (10).

Played once: when the demo supplier exists, a second run adds nothing.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from django.db import transaction
from django.utils import timezone

from pigp.chorus import depot, traitement
from pigp.chorus.exemples import Ligne, Partie, cii, ubl
from pigp.chorus.models import (
    CompteFournisseur,
    Facture,
    FactureEvent,
    Fournisseur,
    ServiceDestinataire,
    StatutFacture,
)
from pigp.core.demo import DEMO_PASSWORD
from pigp.core.demo_clock import Timeline, workday
from pigp.core.models import (
    Collectivite,
    User,
)
from pigp.helios import states
from pigp.helios.models import Domaine, EtatPiece, Piece

log = logging.getLogger(__name__)
S = StatutFacture
DAY = datetime.timedelta(days=1)

SAINT_ORENS = "21310555400017"
MURET = "21310395500018"
UNKNOWN_BUYER = "33012345600015"  # no collectivité has it: the invoice is « À recycler »
ORDONNATEUR = "ordonnateur@demo.pigp.fr"
MURET_COMPTABLE = "comptable@demo.pigp.fr"  # the SGC de Muret
SUPPLIER_USER = "fournisseur@demo.pigp.fr"
SUPPLIER_ACCOUNT = (SUPPLIER_USER, "Fournisseur sur Chorus Pro (Fournitures du Lauragais)")

FOURNISSEURS = [
    Partie(
        "73282932000074", "Fournitures du Lauragais", "Labège", "12 rue de l'Industrie", "31670"
    ),
    Partie("44306184100047", "Bureau Occitan", "Toulouse", "5 allée Jean Jaurès", "31000"),
    Partie("89425176800012", "Garonne Travaux Publics", "Muret", "ZA de Joffrery", "31600"),
    Partie("51234567900025", "Restauration Collective du Sud-Ouest", "Blagnac", "8 av. Latécoère"),
]
CATALOGUE = [
    Ligne("Ramettes de papier A4 (carton de 5)", Decimal("12"), Decimal("21.50")),
    Ligne("Cartouches de toner", Decimal("4"), Decimal("89.90")),
    Ligne("Réfection de chaussée (m²)", Decimal("85"), Decimal("42.00")),
    Ligne("Repas de restauration scolaire", Decimal("640"), Decimal("3.85")),
    Ligne("Fauteuils de bureau", Decimal("6"), Decimal("189.00")),
    Ligne("Entretien des espaces verts (forfait mensuel)", Decimal("1"), Decimal("1450.00")),
]
SERVICE = ("SERV-FIN", "Service des finances")
HELIOS_QUOTA = 9  # invoices linked to a mandat over the history
FRESH_LINKS = 2  # mandats still to take in charge on the last day, their invoice at 09


@dataclass
class Loaded:
    factures: int = 0
    liees: int = 0


def load_demo(timeline: Timeline | None = None) -> Loaded:
    """Add Chorus' steps to `timeline` (played at once when there is none)."""
    own = timeline is None
    timeline = timeline or Timeline()
    loaded = Loaded()
    if Fournisseur.objects.filter(siret=FOURNISSEURS[0].siret).exists():
        return loaded
    start = workday(timeline.start + datetime.timedelta(days=2))
    timeline.add(timeline.moment(start, 9, 15), _setup)
    # The recipient's own work, over the last two months.
    day = workday(timeline.end - datetime.timedelta(days=60))
    for n, scenario in enumerate(SCENARIOS):
        timeline.add(
            timeline.moment(day, 10, 5 + n),
            partial(_scenario, loaded, n, scenario),
            hooks=False,
        )
        day = workday(day + datetime.timedelta(days=4))
        day = min(day, timeline.end)
    # The Hélios link, each evening (cheap when no flow came that day).
    day = workday(start + DAY)
    while day <= timeline.end:
        timeline.add(
            timeline.moment(day, 21, 30), partial(_link_new_mandats, loaded, day), hooks=False
        )
        day = workday(day + DAY)
    last = timeline.fresh[-1] if timeline.fresh else timeline.end
    timeline.add(timeline.moment(last, 21, 45), partial(_link_fresh, loaded))
    if own:
        timeline.run()
    return loaded


@transaction.atomic
def _setup() -> None:
    for partie in FOURNISSEURS:
        Fournisseur.objects.get_or_create(
            siret=partie.siret,
            defaults={"raison_sociale": partie.nom, "email": ""},
        )
    user, created = User.objects.get_or_create(
        email=SUPPLIER_USER, defaults={"first_name": "Fabien", "last_name": "Fournisseur"}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    CompteFournisseur.objects.get_or_create(
        user=user,
        fournisseur=Fournisseur.objects.get(siret=FOURNISSEURS[0].siret),
        defaults={"confirme": True},
    )
    coll = Collectivite.objects.filter(siret=SAINT_ORENS).first()
    if coll is not None:
        ServiceDestinataire.objects.get_or_create(
            collectivite=coll, code=SERVICE[0], defaults={"libelle": SERVICE[1]}
        )


# (supplier index, buyer SIRET, catalogue lines, what happens) for the recipient's scenarios.
SCENARIOS: list[tuple[int, str, tuple[int, ...], str]] = [
    (0, SAINT_ORENS, (0, 1), "03"),
    (1, SAINT_ORENS, (4,), "05"),
    (2, SAINT_ORENS, (2,), "06"),
    (3, SAINT_ORENS, (3,), "12"),
    (0, SAINT_ORENS, (0,), "07"),
    (1, SAINT_ORENS, (1, 4), "08"),
    (2, UNKNOWN_BUYER, (2,), "04"),
    (3, MURET, (3,), "03"),
    (0, SAINT_ORENS, (1,), "01"),
    (1, SAINT_ORENS, (0, 4), "02"),
    (2, MURET, (5,), "03"),
    (3, SAINT_ORENS, (5,), "07"),
]


def _buyer(siret: str) -> Partie:
    coll = Collectivite.objects.filter(siret=siret).first()
    return Partie(siret, coll.nom if coll else "Syndicat intercommunal inconnu")


def _deposit(loaded: Loaded, n: int, supplier: int, buyer: str, lines: tuple[int, ...]) -> Facture:
    vendeur = FOURNISSEURS[supplier]
    fournisseur = Fournisseur.objects.get(siret=vendeur.siret)
    today = timezone.localdate()
    numero = f"FA-{today:%Y}-{n:04d}"
    # Bureau Occitan sends CII, the others UBL.
    data = (cii if supplier == 1 else ubl)(
        numero,
        vendeur,
        _buyer(buyer),
        [CATALOGUE[i] for i in lines],
        date=today - datetime.timedelta(days=3),
        service=SERVICE[0] if buyer == SAINT_ORENS else "",
    )
    compte = CompteFournisseur.objects.filter(fournisseur=fournisseur, confirme=True).first()
    result = depot.deposer(fournisseur, compte.user if compte else None, data, f"{numero}.xml")
    if result.facture is None:  # pragma: no cover - the files are built valid
        raise RuntimeError(f"démo Chorus : dépôt refusé {result.controles}")
    loaded.factures += 1
    return result.facture


def _scenario(loaded: Loaded, n: int, scenario: tuple[int, str, tuple[int, ...], str]) -> None:
    supplier, buyer, lines, target = scenario
    facture = _deposit(loaded, 100 + n, supplier, buyer, lines)
    ordo = User.objects.get(email=ORDONNATEUR)
    if target == "05":
        traitement.traiter(
            facture, S.REJETEE, actor=ordo, motif="Commande non passée par la commune."
        )
    elif target in ("06", "12"):
        traitement.traiter(
            facture, S.SUSPENDUE, actor=ordo, motif="Bon de livraison signé manquant."
        )
        if target == "12":
            depot.completer(facture, None, commentaire="Bon de livraison signé joint par courriel.")
    elif target in ("07", "08"):
        traitement.traiter(facture, S.SERVICE_FAIT, actor=ordo)
        if target == "08":
            # A mandat number Hélios has not received yet: the invoice waits at 08.
            traitement.traiter(facture, S.MANDATEE, actor=ordo, numero_mandat="990001")
    elif target in ("01", "02"):
        _rewind(facture, target)


def _rewind(facture: Facture, statut: str) -> None:
    """01 and 02 last an instant in pigp: the demo sets an invoice back to one, its later steps
    taken out of its history, to show the status."""
    later = FactureEvent.objects.filter(facture=facture).order_by("at", "pk")
    keep = {S.DEPOSEE} | ({S.EN_COURS_ACHEMINEMENT} if statut == S.EN_COURS_ACHEMINEMENT else set())
    later.exclude(statut__in=keep).delete()
    Facture.objects.filter(pk=facture.pk).update(statut=statut, collectivite=None, service=None)


def _mandats(
    day: datetime.date | None, etat: str = EtatPiece.RECUE, siret: str = SAINT_ORENS
) -> list[Piece]:
    qs = Piece.objects.filter(
        collectivite__siret=siret,
        domaine=Domaine.DEPENSE,
        etat=etat,
        factures_chorus__isnull=True,
    )
    if day is not None:
        qs = qs.filter(bordereau__recu_le__date=day)
    return list(qs.order_by("pk")[:2])


def _link(loaded: Loaded, piece: Piece, buyer: str = SAINT_ORENS) -> None:
    n = 200 + loaded.liees
    facture = _deposit(loaded, n, n % len(FOURNISSEURS), buyer, (n % len(CATALOGUE),))
    ordo = User.objects.get(email=ORDONNATEUR)
    traitement.traiter(facture, S.SERVICE_FAIT, actor=ordo)
    traitement.traiter(facture, S.MANDATEE, actor=ordo, numero_mandat=piece.id_pce, mandat=piece.pk)
    facture.refresh_from_db(fields=["statut", "mandat"])
    if facture.mandat_id is None:  # pragma: no cover - the mandat is in the ledger
        log.warning("démo Chorus : le mandat %s n'a pas été lié", piece.id_pce)
    loaded.liees += 1


def _link_new_mandats(loaded: Loaded, day: datetime.date) -> None:
    if loaded.liees >= HELIOS_QUOTA:
        return
    for piece in _mandats(day):
        _link(loaded, piece)


def _link_fresh(loaded: Loaded) -> None:
    """Two fresh mandats (09), and one taken in charge, not paid yet: marked 08 with its
    number, the invoice catches up with it at once (10)."""
    for piece in _mandats(None)[:FRESH_LINKS]:
        _link(loaded, piece)
    taken = _mandats(None, EtatPiece.PRISE_EN_CHARGE, MURET)[:1]
    if not taken:
        # Whether a Muret mandat waits for its payment run on the last day depends on the
        # calendar the Hélios demo replays: when none does, the comptable takes one of the
        # fresh ones in charge, as he would on that day.
        taken = _mandats(None, EtatPiece.RECUE, MURET)[:1]
        for piece in taken:
            states.transition(piece, EtatPiece.PRISE_EN_CHARGE, actor=MURET_COMPTABLE)
    for piece in taken:
        _link(loaded, piece, MURET)
