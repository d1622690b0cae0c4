"""The app's route table, flattened (FastAPI keeps included routers as branches of app.routes)."""

from __future__ import annotations

from typing import Any


def flat_routes(app: Any) -> list[tuple[str, str, Any]]:
    """(method, path, route) for every endpoint the app serves, HEAD left out."""
    out: list[tuple[str, str, Any]] = []

    def walk(routes: list[Any]) -> None:
        for r in routes:
            inner = getattr(r, "original_router", None)
            if inner is not None:
                walk(list(inner.routes))
                continue
            methods = getattr(r, "methods", None)
            if methods and getattr(r, "endpoint", None) is not None:
                for m in sorted(methods - {"HEAD"}):
                    out.append((m, r.path, r))

    walk(list(app.routes))
    return out
