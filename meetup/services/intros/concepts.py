"""The concept lexicon of introductions, loaded once from lexicon/*.toml.

Three files, versioned with the code: fields.toml (what a need or an offer is about, as a
tree of broader and narrower fields: "streaming" under "data_engineering" under "data", plus
sectors), intents.toml (the six kinds of asks and offers, with their cues) and words.toml
(markers, negations, stop words, generic words). Every concept carries French and English
labels; labels are matched on stems of their own language (Snowball), so "recrutement" and
"recruter" are one cue, and "data engineer" written in a French text still counts.

This module only loads and indexes; reading a text is services/intros/reading.py.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import snowballstemmer

LANGS = ("en", "fr")
TYPO_MIN = 9  # shorter words are too often another real word one letter away ("properly")
KINDS = ("job", "mentor", "funding", "cofounder", "advice", "service")
# The form tags of "learning X" / "advice on X", by the top field they name.
TOPIC_FIELDS = {
    "engineering": "software",
    "data": "data",
    "product": "product",
    "design": "design",
    "marketing": "marketing",
    "sales": "sales",
    "leadership": "leadership",
}

_TOKEN = re.compile(r"[^\W_]+(?:['’](?=[^\W_]))?|[+#&]")
# French inclusive endings, left out so the word reads as its masculine: "un·e chef·fe de
# projet", "développeur.euse", "associé(e)", "cofondateur·ice".
_INCLUSIVE = re.compile(
    r"(?<=[^\W\d_])(?:[·•‧⋅.](?:e|es|fe|fes|se|ses|euse|euses|rice|rices|ice|ices|trice|trices"
    r"|ne|nes|le|les|ère|ères|ere|eres)|\((?:e|es|se|ne|le|fe|rice|ice|euse)\))(?![^\W_])",
    re.I,
)
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'"})


def fold(text: str) -> str:
    """Lower case without accents: "Levée" -> "levee"."""
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def unblank(text: str) -> str:
    """The text with French inclusive endings blanked in place (offsets unchanged): their
    dots are not sentence ends and their endings not words."""
    return _INCLUSIVE.sub(lambda m: " " * len(m.group()), text)


def tokens(text: str) -> list[tuple[str, int, int]]:
    """(token as written, start, end). Elisions keep their apostrophe ("j'", "qu'");
    hyphens and slashes split ("co-founder" -> "co", "founder")."""
    text = unblank(unicodedata.normalize("NFKC", text).translate(_APOSTROPHES))
    return [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


class _Stemmer:
    """Folded token -> folded stem, remembered per language (a cohort repeats its words)."""

    def __init__(self, lang: str) -> None:
        self.stemmer = snowballstemmer.stemmer("french" if lang == "fr" else "english")
        self.memo: dict[str, str] = {}

    def key(self, folded: str) -> str:
        key = self.memo.get(folded)
        if key is None:
            word = folded.rstrip("'")
            stem = self.stemmer.stemWord(word) if len(word) > 3 else word
            # Short stems collide ("data" and "date" are both "dat" in French): whole words.
            key = self.memo[folded] = stem if len(stem) > 3 else word
        return key


@dataclass(frozen=True)
class Field:
    key: str
    parent: str | None
    facet: str  # "skill" or "sector"
    names: dict[str, str]
    ancestors: tuple[str, ...] = ()  # nearest first
    sought: str = "job"  # what someone sought in it with no cue is: "job" (to hire), "service"


@dataclass(frozen=True)
class Entry:
    """What a label stands for. kind: "field", "role", "intent", "ask", "offer", "self",
    "negation", "join", "interest", "founder_role"; target: a field key or an intent kind;
    side: "need", "offer" or "box" for intents, "start" for an interest that counts only
    where its clause starts."""

    kind: str
    target: str = ""
    side: str = ""
    only: str | None = None  # "fr" / "en": counts only in a text of that language
    label: str = ""


@dataclass
class Lexicon:
    version: int
    fields: dict[str, Field]
    children: dict[str, list[str]]
    tags: dict[str, tuple[str, str]]  # intent kind -> (need tag, offer tag)
    stop: dict[str, frozenset[str]]  # folded stop words per language
    generic: frozenset[str]  # folded generic words, both languages
    # Tries per language: nested dicts of token keys; Entry lists under the key None.
    tries: dict[str, dict] = field(default_factory=dict)
    stemmers: dict[str, _Stemmer] = field(default_factory=dict)
    # Typos: every key of a label per language, and the long label words (folded) under
    # themselves and each of their one-letter deletions.
    known: dict[str, set[str]] = field(default_factory=dict)
    near: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    fixes: dict[tuple[str, str], str | None] = field(default_factory=dict)

    def key(self, token: str, lang: str) -> str:
        return self.stemmers[lang].key(fold(token))

    def fix(self, folded: str, lang: str) -> str | None:
        """The key of the one label word a long unknown word is a typo of (one letter added,
        left out, changed or two swapped: "entrepeneur", "investiseurs", "devloper"), else
        None. Words of either language's labels, stop or generic words are never typos."""
        memo = (folded, lang)
        if memo in self.fixes:
            return self.fixes[memo]
        out = None
        if (
            len(folded) >= TYPO_MIN
            and folded.isalpha()
            and folded not in self.generic
            and all(self.stemmers[tl].key(folded) not in self.known[tl] for tl in LANGS)
        ):
            index = self.near[lang]
            words = set(index.get(folded, ()))
            for i in range(len(folded)):
                words |= index.get(folded[:i] + folded[i + 1 :], set())
            keys = {self.stemmers[lang].key(w) for w in words if w[0] == folded[0]}
            out = keys.pop() if len(keys) == 1 else None
        self.fixes[memo] = out
        return out

    def compat(self, need: str, offer: str) -> float:
        """How well an offer in field `offer` meets a need in field `need` (0..1): the same
        field 1; a narrower offer for a broader need 0.85, then 0.7 (an expert of streaming
        meets "data"); a broader offer 0.8, then 0.65; siblings 0.5; cousins 0.35."""
        if need == offer:
            return 1.0
        up_need, up_offer = self.fields[need].ancestors, self.fields[offer].ancestors
        if need in up_offer:
            return (0.85, 0.7, 0.6)[min(up_offer.index(need), 2)]
        if offer in up_need:
            return (0.8, 0.65, 0.55)[min(up_need.index(offer), 2)]
        if up_need and up_offer and up_need[0] == up_offer[0]:
            return 0.5
        common = set(up_need[:2]) & set(up_offer[:2])
        return 0.35 if common else 0.0

    def neighbours(self, key: str) -> dict[str, float]:
        """Every field h with compat(h, key) > 0: what an offer in `key` can meet."""
        out: dict[str, float] = {}
        f = self.fields[key]
        related = {key, *f.ancestors}
        for a in list(related):
            related.update(self.descendants(a))
        for h in related:
            c = self.compat(h, key)
            if c > 0:
                out[h] = c
        return out

    def descendants(self, key: str) -> list[str]:
        out, todo = [], list(self.children.get(key, ()))
        while todo:
            k = todo.pop()
            out.append(k)
            todo.extend(self.children.get(k, ()))
        return out

    def top(self, key: str) -> str:
        f = self.fields[key]
        return f.ancestors[-1] if f.ancestors else key

    def topic(self, key: str) -> str | None:
        """The form topic ("data", "engineering", ...) a field falls under, if any."""
        chain = (key, *self.fields[key].ancestors)
        for topic, top in TOPIC_FIELDS.items():
            if top in chain:
                return topic
        return None


