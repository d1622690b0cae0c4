"""The follow-up's settings: every MAMORU_FOLLOWUP_* variable, declared and parsed here alone.

A process that runs the follow-up receives them as `settings.domain(FollowupSettings)`;
docs/settings.md is generated from these declarations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from mamoru.config import INTEGER, setting


@dataclass(frozen=True)
class FollowupSettings:
    domain_name: ClassVar[str] = "followup"

    reminder_days: int = setting("MAMORU_FOLLOWUP_REMINDER_DAYS", "Days before a round's due date on which the "
                                 "background worker reminds each agency officer who still has entries to submit "
                                 "(once per officer and round; a second reminder once the due date has passed). "
                                 "0: no reminder before the due date, only the overdue one.", 7, parse=INTEGER)
