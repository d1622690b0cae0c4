"""JSON API for changing an account (administrator, scope users:write): role, agency, display
name, e-mail, language, and deactivation or reactivation. Served by the office process only, like the
account pages (web/auth ROUTES; the office's database user may UPDATE those columns of users)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from mamoru.auth import roles
from mamoru.auth import service as auth_service
from mamoru.auth.models import User
from mamoru.plan import service as plan_service
from mamoru.web.auth.api import Lang, UserOut, user_out
from mamoru.web.deps import get_session, require_roles

router = APIRouter(prefix="/api/v1", tags=["accounts"])


class UserPatch(BaseModel):
    """Only the fields given change. `agency`: an agency officer's agency code (an empty string or
    null with another role); changing the role to another than agency officer clears it."""

    model_config = ConfigDict(extra="forbid")  # an unknown field (a password, say) is a 422, not ignored

    role: str | None = None
    agency: str | None = Field(None, max_length=16)
    display_name: str | None = Field(None, max_length=auth_service.DISPLAY_NAME_MAX)
    email: str | None = Field(None, max_length=auth_service.EMAIL_MAX,
                              description="One address (local@domain); an empty string removes it.")
    preferred_lang: Lang | None = Field(None, description="The language of the mails sent to the account: ja or en.")
    active: bool | None = Field(None, description="false deactivates: the account's sessions end, its tokens are "
                                                  "refused; true reactivates.")


@router.patch("/users/{username}", response_model=UserOut, summary="Change a user (administrator)",
              responses={404: {"description": "no such user"},
                         403: {"description": "your own account's role or activity"}})
def patch_user(username: str, body: UserPatch, session: Session = Depends(get_session),
               admin: User = Depends(require_roles(roles.ADMINISTRATOR, scope="users:write"))) -> UserOut:
    account = auth_service.get_user(session, username)
    if account is None:
        raise HTTPException(404, f"no user {username!r}")
    given = body.model_fields_set
    change = auth_service.UserChange(
        role=body.role if "role" in given else None,
        agency_code=(body.agency or "") if "agency" in given else None,
        display_name=body.display_name if "display_name" in given else None,
        email=(body.email or "") if "email" in given else None,
        preferred_lang=body.preferred_lang)
    try:
        auth_service.edit_user(session, account, change, admin,
                               known_agency=lambda code: plan_service.agency_exists(session, code))
        if body.active is not None:
            auth_service.set_active(session, account, body.active, admin)
    except auth_service.AuthError as exc:
        raise HTTPException(exc.code if exc.code != 400 else 422, str(exc)) from None
    return user_out(account)
