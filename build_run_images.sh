#!/usr/bin/env bash
# Builds one image per product, buyorders-<product>:TAG, from the base images
# (run ./build_base_images.sh first). migrate's image carries migrations/.
#   ./build_run_images.sh [product...]      (default: all five)
# BUYORDERS_TAG (default latest) is the tag of the bases and of the results.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

PRODUCTS=(create-buy-order fetch-buy-orders read-model-sync btc-price migrate)
TAG=${BUYORDERS_TAG:-latest}

# build_image PRODUCT
build_image() {
  local target=service
  [[ $1 != migrate ]] || target=migrate
  log "buyorders-$1:$TAG"
  docker build -f docker/service.Dockerfile --target "$target" \
    --build-arg "PRODUCT=$1" \
    --build-arg "BUILD_IMAGE=buyorders-build:$TAG" \
    --build-arg "RUNTIME_IMAGE=buyorders-runtime:$TAG" \
    -t "buyorders-$1:$TAG" . || die "building buyorders-$1 failed"
}

main() {
  local product base
  command -v docker >/dev/null || die "docker not found: the container path needs a Docker engine"
  for base in buyorders-build buyorders-runtime; do
    docker image inspect "$base:$TAG" >/dev/null 2>&1 ||
      die "$base:$TAG missing: run ./build_base_images.sh first"
  done
  (($# > 0)) || set -- "${PRODUCTS[@]}"
  for product in "$@"; do
    [[ " ${PRODUCTS[*]} " == *" $product "* ]] || die "unknown product '$product' (one of: ${PRODUCTS[*]})"
    build_image "$product"
  done
  log "done (tag $TAG): ${*/#/buyorders-}"
}

main "$@"
