"""The hash an unknown user's password is checked against (flows/accounts/users.py) is a constant, made once:
it must cost what a real user's hash costs, so a wrong name is not told from a wrong password by the time taken."""

import subprocess
import sys

import argon2
import pytest
from argon2.exceptions import VerifyMismatchError

from flows.accounts import users


def test_the_dummy_hash_has_the_hashers_parameters() -> None:
    assert argon2.extract_parameters(users._DUMMY_HASH) == users._HASHER._parameters


def test_the_dummy_hash_is_verified_as_a_real_one_and_matches_no_password_tried() -> None:
    with pytest.raises(VerifyMismatchError):
        users._HASHER.verify(users._DUMMY_HASH, "not a real password, compared against when the user is unknown")


def test_importing_the_users_hashes_nothing() -> None:
    """In a fresh interpreter (a reload here would leave other modules holding the old classes)."""
    check = (
        "import argon2\n"
        "def refuse(*_, **__): raise SystemExit('a password was hashed at import')\n"
        "argon2.PasswordHasher.hash = refuse\n"
        "import flows.accounts.users\n"
    )
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
