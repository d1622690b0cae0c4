"""`mamoru material` and `mamoru helpline`: exit 0 on success, 2 for bad input or an unknown id, 1 for a
refusal (another agency's material, a national service, retired material)."""

from __future__ import annotations

from tests.functional.followup.conftest import SMALL_PLAN


def _people(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("plan", "load", "--file", str(SMALL_PLAN)).exit_code == 0
    assert cli("indicator", "load").exit_code == 0
    for args in (("office", "coordinator"), ("mic", "agency_officer", "--agency", "MIC"),
                 ("npa", "agency_officer", "--agency", "NPA")):
        assert cli("user", "add", args[0], "--role", *args[1:]).exit_code == 0


def test_material_add_edit_publish_unpublish_retire(cli) -> None:  # type: ignore[no-untyped-def]
    _people(cli)
    add = cli("material", "add", "--measure", "t-1-01", "--title-ja", "フィルタリングのすすめ", "--url",
              "https://www.soumu.go.jp/filtering", "--audience", "children", "--as", "mic")
    assert add.exit_code == 0, add.output
    mid = add.stdout.strip()
    bad = cli("material", "add", "--measure", "t-1-02", "--url", "file:///etc/passwd", "--audience", "adults",
              "--as", "office")
    assert bad.exit_code == 2 and "url: an http(s) address" in bad.output and "audience: one of" in bad.output
    assert cli("material", "add", "--measure", "t-1-02", "--title-ja", "x", "--url", "https://example.org/",
               "--as", "mic").exit_code == 1  # CAO's measure
    assert f"{mid}\tdraft\tt-1-01\tMIC\tchildren\thttps://www.soumu.go.jp/filtering\tフィルタリングのすすめ" in \
        cli("material", "list").stdout
    assert cli("material", "publish", mid, "--as", "npa").exit_code == 1  # MIC's material
    assert cli("material", "publish", "999", "--as", "office").exit_code == 2
    edit = cli("material", "edit", mid, "--title-en", "Use filtering", "--as", "mic")
    assert edit.exit_code == 0 and "title_en changed" in edit.output
    assert cli("material", "edit", mid, "--audience", "adults", "--as", "mic").exit_code == 2
    assert cli("material", "publish", mid, "--as", "mic").exit_code == 0
    assert cli("material", "list", "--state", "published").stdout.startswith(f"{mid}\tpublished")
    assert cli("material", "unpublish", mid, "--as", "office").exit_code == 0
    assert cli("material", "list", "--state", "published").stdout == ""
    assert cli("material", "retire", mid, "--reason", "out of date", "--as", "office").exit_code == 0
    assert cli("material", "publish", mid, "--as", "office").exit_code == 1
    assert cli("material", "list", "--state", "retired").stdout.startswith(f"{mid}\tretired")
    assert cli("material", "list", "--state", "gone").exit_code == 2


def test_helpline_add_edit_withdraw_restore(cli) -> None:  # type: ignore[no-untyped-def]
    _people(cli)
    add = cli("helpline", "add", "--prefecture", "13", "--name-ja", "東京都 子供の相談窓口", "--phone", "03-0000-0000",
              "--what-ja", "こまったら電話してね。", "--url", "https://example.jp/tokyo", "--as", "office")
    assert add.exit_code == 0, add.output
    key = add.stdout.strip()
    assert key.startswith("pref-13-")
    assert cli("helpline", "add", "--prefecture", "13", "--name-ja", "x", "--phone", "1", "--as", "mic").exit_code == 1
    bad = cli("helpline", "add", "--prefecture", "48", "--name-ja", "x", "--phone", "1", "--url", "javascript:x",
              "--as", "office")
    assert bad.exit_code == 2 and "prefecture: a JIS code" in bad.output and "url: an http(s) address" in bad.output
    tokyo = cli("helpline", "list", "--prefecture", "13").stdout
    assert f"{key}\tprefectural\t13\t03-0000-0000\tshown" in tokyo and "\t189\t" in tokyo and "#8891" in tokyo
    assert key not in cli("helpline", "list", "--prefecture", "27").stdout
    assert cli("helpline", "edit", key, "--phone", "03-1111-1111", "--as", "office").exit_code == 0
    assert cli("helpline", "edit", key, "--as", "office").exit_code == 2  # nothing to change
    assert cli("helpline", "edit", key, "--phone", " ", "--as", "office").exit_code == 2
    assert cli("helpline", "edit", "jidou-soudan-189", "--phone", "000", "--as", "office").exit_code == 1  # national
    assert cli("helpline", "edit", "no-such-line", "--phone", "000", "--as", "office").exit_code == 2
    assert cli("helpline", "withdraw", key, "--as", "npa").exit_code == 1
    assert cli("helpline", "withdraw", key, "--as", "office").exit_code == 0
    assert key not in cli("helpline", "list").stdout
    assert f"{key}\tprefectural\t13\t03-1111-1111\twithdrawn" in cli("helpline", "list", "--all").stdout
    assert cli("helpline", "restore", key, "--as", "office").exit_code == 0
    assert f"{key}\tprefectural\t13\t03-1111-1111\tshown" in cli("helpline", "list").stdout
