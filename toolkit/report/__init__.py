"""Last stage — renderers: figures (and, as they move here, tables, markdown and HTML)."""
