# shellcheck shell=bash
# Sourced by the scripts of curl/: the API key they send.

# api_key — BUYORDERS_API_KEY, else the key ./run.sh keeps in RUN_DIR/api-key (RUN_DIR: .run/ in
# the repository, as for ./run.sh).
api_key() {
  local file=${RUN_DIR:-$(dirname "${BASH_SOURCE[0]}")/../.run}/api-key
  if [[ -n ${BUYORDERS_API_KEY:-} ]]; then
    echo "$BUYORDERS_API_KEY"
  elif [[ -r $file ]]; then
    cat "$file"
  else
    echo "no API key: set BUYORDERS_API_KEY, or start ./run.sh (it keeps one in $file)" >&2
    return 1
  fi
}
