//! Paging tokens, one binding format for every operation. A `nextToken` the
//! gateway hands out is CloudWatch's token (or the gateway's own cursor)
//! sealed by [`crate::paging::TokenKey`] to the tenant, the operation and a
//! [`Binding`]: the resource plus every request parameter that shapes the
//! pages. Replayed by another tenant, on another resource, operation or
//! parameter set, or altered, it is refused (400) and never forwarded.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::{Call, Gateway};
use crate::domain::Action;
use crate::error::ApiError;

/// Everything but unreserved characters is escaped, so `&`, `=` and `?`
/// inside values cannot shift a field boundary.
const VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// What a token is bound to: `resource?name=value&…`, canonical.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Binding(String);

impl Binding {
    pub(crate) fn new(resource: &str) -> Self {
        Self(resource.to_owned())
    }

    /// Adds a parameter; an absent one is written as its bare name, so that
    /// absent and empty never bind alike.
    pub(crate) fn param(mut self, name: &str, value: Option<&str>) -> Self {
        self.0.push(if self.0.contains('?') { '&' } else { '?' });
        self.0.push_str(name);
        if let Some(v) = value {
            self.0.push('=');
            self.0.extend(utf8_percent_encode(v, VALUE));
        }
        self
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl Gateway {
    /// The inner token of a client's `nextToken`: it must be one this gateway
    /// issued to this tenant for this operation and binding.
    pub(crate) fn unwrap_token(
        &self,
        call: &Call,
        action: Action,
        binding: &Binding,
        token: Option<&str>,
    ) -> Result<Option<String>, ApiError> {
        token
            .map(|t| {
                self.tokens
                    .unwrap(t, call.tenant_id(), action.operation(), binding.as_str())
                    .map_err(|e| ApiError::invalid_param("nextToken", e.to_string()))
            })
            .transpose()
    }

    /// Seals an inner token for this tenant, operation and binding.
    pub(crate) fn wrap_token(
        &self,
        call: &Call,
        action: Action,
        binding: &Binding,
        inner: Option<&str>,
    ) -> Option<String> {
        inner.map(|t| {
            self.tokens
                .wrap(call.tenant_id(), action.operation(), binding.as_str(), t)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Binding;

    #[test]
    fn bindings_are_canonical_and_unambiguous() {
        let a = Binding::new("arn:g")
            .param("prefix", Some("a&order=x"))
            .param("order", None);
        let b = Binding::new("arn:g")
            .param("prefix", Some("a"))
            .param("order", Some("x"));
        assert_ne!(a, b);
        assert_eq!(a.as_str(), "arn:g?prefix=a%26order%3Dx&order");
        assert_ne!(
            Binding::new("arn:g").param("p", None),
            Binding::new("arn:g").param("p", Some(""))
        );
    }
}
