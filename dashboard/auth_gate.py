"""Sign-in: nobody sees a page until they are signed in.

``gate()`` runs in ``app.py`` before the navigation. With an OIDC provider under ``[auth]`` in the
secrets it offers Streamlit's ``st.login``; otherwise it asks for a local user's name and password
(``[local_users]``, bcrypt hashes). Running the embedded demo with no secrets file at all writes one
with the demo users (``analytics.auth.DEMO_USERS``) so that ``make run`` works out of the box.

The signed-in user lives in ``st.session_state[SESSION_KEY]`` as an ``analytics.auth.User``. Tests
that open a page behind the gate may seed it: ``at.session_state[SESSION_KEY] = User("ana", "analyst")``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import streamlit as st
from streamlit import config as st_config
from streamlit.errors import StreamlitSecretNotFoundError

from analytics import audit, auth, store

SESSION_KEY = "signed_in_user"


def project_secrets_path() -> Path:
    """The project's ``.streamlit/secrets.toml`` as Streamlit looks for it (beside the working directory)."""
    return Path(st_config.get_option("secrets.files")[-1])


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
    """The embedded demo with no secrets file anywhere: write the demo users so that sign-in works."""
    if db_path != store.DEMO_DB:
        return
    if any(Path(p).exists() for p in st_config.get_option("secrets.files")):
        return
    if auth.ensure_demo_secrets(project_secrets_path()):
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
    user = current_user()
    if user is not None:
        return user
    _hold_the_link(pages)
    _local_sign_in(secrets)
    st.stop()


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
            "and list the users (or configure an OIDC provider under `[auth]`), then reload this page."
        )
        return
    with st.form("sign-in"):
        username = st.text_input("User name", key="sign_in_username")
        password = st.text_input("Password", type="password", key="sign_in_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        user = auth.authenticate(secrets, username, password)
        if user is None:
            st.error("Unknown user name or wrong password.")
            return
        st.session_state[SESSION_KEY] = user
        audit.record(user.username, audit.SIGN_IN, detail="local")
        st.rerun()


def sidebar(user: auth.User) -> None:
    """Who is signed in, and the way out."""
    with st.sidebar:
        st.caption(f"Signed in as **{user.username}** ({user.role})")
        if st.button("Sign out", key="sign-out"):
            st.session_state.pop(SESSION_KEY, None)
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
