# Sourced by scripts/test. Exports REDIS_URL pointing at a reachable Redis server:
# the given REDIS_URL, else 127.0.0.1:6379, else a redis-server started here (installed if missing).
redis_ping() {
  .venv/bin/python - "$1" <<'PY'
import sys, redis
try:
    redis.Redis.from_url(sys.argv[1], socket_connect_timeout=1).ping()
except Exception:
    sys.exit(1)
PY
}
# The binary is needed even when a server runs: the reliability tests start and stop their own.
if ! command -v redis-server >/dev/null 2>&1; then
  echo "== installing redis-server" >&2
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    sudo apt-get update -qq >/dev/null && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
fi
if [ -n "${REDIS_URL:-}" ] && redis_ping "$REDIS_URL"; then
  :
elif redis_ping "redis://127.0.0.1:6379/0"; then
  export REDIS_URL="redis://127.0.0.1:6379/0"
else
  port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  rdir=$(mktemp -d)
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no --dir "$rdir" \
    --logfile "$rdir/redis.log" --pidfile "$rdir/redis.pid"
  for _ in $(seq 50); do redis_ping "redis://127.0.0.1:$port/0" && break; sleep 0.1; done
  export REDIS_URL="redis://127.0.0.1:$port/0"
  trap 'kill "$(cat "$rdir/redis.pid")" 2>/dev/null || true' EXIT
fi
if ! redis_ping "$REDIS_URL"; then
  echo "scripts/test: no Redis server could be reached or started" >&2
  exit 1
fi
