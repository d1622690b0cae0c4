"""The whole `mamoru` command: one Typer sub-application per domain, composed here (imported by
`mamoru.cli.main` for every command but `mamoru hash`, which needs none of it)."""

from __future__ import annotations

import typer

from mamoru.cli import audit as audit_cli
from mamoru.cli import db as db_cli
from mamoru.cli import plan as plan_cli
from mamoru.cli import serve as serve_cli
from mamoru.cli import user as user_cli

app = typer.Typer(
    name="mamoru",
    help="mamoru: the Basic Plan's registry, follow-up, hotline, hash matching and blocking list.",
    no_args_is_help=True,
    add_completion=False,
)

app.add_typer(db_cli.app, name="db")
app.add_typer(plan_cli.app, name="plan")
app.add_typer(user_cli.app, name="user")
app.add_typer(user_cli.token_app, name="token")
app.add_typer(audit_cli.app, name="audit")
serve_cli.register(app)

# Other domains register below, one line each (keep alphabetical within the block).
# -- domain registrations --
from mamoru.cli import bank as bank_cli  # noqa: E402
app.add_typer(bank_cli.app, name="bank")
from mamoru.cli import blocklist as blocklist_cli  # noqa: E402
app.add_typer(blocklist_cli.app, name="blocklist")
from mamoru.cli import followup as followup_cli  # noqa: E402
followup_cli.register(app)
from mamoru.cli import hashing as hashing_cli  # noqa: E402
hashing_cli.register(app)
from mamoru.cli import hotline as hotline_cli  # noqa: E402
app.add_typer(hotline_cli.app, name="hotline")
from mamoru.cli import match as match_cli  # noqa: E402
match_cli.register(app)
from mamoru.cli import separation as separation_cli  # noqa: E402
separation_cli.register(db_cli.app)
from mamoru.cli import url as url_cli  # noqa: E402
app.add_typer(url_cli.app, name="url")
from mamoru.cli import work as work_cli  # noqa: E402
work_cli.register(app)
