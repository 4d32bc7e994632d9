"""The Celery instance, built from the same settings as the web app; tasks run inside an app context."""

from datetime import timedelta

from celery import Celery, Task
from celery.schedules import crontab
from flask import Flask

from .config import Settings

ROLLUP_CHECK_AT = crontab(hour=19, minute=30)  # 02:30 in Hà Nội (UTC+7): the recount reads every row, at night


def broker_options(settings: Settings) -> dict[str, object]:
    """Transport options: the embedded transport keeps its messages in one folder under instance/; Redis redelivers
    a message not acknowledged within its visibility timeout; RabbitMQ redelivers one as soon as the connection of
    the worker that held it closes, and has no such option (ADR 48)."""
    if settings.broker_url.startswith("amqp://"):
        return {}
    if not settings.embedded_broker:
        return {"visibility_timeout": 3600}
    folder = settings.broker_folder
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "store_processed": False,
        "control_folder": str(folder / "control"),
        # kombu polls a virtual transport once a second by default: one render a second per worker process.
        "polling_interval": 0.1,
    }


def init_celery(app: Flask, settings: Settings) -> Celery:
    """Create the Celery app for this Flask app and make it the default."""

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=settings.broker_url,
        # The embedded broker: kombu's folder transport, with messages written whole (webapp.embedded_broker).
        broker_transport="webapp.embedded_broker:Transport" if settings.embedded_broker else None,
        broker_transport_options=broker_options(settings),
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=5,
        task_ignore_result=True,
        result_backend=None,
        task_acks_late=True,
        task_reject_on_worker_lost=True,  # bounded by the attempts counter in the database
        worker_prefetch_multiplier=1,
        # WeasyPrint's memory grows with the documents a process has rendered (a decision's list of thousands most):
        # a pool process past this many KiB is replaced after its task, and the new one warms up (ADR 32).
        worker_max_memory_per_child=settings.worker_max_memory_mb * 1024,
        # A pool process warms its renderer before it reports up (worker.py): about a second, more on a busy machine;
        # past this Celery would kill it and start another.
        worker_proc_alive_timeout=30,
        task_always_eager=settings.task_always_eager,
        task_serializer="json",
        accept_content=["json"],
        imports=["webapp.tasks", "webapp.decision_tasks", "webapp.batch_tasks", "webapp.notifications",
                 "webapp.rollup_tasks"],
        beat_schedule={"sweep-certificates": {"task": "cdht.sweep_certificates",
                                              "schedule": timedelta(seconds=settings.sweep_every_seconds)},
                       "check-rollup": {"task": "cdht.check_rollup", "schedule": ROLLUP_CHECK_AT}},
        # One beat sends, however many run: the others wait for its lock in the database (webapp.single_beat). It
        # keeps its schedule in memory: a sweep every minute needs no memory of the last run across restarts.
        beat_scheduler="webapp.single_beat:SingleBeatScheduler",
        cdht_database_url=settings.database_url,
        cdht_instance_path=str(settings.instance_path),
        worker_hijack_root_logger=False,
    )
    celery.set_default()
    app.extensions["celery"] = celery
    # Registers the shared tasks on this instance, for the web process too.
    from . import batch_tasks, decision_tasks, notifications, rollup_tasks, tasks  # noqa: F401

    return celery
