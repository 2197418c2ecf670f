#!/usr/bin/env bash
# Checks deploy/: renders both Kustomize overlays with `kubectl kustomize`, validates the
# built-in kinds with kubernetes-validate (pinned, in a venv of its own), checks the rules
# of deploy/check/ (probes, security, PDBs, HPAs, NetworkPolicies, Secrets, the operators'
# resources against the code, alerts, dashboard), proves with broken copies that those
# checks fail, and runs `promtool check rules` and `promtool test rules`. test.sh calls it.
#   scripts/check_deploy.sh
#   scripts/check_deploy.sh --write-prometheusrule   regenerate the production PrometheusRule
#                                                    from deploy/prometheus/buyorders-alerts.yml
# DEPLOY_CHECK_VENV sets the venv (default .build-venv/deploy, kept between runs).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

VENV=${DEPLOY_CHECK_VENV:-$ROOT/.build-venv/deploy}
REQUIREMENTS=deploy/check/requirements.txt
CHECK=deploy/check/check_deploy.py
WORK=""

cleanup() {
  [[ -z $WORK ]] || rm -rf "$WORK"
}

# ensure_tools — kubectl, promtool and a python3 that makes venvs (apt, via lib.sh).
ensure_tools() {
  ensure_packages prometheus
  command -v kubectl >/dev/null 2>&1 || ensure_packages kubernetes-client
}

# render OVERLAY OUT — kubectl kustomize OVERLAY > OUT; kustomize 5's notes on the fields
# kept for kubectl 1.20 (bases, patchesStrategicMerge, patchesJson6902) are left out.
render() {
  local errors=$WORK/render.err
  if ! kubectl kustomize "$1" >"$2" 2>"$errors"; then
    cat "$errors" >&2
    die "kubectl kustomize $1 failed"
  fi
  grep -v "is deprecated\. Please use" "$errors" >&2 || true
}

# expect_failure WHAT PATTERN COMMAND... — COMMAND must fail and print PATTERN.
expect_failure() {
  local what=$1 pattern=$2 output
  shift 2
  if output=$("$@" 2>&1); then
    printf '%s\n' "$output" >&2
    die "self-test: $what passed the checks"
  fi
  grep -qF -- "$pattern" <<<"$output" || {
    printf '%s\n' "$output" >&2
    die "self-test: $what failed without naming '$pattern'"
  }
}

main() {
  trap cleanup EXIT
  ensure_tools
  ensure_venv "$VENV" "$REQUIREMENTS"
  if [[ ${1:-} == --write-prometheusrule ]]; then
    "$VENV/bin/python" -B "$CHECK" write-prometheusrule
    return
  fi
  (($# == 0)) || die "usage: scripts/check_deploy.sh [--write-prometheusrule]"
  WORK=$(mktemp -d /tmp/buyorders-deploy.XXXXXX)
  log "kubectl kustomize deploy/k8s/overlays/dev and production ($(kubectl version --client --short 2>/dev/null || kubectl version --client 2>/dev/null | head -1))"
  render deploy/k8s/overlays/dev "$WORK/dev.yaml"
  render deploy/k8s/overlays/production "$WORK/production.yaml"

  log "kubernetes-validate and the rules of deploy/check"
  "$VENV/bin/python" -B "$CHECK" check --dev "$WORK/dev.yaml" --production "$WORK/production.yaml" ||
    die "deploy checks failed (above)"
  "$VENV/bin/python" -B "$CHECK" selftest --dev "$WORK/dev.yaml" --production "$WORK/production.yaml" ||
    die "deploy self-test failed (above)"

  # The whole path once more from a broken file: a copy of deploy/ whose fetch-buy-orders
  # probes readiness on /health must render and then fail the checks.
  cp -R deploy "$WORK/broken"
  sed -i 's#path: /ready#path: /health#' "$WORK/broken/k8s/base/services/fetch-buy-orders.yaml"
  render "$WORK/broken/k8s/overlays/dev" "$WORK/broken-dev.yaml"
  expect_failure "fetch-buy-orders with readiness on /health" \
    "Deployment/fetch-buy-orders: readinessProbe must check /ready" \
    "$VENV/bin/python" -B "$CHECK" check --dev "$WORK/broken-dev.yaml" --production "$WORK/production.yaml"

  log "promtool check rules / test rules"
  promtool check rules deploy/prometheus/buyorders-alerts.yml
  promtool test rules deploy/prometheus/buyorders-alerts.test.yml
  # And the unit tests catch a rule that is off: the BTC limit alert at 99 % instead of 90 %.
  mkdir "$WORK/rules"
  cp deploy/prometheus/buyorders-alerts.test.yml "$WORK/rules/"
  sed 's#max(btc_total_satoshis) / max(btc_limit_satoshis) > 0.9$#max(btc_total_satoshis) / max(btc_limit_satoshis) > 0.99#' \
    deploy/prometheus/buyorders-alerts.yml >"$WORK/rules/buyorders-alerts.yml"
  ! cmp -s deploy/prometheus/buyorders-alerts.yml "$WORK/rules/buyorders-alerts.yml" ||
    die "self-test: the BTC limit rule was not found to break"
  expect_failure "the BTC limit alert at 99 %" "BuyOrdersBTCLimitNear" \
    promtool test rules "$WORK/rules/buyorders-alerts.test.yml"
  log "deploy checks passed"
}

main "$@"
