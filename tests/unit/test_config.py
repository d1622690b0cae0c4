"""The settings builder: each kind of value parses, a bad value names its variable and the form
expected, the defaults are the documented ones, and a process gets only the domains it was given."""

from __future__ import annotations

from pathlib import Path

import pytest

from mamoru.blocklist.settings import BlocklistSettings
from mamoru.composition import all_settings_classes
from mamoru.config import Settings, from_env
from mamoru.hotline.settings import HotlineSettings
from mamoru.hotline.workflow import ServiceLevels
from mamoru.matching.settings import MatchingSettings


def build(env: dict[str, str]) -> Settings:
    return Settings.from_env(env, domain_classes=all_settings_classes())


def test_each_kind_of_value_parses() -> None:
    s = build({"MAMORU_VAR_DIR": "/srv/m", "MAMORU_SESSION_HOURS": "1.5", "MAMORU_SECURE_COOKIES": "yes",
               "MAMORU_ROLE": "Hotline", "MAMORU_DEFAULT_LANG": "EN", "MAMORU_SMTP_PORT": "587",
               "MAMORU_MAIL_BACKEND": "smtp", "MAMORU_SMTP_STARTTLS": "0",
               "MAMORU_HOTLINE_PUBLIC_RATE": "3/60", "MAMORU_HOTLINE_FLAGGER_RATE": "7",
               "MAMORU_HOTLINE_REDIS_URL": "redis://r:6379/1", "MAMORU_HOTLINE_CONTACT_KEY": "/keys/c.key",
               "MAMORU_HOTLINE_SLA_HOURS": "12", "MAMORU_MATCH_POLL_SECONDS": "0",
               "MAMORU_BLOCKLIST_SPLASH": " notice.example ", "MAMORU_BLOCKLIST_REVIEW_DAYS": "30"})
    assert (s.var_dir, s.session_hours, s.secure_cookies, s.role, s.default_lang) == \
        (Path("/srv/m"), 1.5, True, "hotline", "en")
    assert (s.smtp_port, s.mail_backend, s.smtp_starttls) == (587, "smtp", False)
    hs = s.domain(HotlineSettings)
    assert hs.public_rate == (3, 60) and hs.flagger_rate == (7, 60)  # N alone: per minute
    assert hs.rate_store == "redis" and hs.redis_url == "redis://r:6379/1"  # redis when a URL is given
    assert hs.contact_key_path == Path("/keys/c.key") and hs.levels.assess_hours == 12.0
    assert (hs.mail_backend, hs.smtp_port) == ("smtp", 587)  # the shared mail settings, not a copy to keep
    assert s.domain(MatchingSettings).poll_seconds == 0.0
    bl = s.domain(BlocklistSettings)
    assert (bl.splash, bl.review_days) == ("notice.example", 30)


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("MAMORU_SESSION_HOURS", "abc", "a number"),
    ("MAMORU_SMTP_PORT", "25a", "a whole number"),
    ("MAMORU_SECURE_COOKIES", "maybe", "1 or 0"),
    ("MAMORU_DEFAULT_LANG", "fr", "one of ja, en"),
    ("MAMORU_MAIL_BACKEND", "sendmail", "one of outbox, smtp, console, memory"),
    ("MAMORU_HOTLINE_PUBLIC_RATE", "ten/600", "N/SECONDS"),
    ("MAMORU_HOTLINE_RATE_STORE", "disk", "one of memory, database, redis"),
    ("MAMORU_HOTLINE_CONTACT_RETENTION_DAYS", "0", "a positive number"),
    ("MAMORU_MATCH_RATE", "5/0", "N/SECONDS"),
    ("MAMORU_BLOCKLIST_REVIEW_DAYS", "half a year", "a whole number"),
])
def test_a_bad_value_names_the_variable_and_the_form_expected(name: str, value: str, expected: str) -> None:
    with pytest.raises(ValueError, match=name) as caught:
        build({name: value})
    assert repr(value) in str(caught.value) and expected in str(caught.value)


def test_an_empty_value_is_the_default() -> None:
    assert build({"MAMORU_SESSION_HOURS": "", "MAMORU_MATCH_RATE": " "}) == build({})


def test_defaults_are_the_documented_ones() -> None:
    s = build({"MAMORU_VAR_DIR": "/v"})
    assert (s.database_url, s.secret_key, s.audit_key_path) == ("sqlite:////v/mamoru.db", "", Path("/v/keys/audit.key"))
    assert (s.session_hours, s.secure_cookies, s.role, s.default_lang, s.login_attempts) == (8.0, False, "all", "ja", 5)
    assert (s.mail_backend, s.mail_from, s.smtp_host, s.smtp_port, s.smtp_user, s.smtp_starttls) == \
        ("outbox", "mamoru@localhost", "localhost", 25, "", False)
    assert s.mail_outbox == Path("/v/outbox")  # no mail leaves the machine unless SMTP is configured
    assert build({}).var_dir == Path("var")
    hs = s.domain(HotlineSettings)
    assert hs.levels == ServiceLevels(24.0, 1.0, 24.0, 7.0, 6.0)
    assert (hs.check_timeout, hs.check_max_redirects, hs.check_proxy, hs.check_allow_loopback_for_tests) == \
        (10.0, 5, "", False)
    assert (hs.public_rate, hs.flagger_rate, hs.rate_store, hs.smtp_ssl, hs.contact_retention_days) == \
        ((10, 600), (600, 60), "memory", False, 365.0)
    assert (hs.contact_key_path, hs.contact_public_key_path) == (Path("/v/keys/contact.key"), Path("/v/keys/contact.pub"))
    assert s.domain(MatchingSettings) == MatchingSettings(Path("/v/matching"), 2.0, (600, 60), "", 2.0)
    # under load: busy answers, not stalls; behind a proxy nobody's X-Forwarded-For is trusted by default
    assert (s.trusted_proxies, s.max_requests, s.request_queue, s.queue_seconds, s.body_seconds) == \
        ((), 32, 512, 2.0, 10.0)
    assert s.domain(BlocklistSettings) == BlocklistSettings(Path("/v/keys/blocklist.key"), None, 180, "")


def test_a_process_holds_only_the_domains_it_was_given() -> None:
    portal = Settings.from_env({"MAMORU_ROLE": "portal"}, domain_classes=(BlocklistSettings,))
    assert portal.domain(BlocklistSettings).review_days == 180
    with pytest.raises(LookupError, match="MAMORU_ROLE=portal does not serve the hotline"):
        portal.domain(HotlineSettings)
    with pytest.raises(LookupError, match="MAMORU_ROLE=all does not serve matching"):
        Settings().domain(MatchingSettings)


def test_describe_hides_secrets() -> None:
    shown = build({"MAMORU_SECRET_KEY": "s3cret", "MAMORU_SMTP_PASSWORD": "pw"}).describe()
    assert "s3cret" not in shown.values() and "pw" not in shown.values() and "domains" not in shown
    assert shown["role"] == "all"


def test_a_domain_class_built_alone_takes_var_dir_from_the_core() -> None:
    core = Settings.from_env({"MAMORU_VAR_DIR": "/w"})
    assert from_env(MatchingSettings, {}, core=core).snapshot_dir == Path("/w/matching")
