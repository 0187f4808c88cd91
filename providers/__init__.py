"""One module per external system, each a small interface with its faces: the sandbox face (the embedded
default: nothing leaves the machine, every delivery is kept in the database outbox) and, as each is built,
the real one. Activities receive a provider in their constructor; `worker.py` picks the faces from settings."""
