#!/bin/sh
# replay_decode.sh - runs the decoder/flow-table fuzz target over its stored
# corpus (tests/fuzz/corpus/decode): any crash or sanitizer report fails.
exec ./tests/fuzz/replay_decode "${srcdir:-.}/tests/fuzz/corpus/decode"
