"""Which principal a presigned request is evaluated as (bot/account/signer.py `signer_principal`): pure cases."""

from __future__ import annotations

from bot.account.signer import Signer, signer_principal

USER = "arn:aws:iam::111122223333:user/apps/reporter"


def test_a_long_term_key_is_evaluated_as_its_user_whatever_is_given() -> None:
    signer = Signer("AKIAAAAAAAAAAAAAAAAA", False, "111122223333", USER)
    principal, notes = signer_principal(signer, "arn:aws:iam::111122223333:role/admin")
    assert principal == USER
    assert any("not as arn:aws:iam::111122223333:role/admin" in n for n in notes)


def test_a_principal_of_another_account_than_the_key_is_not_the_signer() -> None:
    signer = Signer("ASIAAAAAAAAAAAAAAAAA", True, "111122223333")
    principal, notes = signer_principal(signer, "arn:aws:sts::444455556666:assumed-role/app/s")
    assert principal is None
    assert any("did not sign it" in n for n in notes)
    assert any("temporary credentials" in n for n in notes)


def test_a_temporary_key_without_a_named_role_is_asked_not_guessed() -> None:
    principal, notes = signer_principal(Signer("ASIAAAAAAAAAAAAAAAAA", True, "111122223333"), None)
    assert principal is None
    assert any("cannot be read from the key alone" in n and "--principal" in n for n in notes)


def test_an_unreadable_account_is_said() -> None:
    why = "the IAM user that owns the key is unknown: account 111122223333 is not one s3why can read"
    principal, notes = signer_principal(Signer("AKIAAAAAAAAAAAAAAAAA", False, "111122223333", unseen=why), None)
    assert principal is None and any("is not one s3why can read" in n for n in notes)
