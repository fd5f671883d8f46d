"""The one error type services raise; views map `code` to a message and an HTTP status."""


class DomainError(Exception):
    def __init__(self, code: str, **details: object) -> None:
        super().__init__(code)
        self.code = code
        self.details = details
