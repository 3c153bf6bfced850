#!/usr/bin/env bash
# Starts SecantusDB, a MongoDB-wire-protocol server from PyPI, on
# 127.0.0.1:27017 for tempora-mongodb's tests, installing it first if it is
# missing. Idempotent: when something already answers on the port, it does
# nothing. Debian packages no MongoDB server, and MongoDB's own binaries
# cannot be downloaded on the development and CI machines; see the crate's
# README for what SecantusDB does and does not do.
#
# Environment:
#   TEMPORA_MONGODB_PORT     port to listen on (default 27017)
#   TEMPORA_SECANTUS_HOME    where the virtualenv, data and log live
#                            (default ~/.cache/tempora/secantusdb)
#   TEMPORA_SECANTUS_VERSION the PyPI version (default 0.7.0b3, the one tested)
set -euo pipefail

port="${TEMPORA_MONGODB_PORT:-27017}"
home="${TEMPORA_SECANTUS_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/tempora/secantusdb}"
version="${TEMPORA_SECANTUS_VERSION:-0.7.0b3}"

listening() {
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

if listening; then
    echo "start-secantusdb: a server already listens on 127.0.0.1:$port"
    exit 0
fi

mkdir -p "$home"
if [ ! -x "$home/venv/bin/secantusd-py" ] ||
    ! "$home/venv/bin/python" -m pip show secantusdb 2>/dev/null | grep -qx "Version: $version"; then
    if ! python3 -m venv "$home/venv" 2>/dev/null; then
        # Debian splits venv out of python3.
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
            python3 -m venv "$home/venv"
        else
            echo "start-secantusdb: python3 -m venv failed; install python3-venv" >&2
            exit 1
        fi
    fi
    "$home/venv/bin/python" -m pip install --quiet --disable-pip-version-check "secantusdb==$version"
fi

mkdir -p "$home/data"
nohup "$home/venv/bin/secantusd-py" --host 127.0.0.1 --port "$port" \
    --storage-path "$home/data" --log-level WARNING >>"$home/server.log" 2>&1 &
echo $! >"$home/server.pid"

for _ in $(seq 1 100); do
    if listening; then
        echo "start-secantusdb: SecantusDB $version listens on 127.0.0.1:$port (pid $(cat "$home/server.pid"), log $home/server.log)"
        exit 0
    fi
    if ! kill -0 "$(cat "$home/server.pid")" 2>/dev/null; then
        echo "start-secantusdb: the server exited; the end of its log:" >&2
        tail -n 20 "$home/server.log" >&2
        exit 1
    fi
    sleep 0.2
done
echo "start-secantusdb: nothing listens on 127.0.0.1:$port after 20 s; see $home/server.log" >&2
exit 1
