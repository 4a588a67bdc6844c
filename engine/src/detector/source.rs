//! [`EventSource`]: the log source of one event, as routing and recognition find it.

use sigma_runtime::LogSource;

/// The log source of one event: its product and service, and the categories it belongs to
/// (a Sysmon registry value event is both `registry_set` and `registry_event`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct EventSource {
    /// The product (empty: unknown).
    pub product: Box<str>,
    /// The service (empty: unknown).
    pub service: Box<str>,
    /// The categories (none: unknown).
    pub categories: Vec<Box<str>>,
}

impl EventSource {
    /// True when `rule` runs on events of this source: each key it names matches.
    pub fn admits(&self, rule: &LogSource) -> bool {
        (rule.product.is_empty() || rule.product == &*self.product)
            && (rule.service.is_empty() || rule.service == &*self.service)
            && (rule.category.is_empty() || self.categories.iter().any(|c| &**c == rule.category))
    }
}
