"""The application factory: reads like a table of contents."""

from __future__ import annotations

from pathlib import Path

from dotenv import load_dotenv
from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from . import cli, cookies, database, i18n, input_guard, log_redaction, security, templating, urls
from .config import Defaults, load_secret_key
from .extensions import babel, csrf, db, limiter, login_manager, migrate
from .views import register_blueprints
from .views.errors import register_error_handlers

ROOT = Path(__file__).resolve().parent.parent
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def create_app(config: dict | None = None) -> Flask:
    load_dotenv(ROOT / ".env")
    app = Flask(
        __name__,
        template_folder=ROOT / "templates",
        static_folder=ROOT / "static",
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(Defaults)
    app.config.from_prefixed_env("MEETUP")
    app.config.update(config or {})
    _fill_defaults(app)
    log_redaction.init_app(app)
    if proxies := app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    with app.app_context():
        database.install_sqlite_hooks(app, db.engine)

    @app.before_request
    def _transaction_mode() -> None:
        # Runs first: GETs read in parallel, writes take SQLite's write lock up front.
        g.write_intent = database.set_write_intent(request.method not in SAFE_METHODS)

    @app.teardown_request
    def _transaction_mode_reset(_exc) -> None:
        if "write_intent" in g:
            database.reset_write_intent(g.pop("write_intent"))

    input_guard.init_app(app)  # before CSRF and the views: they read what it checks
    cookies.init_app(app)  # before anything that sets a cookie: its hook runs after theirs
    csrf.init_app(app)
    login_manager.init_app(app)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(
        i18n.compiled_directories(Path(app.instance_path) / "translations")
    )
    babel.init_app(app, locale_selector=templating.select_locale)
    limiter.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    app.url_map.converters["id"] = urls.RowId  # before the routes that use it
    register_blueprints(app)
    register_error_handlers(app)
    cli.init_app(app)
    return app


def _fill_defaults(app: Flask) -> None:
    proxies = app.config["TRUSTED_PROXIES"]
    if type(proxies) is not int or proxies < 0:
        raise ValueError(
            f"MEETUP_TRUSTED_PROXIES is {proxies!r}: give the number of reverse proxies in "
            "front of the app (0 for none, 1 for nginx or Caddy)."
        )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(Path(app.instance_path))
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'meetup.db'}"
    # A statement's parameters (tokens, password hashes) never go into an error's text.
    options = {"hide_parameters": True}
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options["pool_pre_ping"] = True
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}
    if app.config.get("MAIL_SERVER") and app.config["MAIL_BACKEND"] == "file":
        app.config["MAIL_BACKEND"] = "smtp"
