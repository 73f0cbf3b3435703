"""ARM error bodies <-> domain errors."""

from __future__ import annotations

from typing import Any, Mapping

from ..domain.errors import (
    AuthenticationFailed,
    AuthorizationFailed,
    AzureError,
    BadRequest,
    Conflict,
    ResourceNotFound,
    ServiceUnavailable,
    TooManyRequests,
    error_from_code,
)
from ..domain.models import ErrorInfo


def error_info_from_json(body: Mapping[str, Any] | None) -> ErrorInfo | None:
    """`{code, message, target}` of an ARM error, tolerating the `{"error": {...}}` wrapper."""
    if not body:
        return None
    error = body.get("error") if isinstance(body.get("error"), Mapping) else body
    if not isinstance(error, Mapping) or not error.get("code"):
        return None
    return ErrorInfo(code=str(error["code"]), message=str(error.get("message") or ""),
                     target=error.get("target"))


LOGIN_HINT = ("Sign in with `az login` (then `az account set --subscription <id>`), or set AZURE_TENANT_ID, "
              "AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a service principal, or use --auth device.")

_CLASS_BY_STATUS: dict[int, type[AzureError]] = {
    400: BadRequest, 401: AuthenticationFailed, 403: AuthorizationFailed, 404: ResourceNotFound,
    409: Conflict, 429: TooManyRequests, 503: ServiceUnavailable,
}


def domain_error(http_status: int | None, code: str | None, message: str, *, target: str | None = None,
                 retry_after: float | None = None) -> AzureError:
    """The domain error for an ARM error response, keeping Azure's code and message.

    Known codes map to their class; unknown ones pick the class of the HTTP status and keep
    the code (an expired token stays `ExpiredAuthenticationToken`, an AuthenticationFailed).
    """
    status = int(http_status) if http_status else None
    code = code or (_CLASS_BY_STATUS.get(status or 0, AzureError).code if status else "InternalError")
    if status == 429:
        error: AzureError = TooManyRequests(message, retry_after=retry_after, target=target,
                                            code=code, http_status=429)
    else:
        error = error_from_code(code, message, target=target, http_status=status)
        if type(error) is AzureError and status in _CLASS_BY_STATUS:
            error = _CLASS_BY_STATUS[status](message, target=target, code=code, http_status=status)
    if isinstance(error, AuthenticationFailed) and LOGIN_HINT not in error.message:
        error.message = f"{error.message} {LOGIN_HINT}"
        error.args = (error.message,)
    return error
