"""What a Slack or Discord post says, in each platform's own format and within its limits.

Slack (Block Kit): a header's plain text at most 150 characters, a section's text at most
3,000 and each of its at most 10 fields at most 2,000, a button's text at most 75 and its URL
at most 3,000, at most 50 blocks. Discord (an embed): title at most 256, description 4,096, at
most 25 fields (name 256, value 1,024), footer 2,048, and 6,000 characters over all of them;
`content` at most 2,000. Mentions are never parsed from what we send (no @everyone from a
title), and Slack's control characters (& < >) are escaped in its mrkdwn.

A card never names a person: a recap says how many came and how many introductions were made.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext

from ...models import Event
from ...timeutil import format_in_zone, zone_abbreviation
from ...urls import event_url

SLACK_HEADER_MAX = 150
SLACK_TEXT_MAX = 3000
SLACK_FIELD_MAX = 2000
SLACK_BUTTON_TEXT_MAX = 75
DISCORD_TITLE_MAX = 256
DISCORD_DESCRIPTION_MAX = 4096
DISCORD_FIELD_NAME_MAX = 256
DISCORD_FIELD_VALUE_MAX = 1024
DISCORD_FOOTER_MAX = 2048
DISCORD_CONTENT_MAX = 2000
DISCORD_TOTAL_MAX = 6000

SLACK_COLOR = "#0172ad"
DISCORD_COLOR = 0x0172AD


def cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, an ellipsis marking a cut."""
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Facts:
    """The event as a post tells it, read when the post is queued."""

    title: str
    when: str
    where: str
    seats: str
    link: str
    group: str
    starts_at: str  # ISO 8601, for Discord's timestamp


def facts(event: Event, going: int, channel: str) -> Facts:
    start, tz = event.starts_at, event.timezone
    when = f"{format_in_zone(start, tz)} {zone_abbreviation(start, tz)}"
    where = ", ".join(p for p in (event.venue_name, event.public_address) if p)
    if event.capacity is None:
        seats = _("Open to all")
    else:
        left = max(0, event.capacity - going)
        seats = (
            ngettext("%(num)d seat left", "%(num)d seats left", left)
            if left
            else _("Full: the waitlist is open")
        )
    return Facts(
        title=event.title,
        when=when,
        where=where or _("To be announced"),
        seats=seats,
        link=event_url(event.key, via=channel),
        group=event.group.name,
        starts_at=start.isoformat(),
    )


def headline(kind: str, title: str) -> str:
    if kind == "update":
        return _("Updated: %(title)s", title=title)
    if kind == "cancel":
        return _("Cancelled: %(title)s", title=title)
    return title


def recap_line(came: int, intros: int) -> str:
    came_text = ngettext("%(num)d person came", "%(num)d people came", came)
    intros_text = ngettext(
        "%(num)d introduction was made", "%(num)d introductions were made", intros
    )
    return _("%(came)s, %(intros)s. Thank you!", came=came_text, intros=intros_text)


# ------------------------------------------------------------------ Slack


def _mrkdwn(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_field(label: str, value: str) -> dict:
    text = f"*{_mrkdwn(label)}*\n{_mrkdwn(value)}"
    return {"type": "mrkdwn", "text": cut(text, SLACK_FIELD_MAX)}


def slack(kind: str, f: Facts, *, recap: str | None = None) -> dict:
    title = headline(kind, f.title)
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": cut(title, SLACK_HEADER_MAX)}}
    ]
    if recap is not None:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": cut(_mrkdwn(recap), 3000)}}
        )
    else:
        fields = [_slack_field(_("When"), f.when), _slack_field(_("Where"), f.where)]
        if kind != "cancel":
            fields.append(_slack_field(_("Seats"), f.seats))
        blocks.append({"type": "section", "fields": fields})
        if kind == "cancel":
            text = _mrkdwn(_("This event has been cancelled."))
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    button = _("See the event") if kind in ("cancel", "recap") else _("RSVP")
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": cut(button, SLACK_BUTTON_TEXT_MAX)},
                    "url": f.link,
                    **({"style": "primary"} if kind in ("post", "update") else {}),
                }
            ],
        }
    )
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(_mrkdwn(f.group), 2000)}]}
    )
    fallback = f"{title} · {recap or f.when} · {f.link}"
    return {"text": cut(fallback, SLACK_TEXT_MAX), "blocks": blocks}


# ------------------------------------------------------------------ Discord


def discord(kind: str, f: Facts, *, recap: str | None = None) -> dict:
    title = cut(headline(kind, f.title), DISCORD_TITLE_MAX)
    embed: dict = {"title": title, "url": f.link, "color": DISCORD_COLOR}
    if recap is not None:
        embed["description"] = cut(recap, DISCORD_DESCRIPTION_MAX)
    else:
        fields = [(_("When"), f.when), (_("Where"), f.where)]
        if kind != "cancel":
            fields.append((_("Seats"), f.seats))
        embed["fields"] = [
            {
                "name": cut(name, DISCORD_FIELD_NAME_MAX),
                "value": cut(value, DISCORD_FIELD_VALUE_MAX),
                "inline": name != _("Where"),
            }
            for name, value in fields
        ]
        embed["timestamp"] = f.starts_at
        if kind == "cancel":
            embed["description"] = _("This event has been cancelled.")
    room = DISCORD_TOTAL_MAX - embed_length(embed)  # 6,000 over the whole embed
    embed["footer"] = {"text": cut(f.group, max(1, min(DISCORD_FOOTER_MAX, room)))}
    return {
        "content": cut(f"{title} {f.link}", DISCORD_CONTENT_MAX),
        "embeds": [embed],
        "allowed_mentions": {"parse": []},
    }


def embed_length(embed: dict) -> int:
    """Discord's count toward 6,000: title, description, field names and values, footer,
    author name."""
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    total += len(embed.get("footer", {}).get("text", ""))
    return total + len(embed.get("author", {}).get("name", ""))


def card(platform: str, kind: str, f: Facts, *, recap: str | None = None) -> dict:
    return (slack if platform == "slack" else discord)(kind, f, recap=recap)
