"""Scripts speak the page's language: their words come from the page (door.js's messages in
a JSON block, chips.js's line from /intros/read), never written in the script itself."""

from __future__ import annotations

import json
import re
from pathlib import Path

from meetup.extensions import db
from tests.factories import make_event, make_group, make_user

SCRIPTS = Path(__file__).resolve().parent.parent / "static" / "js"
FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}
# A literal that reads as words for people: a capitalised word then more words, or a sentence.
_WORDS = re.compile(r"""(["'`])([A-Z][a-z]+(?: [\w'’.,!?…-]+)+|[^"'`]*\w[.!?…])\1""")
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)


def test_no_script_writes_words_of_its_own():
    found = []
    for path in sorted(SCRIPTS.glob("*.js")):
        code = _COMMENT.sub("", path.read_text())
        found += [f"{path.name}: {m.group(0)}" for m in _WORDS.finditer(code)]
    assert not found, "Give these words from the page (translated), not from the script:\n" + (
        "\n".join(found)
    )


def test_the_door_script_gets_its_messages_and_clock_in_french(client, login):
    org = make_user(name="Olga", locale="fr")
    event = make_event(make_group(org))
    db.session.commit()
    login(client, org)
    page = client.get(f"/e/{event.key}/door").get_data(as_text=True)
    config = json.loads(page.split('id="door-config">', 1)[1].split("</script>", 1)[0])
    assert config["locale"] == "fr"
    messages = config["messages"]
    assert messages["online"] == "En ligne"
    assert messages["welcome"].startswith("Bienvenue")
    assert messages["notATicket"] == "Pas un billet"
    assert "Hors ligne" in messages["offline"]


def test_the_chips_line_comes_in_the_pages_language(client):
    resp = client.get(
        "/intros/read", query_string={"looking_for": "je cherche un mentor en data"}, headers=FRENCH
    )
    assert resp.get_json()["line"].startswith("Nous avons compris\u00a0: vous cherchez un mentor")
