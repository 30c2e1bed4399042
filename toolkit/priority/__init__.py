"""Review-priority suggestions for practitioners: caseload in, ranked list with reasons out."""
