#!/usr/bin/env bash
# Builds one image per product, buyorders-<product>:TAG (buyorders-admin:TAG for buyorders-admin),
# from the base images (run ./build_base_images.sh first). migrate's image carries migrations/.
#   ./build_run_images.sh [product...]      (default: all six)
# BUYORDERS_TAG (default latest) is the tag of the bases and of the results.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

PRODUCTS=(create-buy-order fetch-buy-orders read-model-sync btc-price migrate buyorders-admin)
TAG=${BUYORDERS_TAG:-latest}

# image_name PRODUCT — buyorders-PRODUCT, or PRODUCT when it starts with buyorders- already.
image_name() {
  if [[ $1 == buyorders-* ]]; then echo "$1"; else echo "buyorders-$1"; fi
}

# build_image PRODUCT
build_image() {
  local target=service image
  image=$(image_name "$1")
  [[ $1 != migrate ]] || target=migrate
  log "$image:$TAG"
  docker build -f docker/service.Dockerfile --target "$target" \
    --build-arg "PRODUCT=$1" \
    --build-arg "BUILD_IMAGE=buyorders-build:$TAG" \
    --build-arg "RUNTIME_IMAGE=buyorders-runtime:$TAG" \
    -t "$image:$TAG" . || die "building $image failed"
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
  log "done (tag $TAG): $(for product in "$@"; do image_name "$product"; done | tr '\n' ' ')"
}

main "$@"
