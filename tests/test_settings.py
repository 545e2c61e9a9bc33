from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings


def test_defaults_without_anything() -> None:
    s = load_settings({}, env_file=None)
    assert s.database_url.startswith("sqlite:///")
    assert s.port == 3000
    assert s.timezone == "Europe/Oslo"
    assert not s.has_slack_credentials


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"COHORTBOT_PORT": "abc"}, "COHORTBOT_PORT='abc' is invalid"),
        ({"COHORTBOT_TIMEZONE": "Mars/Olympus"}, "COHORTBOT_TIMEZONE='Mars/Olympus' is invalid"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL='mysql://x' is invalid"),
        ({"COHORTBOT_SECRET_KEY": "change-me"}, "COHORTBOT_SECRET_KEY is a placeholder"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is missing"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(env, env_file=None)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_dotenv_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("COHORTBOT_PORT=4000\nCOHORTBOT_BASE_URL=https://bot.example.no/\n")
    s = load_settings({"COHORTBOT_PORT": "5000"}, env_file=env_file)
    assert s.port == 5000
    assert s.base_url == "https://bot.example.no"


def test_teams_mode_follows_credentials_and_says_what_is_missing() -> None:
    assert load_settings({}, env_file=None).teams == "off"
    assert load_settings({"COHORTBOT_TEAMS": "dev"}, env_file=None).teams == "dev"
    on = {
        "TEAMS_APP_ID": "0f6b2a52-3f4b-4c1e-9a55-6d3f8f1c2b7a",
        "TEAMS_APP_PASSWORD": "s3cret-value",
    }
    with pytest.raises(SettingsError, match="TEAMS_TENANT_ID is missing"):
        load_settings(on, env_file=None)
    assert load_settings({**on, "TEAMS_TENANT_ID": "t"}, env_file=None).teams == "on"
    assert load_settings({**on, "COHORTBOT_TEAMS": "off"}, env_file=None).teams == "off"
    with pytest.raises(SettingsError, match="COHORTBOT_TEAMS='yes' is invalid"):
        load_settings({"COHORTBOT_TEAMS": "yes"}, env_file=None)
