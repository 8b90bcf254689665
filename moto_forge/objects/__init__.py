"""Objects: a streamed body becomes raw chunks plus an index; a manifest describes it."""

from moto_forge.objects.body import CONCAT_V1, FIXED_V1, INDEX_FANOUT, FixedIndexBuilder, Span, spans
from moto_forge.objects.chunker import DEFAULT_CHUNK_SIZE, ChunkedBody, chunk_stream
from moto_forge.objects.manifest import Body, ObjectManifest

__all__ = [
    "CONCAT_V1",
    "DEFAULT_CHUNK_SIZE",
    "FIXED_V1",
    "INDEX_FANOUT",
    "Body",
    "ChunkedBody",
    "FixedIndexBuilder",
    "ObjectManifest",
    "Span",
    "chunk_stream",
    "spans",
]
