"""Demo data: two postes, four collectivités, one account per role. Idempotent.

The accounts and habilitations date from the start of the demo's history (`demo_clock`); the
newcomer's request for access is a fresh one, waiting for the comptable.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from pigp.core import journal
from pigp.core.demo_clock import Timeline
from pigp.core.models import (
    Application,
    Budget,
    Collectivite,
    Habilitation,
    Juridiction,
    NatureCollectivite,
    Nomenclature,
    PosteComptable,
    Profil,
    StatutHabilitation,
    User,
)

DEMO_PASSWORD = "Portail-Demo-2026"  # noqa: S105 (public by design: demo accounts only)
# Fixed TOTP keys so the demo's privileged accounts can be used at once (README gives the secret).
DEMO_TOTP_KEY = (
    "3132333435363738393031323334353637383930"  # base32: GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
)


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: str
    second_factor: bool = False


ACCOUNTS = [
    DemoAccount(
        "ordonnateur@demo.pigp.fr", "Ordonnateur : toutes les applications (Saint-Orens, Muret)"
    ),
    DemoAccount("lecture@demo.pigp.fr", "Ordonnateur en consultation seule (Saint-Orens)"),
    DemoAccount(
        "comptable@demo.pigp.fr", "Comptable du SGC de Muret (double authentification)", True
    ),
    DemoAccount(
        "comptable.albi@demo.pigp.fr",
        "Comptable du SGC d'Albi, Département du Tarn (double authentification)",
        True,
    ),
    DemoAccount("juge@demo.pigp.fr", "Juge des comptes, CRC Occitanie"),
    DemoAccount("archiviste@demo.pigp.fr", "Archiviste de Saint-Orens (ORC)"),
    DemoAccount("archives@demo.pigp.fr", "Archives départementales de la Haute-Garonne (visa)"),
    DemoAccount("admin@demo.pigp.fr", "Administrateur national (double authentification)", True),
]

POSTES = [
    ("031042", "Service de gestion comptable de Muret", "12 avenue Jacques Douzans, 31600 Muret"),
    ("081013", "Service de gestion comptable d'Albi", "2 rue Sainte-Cécile, 81000 Albi"),
]

COLLECTIVITES = [
    # siret, nom, nature, poste codique, département, budgets (cod_col, cod_bud, libellé, nomenclature)
    (
        "21310555400017",
        "Commune de Saint-Orens-de-Gameville",
        NatureCollectivite.COMMUNE,
        "031042",
        "31",
        [
            ("055", "00", "Budget principal", Nomenclature.M57),
            ("055", "01", "Eau et assainissement", Nomenclature.M4),
        ],
    ),
    (
        "21310395500018",
        "Commune de Muret",
        NatureCollectivite.COMMUNE,
        "031042",
        "31",
        [("395", "00", "Budget principal", Nomenclature.M57)],
    ),
    (
        "20005426000019",
        "Communauté de communes du Volvestre",
        NatureCollectivite.EPCI,
        "031042",
        "31",
        [
            ("426", "00", "Budget principal", Nomenclature.M57),
            ("426", "02", "Ordures ménagères", Nomenclature.M57),
        ],
    ),
    (
        "22810001200019",
        "Département du Tarn",
        NatureCollectivite.DEPARTEMENT,
        "081013",
        "81",
        [("001", "00", "Budget principal", Nomenclature.M57)],
    ),
]


def _user(email: str, first: str, last: str, **extra: object) -> User:
    user, created = User.objects.get_or_create(
        email=email,
        # Field defaults hold the real clock: read the demo's (see `demo_clock`).
        defaults={"first_name": first, "last_name": last, "date_joined": timezone.now(), **extra},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def _grant(user: User, coll: Collectivite, app: str, profil: str, comptable: User) -> None:
    if Habilitation.objects.filter(user=user, collectivite=coll, application=app).exists():
        return
    hab = Habilitation.objects.create(
        user=user,
        collectivite=coll,
        application=app,
        profil=profil,
        statut=StatutHabilitation.ACTIVE,
        demandee_par=user,
        demandee_le=timezone.now(),
        decidee_par=comptable,
    )
    hab.decidee_le = hab.demandee_le
    hab.save(update_fields=["decidee_le"])
    journal.record(
        "habilitation_accordee", actor=comptable, obj=hab, collectivite=coll, details={"demo": True}
    )


def _totp(user: User) -> None:
    TOTPDevice.objects.get_or_create(
        user=user, name="Démonstration", defaults={"key": DEMO_TOTP_KEY, "confirmed": True}
    )


def load_demo(timeline: Timeline | None = None) -> list[DemoAccount]:
    """Create the organisations and accounts now, dated from the start of the history; add the
    newcomer's request to `timeline` (played at once when there is none)."""
    own = timeline is None
    timeline = timeline or Timeline()
    with timeline.at(timeline.moment(timeline.start, 8, 30)):
        _organisations_and_accounts()
    timeline.add(timeline.moment(timeline.fresh[-1], 16, 20), _newcomer_request)
    if own:
        timeline.run()
    return ACCOUNTS


