"""Settings: read once from the environment (and an optional .env file), then passed down.

Nothing else in MySay reads `os.environ`; every part receives the one `Settings` object.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TELEGRAM_API = "https://api.telegram.org/bot"
TELEGRAM_FILE_API = "https://api.telegram.org/file/bot"
# What MYSAY_PUBLIC_URL's path may be made of: RFC 3986's unreserved characters and "/".
_SAFE_PATH = re.compile(r"[A-Za-z0-9._~/-]*")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    telegram_api_base_url: str = Field(default=TELEGRAM_API, alias="TELEGRAM_API_BASE_URL")
    telegram_api_base_file_url: str = Field(
        default=TELEGRAM_FILE_API, alias="TELEGRAM_API_BASE_FILE_URL"
    )
    data_dir: Path = Field(default=Path("data"), alias="MYSAY_DATA_DIR")
    # The folder of flow files (one YAML file per tool); unset: the flows/ MySay ships with.
    flows_dir: Path | None = Field(default=None, alias="MYSAY_FLOWS_DIR")
    # A service's own symbol pictures (PNG/SVG + symbols.yaml) drawn instead of OpenMoji, id by
    # id (bot/render/symbol_set.py explains the folder); unset: OpenMoji for every symbol.
    symbols_dir: Path | None = Field(default=None, alias="MYSAY_SYMBOLS_DIR")
    data_keys: SecretStr | None = Field(default=None, alias="MYSAY_DATA_KEYS")
    bot_username: str | None = Field(default=None, alias="MYSAY_BOT_USERNAME")
    invitation_days: int = Field(default=14, ge=1, le=90, alias="MYSAY_INVITATION_DAYS")
    log_level: str = Field(default="INFO", alias="MYSAY_LOG_LEVEL")
    # Privacy and safeguarding (issue 4; docs/runbook.md explains each).
    privacy_notice: str | None = Field(default=None, alias="MYSAY_PRIVACY_NOTICE")
    privacy_notice_file: Path | None = Field(default=None, alias="MYSAY_PRIVACY_NOTICE_FILE")
    safeguarding_contact: int | None = Field(default=None, alias="MYSAY_SAFEGUARDING_CONTACT")
    safeguarding_words_file: Path | None = Field(default=None,
                                                 alias="MYSAY_SAFEGUARDING_WORDS_FILE")
    alert_ack_minutes: int = Field(default=30, ge=1, le=1440, alias="MYSAY_ALERT_ACK_MINUTES")
    working_hours: str = Field(default="09:00-17:00", pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$",
                               alias="MYSAY_WORKING_HOURS")
    working_days: str = Field(default="Mon-Fri", alias="MYSAY_WORKING_DAYS")
    service_timezone: str = Field(default="Europe/London", alias="MYSAY_TIMEZONE")
    retention_days: int = Field(default=365, ge=1, le=3650, alias="MYSAY_RETENTION_DAYS")
    retention_age: int = Field(default=25, ge=18, le=120, alias="MYSAY_RETENTION_AGE")
    flood_per_minute: int = Field(default=60, ge=3, le=100_000, alias="MYSAY_FLOOD_PER_MINUTE")
    # Meetings (issue 5): days before a meeting when the young person is invited to get ready,
    # and the local time window (MYSAY_TIMEZONE) those invitations may arrive in.
    meeting_invite_days: str = Field(default="7,2", pattern=r"^\d{1,2}(,\d{1,2})*$",
                                     alias="MYSAY_MEETING_INVITE_DAYS")
    meeting_invite_hours: str = Field(default="15:30-19:00", pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$",
                                      alias="MYSAY_MEETING_INVITE_HOURS")
    # Reliability (issue 6; bot/telegram/request.py and webhook.py explain each).
    webhook_secret: SecretStr | None = Field(default=None, alias="MYSAY_WEBHOOK_SECRET")
    telegram_read_timeout: float = Field(default=10.0, gt=0, le=120,
                                         alias="TELEGRAM_READ_TIMEOUT")
    chat_sends_per_second: float = Field(default=1.0, ge=0, alias="MYSAY_CHAT_SENDS_PER_SECOND")
    sends_per_second: float = Field(default=30.0, ge=0, alias="MYSAY_SENDS_PER_SECOND")
    # The Talking Mat page (issue 16; bot/webapp): the public https:// address it is served
    # under (a path of the webhook's server, or of --webapp-port's behind the HTTPS proxy).
    # Unset: the mat is placed with the chat's buttons only, and no page button is offered.
    public_url: str | None = Field(default=None, alias="MYSAY_PUBLIC_URL")
    webapp_port: int | None = Field(default=None, ge=1, le=65535, alias="MYSAY_WEBAPP_PORT")

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _blank_token_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("privacy_notice", "privacy_notice_file", "safeguarding_contact",
                     "safeguarding_words_file", "flows_dir", "symbols_dir", "public_url",
                     "webapp_port", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("public_url")
    @classmethod
    def _https_address(cls, value: str | None) -> str | None:
        # Telegram opens a Mini App only over HTTPS (Bot API WebAppInfo.url).
        if value is None:
            return None
        parts = urlsplit(value.strip())
        try:
            parts.port  # noqa: B018 - a port beyond 65535 or not a number raises ValueError
        except ValueError:
            parts = parts._replace(scheme="")
        # A user name or password would ride in every "Open the mat" button to every chat.
        if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment \
                or parts.username is not None or parts.password is not None:
            raise ValueError("MYSAY_PUBLIC_URL must be an https:// address with no user name, "
                             "password, ? or #, such as https://mysay.example.org/mysay")
        # The path becomes the page's routes (bot.webapp.server): "{" would be a route pattern
        # there, "%" and spaces a path the browser spells differently, and "." or ".." parts are
        # removed by the browser (RFC 3986 section 5.2.4), so the page would never be found.
        if not _SAFE_PATH.fullmatch(parts.path) or \
                any(part in (".", "..") for part in parts.path.split("/")):
            raise ValueError("MYSAY_PUBLIC_URL's path may contain only letters, digits and "
                             ". _ ~ / - (no . or .. part), such as /mysay")
        return value.strip()

    @field_validator("working_days", "service_timezone")
    @classmethod
    def _valid_working_time(cls, value: str, info: ValidationInfo) -> str:
        # Checked at start-up: a bad value must not surface first inside a safety reply.
        from bot.safety.hours import check_setting

        check_setting(info.field_name or "", value)
        return value

    @property
    def mat_page_url(self) -> str | None:
        """The Talking Mat page's address (`MYSAY_PUBLIC_URL` + "/mat"), or None when no
        public URL is set (then no page button is offered)."""
        if not self.public_url:
            return None
        return self.public_url.rstrip("/") + "/mat"

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'mysay.sqlite3').resolve()}"

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self.data_dir


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides (used by tests and the CLI)."""
    return Settings(**overrides)  # type: ignore[arg-type]
