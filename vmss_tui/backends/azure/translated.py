"""The live adapter's capability mixins turn SDK and transport errors into domain errors, one way."""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

from ...domain import errors

ReturnType = TypeVar("ReturnType")


def translated(function: Callable[..., ReturnType]) -> Callable[..., ReturnType]:
    """SDK and transport errors become domain errors (`self._translate_error`), as the adapter's other public
    methods do; a domain error passes through unchanged."""

    @functools.wraps(function)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> ReturnType:
        try:
            return function(self, *args, **kwargs)
        except errors.AzureError:
            raise
        except Exception as error:
            raise self._translate_error(error, getattr(self, "endpoint", None)) from error

    return wrapper
