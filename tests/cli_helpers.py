"""Assertions shared by the command-line tests."""


def error_line(result) -> str:  # type: ignore[no-untyped-def]
    """A refusal: exit code 2, exactly one line on stderr, no traceback."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]
