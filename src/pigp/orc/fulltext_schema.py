"""The SQL of ORC's full-text index and of the indexes of the search's criteria and sorts,
unknown to Django's models: created by migration `orc.0004_recherche`, and put back by
`pigp.orc.search.ensure_index` after every migrate (SQLite drops them when a later migration
rebuilds the table). Constants only, no Django import: the migration reads them.

An index added to `BTREE` later is created by the next migrate (`ensure_index`).
"""

# (name, columns) of the B-tree indexes of the sorts and the criteria, on both databases.
BTREE = {
    "orc_unit_coll_paiement": "collectivite_id, date_paiement, id",
    "orc_unit_coll_emission": "collectivite_id, date_emission, id",
    "orc_unit_pec": "date_prise_en_charge, id",
    # The exercice first: a search of one exercice sorted by a date walks that year only.
    "orc_unit_annee_emission": "annee, date_emission, id",
    "orc_unit_annee_pec": "annee, date_prise_en_charge, id",
    "orc_unit_annee_paiement": "annee, date_paiement, id",
    "orc_unit_coll_annee_emission": "collectivite_id, annee, date_emission, id",
    "orc_unit_coll_pec": "collectivite_id, date_prise_en_charge, id",
    "orc_unit_coll_montant": "collectivite_id, mt_ttc, id",
    "orc_unit_coll_bordereau": "collectivite_id, numero_bordereau, numero",
    "orc_unit_paiement": "date_paiement, id",
    "orc_unit_emission": "date_emission, id",
    "orc_unit_montant": "mt_ttc, id",
    "orc_unit_tiers_nom": "tiers_nom, id",
    "orc_unit_numero": "length(numero), numero, id",  # numbers sorted as numbers
    "orc_unit_bordereau": "length(numero_bordereau), numero_bordereau, length(numero), numero, id",
    "orc_unit_objet": "objet, id",
}
# icontains is UPPER(column::text) LIKE …; startswith / contains is column::text LIKE ….
TRIGRAMS = {
    "orc_unit_tiers_trgm": "UPPER((tiers_nom)::text)",
    "orc_unit_objet_trgm": "UPPER((objet)::text)",
    "orc_unit_factures_trgm": "UPPER((numeros_factures)::text)",
    "orc_unit_natures_trgm": "(natures)::text",
    "orc_unit_fonctions_trgm": "(fonctions)::text",
}

# The text search configuration: `french` (Snowball stemmer, stop words), accents dropped
# first when the server has the `unaccent` extension (« bacteriologique » finds
# « bactériologiques »).
CONFIG = "orc_francais"
PG_COLUMN = f"""
ALTER TABLE orc_archiveunit ADD COLUMN IF NOT EXISTS recherche tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('{CONFIG}'::regconfig, coalesce(objet, '')), 'A') ||
    setweight(to_tsvector('{CONFIG}'::regconfig, left(coalesce(texte, ''), 500000)), 'B')
) STORED
"""


SQLITE_FTS = [
    """CREATE VIRTUAL TABLE orc_archiveunit_fts USING fts5(
        objet, texte, content='orc_archiveunit', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='3 5')""",
    """CREATE TRIGGER orc_archiveunit_fts_ai AFTER INSERT ON orc_archiveunit BEGIN
        INSERT INTO orc_archiveunit_fts(rowid, objet, texte) VALUES (new.id, new.objet, new.texte);
    END""",
    """CREATE TRIGGER orc_archiveunit_fts_ad AFTER DELETE ON orc_archiveunit BEGIN
        INSERT INTO orc_archiveunit_fts(orc_archiveunit_fts, rowid, objet, texte)
        VALUES ('delete', old.id, old.objet, old.texte);
    END""",
    """CREATE TRIGGER orc_archiveunit_fts_au AFTER UPDATE OF objet, texte ON orc_archiveunit
    BEGIN
        INSERT INTO orc_archiveunit_fts(orc_archiveunit_fts, rowid, objet, texte)
        VALUES ('delete', old.id, old.objet, old.texte);
        INSERT INTO orc_archiveunit_fts(rowid, objet, texte) VALUES (new.id, new.objet, new.texte);
    END""",
    "INSERT INTO orc_archiveunit_fts(orc_archiveunit_fts) VALUES ('rebuild')",
]
