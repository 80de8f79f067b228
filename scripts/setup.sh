#!/usr/bin/env bash
# Installs what civicpool needs on a fresh Debian 12 machine, then its Python environment.
#   scripts/setup.sh         to run the system (make run)
#   scripts/setup.sh --test  also what the tests and benchmarks need (make test, make bench):
#                            PostgreSQL, Chromium, wrk
# Idempotent and quick when everything is there: apt runs only for what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

for_tests=false
[ "${1:-}" = "--test" ] && for_tests=true
cache="${CIVICPOOL_CACHE_DIR:-$HOME/.cache/civicpool}"
uv_version="0.13.9"

missing=()
command -v python3.11 >/dev/null || missing+=(python3.11)
python3.11 -c "import venv, ensurepip" 2>/dev/null || missing+=(python3.11-venv)
command -v mvn >/dev/null || missing+=(maven)
ls /usr/lib/jvm/*/bin/java >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
if $for_tests; then
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
    # The portal tests drive Debian's Chromium through Playwright (no browser downloads).
    command -v chromium >/dev/null || missing+=(chromium)
    # The HTTP load generator of the benchmarks (bench/listing.py).
    command -v wrk >/dev/null || missing+=(wrk)
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing from Debian: ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# uv manages the Python environment from uv.lock; it lives in its own small venv.
if [ ! -x "$cache/uv-venv/bin/uv" ] || [ "$("$cache/uv-venv/bin/uv" --version | cut -d' ' -f2)" != "$uv_version" ]; then
    mkdir -p "$cache"
    python3.11 -m venv "$cache/uv-venv"
    "$cache/uv-venv/bin/pip" install -q "uv==$uv_version"
fi
UV_PYTHON=python3.11 UV_PYTHON_DOWNLOADS=never "$cache/uv-venv/bin/uv" sync --frozen --quiet --compile-bytecode
# Bytecode for our own packages too: every service, CLI and test process imports them, and where
# PYTHONDONTWRITEBYTECODE is set nothing is cached, so each process compiled ~1,000 modules (3 s) anew.
.venv/bin/python -m compileall -q -j 0 cli/src gateway/src libs/*/src services/*/src clients/python >/dev/null

# Keycloak from Maven Central, fetched once into the cache.
.venv/bin/civicpool keycloak fetch
