"""Configuration: defaults, then the instance folder, then ``ASSISTANT_*`` variables.

Every setting is documented in the README's configuration table; the names
here are the ones to put in ``instance/config.py`` and, prefixed with
``ASSISTANT_``, in the environment.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = ROOT / "instance"

DEFAULTS = {
    "KNOWLEDGE": str(ROOT / "knowledge"),  # folder of article YAML files
    "INDEX": "",  # a folder written by `python -m indexer build`; empty: build at start
    "KNOWLEDGE_SOURCE": "folder",  # "folder": KNOWLEDGE/INDEX on this host; "database": the version published there
    "KNOWLEDGE_VERSIONS_KEPT": 3,  # "database": published versions kept unpacked in <instance>/versions
    "DATABASE_URL": "",  # empty: sqlite:///<instance>/assistant.sqlite3
    "DATABASE_BUSY_TIMEOUT_MS": 10_000,  # SQLite: a write waits this long for another's lock, then answers 503
    "REQUIRED_LANGUAGES": "en fr de ko zh-Hans zh-Hant",  # every article must have these
    "RELOAD_POLL_SECONDS": 2.0,  # check the knowledge folder for changes this often; 0 turns it off
    "RELOAD_ON_SIGHUP": True,  # `kill -HUP <pid>` reloads the knowledge folder
    "QUESTION_RETENTION_DAYS": 90,
    "QUESTION_LOG_FLUSH_SECONDS": 0.5,  # logged questions are written in batches this often; 0: with each answer  # logged questions (personal data) are deleted after this
    "ADMIN_TOKEN": "",  # bearer token of /api/v1/admin and the editors' page; empty: they answer 401
    "EDITOR_SESSION_HOURS": 8,  # an editors' page sign-in lasts this long (and ends when ADMIN_TOKEN changes)
    "EDITOR_EVAL_SETS": str(ROOT / "eval" / "realistic-fit.yaml"),  # labelled questions a draft is tried on (space-separated files); keep held-out sets out
    "EDITOR_TRY_LOG_QUESTIONS": 200,  # the most recent distinct questions of the log a draft is also tried on
    "EDITOR_TRY_QUESTIONS": 20,  # the editor's own questions per try
    "MAX_CONTENT_LENGTH": 52 * 1024 * 1024,  # whole request, attachments included
    "MAX_JSON_BYTES": 64 * 1024,  # a JSON body larger than this is refused with 413
    "MAX_QUESTION_CHARS": 1000,
    "SEMANTIC": True,  # consult the sentence encoder when words alone are unsure; false: the fast path only
    "SEMANTIC_THREADS": 0,  # CPU threads of the encoder per process; 0: the engine's default (all cores)
    "EMBEDDING_CACHE": "",  # folder of cached article embeddings; empty: <instance>/embeddings
    "ANSWER_CACHE_SIZE": 2048,  # answers kept per served version, by question; 0 turns the cache off
    "ASK_BUDGET_MS": 250,  # time an ask may spend on optional work (fallback languages) before answering
    "SECRET_KEY": "",  # signs supplier sessions; generated into the instance folder if empty
    "LOG_LEVEL": "INFO",
    "RATE_LIMIT_ASK": "3000 per minute;100 per second",  # per client address; answers 429 beyond
    "RATE_LIMIT_STAFF_FAILURES": "10 per minute;50 per hour",  # wrong admin/agent tokens and sign-ins per client address; 429 beyond
    "REDIS_URL": "",  # e.g. redis://127.0.0.1:6379/0: every counter shared by all workers and replicas; empty: per process
    "RATE_LIMIT_STORAGE": "",  # Flask-Limiter storage URI; empty: REDIS_URL, else memory:// (one process)
    "METRICS": True,  # /metrics for Prometheus and the per-request counting behind it; false: neither
    "METRICS_TOKEN": "",  # /metrics needs 'Authorization: Bearer <METRICS_TOKEN>'; empty: open (it holds no personal data)
    "TRUSTED_PROXIES": 0,  # how many reverse proxies set X-Forwarded-For in front of the app
    # Tickets (see the README's "Tickets" section)
    "PUBLIC_URL": "http://127.0.0.1:5000",  # base of the accept/reject links in emails
    "AGENT_TOKEN": "",  # bearer token of the agent API; empty: the agent API answers 401
    "WEBHOOK_URLS": [],  # ticket events are POSTed here; JSON list or space-separated string
    "WEBHOOK_SECRET": "",  # HMAC-SHA256 key of X-Procuree-Signature; required when WEBHOOK_URLS is set
    "WEBHOOK_TIMEOUT_SECONDS": 10,  # per delivery attempt
    "OUTBOX_RETRY_SECONDS": 30,  # first retry delay, doubled after each failed attempt
    "OUTBOX_RETRY_MAX_SECONDS": 3600,  # the doubling stops here (hourly retries)
    "OUTBOX_GIVE_UP_HOURS": 48,  # then the event becomes a dead letter (keep it >= 24)
    "OUTBOX_LEASE_SECONDS": 300,  # a claimed event or mail is left to its dispatcher this long, then to any other (keep it above the longest delivery)
    "OUTBOX_ROUND_SECONDS": 60,  # a round of deliveries (events, or mail) claims nothing more after this
    "HOLIDAYS": [],  # ISO dates that are not business days; JSON list or space-separated
    "BUSINESS_TIMEZONE": "UTC",  # where a business day starts and ends (IANA name)
    "AUTOCLOSE_BUSINESS_DAYS": 4,  # a proposed solution left unanswered this long closes the ticket
    "BACKGROUND_WORKER": True,  # deliver events, send mail and auto-close in a server thread
    "WORKER_INTERVAL_SECONDS": 5,  # pause between two rounds of the background worker
    "START_THREADS": True,  # start the app's threads with it; false (gunicorn.conf.py): each worker starts its own after the fork
    "WARM_UP": False,  # load Kiwi, lingua and the encoder at start (gunicorn.conf.py: in the master, shared); false: on first use
    "SMTP_HOST": "",  # empty: emails stay in the mail table and are logged, not sent
    "SMTP_PORT": 587,
    "SMTP_USERNAME": "",
    "SMTP_PASSWORD": "",
    "SMTP_STARTTLS": True,  # upgrade with STARTTLS (ignored when SMTP_SSL is on)
    "SMTP_SSL": False,  # implicit TLS, usually port 465
    "MAIL_FROM": "Procuree <procuree@localhost>",
    "MAIL_REPLY_TO": "",  # where suppliers' replies go, "{number}" naming the ticket; empty: MAIL_FROM plus-addressed (procuree+CS1234567@…)
    "MAIL_KEY": "",  # Fernet key sealing queued mail bodies; empty: generated into <instance>/mail_key
    "SESSION_CODE_MINUTES": 10,  # a one-time email code is valid this long
    "SESSION_CODE_ATTEMPTS": 5,  # wrong guesses allowed per code
    "SESSION_CODES_PER_HOUR": 5,  # codes sent to one address per hour
    "SUPPLIER_SESSION_MINUTES": 60,  # how long a proven email may list its tickets
    "SESSION_COOKIE_SAMESITE": "Lax",  # the session cookie is not sent by cross-site forms
    "ATTACHMENTS_MAX_FILES": 5,  # per request
    "ATTACHMENT_MAX_BYTES": 10 * 1024 * 1024,  # per file
    "RATE_LIMIT_TICKETS": "20 per minute;200 per hour",  # POST /api/v1/tickets per client address (each sends mail)
    "TICKETS_PER_ADDRESS_PER_HOUR": 10,  # new tickets (each emails the supplier) for one address; 429 beyond
    "RATE_LIMIT_SESSION": "10 per minute;60 per hour",  # session codes asked and tried per client address
    # Mail in: suppliers' replies (see the README's "Replies by email" section)
    "INBOUND_TOKEN": "",  # bearer token of POST /api/v1/inbound/email (a provider's webhook, a Postfix pipe); empty: it answers 401
    "INBOUND_PROCESS_AT_ONCE": True,  # match and apply a message as soon as it is stored; false: the worker's inbound lane does
    "AUTO_ANSWER_MINUTES": 60,  # at most one automatic answer (closed ticket, reject without comment) per address and ticket in this time
    "IMAP_HOST": "",  # a mailbox polled for suppliers' mail; empty: none
    "IMAP_PORT": 993,
    "IMAP_SSL": True,  # implicit TLS (port 993); false: plain, upgraded with STARTTLS when IMAP_STARTTLS
    "IMAP_STARTTLS": False,
    "IMAP_USERNAME": "",
    "IMAP_PASSWORD": "",
    "IMAP_FOLDER": "INBOX",  # where suppliers' mail arrives
    "IMAP_DONE_FOLDER": "Procuree-Processed",  # a message is moved here once stored (the folder is created if missing)
    "IMAP_POLL_SECONDS": 60,  # the worker's imap lane polls this often
    # The supplier chat (see the README's "The supplier chat" section)
    "EMBED_ORIGINS": [],  # portals allowed to frame the chat through widget.js (CSP frame-ancestors), e.g. ["https://portal.example.com"]
    "PAYMENTS_PROVIDER": "",  # an `assistant.payments` entry point; empty: "csv" when PAYMENTS_CSV is set, else not connected
    "PAYMENTS_CSV": "",  # ERP export read by the built-in "csv" provider; a relative path is in the instance folder
}


def as_list(value) -> list[str]:
    """A list setting given as a list, a JSON list or a space-separated string."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return [str(item) for item in json.loads(text)]
        return text.split()
    return [str(item) for item in value]


def instance_path(explicit: str | os.PathLike | None = None) -> Path:
    """The instance folder: an explicit path, else ASSISTANT_INSTANCE, else ./instance."""
    return Path(explicit or os.environ.get("ASSISTANT_INSTANCE") or DEFAULT_INSTANCE).resolve()
