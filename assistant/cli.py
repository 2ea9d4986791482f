"""Operators' commands: ``python -m assistant <group> <command>``.

    tickets autoclose        close tickets whose proposed solution went unanswered, purge old questions (cron; idempotent)
    outbox dispatch          send due mail, then deliver due events, once (cron, if the worker is off)
    outbox dead-letters      list the events that were given up on
    outbox replay ID         retry a dead letter (outbox id or event id) with a fresh window
    mail pending [--to A]    the emails not sent yet, opened with MAIL_KEY (without SMTP: the one-time codes)
    knowledge publish|versions|rollback   published knowledge versions (see assistant.knowledge_cli)

The same groups are on ``flask --app app`` through ``init_app``.

These commands need the database, not the served knowledge: they run on
``create_app(serving=False)``, which neither loads the index nor imports the
search engine, so cron starts them in a fraction of a second.  The
``knowledge`` group is imported only when invoked (it builds what it publishes).
"""
from __future__ import annotations

import getpass
import importlib

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from . import db, questions
from .editors import accounts
from .tickets import outbox
from .tickets.mail import inbox, incoming, outgoing as notifications
from .tickets.store import store


@click.group("tickets")
def tickets_group() -> None:
    """Ticket maintenance."""


@tickets_group.command("autoclose")
@with_appcontext
def autoclose() -> None:
    """Close every ticket whose solution was neither accepted nor rejected in time; purge old questions."""
    closed = store().autoclose()
    click.echo(f"auto-closed {len(closed)} ticket(s)" + (f": {' '.join(closed)}" if closed else ""))
    purged = questions.question_log().purge(float(current_app.config["QUESTION_RETENTION_DAYS"]))
    click.echo(f"purged {purged} question(s) older than {current_app.config['QUESTION_RETENTION_DAYS']} days")


@click.group("outbox")
def outbox_group() -> None:
    """The event outbox and its dead letters."""


@outbox_group.command("dispatch")
@with_appcontext
def dispatch() -> None:
    """Send every due mail, then deliver every due event to the hooks, once (mail first: codes are awaited)."""
    mails = notifications.send_due(db.engine(), current_app.config)
    report = outbox.dispatch_app()
    click.echo(f"events: {report.delivered} delivered, {report.retrying} to retry, {report.dead} dead, "
               f"{report.skipped} skipped; mails: {mails}")


@outbox_group.command("dead-letters")
@with_appcontext
def dead_letters() -> None:
    """List dead letters: id, event id, type, ticket, attempts, when given up, last error."""
    rows = outbox.dead_letters(db.engine())
    if not rows:
        click.echo("no dead letters")
    for row in rows:
        number = (row.payload.get("ticket") or {}).get("number", "-")
        click.echo(f"{row.id}\t{row.event_id}\t{row.type}\t{number}\tattempts={row.attempts}\t"
                   f"dead since {row.dead_at.isoformat(timespec='seconds')}\t{row.last_error}")


@outbox_group.command("replay")
@click.argument("ident")
@with_appcontext
def replay(ident: str) -> None:
    """Put dead letter IDENT (outbox id or event id) back in line; the next dispatch retries it."""
    if not outbox.replay(db.engine(), ident):
        raise click.ClickException(f"no dead letter {ident!r}; see `python -m assistant outbox dead-letters`")
    click.echo(f"replaying {ident}")


UNREADABLE = "(this MAIL_KEY does not open it: it was sealed under another key)"


@click.group("mail")
def mail_group() -> None:
    """The supplier emails: those queued to send, and those received."""


@mail_group.command("pending")
@click.option("--to", "to", metavar="ADDRESS", help="Only the emails to this address.")
@with_appcontext
def mail_pending(to: str | None) -> None:
    """Show every email not sent yet, body included (opened with MAIL_KEY).

    Without SMTP_HOST nothing is sent: this is where an operator reads the
    one-time code or reference code a supplier is waiting for.
    """
    mails = notifications.pending(db.engine(), current_app.config["MAIL_KEY"], to)
    if not mails:
        click.echo("no pending mail")
    for mail in mails:
        click.echo(f"--- mail {mail.id} ({mail.kind}, {mail.lang}, {mail.status}) "
                   f"{mail.created_at.isoformat(timespec='seconds')}")
        click.echo(f"To: {mail.to}\nSubject: {mail.subject}")
        if mail.last_error:
            click.echo(f"Last error: {mail.last_error}")
        click.echo("\n" + (mail.body if mail.body is not None else UNREADABLE))


