# Sourced by the demos: starts the CNCF distribution registry (Debian's docker-registry) on
# 127.0.0.1:5001 (the source) and 127.0.0.1:5002 (the destination), each with its own storage
# under "$work", appends their pids to the caller's "pids" array and waits until both answer.
start_local_registries() {
  local port
  for port in 5001 5002; do
    mkdir -p "$work/$port"
    cat > "$work/$port/config.yml" <<YAML
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/$port/data}, cache: {blobdescriptor: inmemory}}
http: {addr: 127.0.0.1:$port}
YAML
    docker-registry serve "$work/$port/config.yml" >"$work/$port/log" 2>&1 &
    pids+=($!)
  done
  for port in 5001 5002; do
    for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.2; done
    curl -fs "http://127.0.0.1:$port/v2/" >/dev/null || { echo "the registry on 127.0.0.1:$port did not start: $(cat "$work/$port/log")" >&2; return 1; }
  done
}

# Stops what was started and removes the work folder.
stop_local_registries() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
