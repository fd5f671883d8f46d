"""Helpers shared by the door tests: HTTP "devices" and door links."""

from __future__ import annotations

import http.cookiejar
import json
import urllib.error
import urllib.request

from meetup.extensions import db
from meetup.models import Event
from meetup.services.door import links as door_links


class Device:
    """One phone at the door: its own cookies (so its own session), plain HTTP."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=30) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def post_json(self, path: str, data: object, headers: dict | None = None) -> tuple[int, dict]:
        req = urllib.request.Request(
            self.base + path,
            data=json.dumps(data).encode(),
            headers={"Content-Type": "application/json", **(headers or {})},
            method="POST",
        )
        try:
            with self.opener.open(req, timeout=60) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"{}")


def door_link(event: Event, label: str = "Sam") -> str:
    """A fresh door link's raw token."""
    _link, token = door_links.create(event, label)
    db.session.commit()
    return token
