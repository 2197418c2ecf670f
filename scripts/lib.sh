# shellcheck shell=bash
# Helper functions shared by test.sh and scripts/*.sh. Source, don't run.

# Apt packages the build, the tests and the benchmarks need.
BUYORDERS_PACKAGES=(
  postgresql rabbitmq-server libpq-dev librabbitmq-dev libcurl4-openssl-dev
  pkg-config curl wrk hyperfine prometheus
)
# kubectl (scripts/check_deploy.sh renders deploy/k8s with it): Debian's kubernetes-client,
# unless a kubectl is installed already; the Google Cloud CLI's kubectl package owns
# /usr/bin/kubectl too, and dpkg refuses to install both.
command -v kubectl >/dev/null 2>&1 || BUYORDERS_PACKAGES+=(kubernetes-client)

# log MESSAGE... — print "[buyorders] MESSAGE" to stderr.
log() {
  printf '[buyorders] %s\n' "$*" >&2
}

# die MESSAGE... — log and exit 1.
die() {
  log "error: $*"
  exit 1
}

# is_installed PKG — true when dpkg knows PKG as installed.
is_installed() {
  local status
  status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
  [[ $status == "install ok installed" ]]
}

# apt_quiet ARGS... — run apt-get quietly; show its output only on failure.
apt_quiet() {
  local out rc=0
  out=$(mktemp)
  DEBIAN_FRONTEND=noninteractive apt-get -q "$@" >"$out" 2>&1 || rc=$?
  if ((rc != 0)); then
    tail -n 30 "$out" >&2
  fi
  rm -f "$out"
  return "$rc"
}

# install_blocking_services PKG... — apt-get install while invoke-rc.d is told
# not to start services (we run our own PostgreSQL/RabbitMQ instances).
install_blocking_services() {
  local policy=/usr/sbin/policy-rc.d added=0 rc=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    added=1
  fi
  apt_quiet install -y --no-install-recommends "$@" || rc=$?
  if ((added)); then
    rm -f "$policy"
  fi
  return "$rc"
}

# ensure_packages [PKG...] — install missing apt packages (default: all the
# project needs). Runs `apt-get update` at most once per shell.
ensure_packages() {
  local pkg missing=()
  (($# > 0)) || set -- "${BUYORDERS_PACKAGES[@]}"
  for pkg in "$@"; do
    is_installed "$pkg" || missing+=("$pkg")
  done
  ((${#missing[@]} > 0)) || return 0
  ((EUID == 0)) || die "missing packages (need root to install): ${missing[*]}"
  log "installing: ${missing[*]}"
  if [[ -z ${BUYORDERS_APT_UPDATED:-} ]]; then
    apt_quiet update || die "apt-get update failed"
    BUYORDERS_APT_UPDATED=1
  fi
  install_blocking_services "${missing[@]}" || die "apt-get install failed: ${missing[*]}"
}

# port_in_use PORT — true when something accepts connections on 127.0.0.1:PORT.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_ports COUNT — print COUNT distinct free TCP ports on 127.0.0.1, one per line. They are taken
# together: ports asked for one by one may be the same one again, as soon as it is closed.
free_ports() {
  local count=$1
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket, sys
sockets = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print("\n".join(str(s.getsockname()[1]) for s in sockets))' "$count" && return 0
  fi
  local port tries
  local -A taken=()
  for ((tries = 0; ${#taken[@]} < count && tries < 100 * count; tries++)); do
    port=$((20000 + RANDOM % 30000))
    if [[ -z ${taken[$port]:-} ]] && ! port_in_use "$port"; then
      taken[$port]=1
      echo "$port"
    fi
  done
  ((${#taken[@]} == count)) || die "no $count free TCP ports found"
}

# free_port — print a free TCP port on 127.0.0.1.
free_port() {
  free_ports 1
}

# ensure_venv VENV REQUIREMENTS — a Python venv at VENV with the pinned packages of REQUIREMENTS,
# made again when the requirements change.
ensure_venv() {
  local venv=$1 requirements=$2
  python3 -m venv --help >/dev/null 2>&1 || ensure_packages python3-venv
  if [[ -x $venv/bin/python ]] && cmp -s "$requirements" "$venv/requirements.txt"; then
    return 0
  fi
  log "python venv for $requirements: $venv"
  rm -rf "$venv"
  python3 -m venv "$venv" || die "python3 -m venv $venv failed"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir -r "$requirements" ||
    die "pip install -r $requirements failed"
  cp "$requirements" "$venv/requirements.txt"
}

# wait_exit PID SECONDS — true once PID has exited, false if it still runs after SECONDS.
wait_exit() {
  local pid=$1 i
  for ((i = 0; i < $2 * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

# abs_path PATH — print PATH made absolute (PATH need not exist).
abs_path() {
  if [[ -d $1 ]]; then
    (cd "$1" && pwd -P)
  elif [[ $1 == /* ]]; then
    echo "$1"
  else
    echo "$PWD/$1"
  fi
}

# secret FILE — print the secret kept in FILE, made the first time: 32 URL-safe characters from
# /dev/urandom (24 bytes, base64url), mode 600 (a missing directory is made with mode 700).
secret() {
  if [[ ! -s $1 ]]; then
    (umask 077 && mkdir -p "$(dirname "$1")" && head -c 24 /dev/urandom | base64 | tr '+/' '-_' >"$1.new" &&
      mv "$1.new" "$1") || die "cannot write $1"
  fi
  chmod 600 "$1"
  cat "$1"
}
