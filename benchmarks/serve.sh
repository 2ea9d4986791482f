# Shared by benchmarks/http.sh and benchmarks/soak.sh (sourced, not run): a gunicorn
# server on a fresh instance folder, the built index its workers load, the pool of
# questions wrk sends, and wrk itself.  Everything lives in one temporary folder that
# goes, with the server, when the script exits (KEEP=1 keeps the folder, for its logs).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-$( [ -x "$ROOT/.venv/bin/python" ] && echo "$ROOT/.venv/bin/python" || command -v python3 )}"
GUNICORN="${GUNICORN:-$( [ -x "$ROOT/.venv/bin/gunicorn" ] && echo "$ROOT/.venv/bin/gunicorn" || command -v gunicorn || true )}"
ADMIN_TOKEN="bench-$$-$RANDOM"
ASK_LIMIT="1000000 per minute"
SERVER_PID=""
WRK_PID=""  # a wrk running in the background (soak.sh), stopped with the server
WORK=""

fail() { echo "error: $*" >&2; exit 1; }
note() { echo "# $*" >&2; }

# The tools a run needs, checked before anything starts.
need_tools() {
    command -v wrk >/dev/null || fail "wrk is not installed (Debian: apt-get install -y wrk)"
    [ -n "$GUNICORN" ] && [ -x "$GUNICORN" ] || fail "gunicorn is not installed (pip install -e . in $ROOT)"
    command -v curl >/dev/null || fail "curl is not installed"
    [ -x "$PYTHON" ] || fail "no python at $PYTHON"
}

# The temporary folder, and the trap that stops the server and removes it whatever happens.
make_workdir() {
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/procuree-bench.XXXXXX")"
    trap cleanup EXIT
    trap 'exit 130' INT TERM
}

cleanup() {
    if [ -n "$WRK_PID" ]; then kill "$WRK_PID" 2>/dev/null || true; fi
    stop_server
    if [ "${KEEP:-0}" = 1 ]; then note "kept $WORK"; else rm -rf "$WORK"; fi
}

# `python -m indexer build` once: workers then load files instead of indexing (and embedding).
build_index() {
    local started=$SECONDS
    (cd "$ROOT" && "$PYTHON" -m indexer build --out "$WORK/index") >"$WORK/index.log" 2>&1 \
        || { cat "$WORK/index.log" >&2; fail "python -m indexer build failed"; }
    note "index built in $((SECONDS - started)) s into $WORK/index"
}

# The questions of eval/holdout.yaml and eval/realistic.yaml (six languages, answerable or not),
# as JSON bodies in a Lua table, followed by the reporter; prints the pool's size per language.
write_ask_script() {
    "$PYTHON" - "$ROOT" "$WORK/ask.lua" <<'PY'
import collections, json, sys
from pathlib import Path
import yaml

root, out = Path(sys.argv[1]), Path(sys.argv[2])
items = [item for name in ("holdout.yaml", "realistic.yaml")
         for item in yaml.safe_load((root / "eval" / name).read_text(encoding="utf-8"))["items"]]
def lua(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
bodies = [json.dumps({"question": item["q"], "lang": item["lang"]}, ensure_ascii=False) for item in items]
out.write_text("bodies = {\n" + "".join(f"  {lua(b)},\n" for b in bodies) + "}\n"
               + (root / "benchmarks" / "wrk" / "report.lua").read_text(encoding="utf-8"), encoding="utf-8")
per_lang = collections.Counter(item["lang"] for item in items)
print(f"{len(bodies)} questions: " + ", ".join(f"{lang} {n}" for lang, n in per_lang.items()))
PY
}

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server NAME SEMANTIC [ANSWER_CACHE_SIZE]: `gunicorn -w 2` on a fresh instance folder; sets SERVER_PID and URL.
start_server() {
    local name="$1" semantic="$2" cache="${3:-2048}" port
    port="${PORT:-$(free_port)}"
    URL="http://127.0.0.1:$port"
    SERVER_LOG="$WORK/server-$name.log"
    mkdir -p "$WORK/instance-$name"
    env ASSISTANT_INSTANCE="$WORK/instance-$name" ASSISTANT_INDEX="$WORK/index" \
        ASSISTANT_SEMANTIC="$semantic" ASSISTANT_SEMANTIC_THREADS=1 ASSISTANT_ANSWER_CACHE_SIZE="$cache" \
        ASSISTANT_ADMIN_TOKEN="$ADMIN_TOKEN" ASSISTANT_RATE_LIMIT_ASK="$ASK_LIMIT" \
        "$GUNICORN" --chdir "$ROOT" -w 2 -b "127.0.0.1:$port" 'app:create_app()' >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    wait_ready "$semantic"
}

stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

# Ready means /readyz answers 200, both workers have loaded the knowledge, and, with the
# sentence encoder on, /api/v1/admin/status says "semantic": true (it may embed in the background).
wait_ready() {
    local semantic="$1" deadline=$((SECONDS + ${READY_SECONDS:-600}))
    until curl -fsS -o /dev/null "$URL/readyz" 2>/dev/null; do
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$SERVER_LOG" >&2; fail "gunicorn exited before it was ready"; }
        [ $SECONDS -lt $deadline ] || fail "no 200 from $URL/readyz in time; see $SERVER_LOG"
        sleep 0.5
    done
    until [ "$(grep -c 'knowledge version .* loaded' "$SERVER_LOG")" -ge 2 ]; do
        [ $SECONDS -lt $deadline ] || fail "both workers did not load the knowledge in time; see $SERVER_LOG"
        sleep 0.5
    done
    if [ "$semantic" = true ]; then
        until curl -fsS -H "Authorization: Bearer $ADMIN_TOKEN" "$URL/api/v1/admin/status" | grep -q '"semantic": *true'; do
            [ $SECONDS -lt $deadline ] || fail "the sentence encoder never became ready; see $SERVER_LOG"
            sleep 1
        done
    fi
}

# wrk_command SCRIPT PATH CONNECTIONS SECONDS: the wrk command line, one word a line.
wrk_command() {
    printf '%s\n' wrk -t "${WRK_THREADS:-2}" -c "$3" -d "${4}s" --timeout "${WRK_TIMEOUT:-10}s" -s "$1" "$URL$2"
}

# run_wrk SCRIPT PATH CONNECTIONS SECONDS: wrk's RESULT line (see benchmarks/wrk/report.lua).
run_wrk() {
    local out="$WORK/wrk-$(basename "$1" .lua)-$3-$RANDOM.txt"
    local -a command
    mapfile -t command < <(wrk_command "$@")
    "${command[@]}" >"$out" 2>&1 || { cat "$out" >&2; fail "wrk failed"; }
    result_of "$out"
}

# result_of FILE: the RESULT line of a finished wrk's output, or a clear failure.
result_of() {
    grep '^RESULT ' "$1" || { cat "$1" >&2; fail "wrk printed no RESULT line"; }
}

# field NAME LINE: one key=value of a RESULT line.
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }
