"""`mamoru alignment confirm`: the plan office confirms the proposed mapping of measures to the
WePROTECT Model National Response's capabilities from the command line, as the alignment page's
"Confirm" buttons and `POST /api/v1/followup/alignment/.../confirm` do (one service function,
mamoru.followup.alignment.confirm, audited there as followup:alignment:confirm)."""

from __future__ import annotations

import typer

from mamoru.cli.common import AS_OPTION, domain_errors, err, load_settings, open_database, resolve_actor

alignment_app = typer.Typer(help="The plan's alignment with the WePROTECT Model National Response.",
                            no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(alignment_app, name="alignment")


@alignment_app.command("confirm")
def alignment_confirm(
        capability: int | None = typer.Option(None, "--capability", metavar="N",
                                              help="Only this capability's proposed links (1 to 21); default all."),
        as_user: str | None = AS_OPTION) -> None:
    """Confirm the proposed links of measures to capabilities (all, or one capability's): from then on
    they are the plan office's mapping. Audited as followup:alignment:confirm. Exit 0: links
    confirmed; 1: none was proposed, or the user may not (only the plan office, a coordinator);
    2: an unknown capability or user."""
    from mamoru.followup import alignment

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        n = alignment.confirm(s, resolve_actor(s, as_user), capability)
        left = sum(len(c.proposed) for c in alignment.coverage(s))
    which = f"capability {capability}" if capability is not None else "the whole mapping"
    if n == 0:
        err.print(f"nothing to confirm in {which}: no link is proposed ({left} proposed in all)")
        raise typer.Exit(1)
    err.print(f"confirmed {n} proposed links in {which}; {left} still proposed")
