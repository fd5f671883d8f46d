"""Channel labels: the `?via=<channel>` every event link carries.

A label is a short lowercase slug ("slack-general", "email", "linkedin", "share"): letters,
digits and single hyphens, at most 40 characters. Anything else is no channel at all (ignored,
never an error): links are pasted by hand and mangled by chat apps.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MAX_LENGTH = 40
_LABEL = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

# The channels the app itself hands links out on.
EMAIL = "email"
SHARE = "share"
LINKEDIN = "linkedin"


def clean(value: object) -> str | None:
    """`value` if it is a valid label, else None."""
    if not isinstance(value, str) or len(value) > MAX_LENGTH:
        return None
    return value if _LABEL.fullmatch(value) else None


def from_text(text: str) -> str | None:
    """A label made from free text: "Slack #general" -> "slack-general"; None if nothing
    usable is left."""
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return clean(slug[:MAX_LENGTH].rstrip("-"))


def tagged(url: str, channel: str | None) -> str:
    """`url` with `via=<channel>` in its query (replacing any other), or as it is without one."""
    channel = clean(channel)
    if channel is None:
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "via"]
    query.append(("via", channel))
    return urlunsplit(parts._replace(query=urlencode(query)))
