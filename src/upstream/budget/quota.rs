//! CloudWatch Logs read quotas, calls per second per account and region, as
//! the service's quota page lists them (they change over time: operators
//! override them with `LOGWARD_UPSTREAM_QUOTAS`). GetLogEvents,
//! FilterLogEvents and the query quotas cannot be raised; the others can.

use crate::domain::Action;

/// Regions where GetLogEvents is 10 calls a second instead of 25.
const GET_LOG_EVENTS_10: &[&str] = &["eu-central-1", "eu-west-1", "us-west-2"];
/// Regions where FilterLogEvents is 5 calls a second instead of 10.
const FILTER_LOG_EVENTS_5: &[&str] = &["eu-central-1"];

/// The shipped quota of `action` in `region`. Regions not named here get
/// the common figure; where the quota page names further exceptions, set
/// them with `LOGWARD_UPSTREAM_QUOTAS`.
pub(crate) fn shipped(region: &str, action: Action) -> f64 {
    match action {
        Action::GetLogEvents if region == "eu-west-3" => 30.0,
        Action::GetLogEvents if GET_LOG_EVENTS_10.contains(&region) => 10.0,
        Action::GetLogEvents => 25.0,
        Action::FilterLogEvents if region == "us-east-1" => 25.0,
        Action::FilterLogEvents if FILTER_LOG_EVENTS_5.contains(&region) => 5.0,
        Action::FilterLogEvents => 10.0,
        Action::DescribeLogGroups => 10.0,
        Action::DescribeLogStreams => 25.0,
        Action::StartQuery => 10.0,
        Action::GetQueryResults => 10.0,
        // Not on the page's list of read quotas; kept as low as StartQuery.
        Action::StopQuery => 10.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regional_exceptions() {
        assert_eq!(shipped("us-east-1", Action::GetLogEvents), 25.0);
        assert_eq!(shipped("eu-west-1", Action::GetLogEvents), 10.0);
        assert_eq!(shipped("eu-west-3", Action::GetLogEvents), 30.0);
        assert_eq!(shipped("us-east-1", Action::FilterLogEvents), 25.0);
        assert_eq!(shipped("eu-central-1", Action::FilterLogEvents), 5.0);
        assert_eq!(shipped("ap-south-1", Action::FilterLogEvents), 10.0);
    }
}
