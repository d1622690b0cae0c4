"""`mamoru material` and `mamoru helpline`: what the public portal offers children and families beyond the
reports: the awareness material ministries publish (added as a draft, published, taken off, retired) and
the prefectural consultation services the plan office keeps (national ones come with mamoru's data)."""

from __future__ import annotations

from typing import Any

import typer

from mamoru.cli.common import AS_OPTION, domain_errors, err, fail, load_settings, open_database, resolve_actor

material_app = typer.Typer(help="Awareness material linked from the measures that produce it.", no_args_is_help=True)
helpline_app = typer.Typer(help="Consultation services on the portal's help page (prefectural ones are kept here).",
                           no_args_is_help=True)

AUDIENCE_HELP = "children, families, schools or businesses."


def register(app: typer.Typer) -> None:
    app.add_typer(material_app, name="material")
    app.add_typer(helpline_app, name="helpline")


@material_app.command("list")
def material_list(state: str | None = typer.Option(None, "--state", help="draft, published or retired.")) -> None:
    """List material: id, state, measure, agency, audience, address, title."""
    from mamoru.followup.materials import STATES, materials, state_of

    if state is not None and state not in STATES:
        fail(f"--state {state!r}: choose draft, published or retired", 2)
    db = open_database(load_settings())
    with db.session() as s:
        for m in materials(s, state=state):
            typer.echo(f"{m.id}\t{state_of(m)}\t{m.measure.uid if m.measure else '-'}\t"
                       f"{m.agency.code if m.agency else '-'}\t{m.audience}\t{m.url}\t{m.title_ja or m.title_en}")


@material_app.command("add")
def material_add(url: str = typer.Option(..., "--url", help="http(s) address of the material."),
                 measure: str | None = typer.Option(None, "--measure", help="Stable id of the measure that produces it."),
                 title_ja: str = typer.Option("", "--title-ja"), title_en: str = typer.Option("", "--title-en"),
                 audience: str = typer.Option("families", "--audience", help=AUDIENCE_HELP),
                 agency: str | None = typer.Option(None, "--agency", help="Code of the publishing agency."),
                 as_user: str | None = AS_OPTION) -> None:
    """Add material as a draft (the portal shows it once published); prints its id."""
    from mamoru.followup.materials import add_material

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        mid = add_material(s, resolve_actor(s, as_user), measure, title_en, title_ja, url, audience, agency).id
    err.print(f"material {mid} added as a draft")
    typer.echo(str(mid))


@material_app.command("edit")
def material_edit(material_id: int = typer.Argument(..., help="The material's id."),
                  measure: str | None = typer.Option(None, "--measure", help="Stable id of the measure."),
                  agency: str | None = typer.Option(None, "--agency", help="Agency code; '' names none."),
                  title_ja: str | None = typer.Option(None, "--title-ja"),
                  title_en: str | None = typer.Option(None, "--title-en"),
                  url: str | None = typer.Option(None, "--url"),
                  audience: str | None = typer.Option(None, "--audience", help=AUDIENCE_HELP),
                  as_user: str | None = AS_OPTION) -> None:
    """Change material (options left out keep their value); a published one shows the change at once."""
    from mamoru.followup.materials import material_to_change, update_material

    given = {"measure": measure, "agency": agency, "title_ja": title_ja, "title_en": title_en, "url": url,
             "audience": audience}
    values: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        actor = resolve_actor(s, as_user)
        changes = update_material(s, actor, material_to_change(s, actor, material_id), values)
    err.print(f"material {material_id}: " + (", ".join(sorted(changes)) + " changed" if changes else "nothing changed"))


def _publication(material_id: int, as_user: str | None, action: str, reason: str = "") -> None:
    from mamoru.followup.materials import material_to_change, retire_material, set_published

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        actor = resolve_actor(s, as_user)
        m = material_to_change(s, actor, material_id)
        if action == "retire":
            retire_material(s, actor, m, reason)
        else:
            set_published(s, actor, m, action == "publish")


@material_app.command("publish")
def material_publish(material_id: int = typer.Argument(..., help="The material's id."),
                     as_user: str | None = AS_OPTION) -> None:
    """Show material on the public portal."""
    _publication(material_id, as_user, "publish")
    err.print(f"material {material_id} published")


@material_app.command("unpublish")
def material_unpublish(material_id: int = typer.Argument(..., help="The material's id."),
                       as_user: str | None = AS_OPTION) -> None:
    """Take material off the portal (it stays a draft that can be published again)."""
    _publication(material_id, as_user, "unpublish")
    err.print(f"material {material_id} taken off the portal")


