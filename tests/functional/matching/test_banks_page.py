"""The banks page's forms on both databases: create, import, disable and enable, platforms' choices.

A senior analyst works through the page as in a browser (session cookie, CSRF token in each form);
refusals show the page again with the reasons. Hashes are generated; nothing here is an image.
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.matching import synthetic
from mamoru.matching.index import words_hex
from mamoru.matching.models import HashBank, HashBankEntry, PlatformBank


def hexes(n: int, seed: int) -> list[str]:
    return words_hex(synthetic.uniform(n, np.random.default_rng(seed)))


def entries(session: Session, bank: str) -> list[HashBankEntry]:
    session.expire_all()
    return list(session.scalars(select(HashBankEntry).join(HashBank).where(HashBank.name == bank)
                                .order_by(HashBankEntry.id)))


def create(client: Any, csrf: str, name: str, **extra: str) -> Any:
    return client.post("/matching/banks", data={"csrf_token": csrf, "name": name, **extra}, follow_redirects=False)


def upload(client: Any, csrf: str, bank: str, data: bytes, fmt: str = "lines") -> Any:
    return client.post("/matching/import", data={"csrf_token": csrf, "bank": bank, "format": fmt, "signal": "pdq"},
                       files={"file": ("hashes.txt", data, "text/plain")}, follow_redirects=False)


def follow(client: Any, r: Any, lang: str = "ja") -> str:
    """The page a form's redirect leads to (the Location keeps its #section after the query)."""
    location = r.headers["location"].partition("#")[0]
    return str(client.get(f"{location}&lang={lang}").text)


def test_a_senior_analyst_creates_imports_and_disables_on_the_page(
        client: Any, session: Session, make_user: Callable[..., Any], login_as: Any) -> None:
    csrf = login_as(make_user(roles.SENIOR_ANALYST))
    name = f"page-{secrets.token_hex(4)}"
    r = create(client, csrf, name, owner_organisation="Internet Hotline Center", source="partner")
    assert r.status_code == 303 and r.headers["location"].startswith("/matching?done=created")
    page = follow(client, r, "en")
    assert f"Bank {name} created." in page and "Internet Hotline Center" in page
    again = create(client, csrf, name)
    assert again.status_code == 409 and "exists already" in again.text
    assert create(client, "wrong", f"x-{name}").status_code == 403  # CSRF

    good = hexes(3, 11)
    r = upload(client, csrf, name, "\n".join(good).encode())
    assert r.status_code == 303
    assert f"3 件のエントリをバンク「{name}」に取り込みました。" in follow(client, r)
    assert [e.hash for e in entries(session, name)] == good

    bad = upload(client, csrf, name, f"{hexes(1, 12)[0]}\nnot-a-hash\n\n{good[0][:10]}\n".encode())
    assert bad.status_code == 422
    problems = re.search(r'<ul class="problems error" role="alert" id="import-problems">(.*?)</ul>', bad.text, re.S)
    assert problems is not None and "2 行目" in problems.group(1) and "4 行目" in problems.group(1)
    assert len(entries(session, name)) == 3  # nothing of the bad file

    target = entries(session, name)[0]
    no_reason = client.post("/matching/entries", data={"csrf_token": csrf, "entry_id": str(target.id),
                                                       "action": "disable", "reason": " "}, follow_redirects=False)
    assert no_reason.status_code == 422 and entries(session, name)[0].disabled_at is None
    r = client.post("/matching/entries", data={"csrf_token": csrf, "entry_id": str(target.id), "action": "disable",
                                               "reason": "duplicate of another bank"}, follow_redirects=False)
    assert r.status_code == 303
    assert f"Entry {target.id} disabled" in follow(client, r, "en")
    disabled = entries(session, name)[0]
    assert disabled.disabled_at is not None and disabled.disabled_reason == "duplicate of another bank"
    r = client.post("/matching/entries", data={"csrf_token": csrf, "entry_id": str(target.id), "action": "enable"},
                    follow_redirects=False)
    assert r.status_code == 303 and entries(session, name)[0].disabled_at is None
    unknown = client.post("/matching/entries", data={"csrf_token": csrf, "entry_id": "987654321",
                                                     "action": "enable"}, follow_redirects=False)
    assert unknown.status_code == 404 and "987654321" in unknown.text

    export = client.get("/matching/export", params={"bank": name, "format": "lines"})
    assert export.status_code == 200 and export.text.split() == good


def test_an_analyst_reads_the_page_but_has_no_forms(client: Any, make_user: Callable[..., Any],
                                                   login_as: Any) -> None:
    csrf = login_as(make_user(roles.ANALYST))
    page = client.get("/matching")
    assert page.status_code == 200 and 'action="/matching/banks"' not in page.text
    assert create(client, csrf, f"page-{secrets.token_hex(4)}").status_code == 403
    # Japanese sentences end in 。, not in an English full stop ("バンクデータのバージョン 0.").
    ja = client.get("/matching?lang=ja").text
    line = ja.split('id="bank-version">')[1].split("</p>")[0]
    assert re.match(r"バンクデータのバージョン \d+。", line) and ". " not in line and ")." not in line, line
    assert re.match(r"Bank data version \d+\. ", client.get("/matching?lang=en").text.split('id="bank-version">')[1])


