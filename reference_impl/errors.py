"""The refusals services raise, and how each transport words them.

A service raises ApiError (an HTTP status, a REST code, a message); REST answers it in the errors
envelope {"errors":[{code,message}]}, GraphQL as an error whose extensions carry Fluent's code for the
status (``graphql_extensions``). The token endpoint answers OAuth-style refusals (TokenError).
"""

from __future__ import annotations

__all__ = ["ApiError", "TokenError", "envelope"]

INVALID_USER = "Invalid user, Authorization header value does not belong to a valid user"
# Fluent's GraphQL error codes: invalid input, no permission, constraint violation.
_GRAPHQL_CODES = {400: "C0120E", 401: "C0003E", 403: "C0003E", 404: "C0120E", 409: "C0140E"}


class ApiError(Exception):
    """A refusal: HTTP status, a short code and a message for people (``graphql_code`` overrides the
    GraphQL code the status maps to)."""

    def __init__(self, status: int, message: str, code: str | None = None, graphql_code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code if code is not None else str(status)
        self.message = message
        self.graphql_code = graphql_code

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
    def not_found(cls, message: str, graphql_code: str | None = None) -> ApiError:
        return cls(404, message, graphql_code=graphql_code)

    @classmethod
    def conflict(cls, message: str) -> ApiError:
        """A uniqueness constraint (Fluent's ConstraintViolationException)."""
        return cls(409, message)

    def body(self) -> dict[str, list[dict[str, str]]]:
        return envelope(self.code, self.message)

    def graphql_extensions(self) -> dict[str, str]:
        extensions = {"code": self.graphql_code or _GRAPHQL_CODES.get(self.status, "C0120E")}
        if self.status == 409:
            extensions["type"] = "ConstraintViolationException"
        return extensions


class TokenError(Exception):
    """An OAuth-style refusal of /oauth/token: {"error", "error_description"} with a status."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def envelope(code: str, message: str) -> dict[str, list[dict[str, str]]]:
    """The errors envelope of the Job and Event APIs."""
    return {"errors": [{"code": code, "message": message}]}
