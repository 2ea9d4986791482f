"""Prometheus metrics at ``/metrics``: requests, answers, deliveries and the knowledge served.

Counted in each process as requests end: HTTP requests and their latency by
route (the URL rule, never the raw path, so the number of series stays
bounded) and status; answers by language and outcome (answered, suggested,
escalated); the knowledge version served and failed reloads.  Read from the
database at each scrape instead (two COUNT queries, right whichever replica
answers the scrape): the outbox backlog, due events, dead letters and mail
not yet sent.

Under gunicorn, ``PROMETHEUS_MULTIPROC_DIR`` (set by ``gunicorn.conf.py``)
turns on prometheus_client's multiprocess mode: each worker writes its
values to files there and a scrape, whichever worker answers it, sums them.

Nothing here holds personal data (no question, address or ticket text), so
``/metrics`` may be open; METRICS_TOKEN, when set, makes it ask for
``Authorization: Bearer <METRICS_TOKEN>``.
"""
from __future__ import annotations

import functools
import logging
import os
import time
from dataclasses import dataclass, field

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.process_collector import ProcessCollector
from sqlalchemy import case, func, select
from sqlalchemy.exc import SQLAlchemyError

from indexer import KnowledgeError

from . import db
from .auth import bearer_token_valid
from .errors import ApiError
from .knowledge import Knowledge
from .limits import limiter
from .openapi import PATHS, SECURITY_SCHEMES, _error_response

log = logging.getLogger(__name__)

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "<unmatched>"  # the route label of a request no URL rule matched (404, 405)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

bp = Blueprint("metrics", __name__)

SECURITY_SCHEMES["metricsToken"] = {"type": "http", "scheme": "bearer",
                                    "description": "METRICS_TOKEN from configuration, when it is set"}
PATHS["/metrics"] = {"get": {
    "summary": "Prometheus metrics: requests, answers, deliveries, the knowledge served (no personal data)",
    "security": [{"metricsToken": []}, {}],  # open while METRICS_TOKEN is empty
    "responses": {"200": {"description": "The Prometheus text format",
                          "content": {"text/plain": {"schema": {"type": "string"}}}},
                  "401": _error_response("METRICS_TOKEN is set and the request does not carry it")},
}}


