"""The gettext catalogues: locales/<language>/LC_MESSAGES/*.po, one file per feature."""

from pathlib import Path

DIRECTORY = Path(__file__).parent
