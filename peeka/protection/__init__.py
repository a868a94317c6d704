"""Template protection: turn a face descriptor into something that can be matched but, while
its seed stays secret, not turned back into the face (IoM hashing, negative databases)."""