@material_app.command("retire")
def material_retire(material_id: int = typer.Argument(..., help="The material's id."),
                    reason: str = typer.Option("", "--reason", help="Why (kept in the audit log)."),
                    as_user: str | None = AS_OPTION) -> None:
    """Withdraw material for good: kept for the record, never shown again."""
    _publication(material_id, as_user, "retire", reason)
    err.print(f"material {material_id} retired")


@helpline_app.command("list")
def helpline_list(all_: bool = typer.Option(False, "--all", help="Include withdrawn services."),
                  prefecture: str | None = typer.Option(None, "--prefecture", help="National ones and this "
                                                        "prefecture's (JIS code).")) -> None:
    """List services: key, scope, prefecture, phone, shown or withdrawn, name."""
    from mamoru.followup.publication import prefectures, services

    db = open_database(load_settings())
    with db.session() as s:
        codes = {p.id: p.code for p in prefectures(s)}
        for svc in services(s, include_inactive=all_):
            code = codes.get(svc.prefecture_id or 0, "-")
            if prefecture and svc.scope != "national" and code != prefecture.zfill(2):
                continue
            state = "shown" if svc.active is not False else "withdrawn"
            typer.echo(f"{svc.key}\t{svc.scope}\t{code}\t{svc.phone}\t{state}\t{svc.name_ja or svc.name_en}")


@helpline_app.command("add")
def helpline_add(prefecture: str = typer.Option(..., "--prefecture", help="JIS code, 01 to 47."),
                 name_ja: str = typer.Option(..., "--name-ja"), phone: str = typer.Option(..., "--phone"),
                 name_en: str = typer.Option("", "--name-en"), hours_ja: str = typer.Option("", "--hours-ja"),
                 hours_en: str = typer.Option("", "--hours-en"),
                 what_ja: str = typer.Option("", "--what-ja", help="What it helps with, in plain words."),
                 what_en: str = typer.Option("", "--what-en"), url: str = typer.Option("", "--url"),
                 as_user: str | None = AS_OPTION) -> None:
    """Add a prefectural consultation service (shown on the help page at once); prints its key."""
    from mamoru.followup.publication import add_service

    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        key = add_service(s, resolve_actor(s, as_user), prefecture, name_en, name_ja, phone, hours_en, hours_ja,
                          what_en, what_ja, url).key
    typer.echo(key)


@helpline_app.command("edit")
def helpline_edit(key: str = typer.Argument(..., help="The service's key."),
                  name_ja: str | None = typer.Option(None, "--name-ja"), name_en: str | None = typer.Option(None, "--name-en"),
                  phone: str | None = typer.Option(None, "--phone"), hours_ja: str | None = typer.Option(None, "--hours-ja"),
                  hours_en: str | None = typer.Option(None, "--hours-en"), what_ja: str | None = typer.Option(None, "--what-ja"),
                  what_en: str | None = typer.Option(None, "--what-en"), url: str | None = typer.Option(None, "--url"),
                  as_user: str | None = AS_OPTION) -> None:
    """Change a prefectural service (options left out keep their value; national ones are refused)."""
    given = {"name_ja": name_ja, "name_en": name_en, "phone": phone, "hours_ja": hours_ja, "hours_en": hours_en,
             "what_ja": what_ja, "what_en": what_en, "url": url}
    _update_service(key, {k: v for k, v in given.items() if v is not None}, as_user)
    err.print(f"service {key} changed")


def _update_service(key: str, fields: dict[str, Any], as_user: str | None) -> None:
    from mamoru.followup.publication import update_service

    if not fields:
        fail("nothing to change: give at least one option", 2)
    db = open_database(load_settings())
    with domain_errors(), db.session() as s:
        update_service(s, resolve_actor(s, as_user), key, fields)


@helpline_app.command("withdraw")
def helpline_withdraw(key: str = typer.Argument(..., help="The service's key."), as_user: str | None = AS_OPTION) -> None:
    """Take a prefectural service off the help page (it is kept and can be restored)."""
    _update_service(key, {"active": False}, as_user)
    err.print(f"service {key} withdrawn from the help page")


@helpline_app.command("restore")
def helpline_restore(key: str = typer.Argument(..., help="The service's key."), as_user: str | None = AS_OPTION) -> None:
    """Show a withdrawn prefectural service on the help page again."""
    _update_service(key, {"active": True}, as_user)
    err.print(f"service {key} shown on the help page again")
