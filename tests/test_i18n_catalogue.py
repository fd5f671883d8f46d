"""The French catalogue is complete: every string the sources hold (code, templates, scripts)
has a French translation that is neither empty nor fuzzy, with the same placeholders, and the
app compiles and serves it with no step beyond installing.

When this fails after adding or changing a string: `python -m meetup.i18n update`, translate
what it lists in meetup/translations/fr/LC_MESSAGES/messages.po, and run it again."""

from __future__ import annotations

import copy

import pytest
from babel.messages.catalog import Catalog
from flask_babel import force_locale, gettext, ngettext

from meetup import i18n


@pytest.fixture(scope="module")
def template() -> Catalog:
    return i18n.extract()


def test_the_french_catalogue_has_every_string_translated(template):
    found = i18n.problems("fr", template)
    assert not found, (
        "The French catalogue is out of step with the sources. Run `python -m meetup.i18n "
        "update` and translate what it lists:\n  " + "\n  ".join(found[:40])
    )


def test_the_check_finds_a_missing_an_empty_a_fuzzy_and_a_broken_translation(template):
    catalog = i18n.read_catalogue("fr")
    ids = [m.id for m in catalog if m.id and isinstance(m.id, str) and "%(" not in m.id][:3]
    formatted = next(m for m in catalog if isinstance(m.id, str) and "%(name)s" in m.id)
    broken = copy.deepcopy(catalog)
    del broken[ids[0]]
    broken[ids[1]].string = ""
    broken[ids[2]].flags.add("fuzzy")
    broken[formatted.id].string = formatted.string.replace("%(name)s", "%(nom)s")
    found = "\n".join(i18n.problems("fr", template, broken))
    assert f"missing: {ids[0][:100]!r}" in found
    assert f"untranslated: {ids[1][:100]!r}" in found
    assert f"fuzzy: {ids[2][:100]!r}" in found
    assert f"wrong placeholders: {formatted.id[:100]!r}" in found


def test_extraction_reads_python_templates_and_plurals(template):
    ids = {m.id if isinstance(m.id, str) else m.id[0]: m for m in template}
    assert "Join the waitlist" in ids  # a template
    assert "Choose a CSV file." in ids  # a lazy string in a form
    assert ids["%(num)d member"].pluralizable  # ngettext in a template


def test_french_reads_as_french_product_would(app):
    with app.test_request_context(), force_locale("fr"):
        assert gettext("Going") == "Je viens"
        assert gettext("Can't go") == "Je ne peux pas"
        assert gettext("Waitlist") == "Liste d'attente"
        assert ngettext("%(num)d member", "%(num)d members", 1) == "1 membre"
        assert ngettext("%(num)d member", "%(num)d members", 0) == "0 membre"
        assert ngettext("%(num)d member", "%(num)d members", 2) == "2 membres"


def test_a_missing_or_stale_compiled_catalogue_is_compiled_at_start(tmp_path, monkeypatch):
    translations = tmp_path / "translations"
    source = i18n.po_path("fr")
    po = translations / "fr" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_bytes(source.read_bytes())
    monkeypatch.setattr(i18n, "TRANSLATIONS", translations)
    mo = po.with_suffix(".mo")
    assert not mo.exists()
    assert i18n.compiled_directories(tmp_path / "elsewhere") == [str(translations)]
    assert mo.stat().st_size > 10_000
    first = mo.stat().st_mtime_ns
    i18n.compiled_directories(tmp_path / "elsewhere")  # fresh: left alone
    assert mo.stat().st_mtime_ns == first


def test_pages_come_in_french_for_a_french_browser(client):
    page = client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    html = page.get_data(as_text=True)
    assert '<html lang="fr"' in html
    assert "M’envoyer un lien de connexion" in html or "M'envoyer un lien de connexion" in html
    english = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en"' in english.get_data(as_text=True)


def test_no_template_glues_punctuation_to_a_translation():
    """`{{ _('Preview') }}: ...` can't be right in French, which puts a no-break space before
    ":", ";", "?" and "!": the punctuation belongs inside the translated string."""
    import re
    from pathlib import Path

    glued = re.compile(r"_\([^{}]*\)\s*\}\}\s?[:;!?]")
    root = Path(__file__).resolve().parent.parent / "templates"
    found = [
        f"{path.relative_to(root)}:{n}: {line.strip()}"
        for path in sorted(root.rglob("*.*"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if glued.search(line)
    ]
    assert not found, "Put the punctuation inside the string:\n" + "\n".join(found)
