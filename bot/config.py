"""Settings: read once from the environment (and an optional .env file), then passed down.

Nothing else in MySay reads `os.environ`; every part receives the one `Settings` object.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TELEGRAM_API = "https://api.telegram.org/bot"
TELEGRAM_FILE_API = "https://api.telegram.org/file/bot"


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
    data_keys: SecretStr | None = Field(default=None, alias="MYSAY_DATA_KEYS")
    bot_username: str | None = Field(default=None, alias="MYSAY_BOT_USERNAME")
    invitation_days: int = Field(default=14, ge=1, le=90, alias="MYSAY_INVITATION_DAYS")
    log_level: str = Field(default="INFO", alias="MYSAY_LOG_LEVEL")

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _blank_token_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

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