def _read(name: str) -> dict:
    return tomllib.loads(
        resources.files(__package__).joinpath(f"lexicon/{name}").read_text("utf-8")
    )


def _folded(text: str) -> frozenset[str]:
    """The folded tokens of a list of words, as texts are cut: "i'm" is "i'" and "m"."""
    return frozenset(fold(t) for word in text.split() for t, _s, _e in tokens(word))


@cache
def lexicon() -> Lexicon:
    """The lexicon, loaded and indexed on first use (a few milliseconds), then shared."""
    fields_data, intents_data, words = (
        _read("fields.toml"),
        _read("intents.toml"),
        _read("words.toml"),
    )
    stop = {lang: _folded(words["stop"][lang]) for lang in LANGS}
    generic = _folded(words["generic"]["en"]) | _folded(words["generic"]["fr"])
    fields: dict[str, Field] = {}
    children: dict[str, list[str]] = {}
    for key, spec in fields_data.items():
        fields[key] = Field(key, spec.get("parent"), spec.get("facet", ""),
                            {"en": spec["name_en"], "fr": spec["name_fr"]})  # fmt: skip
        if spec.get("parent"):
            children.setdefault(spec["parent"], []).append(key)
    for key, f in list(fields.items()):
        chain, up = [], f.parent
        while up:
            if up not in fields or up in chain:
                raise ValueError(f"lexicon: bad parent {up!r} of {key!r}")
            chain.append(up)
            up = fields[up].parent
        facet = f.facet or next((fields[a].facet for a in chain if fields[a].facet), "skill")
        sought = next(
            (fields_data[k]["sought"] for k in (key, *chain) if "sought" in fields_data[k]), "job"
        )
        fields[key] = Field(key, f.parent, facet, f.names, tuple(chain), sought)

    lex = Lexicon(
        version=int(words["VERSION"]),
        fields=fields,
        children=children,
        tags={k: (v["tag_need"], v["tag_offer"]) for k, v in intents_data.items()},
        stop=stop,
        generic=generic,
        stemmers={lang: _Stemmer(lang) for lang in LANGS},
        tries={lang: {} for lang in LANGS},
    )
    for key, spec in fields_data.items():
        for lang in LANGS:
            for label in spec.get(lang, ()):
                _add(lex, label, lang, Entry("field", key, label=label))
            for label in spec.get(f"role_{lang}", ()):
                _add(lex, label, lang, Entry("role", key, label=label))
    for kind, spec in intents_data.items():
        if kind not in KINDS:
            raise ValueError(f"lexicon: unknown intent kind {kind!r}")
        for side in ("need", "offer", "box"):
            for lang in LANGS:
                for label in spec.get(f"{side}_{lang}", ()):
                    _add(lex, label, lang, Entry("intent", kind, side, label=label))
    markers = words["markers"]
    for kind in ("ask", "offer", "self", "negation", "join"):
        for lang in LANGS:
            for label in markers[f"{kind}_{lang}"]:
                _add(lex, label, lang, Entry(kind, label=label), raw=True)
    for side in ("", "start"):  # "start": only where the clause starts
        for lang in LANGS:
            for label in markers[f"interest_{side}_{lang}" if side else f"interest_{lang}"]:
                _add(lex, label, lang, Entry("interest", side=side, label=label), raw=True)
    for label in markers["founder_roles"]:
        for lang in LANGS:
            _add(lex, label, lang, Entry("founder_role", label=label))
    for lang in LANGS:
        lex.known[lang] = set()
        lex.near.setdefault(lang, {})
        stack = list(lex.tries[lang].values())
        while stack:
            node = stack.pop()
            for k, child in node.items():
                if k is not None:
                    lex.known[lang].add(k)
                    stack.append(child)
    return lex


