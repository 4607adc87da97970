-- From schema version 6 to 7: source_files.content_sha256, the SHA-256 over the rows a file
-- loaded (without provenance), so that the same rows in other bytes (re-encoded, re-saved as
-- XLSX) are not loaded twice. Files loaded before have none; schema.sql (run after this)
-- creates its index.
ALTER TABLE source_files ADD COLUMN content_sha256 TEXT;
