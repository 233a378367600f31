"""``WISEPOPS_LOG=debug|info``: a switch to see the SDK's requests without touching code.

Read once, at ``import wisepops``. Set, it gives the ``wisepops`` logger a stderr handler
at that level: each request at DEBUG, each retry at INFO. Unset, the SDK stays silent
unless your own logging configuration says otherwise; another value is ignored, with a
``RuntimeWarning`` saying so.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Mapping
from typing import Optional

LOG_ENV = "WISEPOPS_LOG"
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(environ: Mapping[str, str] = os.environ) -> Optional[logging.Handler]:
    """Add the stderr handler ``WISEPOPS_LOG`` asks for; return it, or ``None``."""
    logger = logging.getLogger("wisepops")
    logger.addHandler(logging.NullHandler())  # no "no handler" warning when unset
    value = environ.get(LOG_ENV, "").strip()
    level = _LEVELS.get(value.lower())
    if level is None:
        if value:  # asked for logs, and would silently get none
            warnings.warn(
                f"{LOG_ENV}={value!r} is not 'debug' or 'info': ignored", RuntimeWarning, 2
            )
        return None
    handler = logging.StreamHandler()  # sys.stderr
    handler.setFormatter(logging.Formatter(_FORMAT))
    logger.addHandler(handler)
    logger.setLevel(level)
    return handler
