"""Named editors: Argon2id hashes, roles, the operators' commands, and sign-in sessions that end with the account."""
import pytest
from sqlalchemy import select

from assistant import db
from assistant.editors import accounts

PASSWORD = "correct horse battery"


@pytest.fixture
def engine(app):
    return app.extensions["db"]


def test_a_password_is_kept_only_as_an_argon2id_hash(engine):
    accounts.create(engine, "Ana.Lima", PASSWORD, "publisher", by="test")
    with engine.connect() as conn:
        row = conn.execute(select(db.editors)).one()
    assert row.name == "ana.lima" and row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash


def test_only_the_right_password_of_an_enabled_account_signs_in(engine):
    accounts.create(engine, "ana.lima", PASSWORD, "editor", by="test")
    assert accounts.verify(engine, "ana.lima", PASSWORD).role == "editor"
    assert accounts.verify(engine, "ANA.LIMA ", PASSWORD) is not None  # names are case-insensitive
    assert accounts.verify(engine, "ana.lima", PASSWORD + "!") is None
    assert accounts.verify(engine, "bo.chen", PASSWORD) is None
    accounts.disable(engine, "ana.lima")
    assert accounts.verify(engine, "ana.lima", PASSWORD) is None


@pytest.mark.parametrize("role, may", [("editor", ["editor"]), ("publisher", ["editor", "publisher"]),
                                        ("admin", ["editor", "publisher", "admin"])])
def test_roles_are_cumulative(engine, role, may):
    editor = accounts.create(engine, f"e-{role}", PASSWORD, role, by="test")
    assert [r for r in accounts.ROLES if editor.may(r)] == may


@pytest.mark.parametrize("name, password, role, problem", [
    ("ana lima", PASSWORD, "editor", "a name is"), ("ana", "short", "editor", "at least 12"),
    ("ana", PASSWORD, "owner", "role must be one of")])
def test_malformed_accounts_are_refused(engine, name, password, role, problem):
    with pytest.raises(accounts.AccountError, match=problem):
        accounts.create(engine, name, password, role, by="test")


def test_a_name_is_taken_once(engine):
    accounts.create(engine, "ana", PASSWORD, "editor", by="test")
    with pytest.raises(accounts.AccountError, match="exists already"):
        accounts.create(engine, "ANA", PASSWORD, "admin", by="test")


def test_operators_manage_accounts_from_the_command_line(runner, engine):
    added = runner.invoke(args=["editors", "add", "ana.lima", "--role", "publisher"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0 and "editor ana.lima (publisher) created" in added.output
    assert runner.invoke(args=["editors", "add", "ana.lima"], input=f"{PASSWORD}\n{PASSWORD}\n").exit_code == 1
    listed = runner.invoke(args=["editors", "list"])
    assert "ana.lima" in listed.output and "publisher" in listed.output and "by operator:" in listed.output
    assert runner.invoke(args=["editors", "role", "ana.lima", "editor"]).exit_code == 0
    assert runner.invoke(args=["editors", "disable", "ana.lima"]).exit_code == 0
    assert "disabled" in runner.invoke(args=["editors", "list"]).output
    assert accounts.verify(engine, "ana.lima", PASSWORD) is None


def sign_in(client, name="ana.lima", password=PASSWORD):
    return client.post("/editors/login", data={"name": name, "password": password})


def test_a_named_editor_signs_in_to_the_editors_page(client, engine):
    accounts.create(engine, "ana.lima", PASSWORD, "editor", by="test")
    assert sign_in(client, password="wrong password!").status_code == 401
    assert client.get("/editors").status_code == 401
    assert sign_in(client).status_code == 303
    assert client.get("/editors").status_code == 200
    assert client.get("/api/v1/admin/report").status_code == 200  # the report the page reads


@pytest.mark.parametrize("change", [
    lambda engine: accounts.set_password(engine, "ana.lima", "another good password"),
    lambda engine: accounts.set_role(engine, "ana.lima", "publisher"),
    lambda engine: accounts.disable(engine, "ana.lima")])
def test_a_new_password_role_or_a_disabled_account_ends_open_sessions(client, engine, change):
    accounts.create(engine, "ana.lima", PASSWORD, "editor", by="test")
    assert sign_in(client).status_code == 303 and client.get("/editors").status_code == 200
    change(engine)
    assert client.get("/editors").status_code == 401


def test_wrong_names_and_passwords_are_throttled_like_tokens(client, engine):
    statuses = [sign_in(client, password=f"wrong password {i}").status_code for i in range(12)]
    assert statuses[:10] == [401] * 10 and statuses[10:] == [429, 429]
