"""Who is signed in, and what they may do: local users for the demo and tests, OIDC otherwise.

Two ways in, both configured in Streamlit's ``.streamlit/secrets.toml`` (gitignored; see
``.streamlit/secrets.example.toml``):

* ``[auth]`` (an OIDC provider, Streamlit's ``st.login``): the identity is the token's ``email``
  (else ``sub``); ``[roles] leads = [...]`` names the leads, everyone else is an analyst.
* ``[local_users.<username>]`` with ``role`` and a bcrypt ``password_hash``: for the demo and tests.

Roles: ``analyst`` works cases; ``lead`` may also close a case as actioned, reopen a closed one and
read the audit log. This module only decides; ``dashboard.auth_gate`` draws the sign-in.

A local sign-in is kept across page reloads for ``[sign_in] keep_hours`` (default 12; 0 keeps it for
the browser tab's session only) by a signed, expiring token in a cookie (``sign_in_token``). The
token names the user and its issue and expiry times, and carries an HMAC-SHA256 over them and the
user's current password hash, keyed by ``[sign_in] cookie_secret`` (else a random key per server
process). It never holds the password or its hash; it stops working when it expires, when the
user's password changes or the user is removed, when the key changes, and when the user signs out
(a token issued before the user's last sign-out is refused). The role always comes from the secrets.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as secrets_mod
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


# --- keeping a local sign-in across page reloads ------------------------------------------------------

SIGN_IN_COOKIE = "anomaly_sign_in"
DEFAULT_KEEP_HOURS = 12.0
MAX_KEEP_HOURS = 24.0 * 30
MIN_COOKIE_SECRET_CHARS = 32
_TOKEN_VERSION = "v1"
_PROCESS_KEY = secrets_mod.token_bytes(32)  # when the secrets name no key: sign-ins end with the server


def keep_signed_in_seconds(secrets: Mapping) -> int:
    """How long a local sign-in is kept across reloads (``[sign_in] keep_hours``); 0: not at all."""
    section = secrets.get("sign_in") or {}
    value = section.get("keep_hours", DEFAULT_KEEP_HOURS)
    try:
        hours = float(value)
    except (TypeError, ValueError):
        raise AuthConfigError(f"[sign_in] keep_hours must be a number of hours, not {value!r}") from None
    if not 0 <= hours <= MAX_KEEP_HOURS:
        raise AuthConfigError(f"[sign_in] keep_hours must be between 0 and {MAX_KEEP_HOURS:g}, not {hours:g}")
    return int(hours * 3600)


def kept_sign_in_seconds(secrets: Mapping) -> int:
    """``keep_signed_in_seconds``, once the whole ``[sign_in]`` section (its key too) is known to be usable."""
    seconds = keep_signed_in_seconds(secrets)
    if seconds:
        sign_in_key(secrets)
    return seconds


def sign_in_key(secrets: Mapping) -> bytes:
    """The HMAC key for sign-in tokens: ``[sign_in] cookie_secret``, else this process's random key."""
    configured = (secrets.get("sign_in") or {}).get("cookie_secret")
    if configured is None:
        return _PROCESS_KEY
    configured = str(configured)
    if len(configured) < MIN_COOKIE_SECRET_CHARS:
        raise AuthConfigError(f"[sign_in] cookie_secret must be at least {MIN_COOKIE_SECRET_CHARS} characters "
                              "(a random string)")
    return configured.encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(key: bytes, username: str, issued_ms: int, expires_ms: int, password_hash: str) -> bytes:
    # The password hash is only mixed in (hashed again): a changed password ends every kept sign-in.
    message = "\n".join([_TOKEN_VERSION, username, str(issued_ms), str(expires_ms),
                         hashlib.sha256(password_hash.encode()).hexdigest()])
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def sign_in_token(secrets: Mapping, user: User, *, now_ms: int, lifetime_s: int | None = None) -> str | None:
    """A token that keeps ``user`` (a local user) signed in until ``now + lifetime``; None when not kept."""
    lifetime_s = kept_sign_in_seconds(secrets) if lifetime_s is None else lifetime_s
    entry = local_users(secrets).get(user.username)
    if lifetime_s <= 0 or entry is None:
        return None
    expires_ms = now_ms + lifetime_s * 1000
    signature = _signature(sign_in_key(secrets), user.username, now_ms, expires_ms, entry[1])
    return ".".join([_TOKEN_VERSION, _b64(user.username.encode()), str(now_ms), str(expires_ms), _b64(signature)])


@dataclass(frozen=True)
class KeptSignIn:
    user: User
    issued_ms: int
    expires_ms: int


def read_sign_in_token(secrets: Mapping, token: str | None, *, now_ms: int) -> KeptSignIn | None:
    """The sign-in a token keeps, when its signature holds, it has not expired and its user still exists
    with the same password; else None. The caller also refuses one issued before the user signed out."""
    keep_s = keep_signed_in_seconds(secrets)
    if not token or len(token) > 1024 or keep_s <= 0:
        return None
    try:
        version, name, issued, expires, signature = token.split(".")
        username, issued_ms, expires_ms = _unb64(name).decode(), int(issued), int(expires)
        given = _unb64(signature)
    except (ValueError, UnicodeDecodeError):
        return None
    entry = local_users(secrets).get(username)
    if version != _TOKEN_VERSION or entry is None:
        return None
    expected = _signature(sign_in_key(secrets), username, issued_ms, expires_ms, entry[1])
    if not hmac.compare_digest(given, expected):
        return None
    if not issued_ms <= now_ms + 60_000 or now_ms >= expires_ms:  # a minute's clock skew at most
        return None
    if now_ms - issued_ms >= keep_s * 1000:  # keep_hours shortened since: it holds for old tokens too
        return None
    return KeptSignIn(User(username, entry[0]), issued_ms, expires_ms)


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
    lines += ["# A sign-in is kept across page reloads for keep_hours (0: for the browser tab only), in a",
              "# cookie signed with cookie_secret (random, written here once).",
              "[sign_in]", f"keep_hours = {DEFAULT_KEEP_HOURS:g}",
              f'cookie_secret = "{secrets_mod.token_urlsafe(48)}"', ""]
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
