"""An empty or blank --token is refused: with a valid COMMISSIONING_TOKEN it made the command unauthenticated."""

from typing import cast

import pytest

from flows.cli.common import identity
from flows.common.errors import UserError
from flows.common.settings import Settings


@pytest.mark.parametrize("given", ["", " ", "\t"])
def test_a_blank_token_option_is_refused(given: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMISSIONING_TOKEN", "a token that would otherwise be read")
    with pytest.raises(UserError, match=r"^--token is empty: give a user token, or leave --token out"):
        identity(given, None, cast(Settings, None))  # refused before the settings are read
