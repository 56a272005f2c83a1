#!/usr/bin/env bash
# Makes sure the services Gomato needs run on loopback: Postgres and Redis
# (and, with --chromium, Debian's Chromium for the browser tests). Uses them
# if they are up; else starts the installed ones; else installs them with
# apt-get (Debian, as root). Creates the `gomato` database. Idempotent, and
# says what it did.
set -euo pipefail

want_chromium=0
for a in "$@"; do
  case "$a" in
    --chromium) want_chromium=1 ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "services.sh: unknown flag $a" >&2; exit 2 ;;
  esac
done

PGHOST=127.0.0.1 PGPORT=5432 REDIS_PORT=6379
say() { echo "services: $*"; }
apt_updated=0
apt_install() {
  if ! command -v apt-get >/dev/null; then
    say "cannot install $* automatically: no apt-get; install it and re-run"; exit 1
  fi
  if [ "$(id -u)" != 0 ]; then
    say "installing $* needs root: run 'sudo $0'"; exit 1
  fi
  if [ $apt_updated = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get update -qq; apt_updated=1; fi
  say "installing $* with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_up() { pg_isready -q -h $PGHOST -p $PGPORT 2>/dev/null; }

# --- Postgres -----------------------------------------------------------
if command -v pg_isready >/dev/null && pg_up; then
  say "postgres: already running on $PGHOST:$PGPORT"
else
  if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    apt_install postgresql postgresql-contrib
  fi
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  hba=/etc/postgresql/$ver/main/pg_hba.conf
  # A fresh Debian cluster asks for passwords on TCP; development and tests
  # connect as postgres over loopback without one.
  if ! grep -q '^# gomato: loopback trust' "$hba"; then
    say "postgres: trusting loopback connections in $hba (development machine)"
    tmp=$(mktemp)
    { echo '# gomato: loopback trust'
      echo 'host all all 127.0.0.1/32 trust'
      echo 'host all all ::1/128 trust'
      cat "$hba"; } > "$tmp"
    cat "$tmp" > "$hba"; rm -f "$tmp"
  fi
  say "postgres: starting cluster $ver/main"
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start || pg_ctlcluster --skip-systemctl-redirect "$ver" main reload || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { say "postgres did not come up on $PGHOST:$PGPORT"; exit 1; }
  say "postgres: running"
fi
if ! psql -h $PGHOST -p $PGPORT -U postgres -d postgres -Atqc "select 1 from pg_database where datname = 'gomato'" | grep -q 1; then
  psql -h $PGHOST -p $PGPORT -U postgres -d postgres -qc "create database gomato" >/dev/null
  say "postgres: created database gomato"
else
  say "postgres: database gomato exists"
fi

# --- Redis ----------------------------------------------------------------
redis_up() { redis-cli -h 127.0.0.1 -p $REDIS_PORT ping 2>/dev/null | grep -q PONG; }
if command -v redis-cli >/dev/null && redis_up; then
  say "redis: already running on 127.0.0.1:$REDIS_PORT"
else
  command -v redis-server >/dev/null || apt_install redis-server
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  say "redis: starting on 127.0.0.1:$REDIS_PORT"
  redis-server --daemonize yes --bind 127.0.0.1 --port $REDIS_PORT --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/gomato.log
  for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
  redis_up || { say "redis did not come up"; exit 1; }
  say "redis: running"
fi

# --- Chromium (browser tests and screenshots) -----------------------------
if [ $want_chromium = 1 ]; then
  if command -v chromium >/dev/null; then
    say "chromium: installed ($(chromium --version 2>/dev/null | head -1))"
  else
    apt_install chromium fonts-dejavu-core
    say "chromium: installed"
  fi
fi
