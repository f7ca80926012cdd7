"""The settings of the dossier service: the keys that seal health data and documents, and where the
sealed documents are kept."""

from pathlib import Path

from pydantic import Field

from kit.settings import ServiceSettings


class DossierSettings(ServiceSettings):
    # Fernet key(s) sealing health sheets and documents at rest; the first seals, the others still open.
    dossier_key: str = Field(min_length=40)
    dossier_old_keys: str = ""  # comma-separated, during a key rotation
    documents_dir: Path = Path("var/documents")
    # the reminder before the campaign closes (issue 19): how many days before its closing day
    reminder_days_before: int = Field(default=7, ge=0, le=60)

    @property
    def old_keys(self) -> tuple[str, ...]:
        return tuple(k.strip() for k in self.dossier_old_keys.split(",") if k.strip())
