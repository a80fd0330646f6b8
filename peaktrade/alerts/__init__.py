"""Alerting: ``AlertService`` (service.py) is what the daemon holds; codes.py lists every code.

emit/alert/set_condition never block or raise; ``run`` is the dispatcher task; history, acks
and test sends are async. Sinks live in ``sinks/``, one module per channel.
"""
