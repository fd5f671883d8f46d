"""Rich text for descriptions: Markdown rendered, then sanitised, bare links made clickable."""

import re
from html.parser import HTMLParser

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"linkify": True, "html": False}).enable(
    ["linkify", "strikethrough"]
)

_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "del",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "h3",
    "h4",
    "hr",
}


def render_markdown(text: str | None) -> Markup:
    html = _md.render(text or "")
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener nofollow ugc",
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


class _PlainText(HTMLParser):
    """The text a reader sees in rendered Markdown: paragraphs apart, list items on their own
    lines, a link's address after its words (a calendar shows no link text)."""

    BLOCKS = frozenset({"p", "ul", "ol", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.lists: list[int | None] = []  # per open list: the next number, None if bulleted
        self.links: list[tuple[str, int]] = []  # (href, where its text starts in out)

    def handle_starttag(self, tag, attrs):
        nested = tag in ("ul", "ol") and self.lists  # a list in a list item: no blank line
        if (tag in self.BLOCKS and not nested) or tag == "hr":
            self.out.append("\n\n")
        if tag in ("ul", "ol"):
            self.lists.append(1 if tag == "ol" else None)
        elif tag == "li":
            number = self.lists[-1] if self.lists else None
            indent = "  " * max(len(self.lists) - 1, 0)
            self.out.append(f"\n{indent}- " if number is None else f"\n{indent}{number}. ")
            if number is not None:
                self.lists[-1] = number + 1
        elif tag == "br":
            self.out.append("\n")
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.out)))

    def handle_endtag(self, tag):
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        if tag in self.BLOCKS and not (tag in ("ul", "ol") and self.lists):
            self.out.append("\n\n")
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            words = "".join(self.out[start:]).strip()
            shown = href.removeprefix("mailto:")
            if href and shown != words:
                self.out.append(f" ({shown})")

    def handle_data(self, data):
        if data.strip() or "\n" not in data:  # the line breaks between tags are not text
            self.out.append(data)

    def text(self) -> str:
        joined = "".join(self.out)
        lines = [line.rstrip() for line in joined.split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def markdown_to_text(text: str | None) -> str:
    """Markdown as plain text, for places that show no formatting (calendar descriptions):
    `**dbt**` reads "dbt", `[slides](https://x)` reads "slides (https://x)"."""
    reader = _PlainText()
    reader.feed(_md.render(text or ""))
    reader.close()
    return reader.text()
