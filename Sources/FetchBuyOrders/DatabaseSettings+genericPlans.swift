import Core
import Foundation

extension DatabaseSettings {
    /// The same database, with sessions that always use the generic plan of a prepared statement.
    ///
    /// A page query's `LIMIT $n` makes PostgreSQL's generic-plan estimate look far costlier than it is, so
    /// by default it plans every execution afresh; that planning costs more than the index seek itself.
    /// The generic plans of these statements are the same index scans (see bench/fetch_buy_orders.sh).
    func forcingGenericPlans() -> DatabaseSettings {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return self }
        let option = "-c plan_cache_mode=force_generic_plan"
        var items = components.percentEncodedQueryItems ?? []
        if let index = items.firstIndex(where: { $0.name == "options" }) {
            let existing = items[index].value?.removingPercentEncoding ?? ""
            items[index].value = Self.percentEncoded(existing.isEmpty ? option : "\(existing) \(option)")
        } else {
            items.append(URLQueryItem(name: "options", value: Self.percentEncoded(option)))
        }
        components.percentEncodedQueryItems = items
        guard let forced = components.url else { return self }
        var settings = self
        settings.url = forced
        return settings
    }

    /// libpq reads URI query values percent-decoded and refuses a second `=` in one parameter.
    private static func percentEncoded(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? value
    }
}