@transaction.atomic
def _organisations_and_accounts() -> None:
    postes = {}
    for codique, nom, adresse in POSTES:
        postes[codique], _ = PosteComptable.objects.get_or_create(
            codique=codique, defaults={"nom": nom, "adresse": adresse}
        )
    colls = []
    for siret, nom, nature, codique, dep, budgets in COLLECTIVITES:
        coll, _ = Collectivite.objects.get_or_create(
            siret=siret,
            defaults={"nom": nom, "nature": nature, "poste": postes[codique], "departement": dep},
        )
        for cod_col, cod_bud, libelle, nomenclature in budgets:
            Budget.objects.get_or_create(
                collectivite=coll,
                cod_col=cod_col,
                cod_bud=cod_bud,
                defaults={"libelle": libelle, "nomenclature": nomenclature},
            )
        colls.append(coll)
    crc, _ = Juridiction.objects.get_or_create(
        nom="Chambre régionale des comptes Occitanie",
        defaults={"departements": "09, 11, 12, 30, 31, 32, 34, 46, 48, 65, 66, 81, 82"},
    )
    comptable = _user("comptable@demo.pigp.fr", "Claire", "Comptable", poste=postes["031042"])
    _totp(comptable)
    comptable_albi = _user(
        "comptable.albi@demo.pigp.fr", "Albin", "Comptable", poste=postes["081013"]
    )
    _totp(comptable_albi)
    admin = _user(
        "admin@demo.pigp.fr",
        "Adèle",
        "Administratrice",
        is_national_admin=True,
        is_staff=True,
        is_superuser=True,
    )
    _totp(admin)
    _user("juge@demo.pigp.fr", "Jules", "Juge", juridiction=crc)
    ordo = _user("ordonnateur@demo.pigp.fr", "Marie", "Ordonnatrice")
    lecture = _user("lecture@demo.pigp.fr", "Louis", "Lecteur")
    saint_orens, muret = colls[0], colls[1]
    profils = {
        Application.PASSERELLE: Profil.ADMINISTRATION,
        Application.EXTRANET: Profil.CONSULTATION,
        Application.CHORUS: Profil.TRANSMISSION,
        Application.ORC: Profil.ADMINISTRATION,  # signs the convention of the ORC offer
    }
    for app, profil in profils.items():
        _grant(ordo, saint_orens, app, profil, comptable)
        _grant(lecture, saint_orens, app, Profil.CONSULTATION, comptable)
    archiviste = _user("archiviste@demo.pigp.fr", "Anne", "Archiviste")
    _grant(archiviste, saint_orens, Application.ORC, Profil.ARCHIVISTE, comptable)
    _user("archives@demo.pigp.fr", "Arnaud", "Archives")  # ORC's demo makes him an agent
    _grant(ordo, muret, Application.PASSERELLE, Profil.TRANSMISSION, comptable)
    _grant(ordo, muret, Application.CHORUS, Profil.TRANSMISSION, comptable)  # its invoices


@transaction.atomic
def _newcomer_request() -> None:
    saint_orens = Collectivite.objects.get(siret=COLLECTIVITES[0][0])
    newcomer = _user("nouvel.agent@demo.pigp.fr", "Nina", "Nouvelle")
    if not Habilitation.objects.filter(user=newcomer).exists():
        hab = Habilitation.objects.create(
            user=newcomer,
            collectivite=saint_orens,
            application=Application.PASSERELLE,
            profil=Profil.TRANSMISSION,
            demandee_par=newcomer,
            demandee_le=timezone.now(),
            motif="Arrivée au service finances.",
        )
        journal.record("habilitation_demandee", actor=newcomer, obj=hab, collectivite=saint_orens)
