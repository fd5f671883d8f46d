"""`python -m meetup.i18n update | check | compile` (see the package's docstring)."""

from __future__ import annotations

import sys

from . import compile_catalogue, extract, problems, translated_locales, update


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "update"
    if command == "update":
        return _report(update(), "string(s) to translate in the .po")
    if command == "check":
        template = extract()
        return _report({loc: problems(loc, template) for loc in translated_locales()}, "problem(s)")
    if command == "compile":
        for locale in translated_locales():
            print(compile_catalogue(locale))
        return 0
    print(sys.modules["meetup.i18n"].__doc__)
    return 2


def _report(found: dict[str, list[str]], what: str) -> int:
    for locale, lines in found.items():
        print(f"{locale}: {len(lines)} {what}" if lines else f"{locale}: complete")
        for line in lines:
            print(f"  {line}")
    return 1 if any(found.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
