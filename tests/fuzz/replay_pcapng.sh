#!/bin/sh
# replay_pcapng.sh - runs the pcapng reader fuzz target over its stored
# corpus (tests/fuzz/corpus/pcapng): any crash or sanitizer report fails.
exec ./tests/fuzz/replay_pcapng "${srcdir:-.}/tests/fuzz/corpus/pcapng"
