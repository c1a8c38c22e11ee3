"""The declarative tenant file: its schema, loading with line-accurate errors, apply, export and the demo."""

from .apply import ApplyResult, apply_document
from .changes import GeneratedSecret
from .document import Document
from .errors import TenantFileError
from .export import dump_yaml, export_tenant
from .load import document_from_json, load_file, load_text
from .schema import schema

__all__ = [
    "ApplyResult",
    "Document",
    "GeneratedSecret",
    "TenantFileError",
    "apply_document",
    "document_from_json",
    "dump_yaml",
    "export_tenant",
    "load_file",
    "load_text",
    "schema",
]
