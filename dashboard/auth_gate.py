"""Sign-in: nobody sees a page until they are signed in.

``gate()`` runs in ``app.py`` before the navigation. With an OIDC provider under ``[auth]`` in the
secrets it offers Streamlit's ``st.login`` (which keeps the sign-in in its own cookie); otherwise it
asks for a local user's name and password (``[local_users]``, bcrypt hashes). Running the embedded
demo with no secrets file at all writes one with the demo users (``analytics.auth.DEMO_USERS``) to
the project's ``.streamlit/secrets.toml`` (git-ignored; ``demo_secrets_path``), so that ``make run``
works out of the box.

A local sign-in is kept across page reloads: after the password was checked, the browser gets a
signed, expiring token in a cookie (``analytics.auth.sign_in_token``, set by a script in the page,
``SameSite=Strict``, ``Secure`` over HTTPS); a new session (a reload, a pasted link in the same
browser) reads it from ``st.context.cookies`` and is signed in while it holds. Signing out clears it
and records the sign-out, which ends every kept sign-in of that user.

The signed-in user lives in ``st.session_state[SESSION_KEY]`` as an ``analytics.auth.User``. Tests
that open a page behind the gate may seed it: ``at.session_state[SESSION_KEY] = User("ana", "analyst")``.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import time
from pathlib import Path

import streamlit as st
from streamlit import config as st_config
from streamlit.errors import StreamlitSecretNotFoundError

from analytics import audit, auth, store

SESSION_KEY = "signed_in_user"
_COOKIE_TO_SET = "_sign_in_cookie_to_set"  # the token the browser gets on this run
_COOKIE_TO_CLEAR = "_sign_in_cookie_to_clear"
_SIGNED_OUT = "_signed_out"  # this session signed out: its request's old cookie no longer counts
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9._-]+")


def demo_secrets_path() -> Path:
    """Where the demo's sign-in is written: the project's ``.streamlit/secrets.toml`` (git-ignored),
    which Streamlit reads when started from the project folder, as ``make run`` does."""
    return store.REPO_ROOT / ".streamlit" / "secrets.toml"


def _secrets() -> dict:
    try:
        return st.secrets.to_dict()
    except (StreamlitSecretNotFoundError, FileNotFoundError):
        return {}


def current_user() -> auth.User | None:
    user = st.session_state.get(SESSION_KEY)
    return user if isinstance(user, auth.User) else None


def require_user() -> auth.User:
    """The signed-in user, for pages; stops the page when nobody is (the gate normally sees to it)."""
    user = current_user()
    if user is None:
        st.warning("Sign in first: open the dashboard's home page.")
        st.stop()
    return user


def ensure_demo_secrets(db_path: Path) -> None:
    """The embedded demo with no secrets file anywhere: write the demo users so that sign-in works.

    Only to ``demo_secrets_path()``, and only when Streamlit reads that file (started from the project
    folder): never into ``dashboard/.streamlit/`` or another folder, where nothing keeps it out of git.
    """
    if db_path != store.DEMO_DB:
        return
    files = [Path(p).resolve() for p in st_config.get_option("secrets.files")]
    if any(p.exists() for p in files):
        return
    target = demo_secrets_path()
    if target.resolve() not in files:
        return  # the sign-in page then says how to set sign-in up
    if auth.ensure_demo_secrets(target):
        st.toast("Demo sign-in created: ana / ana-demo and ben / ben-demo (analysts), lea / lea-demo (lead)")


def gate(db_path: Path, pages: list | None = None) -> auth.User:
    """The signed-in user; draws the sign-in and stops the script when there is none yet.

    ``pages`` (every page of the app) are registered, hidden, before the sign-in is drawn: without
    them Streamlit would not know the page a pasted link names (``/seller?seller_id=...``) and would
    send the browser home, losing the link.
    """
    ensure_demo_secrets(db_path)
    secrets = _secrets()
    if auth.oidc_configured(secrets):
        return _oidc_gate(secrets, pages)
    user = current_user() or _kept_sign_in(secrets)
    if user is not None:
        with st.sidebar:
            _update_cookie()
        return user
    _hold_the_link(pages)
    _local_sign_in(secrets)  # on success it reruns: the next run hands the browser its cookie
    _update_cookie()
    st.stop()


# --- a local sign-in kept across reloads ---------------------------------------------------------------

def _request_cookies() -> dict:
    """The cookies the browser sent when this session opened (tests replace this)."""
    return dict(st.context.cookies)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _kept_sign_in(secrets: dict) -> auth.User | None:
    """The user a valid sign-in cookie keeps signed in (a reload), or None."""
    if st.session_state.get(_SIGNED_OUT):
        return None
    token = _request_cookies().get(auth.SIGN_IN_COOKIE)
    if not token:
        return None
    try:
        kept = auth.read_sign_in_token(secrets, token, now_ms=_now_ms())
    except auth.AuthConfigError:
        return None  # the sign-in form says what is wrong with the secrets
    if kept is None or _signed_out_after(kept):
        st.session_state[_COOKIE_TO_CLEAR] = True
        return None
    st.session_state[SESSION_KEY] = kept.user
    audit.record(kept.user.username, audit.SIGN_IN, detail="local, kept from an earlier sign-in")
    return kept.user


def _signed_out_after(kept: auth.KeptSignIn) -> bool:
    last = audit.last_sign_out(kept.user.username)
    if last is None:
        return False
    return kept.issued_ms <= int(last.replace(tzinfo=dt.UTC).timestamp() * 1000)


def _update_cookie() -> None:
    """Hand the browser the token of a fresh sign-in, or clear the cookie after a sign-out."""
    token = st.session_state.pop(_COOKIE_TO_SET, None)
    clear = st.session_state.pop(_COOKIE_TO_CLEAR, False)
    if token and _TOKEN_CHARS.fullmatch(token[0]):
        value, max_age = token
    elif clear:
        value, max_age = "", 0
    else:
        return
    # Set in the page: Streamlit offers scripts no response header of their own (so not HttpOnly).
    script = (f"<script>document.cookie = '{auth.SIGN_IN_COOKIE}={value}; Max-Age={int(max_age)}; Path=/; "
              "SameSite=Strict' + (location.protocol === 'https:' ? '; Secure' : '');</script>")
    st.html(script, unsafe_allow_javascript=True)


def _remember(secrets: dict, user: auth.User) -> None:
    """After a password sign-in: the token that keeps it, for the browser (nothing when not kept)."""
    try:
        lifetime = auth.kept_sign_in_seconds(secrets)
        token = auth.sign_in_token(secrets, user, now_ms=_now_ms(), lifetime_s=lifetime)
    except auth.AuthConfigError:
        return  # the sign-in form says what is wrong with [sign_in]
    if token:
        st.session_state[_COOKIE_TO_SET] = (token, lifetime)


def _hold_the_link(pages: list | None) -> None:
    if pages:
        st.navigation(pages, position="hidden")


def _oidc_gate(secrets: dict, pages: list | None) -> auth.User:
    if st.user.is_logged_in:
        user = auth.oidc_user(st.user.to_dict(), secrets)
        if current_user() != user:
            st.session_state[SESSION_KEY] = user
            audit.record(user.username, audit.SIGN_IN, detail="oidc")
        return user
    _hold_the_link(pages)
    st.title("Sign in")
    if importlib.util.find_spec("authlib") is None:
        st.error("An OIDC provider is configured under `[auth]`, but Streamlit's `st.login` needs the Authlib "
                 "package: `pip install 'Authlib>=1.3.2'`, then restart the dashboard.")
        st.stop()
    st.write("This dashboard shows internal marketplace data. Sign in with your organisation's account.")
    section = secrets.get("auth") or {}
    providers = [name for name, value in section.items() if isinstance(value, dict)]
    if providers:
        for name in providers:
            st.button(f"Sign in with {name}", on_click=st.login, args=(name,), key=f"login-{name}")
    else:
        st.button("Sign in", on_click=st.login, key="login")
    st.stop()


def _local_sign_in(secrets: dict) -> None:
    st.title("Sign in")
    try:
        users = auth.local_users(secrets)
    except auth.AuthConfigError as exc:
        st.error(f"The sign-in list in `.streamlit/secrets.toml` is wrong: {exc}")
        return
    if not users:
        st.error(
            "Sign-in is not configured. Copy `.streamlit/secrets.example.toml` to `.streamlit/secrets.toml` "
            "in the project folder and list the users (or configure an OIDC provider under `[auth]`), then "
            "restart the dashboard from the project folder (`make run`)."
        )
        return
    with st.form("sign-in"):
        username = st.text_input("User name", key="sign_in_username")
        password = st.text_input("Password", type="password", key="sign_in_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    try:
        hours = auth.kept_sign_in_seconds(secrets) / 3600
    except auth.AuthConfigError as exc:
        st.warning(f"Sign-ins are not kept across reloads: {exc}")
        hours = 0
    if hours:
        st.caption(f"You stay signed in on this browser for {hours:g} hours, also when you reload the page, "
                   "until you sign out.")
    if submitted:
        user = auth.authenticate(secrets, username, password)
        if user is None:
            st.error("Unknown user name or wrong password.")
            return
        st.session_state[SESSION_KEY] = user
        st.session_state.pop(_SIGNED_OUT, None)
        audit.record(user.username, audit.SIGN_IN, detail="local")
        _remember(secrets, user)
        st.rerun()


def sidebar(user: auth.User) -> None:
    """Who is signed in, and the way out."""
    with st.sidebar:
        st.caption(f"Signed in as **{user.username}** ({user.role})")
        if st.button("Sign out", key="sign-out"):
            st.session_state.pop(SESSION_KEY, None)
            # Recorded first: it also ends every sign-in of this user kept in a browser's cookie.
            audit.record(user.username, audit.SIGN_OUT)
            st.session_state[_SIGNED_OUT] = True
            st.session_state[_COOKIE_TO_CLEAR] = True
            if auth.oidc_configured(_secrets()):
                st.logout()
            st.rerun()


def known_usernames(user: auth.User | None = None) -> list[str]:
    """People a case can be assigned to: the local users, whoever has signed in, and the current user."""
    names = set(auth.local_users(_secrets())) if not auth.oidc_configured(_secrets()) else set()
    names |= {a for a in audit.actors()}
    if user is not None:
        names.add(user.username)
    return sorted(names)
