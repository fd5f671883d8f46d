"""A French export imports: French column names (Nom, Prénom, Adresse e-mail, Courriel,
Entreprise, Société, Poste, Fonction, Statut) and what French Excel writes (semicolons,
Windows-1252, CRLF), through the pages in French."""

from __future__ import annotations

from sqlalchemy import select

from meetup.extensions import db
from meetup.models import Membership, User
from meetup.services.community import member_import as mi
from tests.test_community_member_import import (  # noqa: F401 (fixtures)
    import_dir,
    organizer_client,
    token_of,
    upload,
)

# Bytes as French Excel saves "CSV (séparateur : point-virgule)": Windows-1252, CRLF.
EXCEL_FR = (
    "Prénom;Nom;Adresse e-mail;Société;Fonction;Statut\r\n"
    "Léa;Dupré;lea.dupre@example.fr;Société Générale;Chargée d'études;Actif\r\n"
    "François;Lefèvre;francois@example.fr;Crédit Agricole;Directeur financier;\r\n"
    "Zoé;Bérénice;zoe@example.fr;Élysée Conseil;Ingénieure;Désactivé\r\n"
    "Noël;Öztürk;pas-une-adresse;;;\r\n"
).encode("cp1252")


def test_a_french_excel_file_decodes_and_its_columns_are_recognised():
    assert b"\xe9" in EXCEL_FR  # "é" as Windows-1252 writes it: not UTF-8
    table = mi.read_csv(EXCEL_FR)
    assert (table.encoding, table.delimiter) == ("cp1252", ";")
    mapping = mi.detect_mapping(table)
    assert mapping.as_dict() | {"guests": None} == {
        "email": 2, "name": None, "first_name": 0, "last_name": 1,
        "company": 3, "headline": 4, "status": 5, "guests": None,
    }  # fmt: skip
    plan = mi.plan(table, mapping)
    assert [(p.name, p.company, p.headline) for p in plan.people] == [
        ("Léa Dupré", "Société Générale", "Chargée d'études"),
        ("François Lefèvre", "Crédit Agricole", "Directeur financier"),
    ]
    skipped = {reason: n for reason, n in plan.skipped_by_reason.items() if n}
    assert skipped == {"deactivated": 1, "invalid_email": 1}


def test_other_french_names_for_the_same_columns():
    text = "Nom complet,Courriel,Entreprise,Poste,État\nAnaïs Roy,anais@example.fr,Acme,CTO,\n"
    mapping = mi.detect_mapping(mi.read_csv(text.encode("utf-8")))
    assert mapping.as_dict() | {"guests": None} == {
        "email": 1, "name": 0, "first_name": None, "last_name": None,
        "company": 2, "headline": 3, "status": 4, "guests": None,
    }  # fmt: skip


def test_a_french_organizer_imports_a_french_export_in_french(organizer_client, import_dir):  # noqa: F811
    client, group = organizer_client
    french = {"Accept-Language": "fr-FR,fr;q=0.9"}
    resp = upload(client, group, "export.csv", EXCEL_FR)
    assert resp.status_code == 302
    token = token_of(resp)
    page = client.get(f"/g/{group.slug}/import/{token}", headers=french).get_data(as_text=True)
    assert "seront ajoutés" in page and "Léa Dupré" in page and "compte désactivé" in page
    resp = client.post(f"/g/{group.slug}/import/{token}", headers=french)
    assert resp.status_code == 302
    members = client.get(resp.headers["Location"], headers=french).get_data(as_text=True)
    assert "Import terminé\u00a0: 2 ajoutés" in members
    lea = db.session.scalar(select(User).where(User.email == "lea.dupre@example.fr"))
    assert (lea.name, lea.company, lea.headline) == (
        "Léa Dupré",
        "Société Générale",
        "Chargée d'études",
    )
    assert (
        db.session.scalar(select(Membership.source).where(Membership.user_id == lea.id)) == "import"
    )
