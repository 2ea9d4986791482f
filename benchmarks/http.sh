#!/usr/bin/env bash
# HTTP load benchmark: the assistant under gunicorn, measured by wrk.
#
#   benchmarks/http.sh                    # 2 configurations x 2 targets x 2 connection counts x 60 s, ~9 minutes
#   DURATION=20 benchmarks/http.sh        # a quicker look
#
# What it does, in one run:
#   1. `python -m indexer build --out <tmp>/index` once (the encoder's embeddings included, cached),
#      so each worker loads files at start instead of indexing (ASSISTANT_INDEX).
#   2. Writes a wrk Lua script to the temporary folder: a pool of the questions of
#      eval/holdout.yaml and eval/realistic.yaml (six languages, terse to pasted emails, a fifth
#      of them off-topic), POSTed in rotation as {"question", "lang"} (benchmarks/wrk/report.lua).
#   3. For each configuration, "fast path" (ASSISTANT_SEMANTIC=false), "default" (the encoder
#      when words alone are unsure) and "no cache" (the default with ASSISTANT_ANSWER_CACHE_SIZE=0:
#      every question answered afresh, as if the pool never repeated; the warm-up fills the answer
#      cache of the other two with the pool's questions, so they show repeated questions): starts `gunicorn -w 2 -b 127.0.0.1:PORT
#      'app:create_app()'` on a fresh instance folder, waits for /readyz, for both workers and,
#      with the encoder on, for /api/v1/admin/status to say "semantic": true; warms up for
#      WARMUP seconds at 16 connections, not reported (a worker's first questions load the
#      language models, seconds each); then runs wrk for DURATION seconds at each of CONNECTIONS
#      against POST /api/v1/ask and GET /healthz on the same server; stops the server.
#   4. Prints one table (requests/s, p50 and p99 from wrk's own latency histogram, non-2xx
#      responses, socket errors = connect + read + write + timeout) and the ask / healthz ratio
#      of requests per second at each connection count.
#
# Settings (environment): DURATION (60) seconds per wrk run; CONNECTIONS ("16 64");
# WARMUP (10) seconds; WRK_THREADS (2); WRK_TIMEOUT (10) seconds before wrk counts a timeout;
# PORT (a free one); CONFIGS ("fast default uncached"); KEEP=1 keeps the temporary folder (logs, wrk output).
#
# The ask rate limit is raised out of the way (ASSISTANT_RATE_LIMIT_ASK="1000000 per minute"):
# wrk is one client address, which the default 100 per second would throttle. wrk runs on the
# same machine as the server and takes a share of its cores: compare runs on one machine only.
# Needs wrk (Debian: apt-get install -y wrk), gunicorn and curl; fails at once without them.
# The server is killed when the script exits, however it exits.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/serve.sh"

DURATION="${DURATION:-60}"
CONNECTIONS="${CONNECTIONS:-16 64}"
WARMUP="${WARMUP:-10}"
CONFIGS="${CONFIGS:-fast default uncached}"

declare -A SEMANTIC_OF=([fast]=false [default]=true [uncached]=true)
declare -A CACHE_OF=([fast]=2048 [default]=2048 [uncached]=0)
declare -A LABEL_OF=([fast]="fast path" [default]="default" [uncached]="no cache")

# One configuration: its server, a warm-up, then wrk on each target and connection count.
measure_config() {
    local config="$1" connections line
    note "${LABEL_OF[$config]}: starting gunicorn -w 2 (ASSISTANT_SEMANTIC=${SEMANTIC_OF[$config]})"
    start_server "$config" "${SEMANTIC_OF[$config]}" "${CACHE_OF[$config]}"
    note "${LABEL_OF[$config]}: ready at $URL; warming up for ${WARMUP} s"
    run_wrk "$WORK/ask.lua" /api/v1/ask 16 "$WARMUP" >/dev/null
    for connections in $CONNECTIONS; do
        for target in ask healthz; do
            note "${LABEL_OF[$config]}: $target at $connections connections for ${DURATION} s"
            if [ "$target" = ask ]; then
                line="$(run_wrk "$WORK/ask.lua" /api/v1/ask "$connections" "$DURATION")"
            else
                line="$(run_wrk "$WORK/healthz.lua" /healthz "$connections" "$DURATION")"
            fi
            echo "$config $target $connections $line" >>"$WORK/results"
        done
    done
    stop_server
}

print_table() {
    local config target connections line
    printf '\n%-10s %-22s %11s %10s %9s %9s %8s %13s\n' configuration target connections "requests/s" "p50 ms" \
        "p99 ms" non-2xx "socket errors"
    while read -r config target connections line; do
        local path="POST /api/v1/ask"
        [ "$target" = healthz ] && path="GET /healthz"
        printf '%-10s %-22s %11s %10s %9s %9s %8s %13s\n' "${LABEL_OF[$config]}" "$path" "$connections" \
            "$(field rps "$line")" "$(field p50_ms "$line")" "$(field p99_ms "$line")" \
            "$(field non2xx "$line")" "$(field socket_errors "$line")"
    done <"$WORK/results"
}

print_ratios() {
    local config connections ask health
    printf '\nask / healthz requests per second:\n'
    for config in $CONFIGS; do
        for connections in $CONNECTIONS; do
            ask="$(awk -v c="$config" -v n="$connections" '$1 == c && $2 == "ask" && $3 == n' "$WORK/results")"
            health="$(awk -v c="$config" -v n="$connections" '$1 == c && $2 == "healthz" && $3 == n' "$WORK/results")"
            awk -v a="$(field rps "$ask")" -v h="$(field rps "$health")" -v l="${LABEL_OF[$config]}" -v n="$connections" \
                'BEGIN { printf "  %-10s %3d connections: %.3f\n", l, n, (h > 0 ? a / h : 0) }'
        done
    done
}

main() {
    need_tools
    make_workdir
    note "rate limit on ask raised out of the way for this run: ASSISTANT_RATE_LIMIT_ASK=\"$ASK_LIMIT\""
    build_index
    note "ask pool: $(write_ask_script)"
    cp "$ROOT/benchmarks/wrk/report.lua" "$WORK/healthz.lua"
    : >"$WORK/results"
    for config in $CONFIGS; do
        [ -n "${SEMANTIC_OF[$config]:-}" ] || fail "unknown configuration '$config' (fast, default)"
        measure_config "$config"
    done
    echo "HTTP load, gunicorn -w 2 on $(nproc) cores shared with wrk (-t ${WRK_THREADS:-2}), ${DURATION} s per row;"
    echo "rate limit on ask raised for the run: ASSISTANT_RATE_LIMIT_ASK=\"$ASK_LIMIT\""
    print_table
    print_ratios
}

main "$@"
