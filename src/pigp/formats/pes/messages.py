"""French wording of what libxml2 and zlib say in English.

A user reads « Ligne 12 : balise ouvrante attendue », never « Start tag expected, '<' not
found ». Messages that are not recognised are not shown raw: the caller's French sentence
stands alone (the line and the element already say where).
"""

from __future__ import annotations

import re

# libxml2 parser messages (xmlerror.h wording), the ones real flows meet.
_PARSER: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.S | re.I), french)
    for pattern, french in (
        (r"Start tag expected, '<' not found", "balise ouvrante attendue : « < » introuvable"),
        (r"Document is empty", "le document est vide"),
        (
            r"Opening and ending tag mismatch: (\S+) line (\d+) and (\S+)",
            "la balise fermante « \\3 » ne ferme pas « \\1 » ouverte ligne \\2",
        ),
        (
            r"Excessive depth in document: (\d+)",
            "imbrication des éléments trop profonde (\\1 niveaux au plus)",
        ),
        (r"Extra content at the end of the document", "du contenu suit la fin du document"),
        (r"Premature end of data in tag (\S+)", "le document s'arrête dans l'élément « \\1 »"),
        (r"EndTag: '</' not found", "balise fermante « </ » attendue"),
        (r"Couldn't find end of Start Tag (\S+)", "la balise ouvrante « \\1 » n'est pas fermée"),
        (r"expected '>'", "« > » attendu"),
        (r"AttValue: \" or ' expected", "la valeur d'un attribut doit être entre guillemets"),
        (r"attributes construct error", "attributs mal écrits"),
        (r"Attribute (\S+) redefined", "l'attribut « \\1 » est écrit deux fois"),
        (
            r"Specification mandates value for attribute (\S+)",
            "l'attribut « \\1 » n'a pas de valeur",
        ),
        (
            r"Unescaped '<' not allowed in attributes values",
            "« < » interdit dans la valeur d'un attribut (écrire &lt;)",
        ),
        (r"StartTag: invalid element name", "nom d'élément invalide"),
        (
            r"xmlParseEntityRef: no name|EntityRef: expecting ';'",
            "« & » isolé : écrire &amp; dans le texte",
        ),
        (r"Entity '([^']+)' not defined", "entité « \\1 » non définie"),
        (r"Comment not terminated", "commentaire non terminé"),
        (r"Blank needed here", "espace attendu"),
        (r"Char 0x([0-9A-F]+) out of allowed range", "caractère interdit en XML (0x\\1)"),
        (r"PCDATA invalid Char value (\d+)", "caractère interdit en XML (code \\1)"),
        (
            r"Input is not proper UTF-8, indicate encoding !\s*Bytes: ([0-9A-Fx ]+)",
            "octets invalides pour l'encodage UTF-8 : \\1",
        ),
        (r"Unsupported encoding (\S+)", "encodage « \\1 » non pris en charge"),
        (r"Document labelled UTF-16 but has UTF-8 content", "encodage UTF-16 déclaré, UTF-8 lu"),
        (r"XML declaration allowed only at the start", "la déclaration XML doit ouvrir le fichier"),
        (r"Huge input lookup|xmlSAX2Characters: huge text node", "texte trop long pour le lecteur"),
    )
)

# zlib / gzip / zipfile messages of Python's standard library.
_COMPRESSION: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.S | re.I), french)
    for pattern, french in (
        (
            r"Compressed file ended before the end-of-stream marker was reached",
            "le fichier compressé est tronqué (sa fin manque)",
        ),
        (r"Not a gzipped file", "ce n'est pas un fichier gzip"),
        (r"CRC check failed", "la somme de contrôle ne correspond pas : fichier abîmé"),
        (r"Incorrect length of data produced", "la taille décompressée ne correspond pas"),
        (
            r"invalid (block type|distance|stored block|code lengths|literal)",
            "données compressées corrompues",
        ),
        (r"incorrect header check", "en-tête de compression invalide"),
        (r"File is not a zip file", "ce n'est pas une archive zip"),
        (r"Bad magic number", "archive zip abîmée"),
        (r"Truncated file header", "archive zip tronquée"),
    )
)


def _translate(table: tuple[tuple[re.Pattern[str], str], ...], message: str) -> str | None:
    for pattern, french in table:
        if found := pattern.search(message):
            return found.expand(french)
    return None


def parser_message(message: str) -> str | None:
    """libxml2's parser message in French, or None when it is not one we know."""
    return _translate(_PARSER, message)


def compression_message(message: str) -> str:
    """zlib's or zipfile's message in French (a generic sentence for an unknown one)."""
    return _translate(_COMPRESSION, message) or "données compressées illisibles"


# What a value of a PES simple type looks like, by the base of its name.
_EXPECTED_FORMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^V_DateHeure|DateTime", re.I), "une date et heure AAAA-MM-JJTHH:MM:SS"),
    (re.compile(r"^V_Date", re.I), "une date AAAA-MM-JJ (par exemple 2026-03-31)"),
    (
        re.compile(r"^V_Montant|Decimal|^V_Taux|^V_Quantite", re.I),
        "un nombre décimal avec un point (par exemple 1234.56)",
    ),
    (re.compile(r"^V_Num|^V_Entier|Integer|^V_Int", re.I), "un nombre entier"),
    (re.compile(r"^V_Bool", re.I), "0 ou 1"),
)


def expected_form(type_name: str) -> str:
    """« une date AAAA-MM-JJ » for V_Date…; the type's name when its form is not known."""
    bare = type_name.rsplit("}", 1)[-1]
    for pattern, form in _EXPECTED_FORMS:
        if pattern.search(bare):
            return form
    return f"une valeur du type {bare}"
