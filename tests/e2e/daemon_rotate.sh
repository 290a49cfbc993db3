#!/bin/sh
# daemon_rotate.sh - SIGHUP rotates the JSON output of a daemon running as
# nobody without losing a record: daemon_user.sh in "rotate" mode.
exec sh "$(dirname "$0")/daemon_user.sh" rotate
