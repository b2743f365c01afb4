"""Fast tests of pure rules: no server, no sockets (a real SQLite file where SQL runs)."""
