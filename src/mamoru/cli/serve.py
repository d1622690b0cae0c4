"""`mamoru setup` (first run: migrate, load the plan, first administrator) and `mamoru serve`."""

from __future__ import annotations

import os

import typer
from sqlalchemy import select

from mamoru.cli.common import command_secrets, err, load_settings, open_database


def register(app: typer.Typer) -> None:
    app.command("setup")(setup)
    app.command("serve")(serve)


def setup(admin: str = typer.Option("admin", "--admin", help="Username of the first administrator.")) -> None:
    """Migrate, load the shipped plan and reference data, and create the first administrator if there is none.

    The administrator's password comes from MAMORU_ADMIN_PASSWORD, else one is generated and
    printed once.
    """
    from mamoru.auth import roles
    from mamoru.auth.models import User
    from mamoru.auth.passwords import generate_password
    from mamoru.auth.service import create_user
    from mamoru.migrate import upgrade
    from mamoru.plan.loader import load_plan

    settings = load_settings()
    db = open_database(settings)
    upgrade(db.engine)
    with db.session() as s:
        result = load_plan(s, None)
        err.print(f"plan data {result.data_version}: {result.total_added} rows added")
        from mamoru.followup.reference import load_reference

        added = load_reference(s, None)
        err.print(f"follow-up reference data: {sum(added.values()) if added else 0} rows added")
        if s.scalar(select(User).where(User.role == roles.ADMINISTRATOR)) is None:
            given = command_secrets().admin_password
            password = given or generate_password()
            create_user(s, admin, roles.ADMINISTRATOR, password)
            if given:
                err.print(f"administrator {admin!r} created with the password from MAMORU_ADMIN_PASSWORD")
            else:
                typer.echo(f"administrator created: username {admin}  password {password}")
                typer.echo("this password is shown once: store it now")


def serve(host: str = typer.Option("127.0.0.1", "--host"),
          port: int = typer.Option(8000, "--port"),
          workers: int = typer.Option(1, "--workers", help="Server processes."),
          role: str | None = typer.Option(None, "--role", help="Override MAMORU_ROLE for this process.")) -> None:
    """Serve the web application and the API."""
    import uvicorn

    if role:
        os.environ["MAMORU_ROLE"] = role
    err.print(f"serving on http://{host}:{port}")
    uvicorn.run("mamoru.web.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                access_log=False, proxy_headers=False)