@dataclass
class Metrics:
    """The app's metrics, in a registry of its own (several apps in one process stay apart)."""

    registry: CollectorRegistry = field(default_factory=lambda: CollectorRegistry(auto_describe=True))
    versions: tuple[int, str | None] = (0, None)  # (pid, version) last published by this process

    def __post_init__(self) -> None:
        r = self.registry
        self.requests = Counter("procuree_http_requests", "HTTP requests answered, by route (URL rule) and status.",
                                ["method", "route", "status"], registry=r)
        self.latency = Histogram("procuree_http_request_duration_seconds", "Time to answer a request, by route.",
                                 ["method", "route"], buckets=LATENCY_BUCKETS, registry=r)
        self.answers = Counter("procuree_answers", "Questions answered by POST /api/v1/ask, by language and outcome.",
                               ["lang", "outcome"], registry=r)
        self.knowledge_version = Gauge("procuree_knowledge_version_info",
                                       "1 for the knowledge version this process serves (0: one it served before).",
                                       ["version"], multiprocess_mode="liveall", registry=r)
        self.reload_errors = Counter("procuree_knowledge_reload_errors",
                                     "Knowledge loads that failed (the previous version kept serving).", registry=r)
        self._children: dict[tuple, object] = {}

    def child(self, metric, *labels: str):
        """``metric.labels(*labels)``, remembered: prometheus_client checks and builds each call (~5 us),
        a dict lookup is ~0.1 us, and there are few label sets (routes x methods x statuses)."""
        key = (metric, *labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found


class DeliveryCollector:
    """Outbox and mail queue sizes, counted in the database at scrape time (the same on every replica)."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        try:
            outbox, mail = delivery_counts(self.app.extensions["db"], db.utcnow())
        except SQLAlchemyError as exc:
            log.warning("metrics: database unreachable (%s)", type(exc).__name__)
            yield GaugeMetricFamily("procuree_database_up", "1 when the last scrape could read the database.", 0)
            return
        yield GaugeMetricFamily("procuree_database_up", "1 when the last scrape could read the database.", 1)
        yield GaugeMetricFamily("procuree_outbox_undelivered", "Ticket events not yet delivered to every hook "
                                "(dead letters excluded).", outbox["undelivered"])
        yield GaugeMetricFamily("procuree_outbox_due", "Undelivered ticket events whose next attempt is due now.",
                                outbox["due"])
        yield GaugeMetricFamily("procuree_outbox_dead_letters", "Ticket events given up on (OUTBOX_GIVE_UP_HOURS).",
                                outbox["dead"])
        yield GaugeMetricFamily("procuree_mail_unsent", "Emails queued and not yet handed to the SMTP server "
                                "(dead letters excluded).", mail["unsent"])
        yield GaugeMetricFamily("procuree_mail_dead_letters", "Emails given up on.", mail["dead"])


def delivery_counts(engine, now) -> tuple[dict[str, int], dict[str, int]]:
    """One pass over each delivery table: what waits, what is due, what died."""
    outbox, mail = db.outbox.c, db.mail.c
    waiting = outbox.delivered_at.is_(None) & outbox.dead_at.is_(None)
    unsent = mail.sent_at.is_(None) & mail.kept_at.is_(None) & mail.dead_at.is_(None)
    with engine.connect() as conn:
        row = conn.execute(select(_count_if(waiting), _count_if(waiting & (outbox.next_attempt_at <= now)),
                                  _count_if(outbox.dead_at.is_not(None))).select_from(db.outbox)).one()
        mail_row = conn.execute(select(_count_if(unsent), _count_if(mail.dead_at.is_not(None) & mail.sent_at.is_(None)))
                                .select_from(db.mail)).one()
    return ({"undelivered": row[0] or 0, "due": row[1] or 0, "dead": row[2] or 0},
            {"unsent": mail_row[0] or 0, "dead": mail_row[1] or 0})


def _count_if(condition):
    return func.sum(case((condition, 1), else_=0))


def multiprocess_mode() -> bool:
    return bool(os.environ.get(MULTIPROCESS_DIR))


def init_app(app: Flask) -> None:
    """Count requests and answers, and serve /metrics (unless METRICS is off).  After the knowledge is loaded."""
    if not app.config["METRICS"]:
        return
    metrics = Metrics()
    app.extensions["metrics"] = metrics
    if not multiprocess_mode():  # process figures are per process: they do not add up across workers
        ProcessCollector(registry=metrics.registry)
    metrics.registry.register(DeliveryCollector(app))
    _count_failed_loads(app.extensions["knowledge"], metrics)
    _publish_version(metrics, app.extensions["knowledge"])
    app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)  # first: a refused request is timed too
    app.after_request(functools.partial(_count_request, metrics, app.extensions["knowledge"]))
    limiter.exempt(metrics_view)
    app.register_blueprint(bp)


def _count_failed_loads(held: Knowledge, metrics: Metrics) -> None:
    """Every failed load of the holder (watcher, SIGHUP, admin reload) counts once.

    The holder has no listeners, so its ``load`` is wrapped for this app's holder only.
    """
    load = held.load

    def counted_load(*args, **kwargs):
        try:
            return load(*args, **kwargs)
        except KnowledgeError:
            metrics.reload_errors.inc()
            raise

    held.load = counted_load


def _publish_version(metrics: Metrics, held: Knowledge) -> None:
    """Keep the version gauge on what this process serves.  Checked at each request end (two
    attribute reads); the pid is part of it because a forked worker starts with empty values."""
    current = (os.getpid(), held.current().version if held.ready else None)
    if current == metrics.versions:
        return
    previous = metrics.versions[1]
    if previous and current[0] == metrics.versions[0] and previous != current[1]:
        metrics.knowledge_version.labels(previous).set(0)
    if current[1]:
        metrics.knowledge_version.labels(current[1]).set(1)
    metrics.versions = current


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _count_request(metrics: Metrics, held: Knowledge, response: Response) -> Response:
    """The request's counts, at its end (a few microseconds: this runs on every request)."""
    ended, rule, method = time.perf_counter(), request.url_rule, request.method
    route = rule.rule if rule is not None else UNMATCHED
    metrics.child(metrics.requests, method, route, str(response.status_code)).inc()
    metrics.child(metrics.latency, method, route).observe(ended - g.get("metrics_started", ended))
    if response.status_code == 200 and request.endpoint == "ask.ask":
        fields = g.get("log_fields", {})  # what the ask view logs: the answer's language and outcome
        metrics.child(metrics.answers, fields.get("lang", "unknown"), fields.get("outcome", "unknown")).inc()
    _publish_version(metrics, held)
    return response


@bp.get("/metrics")
def metrics_view():
    """The Prometheus text format; behind METRICS_TOKEN when it is set."""
    if current_app.config["METRICS_TOKEN"] and not bearer_token_valid("METRICS_TOKEN"):
        raise ApiError(401, "This endpoint needs 'Authorization: Bearer <METRICS_TOKEN>'.",
                       headers={"WWW-Authenticate": "Bearer"})
    return Response(generate_latest(_scrape_registry()), content_type=CONTENT_TYPE_LATEST)


def _scrape_registry() -> CollectorRegistry:
    """This app's registry; in multiprocess mode every worker's files instead, plus the database counts."""
    metrics: Metrics = current_app.extensions["metrics"]
    if not multiprocess_mode():
        return metrics.registry
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(DeliveryCollector(current_app._get_current_object()))
    return registry
