"""Pure directory and token rules: dataclasses, id parsing, validation, claims, errors. No I/O."""
