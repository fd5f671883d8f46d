"""Domain error codes -> (HTTP status, message): what a person is told when a service refuses.

Each blueprint registers the codes its services raise (`register_messages`); forms use
`message_for` to show a refusal beside the field it concerns. It sits below views and forms,
so both can read it.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

MESSAGES: dict[str, tuple[int, object]] = {
    "forbidden": (403, _l("You don't have permission to do that.")),
    "not_found": (404, _l("We couldn't find that.")),
    "invalid": (400, _l("Some of what you sent isn't valid.")),
    "bad_json": (400, _l("Send a JSON object.")),
    "text_invisible": (
        400,
        _l("Type some visible letters: this holds only blank or invisible characters."),
    ),
    "text_direction_control": (
        400,
        _l(
            "This holds a character that reverses the direction of the text around it, "
            "which can make it read as something else. Please remove it."
        ),
    ),
    "bad_query_number": (400, _l("A number in the address isn't valid: check the link.")),
    "nul_character": (
        400,
        _l("Some of what you sent holds a NUL character, which text can't contain."),
    ),
}


def register_messages(messages: dict[str, tuple[int, object]]) -> None:
    MESSAGES.update(messages)


def message_for(code: str) -> tuple[int, str]:
    status, message = MESSAGES.get(code, (400, MESSAGES["invalid"][1]))
    return status, str(message)
