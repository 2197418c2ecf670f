// swift-tools-version:6.2
import PackageDescription

/// One set of settings for every target.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "BuyOrders",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "create-buy-order", targets: ["CreateBuyOrder"]),
        .executable(name: "fetch-buy-orders", targets: ["FetchBuyOrders"]),
        .executable(name: "read-model-sync", targets: ["ReadModelSync"]),
        .executable(name: "btc-price", targets: ["BTCPrice"]),
        .executable(name: "migrate", targets: ["Migrate"]),
        .executable(name: "buyorders-admin", targets: ["BuyOrdersAdmin"]),
        .executable(name: "buyorders", targets: ["BuyOrdersCLI"]),
        .library(name: "Core", targets: ["Core"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
    ],
    targets: [
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CRabbitMQ", pkgConfig: "librabbitmq", providers: [.apt(["librabbitmq-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(
            name: "Core",
            dependencies: [
                "CLibPQ", "CRabbitMQ", "CCurl",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The services' OpenAPI documents, openapi/*.yaml, compiled into the binaries that serve them.
        .target(
            name: "OpenAPI", path: "openapi",
            resources: [
                .embedInCode("create-buy-order.yaml"), .embedInCode("fetch-buy-orders.yaml"),
                .embedInCode("btc-price.yaml"), .embedInCode("read-model-sync.yaml"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "CreateBuyOrder", dependencies: ["Core", "OpenAPI"], swiftSettings: swiftSettings),
        .executableTarget(name: "FetchBuyOrders", dependencies: ["Core", "OpenAPI"], swiftSettings: swiftSettings),
        .executableTarget(
            name: "ReadModelSync",
            dependencies: ["Core", "OpenAPI", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "BTCPrice", dependencies: ["Core", "OpenAPI"], swiftSettings: swiftSettings),
        .executableTarget(
            name: "Migrate",
            dependencies: ["Core", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "BuyOrdersAdmin",
            dependencies: ["Core", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        // `buyorders`, the command-line client of the HTTP API.
        .executableTarget(
            name: "BuyOrdersCLI",
            dependencies: ["Core", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TestSupport",
            dependencies: [
                "Core", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "Tests/TestSupport", swiftSettings: swiftSettings
        ),
        .testTarget(name: "CoreTests", dependencies: ["Core", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "BuyOrdersAdminTests", dependencies: ["Core", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "BuyOrdersCLITests",
            dependencies: [
                "BuyOrdersCLI", "CreateBuyOrder", "FetchBuyOrders", "ReadModelSync", "BTCPrice", "BuyOrdersAdmin",
                "TestSupport", .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "MigrateTests", dependencies: ["Migrate", "TestSupport"], swiftSettings: swiftSettings),
        serviceTests("CreateBuyOrder"),
        serviceTests("FetchBuyOrders"),
        serviceTests("ReadModelSync"),
        serviceTests("BTCPrice"),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "CreateBuyOrder", "FetchBuyOrders", "ReadModelSync", "BTCPrice", "BuyOrdersAdmin", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

/// Tests of one service: its handlers through the router and on a live port, with real servers.
func serviceTests(_ service: String) -> Target {
    .testTarget(
        name: "\(service)Tests",
        dependencies: [
            .target(name: service), "TestSupport",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ],
        swiftSettings: swiftSettings
    )
}
