#!/usr/bin/env bash
# Soak: does a worker's memory keep growing under steady load?
#
#   benchmarks/soak.sh                    # 10 minutes of wrk on POST /api/v1/ask at 16 connections
#   DURATION=120 benchmarks/soak.sh       # a 2-minute check of the script itself
#
# Starts `gunicorn -w 2` exactly as benchmarks/http.sh does (fresh instance folder, the index
# built once, the rate limit on ask raised out of the way, ready when both workers loaded the
# knowledge and, with the encoder on, /api/v1/admin/status says "semantic": true), then runs
# wrk for DURATION seconds with the same pool of eval/ questions in six languages. Every SAMPLE
# seconds, and once more at the end, it reads each worker's resident memory (VmRSS in
# /proc/<pid>/status; the workers are the gunicorn master's children). It prints the samples,
# wrk's summary, and each worker's growth in % from its first sample at or after WARMUP seconds
# (models loaded, caches filled) to its last. A worker gunicorn replaced shows as a new pid.
#
# Settings (environment): DURATION (600) seconds; CONNECTIONS (16); SAMPLE (30) seconds;
# WARMUP (60) seconds, at most half of DURATION; SEMANTIC (true: the default configuration;
# false: the fast path); WRK_THREADS (2); WRK_TIMEOUT (10); PORT; KEEP=1 keeps the temporary
# folder. Needs Linux (/proc), wrk, gunicorn and curl; the server and wrk stop when it exits.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/serve.sh"

DURATION="${DURATION:-600}"
CONNECTIONS="${CONNECTIONS:-16}"
SAMPLE="${SAMPLE:-30}"
WARMUP="${WARMUP:-60}"
SEMANTIC="${SEMANTIC:-true}"
[ "$WARMUP" -le $((DURATION / 2)) ] || WARMUP=$((DURATION / 2))

workers() { cat /proc/"$SERVER_PID"/task/*/children; }

# sample T: one "T PID KB" line per worker into $WORK/samples.
sample() {
    local t="$1" pid kb
    for pid in $(workers); do
        kb="$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)"
        [ -n "$kb" ] && echo "$t $pid $kb" >>"$WORK/samples"
    done
}

# Sample at 0, SAMPLE, 2 x SAMPLE, ... while wrk runs, and at DURATION.
sample_while_loaded() {
    local start=$SECONDS t=0
    while [ $t -lt "$DURATION" ]; do
        sample $t
        t=$((t + SAMPLE))
        [ $t -gt "$DURATION" ] && t=$DURATION
        while [ $((SECONDS - start)) -lt $t ]; do sleep 0.5; done
    done
    sample "$DURATION"
}

print_samples() {
    printf '\nVmRSS of each gunicorn worker, MB (* = warm-up, before %d s):\n' "$WARMUP"
    awk -v warm="$WARMUP" '
        !($2 in seen) { seen[$2] = 1; order[++n] = $2 }
        { rss[$1, $2] = sprintf("%.1f", $3 / 1024); if (!($1 in at)) { at[$1] = 1; times[++m] = $1 } }
        END {
            printf "%8s", "t s"; for (i = 1; i <= n; i++) printf " %12s", "pid " order[i]; print ""
            for (j = 1; j <= m; j++) {
                printf "%7d%s", times[j], (times[j] < warm ? "*" : " ")
                for (i = 1; i <= n; i++) printf " %12s", ((times[j], order[i]) in rss ? rss[times[j], order[i]] : "-")
                print ""
            }
        }' "$WORK/samples"
}

print_growth() {
    printf '\nGrowth per worker, from its first sample at or after %d s to its last:\n' "$WARMUP"
    awk -v warm="$WARMUP" '
        $1 >= warm { if (!($2 in first)) { first[$2] = $3; from[$2] = $1; order[++n] = $2 } last[$2] = $3; to[$2] = $1 }
        END {
            if (n == 0) print "  no sample after the warm-up"
            for (i = 1; i <= n; i++) {
                p = order[i]
                printf "  worker %s: %.1f MB at %d s -> %.1f MB at %d s: %+.2f %%\n", p, first[p] / 1024, from[p],
                       last[p] / 1024, to[p], 100 * (last[p] - first[p]) / first[p]
            }
        }' "$WORK/samples"
}

main() {
    need_tools
    [ -d /proc/self ] || fail "the soak reads /proc: Linux only"
    make_workdir
    note "rate limit on ask raised out of the way for this run: ASSISTANT_RATE_LIMIT_ASK=\"$ASK_LIMIT\""
    build_index
    note "ask pool: $(write_ask_script)"
    start_server soak "$SEMANTIC"
    note "ready at $URL; wrk at $CONNECTIONS connections for $DURATION s, VmRSS every $SAMPLE s"
    : >"$WORK/samples"
    local -a command
    mapfile -t command < <(wrk_command "$WORK/ask.lua" /api/v1/ask "$CONNECTIONS" "$DURATION")
    "${command[@]}" >"$WORK/wrk-soak.txt" 2>&1 &
    WRK_PID=$!
    sample_while_loaded
    wait "$WRK_PID" || { cat "$WORK/wrk-soak.txt" >&2; fail "wrk failed"; }
    WRK_PID=""
    local line
    line="$(result_of "$WORK/wrk-soak.txt")"
    echo "Soak: gunicorn -w 2 (ASSISTANT_SEMANTIC=$SEMANTIC) on $(nproc) cores shared with wrk, POST /api/v1/ask," \
         "$CONNECTIONS connections, $DURATION s"
    echo "rate limit on ask raised for the run: ASSISTANT_RATE_LIMIT_ASK=\"$ASK_LIMIT\""
    echo "wrk: $(field requests "$line") requests, $(field rps "$line") requests/s, p50 $(field p50_ms "$line") ms," \
         "p99 $(field p99_ms "$line") ms, non-2xx $(field non2xx "$line"), socket errors $(field socket_errors "$line")"
    print_samples
    print_growth
}

main "$@"
