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


SLACK = {"SLACK_BOT_TOKEN": "xoxb-1-2-3", "SLACK_SIGNING_SECRET": "abcdef0123456789"}
STRONG = "EZmZocz-IluR-yncXAIz1rv1pWbvlbuhjzLM8XOkk3M"  # secrets.token_urlsafe(32)


@pytest.mark.parametrize(
    "key",
    [
        "x",
        "change-me",
        "a" * 100,
        "abcabcabcabcabcabcabcabcabcabcabcabcabcabcabc",
        "0123456789abcdef0123456789abcdef",  # 16 bytes of hex
        "test-secret-key-0123456789abcdef",
        "your-secret-key-here-please-change-it",
        "correct horse battery staple",
    ],
)
def test_slack_mode_refuses_a_secret_key_that_can_be_guessed(key: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings({**SLACK, "COHORTBOT_SECRET_KEY": key}, env_file=None)
    message = str(info.value)
    assert message.startswith("COHORTBOT_SECRET_KEY ") and "\n" not in message
    assert key not in message or len(key) < 3  # the key itself is never printed


def test_slack_mode_needs_a_secret_key_and_takes_a_strong_one() -> None:
    with pytest.raises(SettingsError, match="COHORTBOT_SECRET_KEY is missing"):
        load_settings(SLACK, env_file=None)
    assert load_settings({**SLACK, "COHORTBOT_SECRET_KEY": STRONG}, env_file=None).secret_key
    hex_key = "9f" * 32  # secrets.token_hex(32)
    assert load_settings(
        {
            **SLACK,
            "COHORTBOT_SECRET_KEY": "".join(f"{(i * 7919 + 13) % 256:02x}" for i in range(32)),
        },
        env_file=None,
    )
    assert hex_key  # a repeated pattern like this one is refused, a random one taken


def test_the_previous_key_is_held_to_the_same_standard_and_only_verifies() -> None:
    with pytest.raises(SettingsError, match="COHORTBOT_SECRET_KEY_PREVIOUS"):
        load_settings(
            {**SLACK, "COHORTBOT_SECRET_KEY": STRONG, "COHORTBOT_SECRET_KEY_PREVIOUS": "old"},
            env_file=None,
        )
    old = "q8c3Vt0-kbN2Yh1xLw9eRf7Zs4Ua6JmPd5Gi0TjOoXE"
    s = load_settings(
        {**SLACK, "COHORTBOT_SECRET_KEY": STRONG, "COHORTBOT_SECRET_KEY_PREVIOUS": old},
        env_file=None,
    )
    assert s.signing_key == STRONG.encode()
    assert s.verification_keys == (STRONG.encode(), old.encode())


def test_local_mode_takes_any_key_but_a_placeholder() -> None:
    assert load_settings({"COHORTBOT_SECRET_KEY": "short"}, env_file=None).secret_key == "short"


@pytest.mark.parametrize(
    "url",
    [
        "mysql://admin:hunter2@db.example.no/cohortbot",
        "postgres+weird://admin:hunter2@db.example.no:5432/cohortbot",
        "nonsense://admin:hunter2@",
    ],
)
def test_an_invalid_database_url_is_never_printed_with_its_password(url: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings({"DATABASE_URL": url}, env_file=None)
    assert "hunter2" not in str(info.value) and "admin:***@" in str(info.value)


def test_urls_in_any_text_lose_their_passwords() -> None:
    from bot.settings import redact_url

    text = "could not connect to postgresql://bot:s3cr%40t@10.0.0.5:5432/db (timeout)"
    assert (
        redact_url(text) == "could not connect to postgresql://bot:***@10.0.0.5:5432/db (timeout)"
    )
    assert redact_url("smtp://mail.example.no:587") == "smtp://mail.example.no:587"
