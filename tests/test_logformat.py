"""``--log-format json``: one object a line, with the structured fields a call passes and nothing else."""

from __future__ import annotations

import json
import logging
import sys

from tenantd.logformat import JsonFormatter


def _line(record: logging.LogRecord) -> dict[str, object]:
    text = JsonFormatter().format(record)
    assert "\n" not in text
    found: dict[str, object] = json.loads(text)
    return found


def test_a_line_holds_the_event_and_its_structured_fields() -> None:
    logger = logging.getLogger("tenantd.signins")
    record = logger.makeRecord("tenantd.signins", logging.WARNING, __file__, 1, "%d entries could not be written (%s)",
                               (3, "OperationalError"), None,
                               extra={"entries": 3, "error": "OperationalError", "where": object()})
    line = _line(record)
    assert line["level"] == "WARNING" and line["logger"] == "tenantd.signins"
    assert line["message"] == "3 entries could not be written (OperationalError)"
    assert line["entries"] == 3 and line["error"] == "OperationalError"
    assert str(line["where"]).startswith("<object object")     # what JSON cannot hold, as text
    assert str(line["timestamp"]).endswith("+00:00")
    assert not {"args", "msg", "pathname", "lineno", "process"} & line.keys()   # the record's bookkeeping stays out


def test_exceptions_are_one_field_and_uvicorns_coloured_copy_is_left_out() -> None:
    try:
        raise ValueError("bad\nthing")
    except ValueError:
        record = logging.getLogger("uvicorn.error").makeRecord("uvicorn.error", logging.ERROR, __file__, 1,
                                                              "failed", (), sys.exc_info(),
                                                              extra={"color_message": "\x1b[31mfailed\x1b[0m"})
    line = _line(record)
    assert "ValueError: bad\nthing" in str(line["exception"])
    assert "color_message" not in line
