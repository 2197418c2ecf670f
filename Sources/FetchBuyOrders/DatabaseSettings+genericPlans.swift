import Core

extension DatabaseSettings {
    /// The same database, with sessions that always use the generic plan of a prepared statement (unless
    /// the URL's own `options` set `plan_cache_mode`).
    ///
    /// A page query's `LIMIT $n` makes PostgreSQL's generic-plan estimate look far costlier than it is, so
    /// by default it plans every execution afresh; that planning costs more than the index seek itself.
    /// The generic plans of these statements are the same index scans (see bench/fetch_buy_orders.sh).
    func forcingGenericPlans() -> DatabaseSettings {
        var settings = self
        settings.options.serverSettings["plan_cache_mode"] = "force_generic_plan"
        return settings
    }
}