def _add(lex: Lexicon, label: str, lang: str, entry: Entry, *, raw: bool = False) -> None:
    """Index a label under its language's token keys. Stop words are left out of labels of
    two or more other words ("levée de fonds" matches "levée des fonds"); a label that is one
    word and stop words is matched with them ("work for", "i'm a"), as are markers."""
    only = None
    if label.endswith(("@fr", "@en")):
        label, only = label[:-3], label[-2:]
    exact = label.startswith("=")
    whole = label.startswith("~")
    text = label[1:] if exact or whole else label
    words = [t for t, _s, _e in tokens(text)]
    if not words:
        raise ValueError(f"lexicon: empty label {label!r}")
    if exact:
        keys = ["=" + w for w in words]
    elif whole:
        keys = ["~" + fold(w) for w in words]
    else:
        keys = [lex.key(w, lang) for w in words]
    content = [k for k, w in zip(keys, words, strict=True) if fold(w) not in lex.stop[lang]]
    stream = "content" if not raw and len(content) >= 2 else "raw"
    node = lex.tries[lang].setdefault(stream, {})
    for k in content if stream == "content" else keys:
        node = node.setdefault(k, {})
    if not exact and not whole:
        for w in map(fold, words):
            if len(w) >= TYPO_MIN and w.isalpha() and w not in lex.stop[lang]:
                near = lex.near.setdefault(lang, {})
                for v in {w} | {w[:i] + w[i + 1 :] for i in range(len(w))}:
                    near.setdefault(v, set()).add(w)
    entry = Entry(entry.kind, entry.target, entry.side, only, entry.label)
    bucket = node.setdefault(None, [])
    if entry not in bucket:
        bucket.append(entry)
