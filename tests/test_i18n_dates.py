"""Dates, times and numbers as the reader's language writes them (Babel): "jeudi 17 décembre
2026, 19 h 00" on a 24-hour clock, the zone named by its city, decimal commas."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import force_locale

from meetup.extensions import db
from meetup.timeutil import format_in_zone, format_number, format_percent, zone_abbreviation
from tests.factories import make_event, make_group

WINTER = datetime(2026, 12, 17, 18, 0, tzinfo=UTC)  # 19:00 in Paris


def test_french_dates_spell_out_the_day_and_use_the_24_hour_clock(app):
    with app.test_request_context(), force_locale("fr"):
        assert format_in_zone(WINTER, "Europe/Paris") == "jeudi 17 décembre 2026, 19 h 00"
        assert format_in_zone(WINTER, "Europe/Paris", "EEE d MMM, HH:mm") == (
            "jeu. 17 déc., 19 h 00"
        )
        assert format_in_zone(WINTER, "America/Montreal", "HH:mm") == "13 h 00"
        assert format_in_zone(WINTER, "Asia/Tokyo", "EEEE d MMMM y, HH:mm") == (
            "vendredi 18 décembre 2026, 3 h 00"
        )
        # Exports keep their machine format.
        assert format_in_zone(WINTER, "Europe/Paris", "yyyy-MM-dd HH:mm:ss") == (
            "2026-12-17 19:00:00"
        )
        assert zone_abbreviation(WINTER, "Europe/Paris") == "heure de Paris"
        assert zone_abbreviation(WINTER, "Europe/Amsterdam") == "heure d’Amsterdam"
        assert format_number(1234.5, "#,##0.0") == "1\u202f234,5"
        assert format_percent(0.42) == "42\u00a0%"
    with app.test_request_context(), force_locale("en"):
        assert format_in_zone(WINTER, "Europe/Paris") == "Thu 17 Dec 2026, 19:00"
        assert zone_abbreviation(WINTER, "Europe/Paris") == "CET"
        assert format_number(1234.5, "#,##0.0") == "1,234.5"


def test_the_event_page_in_french_shows_the_date_as_a_french_reader_expects(client):
    event = make_event(
        make_group(locale="fr"), starts_at=WINTER, timezone="Europe/Paris", visibility="public"
    )
    db.session.commit()
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert "jeudi 17 décembre 2026" in page
    assert "19 h 00 – 21 h 00 heure de Paris" in page
