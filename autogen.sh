#!/bin/sh
# Generates configure and Makefile.in; run once after a fresh checkout.
set -e
cd "$(dirname "$0")"
mkdir -p m4 build-aux
autoreconf -fi