def test_an_administrator_chooses_a_platforms_banks_on_the_page(
        client: Any, session: Session, make_user: Callable[..., Any], login_as: Any) -> None:
    csrf = login_as(make_user(roles.ADMINISTRATOR))
    platform = make_user(roles.PLATFORM)
    name = f"page-{secrets.token_hex(4)}"
    assert create(client, csrf, name).status_code == 303
    page = client.get("/matching")
    assert f'data-platform="{platform.username}"' in page.text  # its own form
    r = client.post("/matching/platforms", data={"csrf_token": csrf, "platform": platform.username,
                                                 "banks": [name], "show_labels": "1"}, follow_redirects=False)
    assert r.status_code == 303
    session.expire_all()
    chosen = session.scalars(select(PlatformBank).where(PlatformBank.user_id == platform.id)).all()
    assert [(p.bank.name, p.show_labels) for p in chosen] == [(name, True)]
    row = re.search(rf"<tr><td>{platform.username}</td><td>(.*?)</td>", client.get("/matching").text)
    assert row is not None and row.group(1) == name
    missing = client.post("/matching/platforms", data={"csrf_token": csrf, "platform": platform.username,
                                                       "banks": [f"no-{name}"]}, follow_redirects=False)
    assert missing.status_code == 404
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(PlatformBank)
                          .where(PlatformBank.user_id == platform.id)) == 1  # the refused choice changed nothing


def _choice_form(page: str, platform: str) -> dict[str, Any]:
    """What the browser sends from a platform's form as it is shown (the ticked boxes)."""
    form = re.search(rf'<form[^>]*data-platform="{platform}">(.*?)</form>', page, re.S)
    assert form is not None, f"no form for {platform}"
    ticked = re.findall(r'<input type="checkbox" name="(banks|show_labels)" value="([^"]*)" checked>', form.group(1))
    return {"platform": platform, "banks": [v for k, v in ticked if k == "banks"],
            "show_labels": next((v for k, v in ticked if k == "show_labels"), "")}


def test_the_choice_page_shows_each_platforms_banks_ticked_and_saving_keeps_them(
        client: Any, session: Session, make_user: Callable[..., Any], login_as: Any) -> None:
    """Issue 12: the form showed no bank ticked, so adding one bank dropped the platform's others."""
    csrf = login_as(make_user(roles.ADMINISTRATOR))
    first, second = make_user(roles.PLATFORM), make_user(roles.PLATFORM)
    names = [f"page-{secrets.token_hex(4)}" for _ in range(3)]
    for name in names:
        assert create(client, csrf, name).status_code == 303
    for platform, chosen in ((first, names[:2]), (second, names[2:])):
        r = client.post("/matching/platforms", data={"csrf_token": csrf, "platform": platform.username,
                                                     "banks": chosen, "show_labels": "1"}, follow_redirects=False)
        assert r.status_code == 303
    sent = _choice_form(client.get("/matching").text, first.username)
    assert sorted(sent["banks"]) == sorted(names[:2]) and sent["show_labels"] == "1"  # shown ticked
    sent["banks"].append(names[2])  # the administrator ticks one more bank and saves
    assert client.post("/matching/platforms", data={"csrf_token": csrf, **sent}, follow_redirects=False).status_code == 303
    session.expire_all()

    def offered(user: Any) -> list[str]:
        return sorted(p.bank.name for p in session.scalars(select(PlatformBank).where(PlatformBank.user_id == user.id)))

    assert offered(first) == sorted(names) and offered(second) == [names[2]]
    assert _choice_form(client.get("/matching").text, second.username)["banks"] == [names[2]]


def test_a_bank_name_with_a_slash_is_refused_and_one_with_an_ampersand_works_on_the_page(
        client: Any, session: Session, make_user: Callable[..., Any], login_as: Any) -> None:
    """A name is part of the API's paths (/api/v1/banks/{name}), which cannot carry "/": such a name is
    refused with its reason. Other characters work: the page sends names as form fields and queries."""
    csrf = login_as(make_user(roles.SENIOR_ANALYST))
    refused = create(client, csrf, f"partner/{secrets.token_hex(3)}")
    assert refused.status_code == 422 and "バンク名には「/」「\\」や制御文字を使えません" in html.unescape(refused.text)
    name = f"partner {secrets.token_hex(3)} & co"
    assert create(client, csrf, name).status_code == 303
    h = hexes(1, 13)[0]
    assert upload(client, csrf, name, h.encode()).status_code == 303
    link = f"/matching/export?bank={quote(name)}&amp;format=lines"  # "&" in the name is %26
    assert f'href="{link}"' in client.get("/matching").text
    assert client.get(link.replace("&amp;", "&")).text.split() == [h]
