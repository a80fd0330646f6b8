"""peaktrade: a 24/7 crypto trading daemon.

Kept import-free on purpose: ``ptctl`` imports ``peaktrade.control.protocol`` and must not pay
for anything else.
"""

__version__ = "0.1.0"
