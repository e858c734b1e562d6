"""Evaluation on other machines: the Celery tasks, the worker process and its server client."""
