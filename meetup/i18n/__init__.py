"""The translation catalogues: extracting the strings, keeping each language's catalogue in step,
and compiling it for the app.

    python -m meetup.i18n update    # extract, update every catalogue, compile, list what's left
    python -m meetup.i18n check     # exit 1 while a string is missing, empty or fuzzy

The .po files under meetup/translations/ are the source; the .mo beside each is compiled from it
when the app starts (missing or older than its .po), so a fresh install needs no extra step.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from flask import g, has_request_context

PACKAGE = Path(__file__).resolve().parent.parent
ROOT = PACKAGE.parent
TRANSLATIONS = PACKAGE / "translations"
MAPPING = ROOT / "babel.cfg"
DOMAIN = "messages"
# The languages the app speaks, with their own name for themselves (the language menus).
LANGUAGES = {"en": "English", "fr": "Français"}
SOURCE_LANGUAGE = "en"


def known_locale(value: object) -> str | None:
    """`value` when it names a language the app speaks ("fr"), else None."""
    return value if isinstance(value, str) and value in LANGUAGES else None


UNKNOWN = object()


def note_group_locale(group_id: int, locale: str | None) -> None:
    """Remembers, for this request, the language of a group already read (the page's group):
    emails queued for its members need not read it again."""
    if has_request_context():
        g.setdefault("group_locales", {})[group_id] = locale


def noted_group_locale(group_id: int) -> object:
    """What note_group_locale() remembered, or UNKNOWN."""
    return g.get("group_locales", {}).get(group_id, UNKNOWN) if has_request_context() else UNKNOWN


KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    "lazy_pgettext": ((1, "c"), 2),
}
# gettext's usual two forms for French (1 and 0 take the singular), not CLDR's three.
PLURAL_FORMS = {"fr": (2, "(n > 1)")}
# Fixed so that refreshing a catalogue only changes the lines of the strings that changed.
_STAMP = datetime(2026, 1, 1, tzinfo=UTC)


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def translated_locales() -> list[str]:
    return sorted(p.parent.parent.name for p in TRANSLATIONS.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


# ---------------------------------------------------------------- extracting and updating


def extract() -> Catalog:
    """Every translatable string in the code, the templates and the scripts, as found now."""
    with MAPPING.open() as fh:
        method_map, options_map = parse_mapping_cfg(fh, str(MAPPING))
    template = Catalog(project="Meetup", creation_date=_STAMP, fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
    ):
        if _outside_sources(filename):
            continue
        template.add(
            message,
            None,
            [(filename, lineno)],
            auto_comments=comments,
            context=context,
        )
    return template


def _outside_sources(filename: str) -> bool:
    first = Path(filename).parts[0]
    return first in {".venv", "tests", "bench", "build", "dist", "instance"}


def read_catalogue(locale: str) -> Catalog:
    with po_path(locale).open("rb") as fh:
        return read_po(fh, locale=locale, domain=DOMAIN)


def write_catalogue(catalog: Catalog, path: Path) -> None:
    catalog.creation_date = _STAMP
    catalog.revision_date = _STAMP
    catalog.fuzzy = False
    catalog.project, catalog.version = "Meetup", "1"
    catalog.header_comment = f"# {catalog.locale_identifier} translations of Meetup."
    catalog.last_translator = catalog.language_team = "Meetup"
    if catalog.locale_identifier in PLURAL_FORMS:
        catalog._num_plurals, catalog._plural_expr = PLURAL_FORMS[catalog.locale_identifier]
    path.parent.mkdir(parents=True, exist_ok=True)
    with _atomic(path) as fh:
        write_po(fh, catalog, sort_output=True, include_lineno=False, ignore_obsolete=True)


def update(template: Catalog | None = None) -> dict[str, list[str]]:
    """Brings every catalogue in step with the sources and compiles it; returns, per language,
    the strings still to translate (empty or fuzzy)."""
    template = template or extract()
    left = {}
    for locale in translated_locales():
        catalog = read_catalogue(locale)
        catalog.update(template, update_header_comment=False)
        write_catalogue(catalog, po_path(locale))
        compile_catalogue(locale)
        left[locale] = [_key(m) for m in catalog if m.id and (m.fuzzy or not _complete(m))]
    return left


def problems(
    locale: str, template: Catalog | None = None, catalog: Catalog | None = None
) -> list[str]:
    """What keeps a catalogue from being complete, one line per string."""
    template = template or extract()
    catalog = catalog or read_catalogue(locale)
    found = []
    for message in template:
        if not message.id:
            continue
        have = catalog.get(message.id, message.context)
        if have is None:
            found.append(f"missing: {_key(message)}")
        elif have.fuzzy:
            found.append(f"fuzzy: {_key(message)}")
        elif not _complete(have):
            found.append(f"untranslated: {_key(message)}")
    for message, errors in catalog.check():
        found.extend(f"wrong placeholders: {_key(message)} ({e})" for e in errors)
    template_ids = {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in template}
    for message in catalog:
        key = (message.id if isinstance(message.id, str) else message.id[0], message.context)
        if message.id and key not in template_ids:
            found.append(f"no longer in the sources: {_key(message)}")
    return found


def _complete(message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else [message.string]
    return all(s and s.strip() for s in strings)


def _key(message) -> str:
    text = message.id if isinstance(message.id, str) else message.id[0]
    return repr(text[:100])


# ---------------------------------------------------------------- compiling


def compile_catalogue(locale: str, target: Path | None = None) -> Path:
    target = target or po_path(locale).with_suffix(".mo")
    catalog = read_catalogue(locale)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _atomic(target, binary=True) as fh:
        write_mo(fh, catalog, use_fuzzy=False)
    return target


def compiled_directories(fallback: Path) -> list[str]:
    """The folders holding the compiled catalogues, compiling any that is missing or older than
    its .po. Next to the .po when the package folder is writable, else under `fallback`."""
    directories = {str(TRANSLATIONS)}
    for locale in translated_locales():
        source = po_path(locale)
        beside = source.with_suffix(".mo")
        if _fresh(beside, source):
            continue
        try:
            compile_catalogue(locale, beside)
        except OSError:
            elsewhere = fallback / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"
            if not _fresh(elsewhere, source):
                compile_catalogue(locale, elsewhere)
            directories = {str(fallback)}
    return sorted(directories)


def _fresh(compiled: Path, source: Path) -> bool:
    try:
        return compiled.stat().st_mtime >= source.stat().st_mtime
    except FileNotFoundError:
        return False


class _atomic:
    """Writes beside the target and renames over it, so a reader never sees half a file (two
    processes starting at once may both compile; the last rename wins, with the same bytes)."""

    def __init__(self, path: Path, binary: bool = False):
        self.path, self.binary = path, binary

    def __enter__(self):
        fd, self.tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        self.fh = os.fdopen(fd, "wb")
        return self.fh

    def __exit__(self, exc_type, *_):
        self.fh.close()
        if exc_type is None:
            os.chmod(self.tmp, 0o644)
            os.replace(self.tmp, self.path)
        else:
            os.unlink(self.tmp)
