# One image per product, from the two base images:
#   docker build -f docker/service.Dockerfile --build-arg PRODUCT=btc-price --target service .
#   docker build -f docker/service.Dockerfile --build-arg PRODUCT=migrate --target migrate .
#   docker build -f docker/service.Dockerfile --build-arg PRODUCT=buyorders-admin --target service .
# build_run_images.sh builds all six.
ARG BUILD_IMAGE=buyorders-build:latest
ARG RUNTIME_IMAGE=buyorders-runtime:latest

FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY Sources ./Sources
COPY Tests ./Tests
# The OpenAPI documents: compiled into the services that serve them (GET /openapi.yaml).
COPY openapi ./openapi
# Every product at once, before PRODUCT is declared: the six image builds
# share this layer instead of compiling six times.
RUN swift build -c release
ARG PRODUCT
RUN test -n "${PRODUCT}" || { echo "--build-arg PRODUCT=<product> is required" >&2; exit 1; } \
    && mkdir -p /out \
    && cp "$(swift build -c release --show-bin-path)/${PRODUCT}" /out/ \
    && ln -s "${PRODUCT}" /out/service

# The product under its own name, and `service` pointing at it.
FROM ${RUNTIME_IMAGE} AS service
COPY --from=build /out/ /usr/local/bin/
ENTRYPOINT ["/usr/local/bin/service"]

# migrate also carries the SQL it applies, in /app/migrations (its default
# --migrations-dir relative to the working directory /app).
FROM service AS migrate
COPY migrations /app/migrations
CMD ["apply"]
