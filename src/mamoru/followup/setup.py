"""The follow-up's contribution: reporting rounds, indicators, meetings, publications.

Its own indicator providers read plan and follow-up tables only, which the portal and the office
may read, so both compute them live. Figures of other domains reach it as published values
(mamoru.followup.figures), never by reading their tables.
"""

from mamoru.domain import DomainSetup, IndicatorProvider
from mamoru.followup.indicators import implemented_share, prefectures_done
from mamoru.followup.settings import FollowupSettings

_READERS = frozenset({"portal", "office"})

DOMAIN = DomainSetup(
    name="followup",
    roles=_READERS,
    settings=FollowupSettings,  # the reminders the worker sends officers before and after a round's due date
    offers=("mamoru.followup.figures",),  # other domains publish their computed figures here, nothing more
    providers=(
        IndicatorProvider("followup.implemented_share", implemented_share, _READERS,
                          source="mamoru follow-up: accepted entries of published rounds"),
        IndicatorProvider("followup.prefectures_done", prefectures_done, _READERS,
                          source="prefecture status recorded by the plan office"),
    ),
)
