"""Imports every domain's models so that Base.metadata is complete (Alembic, db check, tests).

One import line per domain.
"""

from mamoru import audit, workers  # noqa: F401
from mamoru.auth import models as auth_models  # noqa: F401
from mamoru.plan import models as plan_models  # noqa: F401

# -- domain registrations --
from mamoru.followup import models as followup_models  # noqa: F401
from mamoru.hotline import models as hotline_models  # noqa: F401
from mamoru.blocklist import models as blocklist_models  # noqa: F401
from mamoru.matching import models as matching_models  # noqa: F401
