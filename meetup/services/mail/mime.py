"""The MIME message of an outbox row, and its bytes as they go to the SMTP server.

`message_bytes` is what the worker sends. Most rows (announcements, welcomes, sign-in links,
every message without a calendar invite or a ticket's QR code) are a text part and an HTML
part: their bytes are written directly, both parts quoted-printable, the headers shared by
many messages (From, Subject, List-Id) folded once and reused. Building and flattening an
EmailMessage took longer than sending it. The other rows go through `build_message` (the
stdlib's email package) and are flattened as smtplib would.

Same row, same bytes: the boundary comes from the Message-ID, so a re-send is byte-equal.
Header values go through one_line() again here, so a row written by any path can't inject
headers.
"""

from __future__ import annotations

import binascii
import email.policy
import hashlib
import io
import re
from email.generator import BytesGenerator
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache
from typing import Any

from ... import qr_codes
from .messages import QR_CID, one_line

# Headers a row may add (group email); anything else in `headers` is ignored.
LIST_HEADERS = ("List-Id", "List-Unsubscribe", "List-Unsubscribe-Post")
_METHOD = re.compile(r"^[A-Z-]{1,20}$")
_PARSED_MAX = 2048
_LINE_MAX = 998  # RFC 5322: a header line may not be longer (78 is a "should")
CRLF = b"\r\n"


class _HeaderClasses(HeaderRegistry):
    """The standard header registry, building each header's class once: the stock one
    builds a new class for every header it parses, a good part of building a message."""

    def __init__(self) -> None:
        super().__init__()
        self._built: dict[str, type] = {}
        self._parsed: dict[tuple[str, str], object] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        if key not in self._built:
            self._built[key] = super().__getitem__(name)
        return self._built[key]

    def __call__(self, name: str, value: str):
        """Parse each (name, value) once (a group email repeats its From, Subject, List-Id
        and MIME headers): header objects are immutable strings, safe to share."""
        if type(value) is not str:  # an Address, a header object: parsed as it comes
            return super().__call__(name, value)
        key = (name, value)
        header = self._parsed.get(key)
        if header is None:
            header = super().__call__(name, value)
            if len(self._parsed) >= _PARSED_MAX:
                self._parsed.clear()
            self._parsed[key] = header
        return header


class _Policy(email.policy.EmailPolicy):
    """The default policy, except that List-Unsubscribe is never turned into RFC 2047
    encoded words: its URLs have no space to fold at, and the stock policy encodes a long
    unfoldable header, which mail providers then don't read as a link (one-click
    unsubscribe, RFC 8058). It is written on one line instead, as RFC 5322 allows."""

    def _fold(self, name, value, refold_binary=False):
        text = str(value)
        if name.lower() == "list-unsubscribe" and _unfoldable(name, text):
            return f"{name}: {text}{self.linesep}"
        return super()._fold(name, value, refold_binary)


def _unfoldable(name: str, text: str) -> bool:
    return text.isascii() and len(name) + 2 + len(text) <= _LINE_MAX


_POLICY = _Policy(header_factory=_HeaderClasses())
# For an address with other than ASCII before the @, accepted only when the server speaks
# SMTPUTF8 (MEETUP_MAIL_SMTPUTF8): such a header can't be encoded otherwise.
_POLICY_UTF8 = _POLICY.clone(utf8=True)


def _recipient(name: str, to_addr: str) -> Address:
    if to_addr.isascii():
        return Address(display_name=name, addr_spec=to_addr)
    # Parsing refuses a local part with other than ASCII whatever the policy: give its parts.
    local, _, domain = to_addr.rpartition("@")
    return Address(display_name=name, username=local, domain=domain)


def _boundary_seed(message_id: str) -> str:
    # Derived from the Message-ID rather than random: a re-send is byte-equal.
    return hashlib.sha256(message_id.encode()).hexdigest()[:24]


def build_message(row: Any, sender: str) -> EmailMessage:
    """The MIME message of a row (an OutboxMessage or the worker's claimed copy of one).

    multipart/alternative (text, HTML[, text/calendar]); with a calendar invite the whole is
    wrapped in multipart/mixed with the same file attached as invite.ics, the shape Gmail,
    Outlook and Apple Mail show as an invitation. A ticket's QR code (qr_url) goes beside the
    HTML in multipart/related, as the inline PNG its <img src="cid:..."> shows: the code is
    in the mail app, which keeps it with no network, and needs no image from our server.
    """
    to_addr = one_line(row.to_addr)
    msg = EmailMessage(policy=_POLICY if to_addr.isascii() else _POLICY_UTF8)
    msg["From"] = one_line(sender)
    msg["To"] = _recipient(one_line(row.to_name or ""), to_addr)
    msg["Subject"] = one_line(row.subject)
    msg["Date"] = format_datetime(row.created_at)
    msg["Message-ID"] = one_line(row.message_id)
    msg["Auto-Submitted"] = "auto-generated"
    for name in LIST_HEADERS:
        if (row.headers or {}).get(name):
            msg[name] = one_line(str(row.headers[name]))
    if row.headers and row.headers.get("List-Id"):
        msg["Precedence"] = "list"
    msg.set_content(row.body_text)
    msg.add_alternative(row.body_html, subtype="html")
    if row.qr_url:
        msg.get_body(("html",)).add_related(
            qr_codes.qr_png(row.qr_url),
            maintype="image",
            subtype="png",
            cid=f"<{QR_CID}>",
            disposition="inline",
            filename="ticket.png",
        )
    if row.ics:
        method = (row.ics_method or "PUBLISH").upper()
        method = method if _METHOD.match(method) else "PUBLISH"
        msg.add_alternative(row.ics, subtype="calendar", params={"method": method})
        msg.add_attachment(
            row.ics.encode(), maintype="application", subtype="ics", filename="invite.ics"
        )
    seed = _boundary_seed(row.message_id)
    for i, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        part.set_boundary(f"=_{seed}_{i}")
    return msg


