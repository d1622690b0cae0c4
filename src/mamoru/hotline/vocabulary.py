"""The words the hotline's pages, mails and referral records use for its codes: a case's status, a
verdict, a step in a case's history, a removal check's outcome, a deletion request's kind.

Codes stay codes in the database, the API and the JSON record; people read these labels, English
message ids translated through the catalogue (locale/ja/LC_MESSAGES/hotline.po). One table serves
every door, so the case page, the referral PDF and a refusal name a status the same way.
"""

from __future__ import annotations

import json
from typing import Any

from mamoru.errors import DomainError
from mamoru.i18n import LANGS, error_messages, gettext

STATUS = {
    "queued": "Waiting for assessment",
    "referral_pending": "Police referral pending",
    "notice_pending": "Deletion request pending",
    "forward_pending": "Forwarding abroad pending",
    "removal_pending": "Waiting for removal",
    "removed": "Removed (verified)",
    "closed": "Closed, no action",
}

VERDICT = {
    "csam": "Illegal: child sexual abuse material",
    "solicitation": "Illegal: solicitation of child prostitution or business advertising children as sexual objects",
    "harmful": "Harmful but not illegal",
    "not_illegal": "Not illegal",
    "unreachable": "Unreachable",
}

EVENT = {
    "assess_actionable_domestic": "Assessed as illegal, hosted in Japan",
    "assess_actionable_abroad": "Assessed as illegal, hosted abroad",
    "assess_no_action": "Assessed: no action",
    "refer": "Referred to the police",
    "notice_sent": "Deletion request sent",
    "forwarded": "Forwarded to a partner hotline",
    "verified_removed": "Removal verified",
    "reappeared": "Content reappeared",
    "reopen": "Reopened",
    "traced": "Hosting traced",
    "police_hold": "Police hold set",
    "police_release": "Police hold released",
    "guidance_route": "Route to the child guidance centre recorded",
    "removal_seen": "Removal seen once",
    "removal_awaits_analyst": "Removal awaits an analyst's confirmation",
    "removal_not_confirmed": "Removal not confirmed: the URL answered again",
    "work_failed": "Automatic work failed",
    "escalation_notified": "Escalation sent",
    "police_alerted": "Police alerted",
    "platform_match": "Opened by a platform's hash match",
    "assigned": "Taken by an analyst",
    "unassigned": "Given back to the queue",
}

CHECK_OUTCOME = {
    "present": "Still there",
    "removed": "Gone",
    "error": "Check failed",
    "refused": "Not checked (refused)",
    "inconclusive": "Inconclusive",
}

# Why a check said neither present nor removed (RemovalCheck.reason and its reason_params).
CHECK_REASON = {
    "name_not_found": "The host name {host} does not resolve (no such name, or no address); this is not taken as removal.",
    "timeout": "No answer within {seconds} seconds.",
    "connection_refused": "The server refused the connection: nothing answers at that address and port.",
    "network_error": "The connection failed ({error}).",
    "protocol_error": "The answer could not be read as HTTP ({error}).",
    "proxy_error": "The outbound proxy failed ({error}).",
    "refused_address": "Not contacted: {host} resolves to a non-public address ({address}).",
    "refused_url": "Not checked: the address cannot be read one way only ({why}).",
    "http_status": "HTTP status {status} says neither present nor removed.",
    "too_many_redirects": "More than {limit} redirects.",
}

# Why a deletion request was not delivered (DeletionRequest.error_reason and its error_params).
MAIL_ERROR = {
    "connection_refused": "The mail server refused the connection.",
    "timeout": "The mail server did not answer in time.",
    "recipient_refused": "The mail server refused the recipient {to}.",
    "sender_refused": "The mail server refused the sender address.",
    "smtp_error": "The mail server answered with an error ({code}: {error}).",
    "failed": "Sending failed ({error}).",
}

NOTICE_KIND = {"initial": "First request", "resend": "Resent", "escalation": "Escalation",
               "reappeared": "Content reappeared: request sent again"}

REVIEW_OUTCOME = {"upheld": "Upheld", "overturned": "Overturned"}

CONTENT = {"image": "Image", "video": "Video", "live": "Live stream", "text": "Text", "other": "Other", "": "—"}

SOURCE = {"public": "Public", "flagger": "Trusted flagger", "partner": "Partner hotline",
          "platform": "Platform (hash match)"}

TABLES = {"status": STATUS, "verdict": VERDICT, "event": EVENT, "check": CHECK_OUTCOME, "notice": NOTICE_KIND,
          "review": REVIEW_OUTCOME, "content": CONTENT, "source": SOURCE}
REASONS = {"check": CHECK_REASON, "mail": MAIL_ERROR}


def label(table: str, code: str | None, lang: str) -> str:
    """The label of `code` in `lang` ("—" for none); a code the table does not know is shown as it is."""
    if not code:
        return "—"
    msgid = TABLES[table].get(code)
    return gettext(lang, msgid) if msgid else code


def terms(lang: str) -> dict[str, dict[str, str]]:
    """Every table in `lang`, for templates: terms(lang)["status"]["queued"]."""
    return {name: {code: gettext(lang, msgid) for code, msgid in table.items()} for name, table in TABLES.items()}


def reason_text(table: str, code: str | None, params: dict[str, str] | None, stored: str, lang: str) -> str:
    """Why a check or a delivery failed, in `lang`, from its reason code and values; a row from before
    reason codes (or with a code this version does not know) shows the English text it stored."""
    msgid = REASONS[table].get(code or "")
    if msgid is None:
        return stored
    values = dict(params or {})
    try:
        why = values.pop("why_msgid", "")  # the parser's own reason (checker.RequestRefused.because)
        values_of_why = json.loads(values.pop("why_values", "") or "{}")
        if why:
            values["why"] = gettext(lang, why, **values_of_why)
        return gettext(lang, msgid, **values)
    except (KeyError, IndexError, ValueError):  # values missing from an odd row: the stored words rather than nothing
        return stored


UNEXPECTED_FAILURE = "An unexpected error ({kind}): the technical detail is for the system's operators."


def failure_texts(exc: Exception) -> dict[str, str]:
    """What an analyst reads when the worker failed on a case, in each language: a service's refusal
    (a provider's address that cannot be written to) in its own words, anything else as an
    unexpected error of its kind; the exception's English text stays the case's `work_error`."""
    if isinstance(exc, DomainError):
        return {lang: "; ".join(error_messages(lang, exc)) for lang in LANGS}
    return {lang: gettext(lang, UNEXPECTED_FAILURE, kind=type(exc).__name__) for lang in LANGS}


def work_error_text(case: Any, lang: str) -> str:
    """Why the worker's current failure on `case` happened, in `lang`: from the last work_failed event
    of that job; a failure recorded before the event held its words shows the English text."""
    for event in sorted(case.events, key=lambda e: (e.at, e.id), reverse=True):
        if event.kind == "work_failed" and (event.detail or {}).get("job") == case.work_error_job:
            text = (event.detail.get("error_text") or {}).get(lang)
            return str(text) if text else str(case.work_error)
    return str(case.work_error)
