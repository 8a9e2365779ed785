"""What every request leaves behind: a request id, one JSON access line, its metrics."""