# ------------------------------------------------------------------ bytes on the wire


def message_bytes(row: Any, sender: str) -> bytes:
    """The message as sent over SMTP (CRLF line ends, before SMTP's dot-stuffing)."""
    if row.ics or row.qr_url or not one_line(row.to_addr).isascii():
        out = io.BytesIO()
        BytesGenerator(out).flatten(build_message(row, sender), linesep="\r\n")
        return out.getvalue()
    return _alternative_bytes(row, sender)


# A display name written as it is: letters, digits, spaces and the few symbols that need
# neither quotes nor encoding. Anything else goes through the email package.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?: [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_PLAIN_ADDR = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+")
_PLAIN_ID = re.compile(r"<[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+>")
_TEXT_PART = b'Content-Type: text/plain; charset="utf-8"\r\n'
_HTML_PART = b'Content-Type: text/html; charset="utf-8"\r\n'
_QP = b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"


@lru_cache(maxsize=1024)
def _folded(name: str, value: str) -> bytes:
    """A header as the email package writes it (folded, encoded words for other than
    ASCII), once per value: From, Subject and List-Id repeat across a group's email."""
    return _POLICY.fold_binary(name, _POLICY.header_factory(name, value)).replace(b"\n", CRLF)


def _header(name: str, value: str, plain: re.Pattern | None = None) -> bytes:
    """One header line: as it is when it is short, plain ASCII, and (for structured
    headers) of the plain shape `plain`; else folded by the email package."""
    short = len(name) + 2 + len(value) <= 78 and value.isascii() and "=?" not in value
    if short and (plain is None or plain.fullmatch(value)):
        return f"{name}: {value}\r\n".encode()
    return _folded(name, value)


def _to_header(name: str, addr: str) -> bytes:
    if not _PLAIN_ADDR.fullmatch(addr):
        return _folded("To", str(_recipient(name, addr)))
    if not name:
        return _header("To", addr)
    if _PLAIN_NAME.fullmatch(name) and "=?" not in name:
        return _header("To", f"{name} <{addr}>")
    return _folded("To", str(_recipient(name, addr)))


def _quoted_printable(text: str) -> bytes:
    """A text part's body: UTF-8, CRLF line ends, quoted-printable (lines of at most 76)."""
    lines = text.encode("utf-8", "surrogateescape").splitlines()
    return binascii.b2a_qp(CRLF.join(lines) + CRLF, istext=True)


def _alternative_bytes(row: Any, sender: str) -> bytes:
    """A text part and an HTML part in multipart/alternative, written directly."""
    headers = row.headers or {}
    out = [
        _folded("From", one_line(sender)),
        _to_header(one_line(row.to_name or ""), one_line(row.to_addr)),
        _header("Subject", one_line(row.subject)),
        f"Date: {format_datetime(row.created_at)}\r\n".encode(),
        _header("Message-ID", one_line(row.message_id), _PLAIN_ID),
        b"Auto-Submitted: auto-generated\r\n",
    ]
    for name in LIST_HEADERS:
        if headers.get(name):
            value = one_line(str(headers[name]))
            if name == "List-Unsubscribe" and _unfoldable(name, value):
                out.append(f"{name}: {value}\r\n".encode())  # see _Policy
            else:
                out.append(_header(name, value))
    if headers.get("List-Id"):
        out.append(b"Precedence: list\r\n")
    boundary = f"=_{_boundary_seed(row.message_id)}_0".encode()
    out += [
        b"MIME-Version: 1.0\r\n",
        b'Content-Type: multipart/alternative; boundary="' + boundary + b'"\r\n',
        CRLF,
        b"--" + boundary + CRLF + _TEXT_PART + _QP,
        _quoted_printable(row.body_text),
        CRLF + b"--" + boundary + CRLF + _HTML_PART + _QP,
        _quoted_printable(row.body_html),
        CRLF + b"--" + boundary + b"--" + CRLF,
    ]
    return b"".join(out)
