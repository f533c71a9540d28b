"""How the routers of a function (api/storefront/, api/staff/, api/tickets/) reach its dependencies.

A function's handler is its composition root: at cold start it parses its configuration and builds
the repository, services, clients and the clock as module attributes, then installs itself:

    storefront_deps.install(sys.modules[__name__])

Routers read them per request (`d = deps()`, then `d.repo`, `d.clock()`), typed by the function's
Protocol (StorefrontDeps, StaffDeps, TicketsDeps). So nothing in the library reads the environment
at import, the lazy parts stay lazy, and whoever swaps a handler attribute (a test's
`monkeypatch.setattr(storefront, "clock", ...)`, the local stack) swaps it for every route.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Installed(Generic[T]):
    """One function's dependencies, installed once by its handler."""

    def __init__(self, protocol: type[Any]):
        # A runtime_checkable Protocol: installing checks every name it declares is there.
        self.protocol = protocol
        self._deps: T | None = None

    def install(self, deps: T) -> None:
        if not isinstance(deps, self.protocol):
            names = set(getattr(self.protocol, "__annotations__", {})) | {
                name for name, value in vars(self.protocol).items() if callable(value) and name[0] != "_"
            }
            missing = sorted(name for name in names if not hasattr(deps, name))
            raise TypeError(f"{deps!r} is not a {self.protocol.__name__}: it lacks {', '.join(missing)}")
        self._deps = deps

    def __call__(self) -> T:
        if self._deps is None:
            raise RuntimeError(
                f"No {self.protocol.__name__} installed: the handler installs them at cold start"
            )
        return self._deps
