"""`mamoru round errata` and `mamoru round erratum`: a published round's report is the record, so a
mistake found after publication is corrected by an erratum (reason and date; the entry is kept)."""

from __future__ import annotations

from datetime import date

import typer

from mamoru.cli.common import AS_OPTION, domain_errors, err, fail, load_settings, open_database, resolve_actor


def register(round_app: typer.Typer) -> None:
    round_app.command("errata")(round_errata)
    round_app.command("erratum")(round_erratum)


def round_errata(round_id: int = typer.Argument(..., help="The round's id.")) -> None:
    """List a round's errata: id, date (Japan), what it corrects, correction, reason."""
    from mamoru.followup import errata
    from mamoru.followup.rounds import get_round

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        for x in errata.errata(s, get_round(s, round_id)):
            typer.echo(f"{x.id}\t{x.corrected_on.isoformat()}\t{errata.label(x)}\t{x.text_ja or x.text_en}\t{x.reason}")


def round_erratum(round_id: int = typer.Argument(..., help="The published round's id."),
                  reason: str = typer.Option(..., "--reason", help="Why the report is corrected."),
                  text_ja: str = typer.Option("", "--text-ja", help="The correction in Japanese."),
                  text_en: str = typer.Option("", "--text-en", help="The correction in English."),
                  entry: str | None = typer.Option(None, "--entry", help="Key or id of the corrected entry; "
                                                   "left out, the report as a whole."),
                  on: str | None = typer.Option(None, "--on", help="Date of the correction, YYYY-MM-DD (today)."),
                  as_user: str | None = AS_OPTION) -> None:
    """Correct a published round's report: the correction is shown next to the original, which is kept;
    prints the erratum's id."""
    from mamoru.followup.errata import add_erratum
    from mamoru.followup.rounds import get_round

    try:
        day = date.fromisoformat(on) if on else None
    except ValueError:
        fail(f"--on {on!r}: a date YYYY-MM-DD", 2)
    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        x = add_erratum(s, resolve_actor(s, as_user), get_round(s, round_id), reason=reason, text_ja=text_ja,
                        text_en=text_en, entry_key=entry, corrected_on=day)
        erratum_id = x.id
    err.print(f"round {round_id}: erratum {erratum_id} added")
    typer.echo(str(erratum_id))
