"""OutputSet hashes what it wrote, lazily: the bytes on disk, only when asked."""

from __future__ import annotations

import hashlib

import toolkit.outputs as outputs_module
from toolkit.outputs import atomic_outputs, write_text


def test_hashes_are_of_the_bytes_written_before_and_after_commit(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.bin"
    with atomic_outputs() as out:
        out.write_text(a, "hello\n")
        out.write_bytes(b, bytes(range(256)) * 9000)
        before = out.sha256_of(a)  # asked while the file is still the temporary one
    assert before == hashlib.sha256(b"hello\n").hexdigest()
    assert out.sha256_of(b) == hashlib.sha256(bytes(range(256)) * 9000).hexdigest()
    assert dict(out.sha256) == {
        a.resolve(): before,
        b.resolve(): hashlib.sha256(b.read_bytes()).hexdigest(),
    }
    assert write_text(tmp_path / "c.txt", "x") == hashlib.sha256(b"x").hexdigest()


def test_a_file_nobody_asks_about_is_not_hashed(tmp_path, monkeypatch):
    calls = []
    real = outputs_module.file_sha256
    monkeypatch.setattr(outputs_module, "file_sha256", lambda p: calls.append(p) or real(p))
    with atomic_outputs() as out:
        out.write_text(tmp_path / "records.csv", "a,b\n1,2\n")
    assert (tmp_path / "records.csv").read_text() == "a,b\n1,2\n"
    assert calls == []
    out.sha256_of(tmp_path / "records.csv")
    assert calls == [tmp_path / "records.csv"]
