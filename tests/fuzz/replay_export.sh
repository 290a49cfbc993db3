#!/bin/sh
# replay_export.sh - runs the template/NetFlow v9 builder fuzz target over
# its stored corpus (tests/fuzz/corpus/export): any crash, sanitizer report
# or malformed packet fails.
exec ./tests/fuzz/replay_export "${srcdir:-.}/tests/fuzz/corpus/export"
