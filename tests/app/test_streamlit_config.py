"""The privacy defaults in .streamlit/config.toml: no usage statistics, localhost only, no tracebacks."""

import tomllib
from pathlib import Path

CONFIG = tomllib.loads((Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml").read_text())


def test_no_usage_statistics_are_sent():
    assert CONFIG["browser"]["gatherUsageStats"] is False


def test_the_server_listens_on_localhost_only():
    assert CONFIG["server"]["address"] == "127.0.0.1"
    assert CONFIG["server"]["headless"] is True


def test_uploads_are_capped_and_errors_show_no_traceback():
    assert 0 < CONFIG["server"]["maxUploadSize"] <= 200
    assert CONFIG["client"]["showErrorDetails"] in ("type", "none", False)