@mail_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8025, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--lmtp", is_flag=True, help="Speak LMTP (what Postfix's lmtp transport delivers with) instead of SMTP.")
@with_appcontext
def mail_serve(host: str, port: int, lmtp: bool) -> None:
    """Receive suppliers' replies from a mail server: each is stored, then matched to its ticket."""
    from .tickets.mail import smtp  # aiosmtpd only where mail is received

    click.echo(f"receiving mail by {'LMTP' if lmtp else 'SMTP'} on {host}:{port}; Ctrl-C stops")
    smtp.serve(current_app._get_current_object(), host, port, lmtp)


@mail_group.command("process")
@with_appcontext
def mail_process() -> None:
    """Process every received mail not processed yet (what the worker's inbound lane does every round)."""
    click.echo(f"processed {incoming.process_due(current_app._get_current_object())} received mail(s)")


@mail_group.command("received")
@click.option("--state", type=click.Choice(inbox.STATES), default="review", show_default=True)
@with_appcontext
def mail_received(state: str) -> None:
    """List received mails in one state: by default the review list (no code, another sender, no ticket)."""
    found, total = inbox.listing(db.engine(), state, limit=200)
    click.echo(f"{total} mail(s) {state}")
    for mail in found:
        click.echo(f"{mail.id:>6}  {mail.received_at.isoformat(timespec='seconds')}  {mail.sender or '-'}  "
                   f"{mail.ticket_number or '-'}  {mail.reason or ''}  {mail.subject or ''}")


@click.group("editors")
def editors_group() -> None:
    """The named editors of the editors' page: accounts and roles."""


def _account(action, *args) -> None:
    try:
        action(db.engine(), *args)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None


@editors_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(accounts.ROLES), default="editor", show_default=True,
              help="editor writes drafts; publisher also publishes and rolls back; admin also manages accounts.")
@click.password_option(help="Asked twice when not given (or from ASSISTANT_EDITOR_PASSWORD).",
                       envvar="ASSISTANT_EDITOR_PASSWORD")
@with_appcontext
def editors_add(name: str, role: str, password: str) -> None:
    """Create the account NAME (such as ana.lima); the password has at least 12 characters."""
    by = f"operator:{getpass.getuser()}"
    _account(lambda engine: accounts.create(engine, name, password, role, by))
    click.echo(f"editor {name.strip().lower()} ({role}) created")


@editors_group.command("list")
@with_appcontext
def editors_list() -> None:
    """Every account with its role, who created it and whether it is disabled."""
    found = accounts.listing(db.engine())
    if not found:
        click.echo("no editors; add one with `python -m assistant editors add NAME --role publisher`")
    for editor in found:
        state = "disabled" if editor.disabled else editor.role
        click.echo(f"{editor.name:<30} {state:<10} created {editor.created_at.isoformat(timespec='seconds')} "
                   f"by {editor.created_by}")


@editors_group.command("password")
@click.argument("name")
@click.password_option(envvar="ASSISTANT_EDITOR_PASSWORD")
@with_appcontext
def editors_password(name: str, password: str) -> None:
    """Set NAME's password; their open sessions end."""
    _account(accounts.set_password, name, password)
    click.echo(f"password of {name} changed")


@editors_group.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(accounts.ROLES))
@with_appcontext
def editors_role(name: str, role: str) -> None:
    """Give NAME another role; their open sessions end."""
    _account(accounts.set_role, name, role)
    click.echo(f"{name} is now {role}")


@editors_group.command("disable")
@click.argument("name")
@with_appcontext
def editors_disable(name: str) -> None:
    """NAME can no longer sign in; their open sessions end; what they changed stays recorded as theirs."""
    _account(accounts.disable, name)
    click.echo(f"{name} disabled")


def init_app(app: Flask) -> None:
    from .knowledge_cli import knowledge_group

    for group in (tickets_group, outbox_group, mail_group, editors_group, knowledge_group):
        app.cli.add_command(group)


# Groups that run on the database alone.  ``knowledge`` too: it builds what it publishes itself, and a
# rollback must work while the served version is one this process could not load.
NO_KNOWLEDGE = frozenset({"tickets", "outbox", "mail", "editors", "knowledge"})
LAZY_GROUPS = {"knowledge": "assistant.knowledge_cli:knowledge_group"}  # imported when invoked or listed


class LazyGroup(click.Group):
    """A group whose heavier subgroups (``LAZY_GROUPS``) are imported only when used (Click's lazy loading)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_GROUPS])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_GROUPS:
            module, attribute = LAZY_GROUPS[name].split(":")
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup)
@click.option("--instance", envvar="ASSISTANT_INSTANCE", help="Instance folder (default ./instance).")
@click.pass_context
def main(ctx: click.Context, instance: str | None) -> None:
    """Operate the supplier-help assistant's tickets, events, mail and knowledge."""
    from . import create_app

    serving = ctx.invoked_subcommand not in NO_KNOWLEDGE  # the others get the app as the server builds it
    app = create_app({"INSTANCE": instance, "BACKGROUND_WORKER": False, "START_THREADS": False}, serving=serving)
    ctx.with_resource(app.app_context())


main.add_command(tickets_group)
main.add_command(outbox_group)
main.add_command(mail_group)
main.add_command(editors_group)
