"""Who is signed in, and what they may do: local users for the demo and tests, OIDC otherwise.

Two ways in, both configured in Streamlit's ``.streamlit/secrets.toml`` (gitignored; see
``.streamlit/secrets.example.toml``):

* ``[auth]`` (an OIDC provider, Streamlit's ``st.login``): the identity is the token's ``email``
  (else ``sub``); ``[roles] leads = [...]`` names the leads, everyone else is an analyst.
* ``[local_users.<username>]`` with ``role`` and a bcrypt ``password_hash``: for the demo and tests.

Roles: ``analyst`` works cases; ``lead`` may also close a case as actioned, reopen a closed one and
read the audit log. This module only decides; ``dashboard.auth_gate`` draws the sign-in.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import bcrypt

ANALYST = "analyst"
LEAD = "lead"
ROLES = (ANALYST, LEAD)

# The demo's users (documented in the README and secrets.example.toml). Their passwords are public:
# they exist so that the demo and the tests can sign in, never for real data.
DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    ("ana", ANALYST, "ana-demo"),
    ("ben", ANALYST, "ben-demo"),
    ("lea", LEAD, "lea-demo"),
)
DEMO_HASH_ROUNDS = 10  # cheap on purpose: the demo passwords are public anyway


class AuthConfigError(ValueError):
    """The secrets file names a user badly (unknown role, missing hash)."""


@dataclass(frozen=True)
class User:
    username: str
    role: str = ANALYST

    @property
    def is_lead(self) -> bool:
        return self.role == LEAD


def hash_password(password: str, *, rounds: int = 12) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=rounds)).decode()


# Compared against when the username is unknown, so that a wrong name costs as long as a wrong password.
_DUMMY_HASH = hash_password("not a password", rounds=DEMO_HASH_ROUNDS).encode()


def local_users(secrets: Mapping) -> dict[str, tuple[str, str]]:
    """``{username: (role, password_hash)}`` from the ``[local_users]`` section (empty when absent)."""
    section = secrets.get("local_users") or {}
    users: dict[str, tuple[str, str]] = {}
    for username, entry in section.items():
        role = str(entry.get("role", ANALYST))
        if role not in ROLES:
            raise AuthConfigError(f"local user {username!r}: role must be one of {', '.join(ROLES)}, not {role!r}")
        password_hash = entry.get("password_hash")
        if not password_hash:
            raise AuthConfigError(f"local user {username!r} has no password_hash")
        users[str(username)] = (role, str(password_hash))
    return users


def authenticate(secrets: Mapping, username: str, password: str) -> User | None:
    """The user when the password matches its bcrypt hash, else None."""
    users = local_users(secrets)
    entry = users.get(username.strip())
    hashed = entry[1].encode() if entry else _DUMMY_HASH
    try:
        ok = bcrypt.checkpw(password.encode(), hashed)
    except ValueError:  # a malformed hash in the file: nobody signs in with it
        ok = False
    if not (ok and entry):
        return None
    return User(username.strip(), entry[0])


def oidc_configured(secrets: Mapping) -> bool:
    return "auth" in secrets


def oidc_user(claims: Mapping, secrets: Mapping) -> User:
    """The signed-in OIDC identity with its role from ``[roles] leads``."""
    identity = str(claims.get("email") or claims.get("sub") or "")
    if not identity:
        raise AuthConfigError("the identity provider returned neither an email nor a subject")
    leads = [str(x).lower() for x in (secrets.get("roles") or {}).get("leads", [])]
    role = LEAD if any(hmac.compare_digest(identity.lower(), lead) for lead in leads) else ANALYST
    return User(identity, role)


def demo_secrets_text(*, rounds: int = DEMO_HASH_ROUNDS) -> str:
    """A secrets.toml with the demo users, freshly hashed."""
    lines = [
        "# Demo sign-in, written by the dashboard because no secrets file existed.",
        "# Users and passwords (public, demo only): "
        + ", ".join(f"{name} / {password} ({role})" for name, role, password in DEMO_USERS),
        "# For real use, replace these users, or configure an OIDC provider under [auth]",
        "# (see .streamlit/secrets.example.toml).",
        "",
    ]
    for name, role, password in DEMO_USERS:
        lines += [f"[local_users.{name}]", f'role = "{role}"',
                  f'password_hash = "{hash_password(password, rounds=rounds)}"', ""]
    return "\n".join(lines)


def ensure_demo_secrets(path: Path | str) -> bool:
    """Write the demo users to ``path`` unless a file is already there. True when it wrote one."""
    path = Path(path)
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(demo_secrets_text(), encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)
    return True
