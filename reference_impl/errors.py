"""Errors the REST API answers, with the errors envelope {"errors":[{code,message}]}."""

from __future__ import annotations

__all__ = ["ApiError", "envelope"]

INVALID_USER = "Invalid user, Authorization header value does not belong to a valid user"


class ApiError(Exception):
    """A refusal: HTTP status, a short code and a message for people."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code if code is not None else str(status)
        self.message = message

    @classmethod
    def bad_request(cls, message: str, code: str = "400") -> ApiError:
        return cls(400, message, code)

    @classmethod
    def unauthorized(cls, message: str = INVALID_USER) -> ApiError:
        return cls(401, message)

    @classmethod
    def forbidden(cls, message: str) -> ApiError:
        return cls(403, message)

    @classmethod
    def not_found(cls, message: str) -> ApiError:
        return cls(404, message)

    def body(self) -> dict[str, list[dict[str, str]]]:
        return envelope(self.code, self.message)


def envelope(code: str, message: str) -> dict[str, list[dict[str, str]]]:
    """The errors envelope of the Job and Event APIs."""
    return {"errors": [{"code": code, "message": message}]}
